"""Forms of the player's chat pages: starting a chat, a message with evidence, and the two
answers to the answer bot. Every form carries its CSRF token; files are checked by the contact
form's rules (`contact.forms._Evidence`: type by content, size, pixels, number of files)."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import EmailField, HiddenField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    Optional,
    ValidationError,
)

from helpcenter import support
from helpcenter.contact.forms import TicketFields, Vouched, _Evidence, topic_field
from helpcenter.forms import PlainText, clean, length


def _message_length(form, field) -> None:
    """At most CHAT_MESSAGE_MAX characters, the limit the chat services apply."""
    maximum = current_app.config["CHAT_MESSAGE_MAX"]
    length(maximum)(form, field)


def known_topic(form, field) -> None:
    """A topic of the support configuration (the chat page's and the chat API's check)."""
    try:
        support.current().topic(field.data or "")
    except KeyError:
        raise ValidationError(_l("Choose one of the topics in the list.")) from None


class StartChatForm(Vouched, FlaskForm):
    """What a chat needs to start: the topic and the first message; email and player ID
    only if the player wants to give them."""

    topic = topic_field(_l("Choose what your question is about."))
    message = TextAreaField(
        _l("Your question"),
        filters=[clean],
        validators=[
            DataRequired(_l("Write your question.")),
            _message_length,
            PlainText(multiline=True),
        ],
    )
    email = EmailField(
        _l("Your email"),
        filters=[clean],
        validators=[
            Optional(),
            length(254),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    player_id = TicketFields.player_id

    validate_topic = known_topic


class MessageForm(_Evidence, FlaskForm):
    """The player's message in the chat, with screenshots or documents if needed."""

    text = TextAreaField(
        _l("Your message"),
        filters=[clean],
        validators=[Optional(), _message_length, PlainText(multiline=True)],
    )
    attachments = MultipleFileField(_l("Add screenshots or documents"))
    # The last message the page shows: the answer brings the messages after it.
    after = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        return self._text_or_files(super().validate(extra_validators), self.text)

    def after_id(self) -> int:
        value = self.after.data or ""
        return int(value) if value.isdigit() and len(value) < 10 else 0


class ChatActionForm(FlaskForm):
    """ "This answered my question" and "I want to talk to a person": the CSRF token only."""
