"""The tickets API's OpenAPI document: valid, true to the real responses, and fuzzed.

Real responses of every documented status are checked against the document; then
schemathesis generates requests from it (valid and invalid ones) against the app in process:
no 5xx, every status, header and body as documented.
"""

import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from helpcenter import create_app
from helpcenter.contact import openapi
from helpcenter.extensions import db
from helpcenter.tickets import services
from helpcenter.tickets.models import Ticket
from tests.contact.test_api import BODY

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
TICKETS, TICKET = "/api/v1/tickets", "/api/v1/tickets/{reference}"
PLAYER_TICKETS = "/api/v1/players/{player_id}/tickets"


@pytest.fixture
def key(app):
    with app.app_context():
        return services.create_api_key("openapi-bot")


@pytest.fixture
def casino(app):
    """A key allowed to vouch (the casino's back office)."""
    with app.app_context():
        return services.create_api_key("openapi-casino", can_vouch=True)


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def conforms(schema, path: str, method: str, response, checks=CHECKS, **case) -> None:
    """`response` is one the document describes for this operation: status, headers, body."""
    operation = schema[path][method]
    operation.Case(**case).validate_response(response, checks=checks)


def test_the_document_is_valid_openapi_3_1_and_served_as_json(app, client, schema):
    schema.validate()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    served = response.get_json()
    assert served["paths"] == json.loads(json.dumps(openapi.document()["paths"]))
    topics = served["components"]["schemas"]["NewTicket"]["properties"]["topic"]["enum"]
    assert "payments" in topics and None in topics
    assert response.get_json()["openapi"] == "3.1.0"
    assert openapi.document() is openapi.document()  # read once


def test_it_documents_exactly_the_routes_of_the_api(app, schema):
    documented = {
        (path, method.upper())
        for path, item in openapi.document()["paths"].items()
        for method in item
        if method != "parameters"  # shared by the path's operations
    }
    built = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).replace("{ref}", "{reference}"), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("tickets_api.", "chat_api."))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == built


def test_real_answers_of_filing_match_the_document(app, client, key, schema):
    def post(body, **headers):
        data = body if isinstance(body, str) else json.dumps(body)
        headers = {"Content-Type": "application/json", **headers}
        response = client.post(TICKETS, data=data, headers=headers)
        conforms(schema, TICKETS, "POST", response, body=body, headers=headers)
        return response

    filed = post(BODY, **auth(key), **{"Idempotency-Key": "order-1"})
    assert filed.status_code == 201
    replayed = post(BODY, **auth(key), **{"Idempotency-Key": "order-1"})
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    reused = post({**BODY, "subject": "Another one"}, **auth(key), **{"Idempotency-Key": "order-1"})
    assert reused.status_code == 422 and "Idempotency-Key" in reused.get_json()["errors"]
    assert post(BODY).status_code == 401
    assert post({**BODY, "email": "nope"}, **auth(key)).status_code == 422
    assert post({**BODY, "extra": 1}, **auth(key)).status_code == 422
    assert post("[" * 2000, **auth(key)).status_code == 422
    assert post({**BODY, "name": "\ud800"}, **auth(key)).status_code == 400
    app.config["API_MAX_BODY_BYTES"] = 100
    assert post(BODY, **auth(key)).status_code == 413
    app.config["API_MAX_BODY_BYTES"] = 256 * 1024
    app.config["API_RATE_LIMIT"] = "1 per minute"
    post(BODY, **auth(key))
    limited = post(BODY, **auth(key))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"


def test_real_answers_of_reading_match_the_document(app, client, key, schema):
    filed = client.post(TICKETS, json=BODY, headers=auth(key)).get_json()
    token = filed["status_url"].rsplit("/", 1)[1]

    def get(ref, token):
        headers = {"X-Ticket-Token": token}
        response = client.get(f"/api/v1/tickets/{ref}", headers=headers)
        conforms(
            schema, TICKET, "GET", response, path_parameters={"reference": ref}, headers=headers
        )
        return response

    found = get(filed["reference"].lower(), token)
    assert found.status_code == 200 and found.get_json()["events"]
    assert get(filed["reference"], "wrong").status_code == 404
    assert get("HC-7K4MQ9TX-3%00", token).status_code == 400
    app.config["API_READ_RATE_LIMIT"] = "1 per minute"
    get(filed["reference"], token)
    assert get(filed["reference"], token).status_code == 429


def test_real_answers_of_listing_a_players_requests_match_the_document(
    app, client, key, casino, schema
):
    def get(key, player_id="P-1001", **query):
        headers = auth(key) if key else {}
        response = client.get(
            f"/api/v1/players/{player_id}/tickets", headers=headers, query_string=query
        )
        case = {"path_parameters": {"player_id": player_id}, "headers": headers}
        if query:
            case["query"] = query
        conforms(schema, PLAYER_TICKETS, "GET", response, **case)
        return response

    vouched = {**BODY, "player_id": "P-1001", "vip": "gold"}
    assert post_json(client, vouched, key).status_code == 422
    for _ in range(2):
        assert post_json(client, vouched, casino).status_code == 201
    page = get(casino, limit="1")
    assert page.status_code == 200 and page.get_json()["next"]
    assert get(casino, "P-404").get_json()["tickets"] == []
    assert get(None).status_code == 401
    assert get(key).status_code == 403
    assert get(casino, limit="500").status_code == 422
    assert get(casino, before="HC-00000000-0").status_code == 422
    assert get(casino, "P%00").status_code == 400
    app.config["API_READ_RATE_LIMIT"] = "1 per minute"
    get(casino)
    assert get(casino).status_code == 429


def post_json(client, body, key):
    return client.post(TICKETS, json=body, headers=auth(key))


def test_a_database_outage_is_the_documented_503(tmp_path):
    # A real refused connection: nothing listens on port 9.
    app = create_app(
        {"DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"}
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": "Bearer hc_any", "Content-Type": "application/json"}
    response = app.test_client().post(TICKETS, data=json.dumps(BODY), headers=headers)
    assert response.status_code == 503 and response.get_json() == {
        "error": "service unavailable, try again later"
    }
    documented = [check for check in CHECKS if check is not not_a_server_error]
    conforms(schema, TICKETS, "POST", response, documented, body=BODY, headers=headers)


# --- the fuzzer ----------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(
    ("path", "method", "mode", "vouching"),
    [
        (TICKETS, "POST", GenerationMode.POSITIVE, False),
        (TICKETS, "POST", GenerationMode.POSITIVE, True),
        (TICKETS, "POST", GenerationMode.NEGATIVE, False),
        # Reading takes any text as a reference and any token: nothing negative to generate.
        (TICKET, "GET", GenerationMode.POSITIVE, False),
        (PLAYER_TICKETS, "GET", GenerationMode.POSITIVE, True),
    ],
    ids=["file", "file-vouched", "file-invalid", "read", "list-players-requests"],
)
def test_fuzzing_the_api_finds_no_5xx_and_no_undocumented_answer(
    app, key, casino, path, method, mode, vouching
):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
    statuses = []
    # An ordinary key has the player ID and VIP level refused; one allowed to vouch files
    # with them and lists a player's requests.
    headers = auth(casino if vouching else key)

    @FUZZ
    # The key is real, so the fuzzer reaches validation and filing, not only the 401.
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def fuzz(case):
        response = case.call()
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    fuzz()
    assert statuses and all(status < 500 for status in statuses)
    with app.app_context():
        # What was filed was filed whole: every ticket has its reference.
        assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.reference == "")) == 0
