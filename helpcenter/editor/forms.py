"""Forms of the editors' workspace: an article's text, a new article, a category."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, Regexp, ValidationError

from helpcenter.articles.content import MAX_TAG, MAX_TAGS
from helpcenter.forms import PlainText, clean, length
from helpcenter.vocabulary import LANGUAGES, MAX_BODY, MAX_SLUG, MAX_SUMMARY, MAX_TITLE, SLUG

# What the sanitizer would silently drop and an editor should know about: say it instead.
_ACTIVE = re.compile(
    r"<\s*(script|style|iframe|object|embed|form)\b|\son\w+\s*=|javascript:", re.IGNORECASE
)


def _no_active_html(form, field):
    found = _ACTIVE.search(field.data or "")
    if found:
        raise ValidationError(
            _l(
                "Scripts, styles, frames, forms and event handlers are not allowed in articles "
                "(found “%(found)s”). Remove them; plain Markdown and simple HTML are fine.",
                found=found.group(0).strip(),
            )
        )


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags, trimmed, without empty ones or repeats."""
    seen: list[str] = []
    for tag in (text or "").split(","):
        tag = " ".join(tag.split())
        if tag and tag not in seen:
            seen.append(tag)
    return tuple(seen)


def _tags(form, field):
    tags = parse_tags(field.data)
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in tags):
        raise ValidationError(
            _l(
                "At most %(count)d tags of at most %(length)d characters each.",
                count=MAX_TAGS,
                length=MAX_TAG,
            )
        )


class ArticleForm(FlaskForm):
    """One language of an article; `base` is the revision the form was made from."""

    title = StringField(
        _l("Title"),
        filters=[clean],
        validators=[DataRequired(_l("Give the article a title.")), length(MAX_TITLE), PlainText()],
    )
    summary = StringField(
        _l("Summary (one sentence)"),
        filters=[clean],
        validators=[Optional(), length(MAX_SUMMARY), PlainText()],
    )
    tags = StringField(
        _l("Tags, separated by commas"), filters=[clean], validators=[Optional(), _tags]
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[
            DataRequired(_l("Write the text of the article.")),
            length(MAX_BODY),
            PlainText(multiline=True),
            _no_active_html,
        ],
    )
    base = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])
    # A translation: the source revision shown next to it when it was written.
    source = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])

    @property
    def base_id(self) -> int | None:
        return int(self.base.data) if self.base.data else None


class NewArticleForm(ArticleForm):
    category = SelectField(_l("Category"), validate_choice=False, validators=[DataRequired()])
    slug = StringField(
        _l("Address (slug)"),
        filters=[clean],
        validators=[
            DataRequired(_l("Give the article an address, e.g. withdrawal-times.")),
            length(MAX_SLUG),
            Regexp(
                SLUG,
                message=_l("Use lowercase Latin letters, digits and hyphens, e.g. bonus-rules."),
            ),
        ],
    )
    language = SelectField(
        _l("Language of this first text"),
        choices=[SelectChoice(code) for code in LANGUAGES],
        validate_choice=False,
        validators=[DataRequired()],
    )


class CategoryForm(FlaskForm):
    slug = StringField(
        _l("Address (slug)"),
        filters=[clean],
        validators=[
            Optional(),
            length(MAX_SLUG),
            Regexp(
                SLUG,
                message=_l("Use lowercase Latin letters, digits and hyphens, e.g. bonus-rules."),
            ),
        ],
    )
    order = IntegerField(
        _l("Position on the home page"),
        default=10,
        validators=[
            DataRequired(_l("Give a number.")),
            NumberRange(0, 999_999, message=_l("A number from 0 to 999999.")),
        ],
    )
    title_az = StringField(
        _l("Title in Azerbaijani"),
        filters=[clean],
        validators=[
            DataRequired(_l("Required in every language.")),
            length(MAX_TITLE),
            PlainText(),
        ],
    )
    title_ru = StringField(
        _l("Title in Russian"),
        filters=[clean],
        validators=[
            DataRequired(_l("Required in every language.")),
            length(MAX_TITLE),
            PlainText(),
        ],
    )
    title_en = StringField(
        _l("Title in English"),
        filters=[clean],
        validators=[
            DataRequired(_l("Required in every language.")),
            length(MAX_TITLE),
            PlainText(),
        ],
    )
    description_az = StringField(
        _l("Description in Azerbaijani"),
        filters=[clean],
        validators=[Optional(), length(MAX_SUMMARY), PlainText()],
    )
    description_ru = StringField(
        _l("Description in Russian"),
        filters=[clean],
        validators=[Optional(), length(MAX_SUMMARY), PlainText()],
    )
    description_en = StringField(
        _l("Description in English"),
        filters=[clean],
        validators=[Optional(), length(MAX_SUMMARY), PlainText()],
    )
