"""Hijri dates ("6 ذو الحجة 1445 هـ"), converted to Gregorian with the Umm al-Qura calendar (hijridate)."""
from __future__ import annotations

import re

from rag.meta.gregorian import END, Found, alternation, fold

HIJRI_MONTHS = {"محرم": 1, "صفر": 2, "ربيع الأول": 3, "ربيع الاول": 3, "ربيع الآخر": 4, "ربيع الاخر": 4,
                "ربيع الثاني": 4, "جمادى الأولى": 5, "جمادى الاولى": 5, "جمادى الآخرة": 6, "جمادى الاخرة": 6,
                "جمادى الثانية": 6, "رجب": 7, "شعبان": 8, "رمضان": 9, "شوال": 10, "ذو القعدة": 11, "ذي القعدة": 11,
                "ذو الحجة": 12, "ذي الحجة": 12}
_HM = rf"(?:{alternation(HIJRI_MONTHS)}){END}"
_HIJRI = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_HM})\s+(1[34]\d{{2}})\s*(?:هـ|ه{END}|h{END})")
_HMONTH_NUM = {fold(k): v for k, v in HIJRI_MONTHS.items()}


def find(line: str, norm: str) -> list[Found]:
    """Every Hijri date in `line` (`norm` = fold(line)), as its Gregorian day."""
    found: list[Found] = []
    for m in _HIJRI.finditer(norm):
        from hijridate import Hijri  # converted with the Umm al-Qura calendar

        try:
            g = Hijri(int(m.group(3)), _HMONTH_NUM[m.group(2)], int(m.group(1))).to_gregorian()
        except (ValueError, OverflowError):
            continue
        end = m.end() + (line[m.end():m.end() + 1] == "ـ")  # "هـ": the tatweel is a space in the normalised line
        found.append(Found(m.start(), end, g.isoformat(), "day", line[m.start():end].strip(), True))
    return found
