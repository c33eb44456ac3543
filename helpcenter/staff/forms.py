"""Forms of the staff console: sign-in, and ticket actions that carry the ticket's version."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, Regexp

from helpcenter.forms import PlainText, clean, length
from helpcenter.staff.services import MAX_PASSWORD, MIN_PASSWORD

TEXT_MAX = 5000


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[clean],
        validators=[DataRequired(_l("Enter your email.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=1024)]
    )


class ConfirmForm(FlaskForm):
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=1024)]
    )


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[clean],
        validators=[DataRequired(_l("Enter your email.")), Length(max=254)],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(_l("Enter your new password.")),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=_l("The password must have at least %(min)d characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(_l("Enter your new password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class CodeForm(FlaskForm):
    """The second step of signing in, and the confirmation of setting TOTP up."""

    code = StringField(
        _l("Verification code"),
        filters=[clean],
        validators=[DataRequired(_l("Enter the code.")), Length(max=64)],
    )


class ActionForm(FlaskForm):
    """What every ticket action posts: the version of the ticket the form was made from."""

    version = HiddenField(validators=[InputRequired(), Regexp(r"^\d{1,9}$")])


def _text(label, required_message):
    return TextAreaField(
        label,
        filters=[clean],
        validators=[DataRequired(required_message), length(TEXT_MAX), PlainText(multiline=True)],
    )


class ReplyForm(ActionForm):
    body = _text(_l("Reply to the player"), _l("Write the reply."))
    wait = BooleanField(_l("Wait for the player's answer"))


class NoteForm(ActionForm):
    body = _text(_l("Internal note (staff only)"), _l("Write the note."))


class AssignForm(ActionForm):
    # Empty: unassign. Checked against the staff who may work the ticket's tier.
    assignee = HiddenField(validators=[Optional(), Length(max=254)])


class EscalateForm(ActionForm):
    reason = _text(
        _l("Reason for the escalation (the player sees it)"),
        _l("Give the reason for the escalation."),
    )


class SendBackForm(ActionForm):
    reason = _text(
        _l("Reason for sending it back (the player sees it)"),
        _l("Give the reason for sending it back."),
    )


class ResolveForm(ActionForm):
    summary = _text(_l("Summary for the player"), _l("Summarise the solution for the player."))


class VipForm(ActionForm):
    # Empty: no level (an ordinary request). Checked against support.yml by the service.
    level = StringField(_l("VIP level"), filters=[clean], validators=[Length(max=20)])


class PlainActionForm(ActionForm):
    """Actions without fields of their own: wait for the player, close."""


# The forms of the actions that have one of their own; `form_for` makes the others.
FORMS: dict[str, type[ActionForm]] = {
    "reply": ReplyForm,
    "note": NoteForm,
    "assign": AssignForm,
    "escalate": EscalateForm,
    "send_back": SendBackForm,
    "resolve": ResolveForm,
}

# The text fields an action in the table may ask for without a form of its own.
FIELDS = {
    "reason": (_l("Reason (the player sees it)"), _l("Give the reason.")),
    "body": (_l("Message to the player"), _l("Write the message.")),
    "summary": (_l("Summary for the player"), _l("Summarise the solution for the player.")),
}


def form_for(rule) -> type[ActionForm]:
    """The form of a rule of `tickets.actions`: its own, or one text field per named field."""
    if rule.name in FORMS:
        return FORMS[rule.name]
    if not rule.fields:
        return PlainActionForm
    fields = {name: _text(*FIELDS[name]) for name in rule.fields}
    return type(f"{rule.name.title().replace('_', '')}Form", (ActionForm,), fields)
