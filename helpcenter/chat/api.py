"""The live chat API for messenger relays (Telegram, WhatsApp...): a fixed contract.

Every call takes an API key in `Authorization: Bearer`, as the tickets API's filing does
(`helpcenter.contact.api`, whose helpers and error shapes this reuses). `POST /api/v1/chats`
starts a chat and answers its reference and token; the other four act on one chat with that
token in `X-Chat-Token` (the secret of the chat's private status link). A wrong or missing
token, another chat's reference or a ticket that is not a chat are all the same 404: nothing
tells whether a reference exists.

A player ID and VIP level come only from a key allowed to vouch, as for tickets (the chat is
then that player's); from any other key they are a 422.

Messages to the player (validation, a closed chat, an ended one) are in the chat's language:
`{"errors": {"<field>": ["..."]}}`. Other errors are `{"error": "..."}` in English.

The conversation as a relay sees it: the player's, the operators' and the answer bot's
messages, and the system's notices ("Aysel has joined the chat", an escalation) as author
`staff` with an empty name. Internal notes are never shown.
"""

from datetime import UTC

from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from helpcenter.chat import queries, services
from helpcenter.chat import states as chat
from helpcenter.chat.forms import StartChatForm, known_topic
from helpcenter.contact.api import (
    _authorized,
    _error,
    _errors,
    _fields,
    _problems,
    _vouching_problems,
    vouched,
)
from helpcenter.contact.forms import TicketFields
from helpcenter.extensions import csrf
from helpcenter.forms import PlainText, clean
from helpcenter.i18n import _, _l
from helpcenter.tickets import reference
from helpcenter.tickets import services as tickets
from helpcenter.tickets.links import status_url
from helpcenter.tickets.models import Ticket, TicketMessage

bp = Blueprint("chat_api", __name__, url_prefix="/api/v1")

# `player_id` and `vip` only from a key allowed to vouch, as for tickets.
FIELDS = ("language", "topic", "message", "email", "player_id", "name", "vip")
# Message ids are 32-bit: a cursor beyond them has nothing after it.
MAX_ID = 2**31 - 1
# How a relay sees each author: the system's notices come from the staff side, unnamed.
AUTHORS = {"player": "player", "staff": "staff", chat.BOT_AUTHOR: "bot", "system": "staff"}


def _message_length(form, field):
    """At most CHAT_MESSAGE_MAX characters as sent (surrounding spaces count): the limit the
    OpenAPI document states is the one applied."""
    sent = field.raw_data[0] if field.raw_data else ""
    maximum = current_app.config["CHAT_MESSAGE_MAX"]
    if len(sent) > maximum:
        raise ValidationError(
            _("Write at most %(max)d characters (now %(length)d).", max=maximum, length=len(sent))
        )


def _message(label):
    return TextAreaField(
        label,
        filters=[clean],
        validators=[
            DataRequired(_l("Write your message.")),
            _message_length,
            PlainText(multiline=True),
        ],
    )


class ChatFields(FlaskForm):
    """A new chat: the topic, the first message and, optionally, who writes (the contact
    form's rules for the email, name and player ID; the email is optional here)."""

    topic = StringField(validators=[InputRequired(_l("Choose what your request is about."))])
    message = _message(_l("Your message"))
    email = StartChatForm.email
    name = TicketFields.name
    player_id = TicketFields.player_id

    validate_topic = known_topic


class MessageFields(FlaskForm):
    """A message in a chat: text only (files go through the web page)."""

    text = _message(_l("Your message"))


def _contact_url(language: str) -> str:
    """The contact form's absolute address in `language` (built like the status links)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/{language}/contact"


def _iso(moment) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _absolute(url: str) -> str:
    if url.startswith("/"):
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url
    return url


def message_json(message: TicketMessage) -> dict:
    """One message as the API shows it; the system's notices as unnamed staff lines."""
    author = AUTHORS.get(message.author_kind, "staff")
    return {
        "id": message.id,
        "at": _iso(message.created_at),
        "author": author,
        "name": "" if message.author_kind == "system" else (message.author_name or ""),
        "text": message.body,
        "articles": [
            {"title": a["title"], "url": _absolute(a["url"])} for a in (message.articles or [])
        ],
    }


def _state(ticket: Ticket) -> dict:
    return {"state": ticket.chat_state, "queue_position": queries.queue_position(ticket)}


def _chat_for_token(ref: str) -> Ticket | None:
    """The chat named by `ref` when X-Chat-Token is its token; None in every other case."""
    ticket = tickets.find_by_token(request.headers.get("X-Chat-Token", ""))
    if (
        ticket is None
        or ticket.reference != reference.normalize(ref or "")
        or ticket.channel != chat.CHANNEL
        or ticket.chat_state is None
    ):
        return None
    return ticket


def _not_found():
    return _error(404, "no chat with this reference and token")


def _acting_on(ref: str, limit: str = "API_RATE_LIMIT", *identity: str):
    """(the chat, None) for a valid key within its limit and the chat's token, else (None,
    the error response)."""
    _key, refused = _authorized(limit, *identity)
    if refused:
        return None, refused
    ticket = _chat_for_token(ref)
    if ticket is None:
        return None, _not_found()
    return ticket, None


def _ended(ticket: Ticket):
    """409: the chat is over; says so in its language, with its state."""
    with force_locale(ticket.language):
        message = _("This chat has ended. You can follow your request on its status page.")
    return jsonify(errors={"chat": [message]}, state=ticket.chat_state), 409


def _changed():
    return _error(409, "the chat changed at the same moment, try again", **{"Retry-After": "1"})


@bp.post("/chats")
@csrf.exempt
def start():
    key, refused = _authorized("API_RATE_LIMIT")
    if refused:
        return refused
    body = request.get_json(silent=True)
    languages = tuple(current_app.config["LANGUAGES"])
    language = body.get("language") if isinstance(body, dict) else None
    with force_locale(language if language in languages else "en"):
        if not isinstance(body, dict):
            return jsonify(errors={"body": [_("The body must be a JSON object.")]}), 422
        form = ChatFields(formdata=_fields(body), meta={"csrf": False})
        errors = _errors(form)
        errors.update(_problems(body, languages, FIELDS))
        errors.update(_vouching_problems(key, body))
        if errors:
            return jsonify(errors=errors), 422
        player_id = form.player_id.data or ""
        try:
            filed = services.start_chat(
                language=language,
                topic=form.topic.data,
                message=form.message.data,
                email=form.email.data or "",
                player_id=player_id,
                name=form.name.data or "",
                source=f"api:{key.name}"[:80],
                **vouched(key, player_id, body.get("vip")),
            )
        except services.ChatClosed:
            message = _(
                "The live chat is closed right now. Send us a request through the contact "
                "form and we will answer you there."
            )
            return jsonify(errors={"chat": [message]}, contact_url=_contact_url(language)), 409
    response = jsonify(
        reference=filed.ticket.reference,
        token=filed.token,
        status_url=status_url(filed.ticket, filed.token),
    )
    response.status_code = 201
    return response


@bp.post("/chats/<ref>/messages")
@csrf.exempt
def post_message(ref: str):
    ticket, refused = _acting_on(ref)
    if refused:
        return refused
    body = request.get_json(silent=True)
    with force_locale(ticket.language):
        if not isinstance(body, dict):
            return jsonify(errors={"body": [_("The body must be a JSON object.")]}), 422
        form = MessageFields(formdata=_fields(body), meta={"csrf": False})
        errors = _errors(form)
        # A text that is not a string is left out of the form: "Write your message."
        for name in body:
            if name != "text":
                errors[str(name)[:60]] = [_("Unknown field.")]
        if errors:
            return jsonify(errors=errors), 422
    if ticket.chat_state == chat.ENDED:
        return _ended(ticket)
    try:
        message = services.player_message(ticket=ticket, text=form.text.data)
    except services.WrongState:
        return _ended(ticket)
    except services.TicketChanged:
        return _changed()
    response = jsonify(message_json(message))
    response.status_code = 201
    return response


@bp.get("/chats/<ref>/messages")
def read_messages(ref: str):
    ticket, refused = _acting_on(ref, "API_READ_RATE_LIMIT", reference.normalize(ref or "") or "-")
    if refused:
        return refused
    after = request.args.get("after", "0")
    if not (after.isascii() and after.isdigit()) or len(after) > 10:
        with force_locale(ticket.language):
            message = _("Must be the id of a message (a whole number), or 0.")
        return jsonify(errors={"after": [message]}), 422
    services.player_seen(ticket=ticket)
    messages = queries.messages_after(ticket.id, min(int(after), MAX_ID))
    return jsonify(**_state(ticket), messages=[message_json(m) for m in messages])


@bp.post("/chats/<ref>/handoff")
@csrf.exempt
def handoff(ref: str):
    ticket, refused = _acting_on(ref)
    if refused:
        return refused
    try:
        services.handoff(ticket=ticket)
    except services.WrongState:
        return _ended(ticket)
    except services.TicketChanged:
        return _changed()
    return jsonify(_state(ticket))


@bp.post("/chats/<ref>/resolved")
@csrf.exempt
def resolved(ref: str):
    ticket, refused = _acting_on(ref)
    if refused:
        return refused
    try:
        services.bot_resolved(ticket=ticket)
    except services.WrongState:
        if ticket.chat_state == chat.ENDED:
            return _ended(ticket)
        with force_locale(ticket.language):
            message = _(
                "This chat is already with a person, so it can no longer be closed as "
                "answered by the bot."
            )
        return jsonify(errors={"chat": [message]}, state=ticket.chat_state), 409
    except services.TicketChanged:
        return _changed()
    return jsonify(_state(ticket))
