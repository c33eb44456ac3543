"""Azerbaijani case folding, letter folding and stemming make the word forms players type meet."""

import pytest

from helpcenter.search.azerbaijani import analyze_word, fold_case, fold_letters, stem


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("İstifadəçi", "istifadəçi"),
        ("ŞİKAYƏT", "şikayət"),
        ("ISITMA", "ısıtma"),
        ("IĞDIR", "ığdır"),
        ("Hesabım", "hesabım"),
        ("PUL ÇIXARIŞI", "pul çıxarışı"),
        # Decomposed input (s + combining cedilla) is composed first.
        ("S\u0327IFRƏ", "şıfrə"),
        # Text lowercased the English way ("i" + combining dot) loses the stray dot.
        ("i\u0307stifadəçi", "istifadəçi"),
        ("verification", "verification"),
    ],
)
def test_fold_case_follows_azerbaijani_rules(text, folded):
    assert fold_case(text) == folded


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("çıxarış", "cixaris"),
        ("əməliyyat", "emeliyyat"),
        ("ödəniş", "odenis"),
        ("müştəri", "musteri"),
        ("doğrulama", "dogrulama"),
        ("ÇIXARIŞ", "CIXARIS"),
        ("ŞİKAYƏT", "SIKAYET"),
        ("ÖDƏNİŞ", "ODENIS"),
        ("hesab", "hesab"),
        # The Cyrillic schwa some phone keyboards type in place of ə.
        ("m\u04d9bl\u04d9ğ", "mebleg"),
    ],
)
def test_fold_letters_uses_plain_base_letters(word, folded):
    assert fold_letters(word) == folded


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("hesabım", "hesab"),
        ("hesablarınızdan", "hesab"),
        ("depozitlərim", "depozit"),
        ("çıxarışlar", "çıxar"),
        ("müştərilər", "müştər"),
        ("bloklanıb", "blok"),
        ("limitiniz", "limit"),
        ("promokodu", "promokod"),
        ("sənədi", "sənəd"),
        ("təsdiqlənib", "təsdiq"),
        ("kassası", "kass"),
        ("bonusu", "bon"),
        ("evlər", "ev"),
        ("evdə", "ev"),
        # A vowel-initial ending never leaves two letters: oyun is not oy + un.
        ("oyun", "oyu"),
        ("ada", "ada"),
        ("bilər", "bilər"),
        ("hesab", "hesab"),
        # Codes and anything with digits are left alone.
        ("trc20", "trc20"),
        ("3-d", "3-d"),
    ],
)
def test_stem_keeps_the_letters_of_the_word(word, stemmed):
    assert stem(word) == stemmed


MEETING = [
    [
        "çıxarış",
        "çıxarışım",
        "çıxarışlar",
        "çıxarışı",
        "çıxarışın",
        "çıxarışları",
        "Çıxarışınız",
        "cixaris",
        "cixarisim",
        "cixarislar",
        "cixarisi",
    ],
    ["hesab", "hesabım", "hesabim", "hesablar", "hesabınız", "hesabınıza", "hesabdan"],
    ["bloklanıb", "bloklanib", "bloklanmış", "bloklanmis", "bloklandı", "bloklandi", "blok"],
    ["müştəri", "musteri", "müştərilər", "musteriler", "müştərisi"],
    ["depozit", "depozitlər", "depozitim", "depozitler", "depozitiniz", "Depozitə"],
    ["doğrulama", "dogrulama", "DOĞRULAMA"],
    ["İstifadəçi", "istifadəçi", "istifadəçilər", "istifadeci"],
    ["bonus", "bonusu", "bonusun", "bonuslar", "bonusunuz"],
    ["kassa", "kassası", "kassanı", "kassaya", "kassanın", "kassada"],
    ["telefon", "telefonu", "telefonun", "telefonda"],
    ["şifrə", "şifrəsi", "şifrəni", "şifrəm", "sifre", "sifremi"],
    ["balans", "balansı", "balansınıza", "balansa", "BALANSINIZ"],
    ["promokod", "promokodu", "promokodlar"],
    ["sənəd", "sənədi", "sənədlər", "senedler"],
    ["təsdiq", "təsdiqləyin", "təsdiqlənib", "tesdiqlendi"],
    ["göndərilib", "göndərin", "göndərmək", "gonderilib"],
    ["gəlmədi", "gelmedi", "gəldi"],
    ["limit", "limitlər", "limiti", "limitiniz"],
    ["ev", "evlər", "evdə", "evdən"],
]


@pytest.mark.parametrize("forms", MEETING, ids=lambda forms: forms[0])
def test_word_forms_meet(forms):
    keys = {form: analyze_word(form) for form in forms}
    assert len(set(keys.values())) == 1, keys


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("limit", "link"),
        ("bonus", "bank"),
        ("hesab", "hesabat"),
        ("pul", "pulsuz"),
        ("oyun", "oyunçu"),
        ("oyun", "oy"),
        ("kart", "kassa"),
        ("depozit", "depo"),
        ("promokod", "promo"),
        ("sənəd", "sən"),
        ("şifrə", "şifrəsiz"),
    ],
)
def test_unrelated_words_do_not_meet(first, second):
    assert analyze_word(first) != analyze_word(second)


VOCABULARY = [form for forms in MEETING for form in forms] + [
    "ödəniş",
    "ödənişlər",
    "verifikasiyası",
    "komissiyası",
    "kazinonun",
    "gözləmədə",
    "yoxlayın",
    "sorğunuzu",
    "mümkündür",
    "varmı",
    "bilmirəm",
    "qazancım",
    "şikayətlərim",
    "turnirlərdə",
    "yatırdım",
    "oyunlar",
    "xəta",
    "xətalar",
    "dəstə",
    "iş",
    "işlər",
]


@pytest.mark.parametrize("word", VOCABULARY)
def test_stem_gives_the_same_result_with_and_without_azerbaijani_letters(word):
    word = fold_case(word)
    assert fold_letters(stem(word)) == stem(fold_letters(word))


@pytest.mark.parametrize("word", VOCABULARY)
def test_stems_keep_three_letters_or_a_short_root(word):
    word = fold_case(word)
    stemmed = stem(word)
    assert word.startswith(stemmed)
    # Only a vowel-initial 2-letter root (ev, iş) may remain, and only words that short stay so.
    assert len(stemmed) >= 3 or stemmed == word or stemmed in {"ev", "iş"}
