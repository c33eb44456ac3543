"""Every UI message has an Azerbaijani and a Russian translation, with the right plural forms."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "pgettext": ((1, "c"), 2),
}
METHODS = [
    ("helpcenter/**.py", "python"),
    ("helpcenter/**/templates/**.html", "jinja2"),
    ("helpcenter/**/templates/**.txt", "jinja2"),
]


def extracted() -> set[tuple[str | None, str]]:
    """Messages in the code and templates now, extracted as `make extract-translations` does."""
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords=KEYWORDS,
        options_map={
            "**.html": {"extensions": "jinja2.ext.i18n"},
            "**.txt": {"extensions": "jinja2.ext.i18n"},
        },
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    return found


@pytest.mark.parametrize(("lang", "plurals"), [("az", 2), ("ru", 3)])
def test_every_ui_message_is_translated(lang, plurals):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    assert catalog.num_plurals == plurals
    translated = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and len(strings) in (1, plurals):
            translated[(message.context, msgid)] = strings
    messages = extracted()
    assert len(messages) > 40
    missing = sorted(messages - set(translated), key=str)
    assert not missing, f"untranslated in {lang}: {missing}"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 статья"),
        (2, "2 статьи"),
        (5, "5 статей"),
        (11, "11 статей"),
        (21, "21 статья"),
        (22, "22 статьи"),
    ],
)
def test_russian_plural_forms_are_right(app, count, expected):
    with app.test_request_context("/ru/"), force_locale("ru"):
        rendered = app.jinja_env.from_string(
            "{% trans count=n %}{{ count }} article"
            "{% pluralize %}{{ count }} articles{% endtrans %}"
        ).render(n=count)
    assert rendered == expected
