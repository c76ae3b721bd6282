"""The shared signals: question types, light stemming, answer-type cues, coverage and BM25 of one text."""
from __future__ import annotations

import pytest

from rag.retrieval import features as F


@pytest.mark.parametrize("question, qtype", [
    ("كم عدد الدول التي شاركت في محادثات موسكو؟", "number"),
    ("متى رفعت روسيا الحظر عن طالبان؟", "date"),
    ("في أي عام ولد جمال خاشقجي؟", "date"),
    ("من هو مبعوث الكرملين الخاص بأفغانستان؟", "person"),
    ("أين عقدت المحادثات؟", "place"),
    ("هل اعترفت روسيا بحكومة طالبان؟", "yesno"),
    ("لماذا صنفت روسيا طالبان منظمة إرهابية؟", "reason"),
    ("ما هي عاصمة أفغانستان؟", "other"),
    ("How many countries took part in the Moscow talks?", "number"),
    ("When did Russia lift the ban on the Taliban?", "date"),
    ("What year was Khashoggi born?", "date"),
    ("Who is the Kremlin envoy to Afghanistan?", "person"),
    ("Where were the talks held?", "place"),
    ("Why did Russia ban the Taliban?", "reason"),
    ("Which group claimed the attack?", "which"),
    ("Did Russia recognise the Taliban government?", "yesno"),
])
def test_question_type(question, qtype):
    assert F.question_type(question) == qtype


def test_stem_strips_one_light_suffix_and_keeps_short_words():
    assert F.stem("مفاوضات") == "مفاوض"
    assert F.stem("لاعبون") == "لاعب"
    assert F.stem("كتابها") == "كتاب"
    assert F.stem("بلد") == "بلد"            # too short to lose anything
    assert F.keys("والمفاوضات") == F.keys("مفاوضات")  # prefix (arabic.tokens) and suffix agree


def test_keys_drop_question_words():
    assert "متي" not in F.keys("متى رفعت روسيا الحظر؟")
    assert "when" not in F.keys("When did Russia lift the ban?")
    assert F.keys("متى رفعت روسيا الحظر؟") == [F.stem("رفعت"), F.stem("روسيا"), F.stem("حظر")]


@pytest.mark.parametrize("text, number, date", [
    ("شاركت عشر دول في المحادثات", 1.0, 0.0),
    ("قتل 137 شخصا في الهجوم", 1.0, 0.0),
    ("وقع الهجوم في ١٢ يونيو ٢٠٢٤", 1.0, 1.0),
    ("ولد في 13 أكتوبر 1958 في المدينة المنورة", 1.0, 1.0),
    ("توفي عام 632 م", 1.0, 1.0),
    ("في شهر رمضان", 0.0, 1.0),
    ("The talks were held on 20 October", 1.0, 1.0),
    ("روسيا تدعو طالبان إلى احترام حقوق الإنسان", 0.0, 0.0),
])
def test_cues(text, number, date):
    c = F.cues(text)
    assert (c["number"], c["date"]) == (number, date)


def test_type_match_rewards_the_asked_type_only():
    q = F.analyse("كم عدد القتلى في الهجوم؟")
    assert F.type_match(q.qtype, F.cues("قتل 137 شخصا")) == 1.0
    assert F.type_match(q.qtype, F.cues("قتل كثيرون")) == 0.0
    assert F.type_match("person", F.cues("قتل 137 شخصا")) == 0.5


def test_coverage_and_bm25_prefer_the_answering_sentence():
    idf = {"رفع": 3.0, "روسي": 0.5, "حظر": 2.5}.get
    q = F.analyse("متى رفعت روسيا الحظر عن طالبان؟", idf=lambda t: idf(F.stem(t), 1.0))
    answering = F.keys("رفعت روسيا الحظر المفروض على حركة طالبان في أبريل 2025")
    related = F.keys("زار وفد روسي كابول لبحث التعاون مع طالبان")
    assert F.coverage(q, answering) > F.coverage(q, related)
    assert F.coverage(q, answering) == pytest.approx(1.0)
    assert F.bm25(q, answering, avg_len=8) > F.bm25(q, related, avg_len=8) >= 0.0
    assert 0.0 <= F.bm25(q, answering, avg_len=8) <= 1.0


def test_novelty_is_zero_for_a_restatement():
    q = F.analyse("من هو مبعوث الكرملين إلى أفغانستان؟")
    assert F.novelty(q, F.keys("مبعوث الكرملين إلى أفغانستان")) == 0.0
    assert F.novelty(q, F.keys("مبعوث الكرملين إلى أفغانستان زامير كابولوف")) > 0.0


def test_peak():
    assert F.peak([10.0, 2.0, 1.0]) == pytest.approx(0.8)
    assert F.peak([5.0, 5.0]) == 0.0
    assert F.peak([]) == 0.0



def test_repeats_when_a_sentence_adds_nothing_to_one_already_quoted():
    dated = ("( أردو بوینت نتورك ۔ / سبوتنيك - 02 يوليو 2021ء) أعلن وزير الخارجية الروسي، سيرغي لافروف، اليوم الجمعة، "
             "أن بلاده تجري مشاورات في منظمة معاهدة الأمن الجماعي من أجل حماية دول آسيا الوسطى.")
    edited = ("أعلن وزير الخارجية الروسي، سيرغي لافروف، الجمعة، أن بلاده تجري مشاورات في منظمة معاهدة الأمن الجماعي "
              "من أجل حماية دول آسيا الوسطى.")
    assert F.repeats(edited, dated)          # another outlet's copy of the same sentence
    assert not F.repeats(dated, edited)      # the dateline is new
    headline = "طالبان تعلن استعدادها للتعاون الأمني مع روسيا"
    full = ("أعلنت حركة طالبان استعدادها للتعاون الأمني مع روسيا، جاء ذلك على لسان عبد المنان عمري، القائم بأعمال "
            "وزير العمل والشؤون الاجتماعية.")
    assert not F.repeats(full, headline)     # the full sentence names who said it: it is quoted after the headline
    assert F.repeats(headline, full)
    assert not F.repeats("مبعوث الكرملين زامير كابولوف", "رفعت موسكو الحظر عن الحركة")
    assert not F.repeats("", "رفعت موسكو الحظر عن الحركة")
