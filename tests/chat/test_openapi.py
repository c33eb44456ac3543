"""The chat API in the OpenAPI document: real answers of every documented status match it,
and schemathesis finds no 5xx and no undocumented answer."""

import json

import pytest
import schemathesis
from hypothesis import given
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from helpcenter.chat import services
from helpcenter.db import utcnow
from helpcenter.staff import services as staff
from helpcenter.tickets import services as tickets
from tests.chat.test_api import BODY, GREETING_RU
from tests.contact.test_openapi import CHECKS, FUZZ, auth, conforms

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

CHATS = "/api/v1/chats"
MESSAGES = "/api/v1/chats/{reference}/messages"
HANDOFF = "/api/v1/chats/{reference}/handoff"
RESOLVED = "/api/v1/chats/{reference}/resolved"


@pytest.fixture
def key(loaded):
    with loaded.app_context():
        return tickets.create_api_key("openapi-relay")


@pytest.fixture
def schema(loaded):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", loaded)


def make_available(app) -> None:
    with app.app_context():
        member = staff.create_staff(
            email="aysel@casino.example", role="operator", password="pw-" * 4, name="Aysel"
        )
        services.set_presence(member=member, status="available", now=utcnow())


def test_the_served_document_lists_the_installations_topics_for_chats(loaded, client):
    served = client.get("/api/v1/openapi.json").get_json()
    topics = served["components"]["schemas"]["NewChat"]["properties"]["topic"]["enum"]
    assert "verification" in topics and None not in topics


def test_real_answers_of_the_chat_api_match_the_document(loaded, client, key, schema):
    def call(path, method, body=None, ref=None, token=None, key=key, query=None):
        headers = {**(auth(key) if key else {}), "Content-Type": "application/json"}
        if token is not None:
            headers["X-Chat-Token"] = token
        url = path.replace("{reference}", ref or "")
        data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
        response = client.open(url, method=method, data=data, headers=headers, query_string=query)
        case = {"headers": headers}
        if body is not None:
            case["body"] = body
        if ref is not None:
            case["path_parameters"] = {"reference": ref}
        if query:
            case["query"] = query
        conforms(schema, path, method, response, **case)
        return response

    closed = call(CHATS, "POST", BODY)
    assert closed.status_code == 409 and closed.get_json()["contact_url"].endswith("/ru/contact")
    make_available(loaded)
    assert call(CHATS, "POST", BODY, key=None).status_code == 401
    assert call(CHATS, "POST", {**BODY, "topic": "weather"}).status_code == 422
    assert call(CHATS, "POST", "[" * 2000).status_code == 422
    chat = call(CHATS, "POST", BODY).get_json()
    ref, token = chat["reference"], chat["token"]

    read = call(MESSAGES, "GET", ref=ref, token=token)
    assert read.status_code == 200 and read.get_json()["messages"][1]["articles"]
    assert call(MESSAGES, "GET", ref=ref, token=token, query={"after": "x"}).status_code == 422
    assert call(MESSAGES, "GET", ref=ref, token="wrong").status_code == 404
    assert call(MESSAGES, "GET", ref=ref, token=token, key=None).status_code == 401
    assert call(MESSAGES, "POST", {"text": "x" * 2001}, ref=ref, token=token).status_code == 422
    assert call(HANDOFF, "POST", ref=ref, token=token).status_code == 200
    assert call(RESOLVED, "POST", ref=ref, token=token).status_code == 409
    written = call(MESSAGES, "POST", {"text": "Документы отправил"}, ref=ref, token=token)
    assert written.status_code == 201

    other = call(CHATS, "POST", {**BODY, "message": "Как пройти верификацию?"}).get_json()
    assert call(RESOLVED, "POST", ref=other["reference"], token=other["token"]).status_code == 200
    ended = call(MESSAGES, "POST", {"text": "Ещё"}, ref=other["reference"], token=other["token"])
    assert ended.status_code == 409
    assert call(HANDOFF, "POST", ref=other["reference"], token=other["token"]).status_code == 409

    loaded.config["API_READ_RATE_LIMIT"] = "1 per minute"
    call(MESSAGES, "GET", ref=ref, token=token)
    limited = call(MESSAGES, "GET", ref=ref, token=token)
    assert limited.status_code == 429


@pytest.mark.parametrize(
    ("path", "method", "mode"),
    [
        (CHATS, "POST", "positive"),
        (CHATS, "POST", "negative"),
        (MESSAGES, "GET", "positive"),
        (MESSAGES, "POST", "positive"),
        (HANDOFF, "POST", "positive"),
    ],
)
def test_fuzzing_the_chat_api_finds_no_5xx_and_no_undocumented_answer(
    loaded, key, path, method, mode
):
    make_available(loaded)
    client = loaded.test_client()
    chat = client.post(CHATS, json={**BODY, "message": GREETING_RU}, headers=auth(key)).get_json()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", loaded)
    operation = schema[path][method]
    negative = mode == "negative"
    checks = [*CHECKS, negative_data_rejection] if negative else CHECKS
    generation = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE
    # The real key and the real chat's token, so the fuzzer reaches more than the 401/404.
    headers = {**auth(key), "X-Chat-Token": chat["token"]}
    statuses = []

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=generation, headers=headers))
    def fuzz(case):
        if "reference" in (case.path_parameters or {}):
            case.path_parameters["reference"] = chat["reference"]
        response = case.call()
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    fuzz()
    assert statuses and all(status < 500 for status in statuses)
