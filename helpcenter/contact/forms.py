"""Forms of the contact and status pages, and the shape of a new ticket shared with the API.

`TicketFields` holds the rules a request must meet wherever it comes from (the contact form,
the API): required fields, lengths, formats, the transaction ID a topic needs and the contact
detail a channel needs. `ContactForm` adds what only the web form has: urgency, attachments,
consent, the honeypot, the token that makes a second send of the same form file nothing, and
picking the recommended channel when the player chose none.
"""

import re
import secrets
from dataclasses import asdict
from datetime import datetime

import phonenumbers
from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from helpcenter import support, vocabulary
from helpcenter.contact.recommend import URGENCIES, Recommendation, recommend
from helpcenter.db import utcnow
from helpcenter.forms import PlainText, clean, length
from helpcenter.i18n import _, ngettext
from helpcenter.tickets import labels, quotas, services, uploads
from helpcenter.vocabulary import MAX_BYTES, MAX_FILES, MAX_MEGAPIXELS, MAX_SUBJECT

DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 5000
REPLY_MAX = 5000
COMMENT_MAX = 2000
_TELEGRAM = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,64}")

# A megabyte in players' messages, as file sizes are shown to them (the `filesize` filter).


def refusal(reason: str, name: str) -> str:
    """Why a file is refused, in the visitor's language, with the limit that refused it.

    The limits are read when the message is made, from the names the checks use, so a
    message never states a number the check does not apply.
    """
    match reason:
        case "empty":
            return _("%(name)s is empty.", name=name)
        case "too_large":
            return _(
                "%(name)s is larger than %(megabytes)d MB.",
                name=name,
                megabytes=vocabulary.max_megabytes(),
            )
        case "type":
            return _("%(name)s is not a JPEG, PNG or PDF file.", name=name)
        case "damaged":
            return _(
                "%(name)s is damaged or incomplete. Save it again and attach the new copy.",
                name=name,
            )
        case "too_many_pixels":
            return ngettext(
                "%(name)s has more than %(num)d megapixel. Send a smaller image.",
                "%(name)s has more than %(num)d megapixels. Send a smaller image.",
                MAX_MEGAPIXELS,
                name=name,
            )
    raise ValueError(f"no message for the refusal {reason!r}")


def quota_refusal(exceeded: quotas.QuotaExceeded) -> str:
    """Why a post of files is refused by a quota, in the visitor's language: the file that
    crosses it, which quota, and for a daily one when it begins again (midnight in Baku)."""
    name, num = exceeded.name, exceeded.maximum
    # When the day's quotas begin again, in the Baku time zone (Babel's for every visitor).
    time = format_time(exceeded.resets_at, "HH:mm") if exceeded.resets_at else ""
    match exceeded.limit:
        case "ticket_files" if exceeded.used >= num:
            return ngettext(
                "You have already attached %(num)d file to this request, the most one request "
                "can hold.",
                "You have already attached %(num)d files to this request, the most one request "
                "can hold.",
                num,
            )
        case "ticket_files":
            return ngettext(
                "%(name)s was not sent: one request can hold at most %(num)d file from you.",
                "%(name)s was not sent: one request can hold at most %(num)d files from you.",
                num,
                name=name,
            )
        case "ticket_bytes":
            return _(
                "%(name)s was not sent: the files of one request can add up to %(megabytes)d MB "
                "at most.",
                name=name,
                megabytes=num,
            )
        case "address_files":
            return ngettext(
                "%(name)s was not sent: you can send at most %(num)d file a day. You can send "
                "more after %(time)s (Baku time).",
                "%(name)s was not sent: you can send at most %(num)d files a day. You can send "
                "more after %(time)s (Baku time).",
                num,
                name=name,
                time=time,
            )
        case "address_bytes":
            return _(
                "%(name)s was not sent: you can send at most %(megabytes)d MB of files a day. "
                "You can send more after %(time)s (Baku time).",
                name=name,
                megabytes=num,
                time=time,
            )
        case "email_files":
            return ngettext(
                "%(name)s was not sent: at most %(num)d file a day can be sent with one email "
                "address. You can send more after %(time)s (Baku time).",
                "%(name)s was not sent: at most %(num)d files a day can be sent with one email "
                "address. You can send more after %(time)s (Baku time).",
                num,
                name=name,
                time=time,
            )
        case "email_bytes":
            return _(
                "%(name)s was not sent: at most %(megabytes)d MB of files a day can be sent with "
                "one email address. You can send more after %(time)s (Baku time).",
                name=name,
                megabytes=num,
                time=time,
            )
    raise ValueError(f"no message for the quota {exceeded.limit!r}")


def topic_choices() -> list[SelectChoice]:
    """An empty first choice, then the topics: nothing looks chosen before the player chooses."""
    return [
        SelectChoice("", _l("Choose a topic")),
        *(SelectChoice(topic.id, labels.TOPICS[topic.id]) for topic in support.current().topics),
    ]


def topic_field(required: str) -> SelectField:
    """The topic list; `required` says what to do when none is chosen."""
    return SelectField(
        _l("What is it about?"),
        choices=topic_choices,
        validate_choice=False,
        validators=[InputRequired(required)],
    )


def channel_choices() -> list[SelectChoice]:
    return [SelectChoice(c.id, labels.CHANNELS[c.id]) for c in support.channels()]


def normalize_phone(text: str) -> str | None:
    """The number in E.164 form (+994501234567); Azerbaijani numbers may omit +994."""
    try:
        number = phonenumbers.parse(text, "AZ")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Vouched:
    """A form that a player signed in from the casino fills: the email, name and player ID the
    casino vouched for are filled in and read-only, whatever was posted (`vouch`)."""

    vouched_by = None  # the signed-in player (`players.services.Player`), once vouched

    def vouch(self, player) -> None:
        self.vouched_by = player
        values = {"email": player.email, "name": player.name[:100], "player_id": player.player_id}
        for name, value in values.items():
            field = getattr(self, name, None)
            if field is None:
                continue
            field.data = value
            field.raw_data = [value]
            field.render_kw = {**(field.render_kw or {}), "readonly": True}
            if name != "email":
                # The casino's own ID and name, as they are: not the typed field's format.
                field.validators = ()


class TicketFields(Vouched, FlaskForm):
    """A new request: the fields and rules of the contact form and the API alike."""

    topic = topic_field(_l("Choose what your request is about."))
    subject = StringField(
        _l("Subject"),
        filters=[clean],
        validators=[
            DataRequired(_l("Give your request a subject.")),
            length(MAX_SUBJECT),
            PlainText(),
        ],
    )
    description = TextAreaField(
        _l("Describe the problem"),
        filters=[clean],
        validators=[
            DataRequired(_l("Describe the problem.")),
            length(DESCRIPTION_MAX, DESCRIPTION_MIN),
            PlainText(multiline=True),
        ],
    )
    email = EmailField(
        _l("Your email"),
        filters=[clean],
        validators=[
            DataRequired(_l("Enter your email address so we can answer you.")),
            length(254),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    name = StringField(
        _l("Your name"), filters=[clean], validators=[Optional(), length(100), PlainText()]
    )
    player_id = StringField(
        _l("Player account ID"),
        filters=[clean],
        validators=[
            Optional(),
            length(40),
            Regexp(
                r"^[A-Za-z0-9_-]+$", message=_l("Use only Latin letters (A–Z), digits, - and _.")
            ),
        ],
    )
    transaction_id = StringField(
        _l("Transaction ID"),
        filters=[clean],
        validators=[
            Optional(),
            length(64),
            Regexp(
                r"^[A-Za-z0-9._:/#-]+$",
                message=_l("Copy the transaction ID exactly as your payment history shows it."),
            ),
        ],
    )
    channel = RadioField(
        _l("How should we answer you?"),
        choices=channel_choices,
        validate_choice=False,
        # DataRequired, not InputRequired: the form may pick the channel for the player.
        validators=[DataRequired(_l("Choose how we should answer you."))],
    )
    contact = StringField(
        _l("Contact detail"), filters=[clean], validators=[length(120), PlainText()]
    )

    def validate_topic(self, field):
        if self.topic_config() is None:
            raise ValidationError(_l("Choose one of the topics in the list."))

    def validate_channel(self, field):
        if self.channel_config() is None:
            raise ValidationError(_l("Choose one of the channels in the list."))

    def validate(self, extra_validators=None) -> bool:
        """The fields' own rules, then what the topic and the channel ask for."""
        valid = super().validate(extra_validators)
        for field, check in (
            (self.transaction_id, self._transaction),
            (self.contact, self._contact),
        ):
            if field.errors:
                continue
            try:
                check(field)
            except ValidationError as problem:
                field.errors.append(str(problem))
                valid = False
        return valid

    def _transaction(self, field) -> None:
        topic = self.topic_config()
        if topic is not None and topic.needs_transaction and not field.data:
            raise ValidationError(
                _l("Enter the transaction ID: we need it to find the payment or the game.")
            )

    def _contact(self, field) -> None:
        """The detail the channel needs, in a standard form: E.164 numbers, @usernames."""
        channel = self.channel_config()
        need = channel.contact if channel is not None else "none"
        if need == "phone":
            if not field.data:
                raise ValidationError(_l("Enter the phone number we should contact you on."))
            number = normalize_phone(field.data)
            if number is None:
                raise ValidationError(
                    _l("Enter a phone number with its country code, like +994 50 123 45 67.")
                )
            field.data = number
        elif need == "telegram":
            if not field.data:
                raise ValidationError(_l("Enter your Telegram username."))
            match = _TELEGRAM.fullmatch(field.data)
            if match is None:
                raise ValidationError(
                    _l("Enter your Telegram username, like @name (5 to 32 letters and digits).")
                )
            field.data = "@" + match.group(1)
        else:
            # Email and chat need nothing more: we answer at the email address given.
            field.data = ""

    def topic_config(self) -> support.Topic | None:
        try:
            return support.current().topic(self.topic.data or "")
        except KeyError:
            return None

    @staticmethod
    def transaction_topics() -> list[str]:
        """The names of the topics that need a transaction ID, in the form's order."""
        return [str(labels.TOPICS[t.id]) for t in support.current().topics if t.needs_transaction]

    def channel_config(self) -> support.Channel | None:
        try:
            return support.current().channel(self.channel.data or "")
        except KeyError:
            return None

    def new_ticket(self, *, language: str, urgency: str = "normal", source: str = "web"):
        player = self.vouched_by
        return services.NewTicket(
            topic=self.topic.data,
            subject=self.subject.data,
            description=self.description.data,
            email=self.email.data,
            language=language,
            channel=self.channel.data,
            contact=self.contact.data or "",
            urgency=urgency,
            name=self.name.data or "",
            player_id=self.player_id.data or "",
            transaction_id=self.transaction_id.data or "",
            source=source,
            verified_player_id=player.player_id if player else None,
            vip=player.vip if player else None,
        )


class _Evidence:
    """For forms with an `attachments` field: the checked files end up in `files`."""

    files: list[services.File]

    def _check_files(self) -> bool:
        self.files = []
        try:
            self.files = _read_files(self.attachments)
        except ValidationError as problem:
            if not self.attachments.errors:
                self.attachments.errors.append(str(problem))
            return False
        return True

    def _text_or_files(self, valid: bool, text) -> bool:
        """A message: `valid` (the form's own rules) and good files, and a `text` or a file."""
        if not self._check_files():
            return False
        if valid and not text.data and not self.files:
            text.errors.append(_l("Write a message or attach a file."))
            return False
        return valid


def _read_files(field) -> list[services.File]:
    """Check every attached file by its content; raise one message per refused file."""
    storages = field.data or []
    if len(storages) > MAX_FILES:
        raise ValidationError(
            ngettext("Attach at most %(num)d file.", "Attach at most %(num)d files.", MAX_FILES)
        )
    accepted, problems = [], []
    for storage in storages:
        data = storage.stream.read(MAX_BYTES + 1)
        name = uploads.display_name(storage.filename or "")
        try:
            checked = uploads.check(data, storage.filename or "")
            # The copy without metadata is what is kept; the check's hash is of `data`.
            accepted.append(services.File(*uploads.clean(checked, data)))
        except uploads.UploadRefused as refused:
            problems.append(refusal(refused.reason, name))
    if problems:
        field.errors[:] = problems
        raise ValidationError(
            _(
                "Attach the files again: only JPEG, PNG and PDF up to %(megabytes)d MB.",
                megabytes=vocabulary.max_megabytes(),
            )
        )
    return accepted


class ContactForm(_Evidence, TicketFields):
    """The contact page: a request with urgency, evidence and consent."""

    urgency = RadioField(
        _l("How urgent is it?"),
        choices=[SelectChoice(code, labels.URGENCIES[code]) for code in URGENCIES],
        default="normal",
        validate_choice=False,
        validators=[
            InputRequired(_l("Choose how urgent it is.")),
            AnyOf(URGENCIES, message=_l("Choose how urgent it is.")),
        ],
    )
    attachments = MultipleFileField(_l("Screenshots or documents"))
    consent = BooleanField(
        _l("I agree that my request and the files I attach are processed to answer it."),
        validators=[InputRequired(_l("We need your consent to process the request."))],
    )
    # A field people never see: bots that fill in every field give themselves away.
    website = StringField(_l("Leave this field empty"))
    # Set when the player picked a channel themselves: a new topic then keeps their choice.
    channel_chosen = HiddenField()
    # A random token per rendered form, the idempotency key of its filing: a double click or
    # a resubmitted page files one request.
    submission = HiddenField(default=lambda: secrets.token_urlsafe(16))

    def recommendation(self, now: datetime | None = None) -> Recommendation | None:
        """The channel we suggest for the chosen topic and urgency, open now."""
        topic = self.topic_config()
        if topic is None:
            return None
        urgency = self.urgency.data if self.urgency.data in URGENCIES else "normal"
        return recommend(topic.id, urgency, now or utcnow(), support.current())

    def pick_channel(self, now: datetime | None = None) -> None:
        """Preselect the recommended channel unless the player chose one."""
        chosen = self.channel_chosen.data == "1" and self.channel_config() is not None
        suggested = self.recommendation(now)
        if suggested is not None and not chosen:
            self.channel.data = suggested.channel.id

    @property
    def is_spam(self) -> bool:
        return bool(self.website.data)

    def idempotency(self, new: services.NewTicket) -> services.Idempotency | None:
        """The form's token as the filing's idempotency key; None if the form came without one."""
        if not _SUBMISSION.fullmatch(self.submission.data or ""):
            return None
        return services.Idempotency(
            scope="contact-form",
            key=self.submission.data,
            request_hash=services.request_hash(asdict(new)),
        )

    def validate(self, extra_validators=None) -> bool:
        if not self.channel.data:
            self.pick_channel()
        valid = super().validate(extra_validators)
        return self._check_files() and valid


class LookupForm(FlaskForm):
    """Find a request by its reference number and the email it was filed with."""

    reference = StringField(
        _l("Reference number"),
        filters=[clean],
        validators=[
            DataRequired(_l("Enter the reference number, like HC-7K4MQ9TX-3.")),
            Length(max=64),
        ],
    )
    email = EmailField(
        _l("The email you used"),
        filters=[clean],
        validators=[DataRequired(_l("Enter the email address you used.")), Length(max=254)],
    )


class ReplyForm(_Evidence, FlaskForm):
    """The player's answer on the status page, with more evidence if needed."""

    body = TextAreaField(
        _l("Your message"),
        filters=[clean],
        validators=[Optional(), length(REPLY_MAX), PlainText(multiline=True)],
    )
    attachments = MultipleFileField(_l("Add screenshots or documents"))

    def validate(self, extra_validators=None) -> bool:
        return self._text_or_files(super().validate(extra_validators), self.body)


class RatingForm(FlaskForm):
    score = RadioField(
        _l("How would you rate our service?"),
        choices=[SelectChoice(str(n)) for n in range(1, 6)],
        validate_choice=False,
        validators=[
            InputRequired(_l("Choose a rating from 1 to 5.")),
            AnyOf([str(n) for n in range(1, 6)], message=_l("Choose a rating from 1 to 5.")),
        ],
    )
    comment = TextAreaField(
        _l("Anything you would like to tell us?"),
        filters=[clean],
        validators=[Optional(), length(COMMENT_MAX), PlainText(multiline=True)],
    )


_NPS_CHOICES = [str(n) for n in range(vocabulary.NPS_MIN, vocabulary.NPS_MAX + 1)]


def _nps_field(*required):
    return RadioField(
        _l("How likely are you to recommend us to a friend?"),
        choices=[SelectChoice(n) for n in _NPS_CHOICES],
        validate_choice=False,
        validators=[*required, AnyOf(_NPS_CHOICES, message=_l("Choose a number from 0 to 10."))],
    )


class NpsForm(FlaskForm):
    """The NPS question alone, on the status page once the service is rated."""

    nps = _nps_field(InputRequired(_l("Choose a number from 0 to 10.")))


class RatingWithNpsForm(RatingForm):
    """The status page's rating, with the NPS question beside it (optional: once, either way)."""

    nps = _nps_field(Optional())


class ReopenForm(FlaskForm):
    body = TextAreaField(
        _l("What is still not solved?"),
        filters=[clean],
        validators=[
            DataRequired(_l("Tell us what is still not solved.")),
            length(REPLY_MAX),
            PlainText(multiline=True),
        ],
    )


class SolvedForm(FlaskForm):
    """ "This solved my problem" under an article suggested on the contact page."""

    article = StringField(validators=[InputRequired(), Length(max=80)])
    topic = StringField(validators=[Optional(), Length(max=40)])
