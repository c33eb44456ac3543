"""The age rule as the law words it: 18 and over, never "over 18" (which leaves out
18-year-olds), on every page and in the articles."""

import re

import pytest

from tests.conftest import CONTENT_DIR

# "older than 18" in each language, as a translator might slip into it.
OLDER_THAN_18 = {
    "az": re.compile(r"18 yaşdan (yuxarı|böyük)"),
    "ru": re.compile(r"старше 18"),
    "en": re.compile(r"(over|older than) 18\b(?! or over)"),
}
EIGHTEEN_AND_OVER = {
    "az": "yalnız 18 yaşı tamam olmuş şəxslər üçündür",
    "ru": "только для лиц, которым исполнилось 18 лет",
    "en": "for adults 18+ only",
}


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_every_page_says_18_and_over(loaded, client, lang):
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert EIGHTEEN_AND_OVER[lang] in html
    assert not OLDER_THAN_18[lang].search(html)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_no_article_says_older_than_18(lang):
    wrong = [
        str(path.relative_to(CONTENT_DIR))
        for path in CONTENT_DIR.glob(f"*/*/{lang}.md")
        if OLDER_THAN_18[lang].search(path.read_text(encoding="utf-8"))
    ]
    assert wrong == []
