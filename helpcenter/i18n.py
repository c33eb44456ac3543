"""Gettext helpers and the choice of the player's language."""

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext

__all__ = ["LANGUAGE_NAMES", "_", "_l", "best_language", "ngettext", "pgettext", "select_locale"]

# Each language's name in itself: a player looks for their own language, not a translation of it.
LANGUAGE_NAMES = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}
LANG_COOKIE = "lang"


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def best_language() -> str:
    """The language for a visitor without one in the URL: cookie, then Accept-Language, then az."""
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages():
        return cookie
    return (
        request.accept_languages.best_match(languages()) or current_app.config["DEFAULT_LANGUAGE"]
    )


def select_locale() -> str:
    """Flask-Babel's locale selector: the language of the URL, else the best guess."""
    lang = g.get("lang")
    if lang:
        return lang
    if request:
        return best_language()
    return current_app.config["DEFAULT_LANGUAGE"]
