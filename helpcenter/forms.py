"""Form helpers shared by the player's and the staff's forms: cleaning and plain-text rules."""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, ValidationError

# The bidirectional controls: the Arabic letter mark, the left-to-right and right-to-left marks,
# and the embedding, override and isolate controls. They make text read other than it is, so
# the forms refuse them and uploads.display_name drops them from file names.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def clean(value):
    """NFC, without surrounding white space: what the player meant to type."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value).strip()


class PlainText:
    """Refuses control characters (a line break too, unless `multiline`) and bidi overrides."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        allowed = "\n\r\t" if self.multiline else ""
        for char in field.data or "":
            if char in BIDI_CONTROLS or (
                unicodedata.category(char) == "Cc" and char not in allowed
            ):
                raise ValidationError(
                    _l("Remove the invisible control characters from this field.")
                )


def length(maximum: int, minimum: int = -1) -> Length:
    if minimum > 0:
        message = _l("Write %(min)d to %(max)d characters (now %(length)d).")
    else:
        message = _l("Write at most %(max)d characters (now %(length)d).")
    return Length(min=minimum, max=maximum, message=message)
