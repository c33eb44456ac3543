"""The interface, the emails and the saved replies use the glossary's words, like the articles."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from helpcenter.articles import glossary
from helpcenter.staff import replies

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = glossary.load(ROOT / "content" / "glossary.yml")
# Placeholders and markup are code, not words: %(email)s is not the English "email" in a Russian
# text, and <a href="..."> holds no quotation marks.
CODE = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}|<[^<>]+>")


def _words(text: str) -> str:
    return CODE.sub(" ", text)


def _hits(text: str, lang: str) -> list[str]:
    return [f"{hit.found!r} (use {hit.use!r})" for hit in GLOSSARY.find(_words(text), lang)]


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_the_catalog_follows_the_glossary(lang):
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            problems += [f"{message.id!r}: {hit}" for hit in _hits(text or "", lang)]
    assert problems == []


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_the_saved_replies_follow_the_glossary(lang):
    problems = [
        f"{reply.id}: {hit}"
        for reply in replies.for_language(lang)
        for hit in _hits(f"{reply.title}\n{reply.body}", lang)
    ]
    assert problems == []


def test_the_check_would_catch_a_variant():
    assert _hits("Parolunuzu daxil edin.", "az")
    assert _hits("Укажите лимит пополнения.", "ru")
    assert not _hits("Напишите на %(email)s.", "ru")
