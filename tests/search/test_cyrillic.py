"""Russian typed in Latin letters or on the wrong keyboard layout comes back as Cyrillic."""

import pytest

from helpcenter.search.cyrillic import (
    latin_to_cyrillic,
    looks_cyrillic,
    looks_latin,
    swap_layout,
)


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("kak vyvesti dengi", "как вывести деньги"),
        ("verifikaciya", "верификация"),
        ("verifikatsiya", "верификация"),
        ("vyvod", "вывод"),
        ("vyvod sredstv", "вывод средств"),
        ("otmena vyvoda", "отмена вывода"),
        ("vyplata", "выплата"),
        ("depozit", "депозит"),
        ("bonus", "бонус"),
        ("otygrysh bonusa", "отыгрыш бонуса"),
        ("akkaunt", "аккаунт"),
        ("zablokirovan", "заблокирован"),
        ("podderzhka", "поддержка"),
        ("tekhpodderzhka", "техподдержка"),
        ("schet", "счет"),
        ("shchet", "щет"),
        ("igrovoy schet", "игровой счет"),
        ("popolnit' schet", "пополнить счет"),
        ("kazino", "казино"),
        ("stavka", "ставка"),
        ("vyigrysh", "выигрыш"),
        ("dzhekpot", "джекпот"),
        ("frispiny", "фриспины"),
        ("promokod", "промокод"),
        ("limit", "лимит"),
        ("zayavka", "заявка"),
        ("zachislen", "зачислен"),
        ("lichnyy kabinet", "личный кабинет"),
        ("nomer karty", "номер карты"),
        ("oplata kartoy", "оплата картой"),
        ("kod podtverzhdeniya", "код подтверждения"),
        ("sms ne prikhodit", "смс не приходит"),
        ("ne poluchaetsya", "не получается"),
        ("bonus ne prishel", "бонус не пришел"),
        ("parol'", "пароль"),
        ("hochu", "хочу"),
        ("cena", "цена"),
        ("qiwi", "киви"),
        ("taxi", "такси"),
        ("moya stavka", "моя ставка"),
        ("vsyo", "всё"),
    ],
)
def test_latin_to_cyrillic_support_words(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Vyvod", "Вывод"),
        ("Kak Vyvesti DENGI", "Как Вывести ДЕНЬГИ"),
        ("SHCHET", "ЩЕТ"),
        ("Shchet", "Щет"),
        # Digits, punctuation and letters of other scripts pass through.
        ("vyvod 100 AZN?", "вывод 100 АЗН?"),
        ("вывод 50", "вывод 50"),
        ("", ""),
    ],
)
def test_latin_to_cyrillic_keeps_case_and_other_characters(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("dsdjl", "вывод"),
        ("ltgjpbn", "депозит"),
        ("dthbabrfwbz", "верификация"),
        ("ghbdtn", "привет"),
        ("Ghbdtn", "Привет"),
        ("[jxe", "хочу"),
        ("'nj", "это"),
        ("`krf", "ёлка"),
        ("cx`n", "счёт"),
        ("gjllth;rf", "поддержка"),
        ("j,otybt", "общение"),
        ("ghbdtn? rfr ltkf&", "привет, как дела?"),
        ("руддщ", "hello"),
        ("цшервкфц", "withdraw"),
        ("ЦШЕРВКФЦ", "WITHDRAW"),
        ("руддщб цщкдв", "hello, world"),
        # Each letter goes to the other layout, whichever script it is in.
        ("ghbdtn мир", "привет vbh"),
    ],
)
def test_swap_layout(typed, meant):
    assert swap_layout(typed) == meant


@pytest.mark.parametrize("text", ["dsdjl", "ltgjpbn", "вывод", "цшервкфц", "ghbdtn? rfr ltkf&"])
def test_swap_layout_twice_gives_the_text_back(text):
    assert swap_layout(swap_layout(text)) == text


@pytest.mark.parametrize(
    ("text", "latin", "cyrillic"),
    [
        ("vyvod", True, False),
        ("çıxarış", True, False),
        ("вывод", False, True),
        ("вывод 100 AZN", False, True),
        ("bonus бонус", False, False),
        ("ghbdtn мир", True, False),
        ("123 ?!", False, False),
        ("", False, False),
    ],
)
def test_looks_latin_and_looks_cyrillic(text, latin, cyrillic):
    assert looks_latin(text) is latin
    assert looks_cyrillic(text) is cyrillic
