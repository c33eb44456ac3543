"""The tickets API for chatbots, messenger bots and other integrations: a fixed contract.

`POST /api/v1/tickets` files a request with the contact form's rules (an API key in
`Authorization: Bearer`); `GET /api/v1/tickets/<reference>` reads one with the secret of its
private status link in `X-Ticket-Token`. Validation messages are in the request's language
when it names one, else English. A filing sent with an `Idempotency-Key` files one ticket
however often it is retried: the retries get the first answer again.

A player ID and VIP level are the casino's word: only a key allowed to vouch (`helpcenter
api-key create --vouch`, the casino's own back office) may send them, and its player ID makes
the request that player's (`Ticket.verified_player_id`). Such a key also lists a player's
requests: `GET /api/v1/players/<player_id>/tickets`.
"""

import dataclasses
import re

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from helpcenter import ratelimit, support
from helpcenter.contact import openapi, queries
from helpcenter.contact.forms import TicketFields
from helpcenter.extensions import csrf
from helpcenter.i18n import _
from helpcenter.players import queries as players
from helpcenter.tickets import reference, services
from helpcenter.tickets.links import status_url

bp = Blueprint("tickets_api", __name__, url_prefix="/api/v1")

FIELDS = (
    "topic",
    "subject",
    "description",
    "email",
    "language",
    "channel",
    "contact",
    "transaction_id",
    "player_id",
    "name",
    "vip",
)
# What only a key allowed to vouch may send: the casino's word about the player.
VOUCHED = ("player_id", "vip")
IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# A player's requests per page of `GET /players/<player_id>/tickets`.
PAGE_SIZE, MAX_PAGE_SIZE = 50, 100


def _error(status: int, message: str, **headers):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def _api_key():
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return services.authenticate(key.strip())


def _authorized(limit: str, *identity: str):
    """(key, None) for a valid key within its limit, else (None, the error response)."""
    key = _api_key()
    if key is None:
        return None, _error(401, "a valid API key is required", **{"WWW-Authenticate": "Bearer"})
    if not ratelimit.allow(limit, key.name, *identity):
        return None, _error(429, "too many requests for this key", **{"Retry-After": "60"})
    return key, None


def _fields(body: dict) -> MultiDict:
    """The body's text values as form data: the others are left to `_problems`."""
    return MultiDict({k: v for k, v in body.items() if isinstance(v, str)})


def _errors(form: FlaskForm) -> dict[str, list[str]]:
    form.validate()
    return {name: [str(e) for e in found] for name, found in form.errors.items()}


def _problems(body: dict, languages, fields=FIELDS) -> dict[str, list[str]]:
    """What the form cannot say: fields not in `fields`, values that are not text, the
    language. The chat API checks its own fields with it."""
    problems = {}
    for name, value in body.items():
        if name not in fields:
            problems[str(name)[:60]] = [_("Unknown field.")]
        elif value is not None and not isinstance(value, str):
            # Null is "not given": the form says when a field is required.
            problems[name] = [_("Must be a string or null.")]
    if body.get("language") not in languages:
        problems["language"] = [_("Must be one of: %(choices)s.", choices=", ".join(languages))]
    return problems


def _vouching_problems(key, body: dict) -> dict[str, list[str]]:
    """A player ID or VIP level from a key not allowed to vouch (empty and null are "not
    sent"), and a VIP level support.yml does not name. The chat API checks its body with it."""
    sent = [name for name in VOUCHED if body.get(name) not in (None, "")]
    if not key.can_vouch:
        message = _("This API key may not vouch for a player ID or VIP level.")
        return {name: [message] for name in sent}
    vip = body.get("vip")
    levels = support.current().vip_levels
    if not isinstance(vip, str) or vip in ("", *levels):
        return {}
    if not levels:
        return {"vip": [_("This help center has no VIP levels.")]}
    return {"vip": [_("Must be one of: %(choices)s.", choices=", ".join(levels))]}


def vouched(key, player_id: str, vip) -> dict:
    """What the key vouches for, as `NewTicket` and `start_chat` take it."""
    if not key.can_vouch:
        return {"verified_player_id": None, "vip": None}
    return {"verified_player_id": player_id or None, "vip": vip or None}


@bp.post("/tickets")
@csrf.exempt
def create_ticket():
    key, refused = _authorized("API_RATE_LIMIT")
    if refused:
        return refused
    body = request.get_json(silent=True)
    languages = tuple(current_app.config["LANGUAGES"])
    language = body.get("language") if isinstance(body, dict) else None
    idempotency_key = request.headers.get("Idempotency-Key")
    with force_locale(language if language in languages else "en"):
        if not isinstance(body, dict):
            return jsonify(errors={"body": [_("The body must be a JSON object.")]}), 422
        form = TicketFields(formdata=_fields(body), meta={"csrf": False})
        errors = _errors(form)
        errors.update(_problems(body, languages))
        errors.update(_vouching_problems(key, body))
        if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            errors["Idempotency-Key"] = [_("Must be 1 to 255 printable ASCII characters.")]
        if errors:
            return jsonify(errors=errors), 422
        idempotency = None
        if idempotency_key is not None:
            # Scoped by the API key: two integrations may pick the same idempotency key.
            idempotency = services.Idempotency(
                scope=f"api:{key.name}",
                key=idempotency_key,
                request_hash=services.request_hash(body),
            )
        new = form.new_ticket(language=language, source=f"api:{key.name}"[:80])
        new = dataclasses.replace(new, **vouched(key, new.player_id, body.get("vip")))
        try:
            filed = services.file_ticket(new, idempotency=idempotency)
        except services.IdempotencyKeyReused:
            message = _("This key was already used with another request.")
            return jsonify(errors={"Idempotency-Key": [message]}), 422
        except services.IdempotencyKeyInUse:
            return _error(
                409, "the first request with this key is in progress", **{"Retry-After": "1"}
            )
    response = jsonify(
        reference=filed.ticket.reference, status_url=status_url(filed.ticket, filed.token)
    )
    response.status_code = 201
    if filed.is_replay:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/tickets/<ref>")
def read_ticket(ref: str):
    if not ratelimit.allow("API_READ_RATE_LIMIT", ratelimit.client_address()):
        return _error(429, "too many requests", **{"Retry-After": "60"})
    ticket = services.find_by_token(request.headers.get("X-Ticket-Token", ""))
    if ticket is None or ticket.reference != reference.normalize(ref):
        return _error(404, "no ticket with this reference and token")
    with force_locale(ticket.language):
        document = queries.ticket_document(ticket)
    return jsonify(document)


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def request_json(found: players.PlayerRequest) -> dict:
    """One of a player's requests as the API lists it: never its token, messages or notes."""
    return {
        "reference": found.reference,
        "channel": found.channel,
        "topic": found.topic,
        "subject": found.subject,
        "language": found.language,
        "state": found.state,
        "tier": found.tier,
        "vip": found.vip,
        "created_at": _iso(found.created_at),
        "updated_at": _iso(found.updated_at),
        "next_deadline": _iso(found.next_deadline),
        "resolved_at": _iso(found.resolved_at),
        "closed_at": _iso(found.closed_at),
    }


@bp.get("/players/<player_id>/tickets")
def player_tickets(player_id: str):
    """The requests the casino vouched for as this player's, newest first, a page at a time
    (`limit`, and `before`: the last reference of the previous page)."""
    key, refused = _authorized("API_READ_RATE_LIMIT")
    if refused:
        return refused
    if not key.can_vouch:
        return _error(403, "this API key may not read players' requests")
    limit = _page_size(request.args.get("limit", str(PAGE_SIZE)))
    with force_locale("en"):
        if limit is None:
            message = _("Must be a whole number from 1 to %(max)d.", max=MAX_PAGE_SIZE)
            return jsonify(errors={"limit": [message]}), 422
        try:
            # One more than the page: whether a next page exists.
            found = players.requests_of(
                player_id, limit=limit + 1, before=request.args.get("before")
            )
        except players.UnknownCursor:
            message = _("Must be the reference of one of this player's requests.")
            return jsonify(errors={"before": [message]}), 422
    page = found[:limit]
    following = None
    if len(found) > limit:
        following = url_for(
            ".player_tickets", player_id=player_id, limit=limit, before=page[-1].reference
        )
    return jsonify(player_id=player_id, tickets=[request_json(r) for r in page], next=following)


def _page_size(text: str) -> int | None:
    """`limit` as a number from 1 to MAX_PAGE_SIZE, else None."""
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        return None
    size = int(text)
    return size if 1 <= size <= MAX_PAGE_SIZE else None


@bp.get("/openapi.json")
def openapi_document():
    """This API's OpenAPI 3.1 document (helpcenter/contact/openapi.yml)."""
    response = jsonify(openapi.for_installation())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
