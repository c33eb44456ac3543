"""Bad input answered with a 4xx, never a 500: text no database stores, redirects, integers.

A NUL character (PostgreSQL refuses it in text) or a lone surrogate (not encodable as UTF-8)
anywhere in the path, the query string, the form or a JSON body is refused with a 400 before a
view sees it. Forms are checked when they are parsed rather than in `before_request`, so that a
blueprint may still raise its form size limit first (the editor does). JSON is parsed with a
guard: nesting too deep for the parser is an invalid body, not a RecursionError.
"""

import re
from urllib.parse import urlsplit

from flask import Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest

# NUL and the UTF-16 surrogate range: what neither PostgreSQL text nor UTF-8 can hold.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls and DEL: a CR/LF in a Location header splits the response.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_DIGITS = re.compile("[0-9]{1,10}")

# A row id in a 32-bit signed integer column.
MAX_ID = 2**31 - 1


class BadInput(BadRequest):
    """Text the site cannot store or act on: a 400 page that says so in the visitor's language."""

    description = "The request contains characters that cannot be accepted."


def is_unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def _unstorable_in(value) -> bool:
    """Whether a parsed JSON value holds such text anywhere; iterative, so depth cannot hurt."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if is_unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _unstorable_pairs(pairs) -> bool:
    return any(is_unstorable(key) or is_unstorable(value) for key, value in pairs)


def validates_own_text(*fields: str):
    """For a view whose form refuses control characters in `fields` itself, with a message at
    the field and the player's text kept: a NUL there reaches the form instead of a 400 page.
    Any other field, and a surrogate anywhere, is still a 400."""

    def decorator(view):
        view.validates_own_text = frozenset(fields)
        return view

    return decorator


def _self_checked_fields() -> frozenset[str]:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "validates_own_text", frozenset())


def _unstorable_form(form) -> bool:
    own = _self_checked_fields()
    for key, value in form.items(multi=True):
        if is_unstorable(key):
            return True
        if is_unstorable(value) and (key not in own or _SURROGATE.search(value)):
            return True
    return False


class SafeRequest(Request):
    """Flask's request, refusing unstorable text in form fields and file names once parsed."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form, files = self.__dict__["form"], self.__dict__["files"]
        names = ((key, upload.filename or "") for key, upload in files.items(multi=True))
        if _unstorable_form(form) or _unstorable_pairs(names):
            # Nothing of it reaches a view or a form, even one that reads it after the error.
            self.__dict__["form"] = self.parameter_storage_class()
            self.__dict__["files"] = ImmutableMultiDict()
            raise BadInput()


class GuardedJSONProvider(DefaultJSONProvider):
    """JSON nested deeper than the parser can follow is invalid JSON (a ValueError), like any
    other body that does not parse, instead of a RecursionError."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def refuse_unstorable_input() -> None:
    """`before_request`: a 400 for unstorable text in the path, the query string or (under
    /api/, where JSON is read) a JSON body. Forms are checked by `SafeRequest`."""
    if request.routing_exception is not None:
        return  # the answer is a 404 or a 405 anyway
    if is_unstorable(request.path) or _unstorable_pairs(request.args.items(multi=True)):
        raise BadInput()
    if request.path.startswith("/api/"):
        request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
        if request.is_json:
            # Parsed once here and cached for the view; a body that does not parse is the
            # view's to answer (its own 422), a parsed one must hold only storable text.
            body = request.get_json(silent=True)
            if body is not None and _unstorable_in(body):
                raise BadInput()


def safe_next(target: str | None, *, inside: str = "/") -> str | None:
    """Where a `next` parameter may send the visitor: a path of this site under `inside`.

    Anything else (another host, `//host`, backslashes that browsers read as slashes) is
    ignored (None); control characters, which would split the Location header, are a 400.
    """
    if not target:
        return None
    if _CONTROL.search(target) or is_unstorable(target):
        raise BadInput()
    parts = urlsplit(target)
    if (
        not target.startswith(inside)
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
    ):
        return None
    return target


def bounded_int(value: str | None, *, low: int = 1, high: int = MAX_ID, default=None):
    """An integer typed in ASCII digits within [low, high], else `default`.

    `str.isdigit()` accepts "²", which `int()` refuses, and any number of digits.
    """
    if value and _DIGITS.fullmatch(value):
        number = int(value)
        if low <= number <= high:
            return number
    return default
