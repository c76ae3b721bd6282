"""Writes the planted near-duplicates of the seed articles (run from the repository root; output is committed).

Each copy is how a wire story comes back from another outlet: a new title and header (outlet, date), some paragraphs
dropped or cut at the end, a few words changed, a line added."""
import re
from pathlib import Path

from rag.indexing.ingest import clean

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent
PLANTS = {
    # name: (seed, new title, header lines, drop every n-th body line (0 = none), keep the first fraction, swaps, added)
    "dup_000_alarabiya.txt": ("000_203a56a6419ab15d.txt", "روسيا والصين وإيران تتفق مع طالبان على تعزيز الأمن",
                              ["دبي - العربية.نت", "نشر في: 21 أكتوبر ,2021: 09:12 ص GST"], 0, 0.7,
                              [("توصّلت", "اتفقت"), ("المخاوف", "القلق")], "وتابع الكرملين المحادثات عن كثب."),
    "dup_001_youm7.txt": ("001_f363e7051d720855.txt", "طالبان مستعدة للتعاون الأمني مع روسيا - اليوم السابع",
                          ["الخميس، 13 يونيو 2024 10:00 ص", "كتب أحمد علي"], 5, 1.0,
                          [("أعلنت", "أكدت"), ("موسكو", "العاصمة الروسية")], ""),
    "dup_002_aawsat.txt": ("002_f20e58f4921fb46f.txt", "موسكو ترفع الحظر عن «طالبان» لمواجهة «داعش»",
                           ["الأحد - 23 شوال 1446 هـ - 20 أبريل 2025 مـ", "لندن: «الشرق الأوسط»"], 4, 0.8,
                           [("الرئيس الروسي", "الرئيس"), ("نظراً", "بالنظر")], ""),
    "dup_003_sputnik.txt": ("003_311d5706b071db88.txt", "لافروف: مشاورات في منظمة معاهدة الأمن الجماعي بشأن أفغانستان",
                            ["02.07.2021"], 0, 0.85, [("( أردو بوینت نتورك ۔ / سبوتنيك - 02 يوليو 2021ء)", "موسكو - سبوتنيك."),
                                                      ("اليوم الجمعة", "الجمعة")], ""),
    "dup_004_copy.txt": ("004_bc119a91e0d0aa00.txt", "تقرير: اتصالات سرية بين روسيا وطالبان ضد «الدولة الإسلامية»",
                         ["الأربعاء 28 أكتوبر 2015", "المصدر: الجزيرة"], 3, 0.9, [("أمس الإثنين", "الإثنين")],
                         "ولم يصدر تعليق رسمي من موسكو على التقرير."),
}

for name, (seed, title, header, drop, keep, swaps, added) in PLANTS.items():
    body = clean((ROOT / "corpus" / seed).read_text(encoding="utf-8")).split("\n")[1:]
    body = [ln for ln in body if len(ln) > 60]  # the copy has its own header; captions and subtitles go
    body = body[: max(3, round(len(body) * keep))]
    if drop:
        body = [ln for i, ln in enumerate(body, start=1) if i % drop]
    text = "\n".join(body)
    for old, new in swaps:
        text = text.replace(old, new)
    if name == "dup_003_sputnik.txt":
        text = re.sub(r"^\s*", "", text)
    (OUT / name).write_text("\n".join([title, *header, text] + ([added] if added else [])) + "\n", encoding="utf-8")
    print(name)
