from rag.arabic import detect_language, normalize, strip_prefix, tokens


def test_normalize_strips_diacritics_tatweel_and_unifies_letters():
    assert normalize("تُجرى") == "تجري"
    assert normalize("الأمــــم المتحدة") == "الامم المتحده"
    assert normalize("إيران وآسيا") == "ايران واسيا"
    assert normalize("مستشفى") == "مستشفي"


def test_normalize_digits_punctuation_and_invisible_marks():
    assert normalize("٢٠٢٤ و۱۳۷") == "2024 و137"
    assert normalize("لماذا؟") == "لماذا?"
    assert normalize("طال\u200fبان\u200b") == "طالبان"
    assert normalize("NATO") == "nato"


def test_tokens_drop_clitics_and_stopwords():
    assert tokens("والمنظمات الإرهابية في روسيا") == ["منظمات", "ارهابيه", "روسيا"]
    assert strip_prefix("ال") == "ال"  # too short to strip


def test_detect_language():
    assert detect_language("من هو وزير الخارجية الروسي؟") == "ar"
    assert detect_language("Who is Russia's foreign minister?") == "en"
    assert detect_language("What did لافروف say about the Taliban?") == "en"
    assert detect_language("ما موقف NATO من الانسحاب؟") == "ar"
    assert detect_language("???") == "en"
