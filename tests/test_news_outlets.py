"""Outlet, author and date read from the text of Saudi newsroom articles (#22): the conventions measured on the
SaudiNewsNet archive (bench/saudinewsnet.py), on articles written here for the tests."""
from __future__ import annotations

from rag.indexing.ingest import clean
from rag.meta import canonical_outlet, extract, outlet_key


def _meta(text: str):
    return extract(clean(text), {}, "", raw=text)


def test_reporter_dateline_names_reporter_and_outlet():
    m = _meta("افتتاح حديقة جديدة في أبها\nسالم العمري – عين اليوم\nافتتح أمين منطقة عسير اليوم حديقة جديدة في أبها "
              "تضم ملاعب للأطفال ومسارات للمشي، وسط حضور كبير من الأهالي والزوار القادمين من خارج المنطقة.")
    assert (m.outlet, m.outlet_from, m.author) == ("عين اليوم", "dateline", "سالم العمري")
    inline = _meta("ضبط مستودع مخالف\n فهد القحطاني- سبق- مكة المكرمة: ضبطت الجهات المختصة مستودعا مخالفا في حي "
                   "العزيزية يحتوي على كميات كبيرة من المواد الغذائية منتهية الصلاحية، وأحالت المخالفين إلى الجهات المختصة.")
    assert (inline.outlet, inline.author) == ("سبق", "فهد القحطاني")
    place_first = _meta("أمطار على جازان\nسبق- جازان: شهدت محافظات منطقة جازان أمطارا غزيرة مساء اليوم، وأعلن الدفاع "
                        "المدني رفع درجة الاستعداد في جميع المحافظات، داعيا السكان إلى الابتعاد عن مجاري الأودية.")
    assert (place_first.outlet, place_first.author) == ("سبق", "")  # 'جازان' is the place, not a reporter


BODY = ("أعلنت الجهات المختصة اليوم عن بدء أعمال المرحلة الثانية من المشروع، على أن تكتمل خلال ستة أشهر، "
        "وأوضح المتحدث الرسمي أن العمل يسير وفق الجدول المعتمد دون أي تأخير يذكر حتى الآن.")


def test_reporter_beside_a_place_or_beside_other_reporters():
    """The byline forms measured on the archive (#22): 'NAME ـ PLACE' on its own line, 'PLACE - NAME', co-reporters
    before the outlet, the place between reporter and outlet, tatweel inside a name, an interviewer's cue."""
    cases = {
        f"تطوير الملعب الرئيسي\nسامي الدوسري ـ جدة\n{BODY}": "سامي الدوسري",
        f"تطوير الملعب الرئيسي\nأبها - منى القحطاني\n{BODY}": "منى القحطاني",
        f"افتتاح المرحلة الثانية\n نـواف الغـامدي- سبق- تبوك: {BODY}": "نواف الغامدي",
        f"افتتاح المرحلة الثانية\n هند العلي- ريم السبيعي- سبق- جدة: {BODY}": "هند العلي، ريم السبيعي",
        f"افتتاح المرحلة الثانية\n ماجد الشهري- الرياض- سبق: {BODY}": "ماجد الشهري",
        f"افتتاح المرحلة الثانية\n خالد العنزي - سبق الطائف: {BODY}": "خالد العنزي",
        f"افتتاح المرحلة الثانية\n حاوره : سعود المطيري - سبق : {BODY}": "سعود المطيري",
        f"افتتاح المرحلة الثانية\n طارق الحربي- جازان: {BODY}": "طارق الحربي",
    }
    for text, author in cases.items():
        assert _meta(text).author == author, text[:60]
    not_reporters = ("د ب أ- الرياض:", "* لندن - برلين", "عكاظ اليوم ــ جدة", "بريدة - مكتب الجزيرة",
                     "صنعاء - خاص ب\"الرياض\"", "أم خالد - الرياض", "عين اليومم – متابعات", "س. م. – الخبر.",
                     "قال مسؤولون لـ «المدينة»:", "Next Previous واس – جدة")
    for line in not_reporters:  # an agency, two places, an outlet (misspelt too), a desk, a reader's initials
        assert _meta(f"افتتاح المرحلة الثانية\n{line} {BODY}").author == "", line
        assert _meta(f"افتتاح المرحلة الثانية\n{line}\n{BODY}").author == "", line


def test_outlet_credited_in_its_own_reporting():
    m = _meta("مشروع جديد للمياه في تبوك\nأعلنت المديرية العامة للمياه بمنطقة تبوك عن مشروع جديد لتحلية المياه. "
              "وقال مدير المشروع لـ«عكاظ» إن العمل سيبدأ بعد شهرين، وإن المشروع سيخدم أكثر من مائة ألف نسمة في المنطقة.")
    assert (m.outlet, m.outlet_from) == ("عكاظ", "credit")
    riyadh = _meta("ارتفاع أسعار الخضار\nشهدت أسواق الخضار في الرياض ارتفاعا في الأسعار خلال الأسبوع الماضي. وأوضح أحد "
                   "التجار في تصريح ل\"الرياض\" أن السبب قلة المعروض، مشيرا إلى أن الأسعار ستعود إلى طبيعتها قريبا.")
    assert riyadh.outlet == "الرياض" and outlet_key(riyadh.outlet) == outlet_key("الرياض")
    # the city, 'today' and 'the nation' in running text are not outlets; a quoted wire is not the publisher
    plain = _meta("زيارة رسمية\nوصل الوزير اليوم إلى الرياض في زيارة رسمية للوطن تستمر ثلاثة أيام يبحث خلالها مع "
                  "المسؤولين سبل التعاون، حسب ما قال مسؤول لـ«رويترز» في وقت سابق من هذا الأسبوع.")
    assert plain.outlet == "" and canonical_outlet("الرياض") == "" and canonical_outlet("اليوم") == ""
    cites_other = _meta("تقرير عن النفط\nذكرت صحيفة «عكاظ» أمس أن أسعار النفط سترتفع خلال الربع المقبل من العام، "
                        "وفق ما أفاد به عدد من المحللين في السوق النفطية الذين تحدثوا عن توقعاتهم للفترة المقبلة.")
    assert cites_other.outlet == ""  # 'ذكرت صحيفة «X»' cites another outlet


def test_outlet_of_a_reporters_dateline_and_of_the_papers_own_voice():
    m = _meta(f"افتتاح المرحلة الثانية\n سعاد الحربي، منال القرني – عين اليوم\n{BODY}")
    assert (m.outlet, m.outlet_from, m.author) == ("عين اليوم", "dateline", "سعاد الحربي، منال القرني")
    underscore = _meta(f"افتتاح المرحلة الثانية\n فواز الكثيري _ عين اليوم\n{BODY}")
    assert (underscore.outlet, underscore.author) == ("عين اليوم", "فواز الكثيري")
    for said in ("«عكاظ» أقامت ندوة عن السلامة المرورية", "وحاولت «اليوم» التواصل مع المتحدث الرسمي",
                 "وبحسب معلومات \"الوطن\" فإن الموعد تأجل", "وقال لـ”عين اليوم” إن العمل مستمر"):
        assert _meta(f"افتتاح المرحلة الثانية\n{BODY} {said}.").outlet_from == "credit", said


def test_footer_link_names_the_outlet():
    m = _meta("تدشين مركز صحي\nدشن محافظ المحافظة مركزا صحيا جديدا في الحي الشمالي يخدم أكثر من عشرين ألف نسمة، ويضم "
              "عيادات للأسنان والأطفال وقسما للطوارئ يعمل على مدار الساعة.\nرابط الخبر بصحيفة الوئام: تدشين مركز صحي")
    assert (m.outlet, m.outlet_from) == ("الوئام", "footer")


def test_timeline_entry_is_no_dateline():
    m = _meta("محطات في تاريخ القمة\n* 28 مايو (أيار) 1990: عقدت القمة العربية الاستثنائية في بغداد لبحث التهديدات "
              "التي تواجه الأمن القومي العربي، وشارك فيها عدد كبير من القادة العرب في ذلك الوقت من العام.")
    assert m.date == "" and m.date_from == "unknown"
    spa = _meta("افتتاح معرض\n الرياض 26 شوال 1436 هـ الموافق 11 أغسطس 2015 م واس\n افتتح أمير المنطقة معرضا للكتاب "
                "يشارك فيه أكثر من مائتي دار نشر من داخل المملكة وخارجها ويستمر عشرة أيام.")
    assert (spa.date, spa.outlet) == ("2015-08-11", "واس")
