"""The tickets API for chatbots, messenger bots and other integrations: a fixed contract.

`POST /api/v1/tickets` files a request with the contact form's rules (an API key in
`Authorization: Bearer`); `GET /api/v1/tickets/<reference>` reads one with the secret of its
private status link in `X-Ticket-Token`. Validation messages are in the request's language
when it names one, else English. A filing sent with an `Idempotency-Key` files one ticket
however often it is retried: the retries get the first answer again.
"""

import re

from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from helpcenter import ratelimit
from helpcenter.contact import openapi, queries
from helpcenter.contact.forms import TicketFields
from helpcenter.extensions import csrf
from helpcenter.i18n import _
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
)
IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")


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
        try:
            filed = services.file_ticket(
                form.new_ticket(language=language, source=f"api:{key.name}"[:80]),
                idempotency=idempotency,
            )
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


@bp.get("/openapi.json")
def openapi_document():
    """This API's OpenAPI 3.1 document (helpcenter/contact/openapi.yml)."""
    response = jsonify(openapi.for_installation())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
