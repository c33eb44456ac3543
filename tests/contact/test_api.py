"""The tickets API contract that chatbots and messenger bots rely on."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from helpcenter.extensions import db
from helpcenter.tickets import reference, services, states
from helpcenter.tickets.models import OutboxEmail, Ticket

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

BODY = {
    "topic": "payments",
    "subject": "Deposit not credited",
    "description": "I paid 50 AZN by card an hour ago and my balance did not change.",
    "email": "bot-user@example.com",
    "language": "ru",
    "channel": "telegram",
    "contact": "@player_one",
    "transaction_id": "TX-777",
    "player_id": None,
    "name": None,
}


@pytest.fixture
def key(ctx, runner):
    result = runner.invoke(args=["api-key", "create", "--name", "telegram-bot"])
    return result.output.strip()


def post(client, body, key=None, **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return client.post("/api/v1/tickets", json=body, headers=headers)


def tickets(app) -> int:
    return db.session.scalar(select(func.count(Ticket.id)))


def test_filing_through_the_api(ctx, client, key):
    response = post(client, BODY, key)
    assert response.status_code == 201
    data = response.get_json()
    assert set(data) == {"reference", "status_url"}
    assert reference.is_valid(data["reference"])
    assert data["status_url"].startswith("http://127.0.0.1:5000/ru/status/")
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.channel, ticket.contact, ticket.language) == ("telegram", "@player_one", "ru")
    assert ticket.source == "api:telegram-bot" and ticket.player_id == "" and ticket.name == ""
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1
    # The private link opens the status page.
    path = data["status_url"].removeprefix("http://127.0.0.1:5000")
    assert data["reference"] in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer hc_nope"}, {"Authorization": "Basic abc"}],
)
def test_no_valid_key_is_401(ctx, client, key, headers):
    response = client.post("/api/v1/tickets", json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert tickets(ctx) == 0


def test_a_revoked_key_stops_working(ctx, client, key, runner):
    runner.invoke(args=["api-key", "revoke", "telegram-bot"])
    assert post(client, BODY, key).status_code == 401


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": None}, "subject", "Укажите тему обращения."),
        ({"transaction_id": None}, "transaction_id", "Укажите ID транзакции"),
        ({"contact": None}, "contact", "Укажите ваше имя пользователя в Telegram."),
        ({"channel": "fax"}, "channel", None),
        ({"topic": "lottery"}, "topic", None),
        ({"language": "de"}, "language", "az, ru, en"),
        ({"email": "nobody"}, "email", None),
        ({"description": "short"}, "description", None),
        ({"subject": 42}, "subject", None),
        ({"urgency": "urgent"}, "urgency", None),
        ({"description": "Line one\x07 with a bell character in it"}, "description", None),
    ],
)
def test_invalid_requests_are_422_with_errors_per_field(ctx, client, key, changes, field, message):
    response = post(client, {**BODY, **changes}, key)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    if message:
        assert any(message in m for m in errors[field]), errors[field]
    assert tickets(ctx) == 0


def test_errors_are_in_english_without_a_known_language(ctx, client, key):
    response = post(client, {**BODY, "language": None, "subject": ""}, key)
    errors = response.get_json()["errors"]
    assert errors["subject"] == ["Give your request a subject."]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_422(ctx, client, key, raw):
    response = client.post(
        "/api/v1/tickets",
        data=raw,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


def test_the_key_is_rate_limited_but_an_integration_filing_hundreds_is_not(ctx, client, key):
    for _ in range(300):
        assert post(client, {**BODY, "language": "en"}, key).status_code == 201
    ctx.config["API_RATE_LIMIT"] = "2 per minute"
    codes = [post(client, BODY, key).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert tickets(ctx) == 302


def read(client, ref, token):
    return client.get(f"/api/v1/tickets/{ref}", headers={"X-Ticket-Token": token})


def test_reading_a_ticket_with_its_token(ctx, client, key):
    data = post(client, BODY, key).get_json()
    token = data["status_url"].rsplit("/", 1)[1]
    ticket = db.session.scalar(select(Ticket))
    services.note(ticket, services.Actor(states.STAFF, "Aysel", "supervisor"), "internal")
    services.run_sla(now=ticket.first_response_due_at + timedelta(minutes=5))
    response = read(client, data["reference"].lower().replace("-", ""), token)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "reference",
        "state",
        "tier",
        "topic",
        "channel",
        "language",
        "created_at",
        "first_response_due_at",
        "resolution_due_at",
        "events",
    }
    assert (body["state"], body["tier"], body["topic"]) == ("in_progress", "supervisor", "payments")
    for moment in ("created_at", "first_response_due_at", "resolution_due_at"):
        assert datetime.fromisoformat(body[moment]).utcoffset() is not None
    assert [e["type"] for e in body["events"]] == ["received", "escalated_automatically"]
    assert body["events"][1]["text"].startswith("Автоматически передано супервайзеру")
    assert datetime.fromisoformat(body["events"][0]["at"]).utcoffset() is not None


def test_a_wrong_reference_or_token_is_404_alike(ctx, client, key):
    first = post(client, BODY, key).get_json()
    second = post(client, BODY, key).get_json()
    token = first["status_url"].rsplit("/", 1)[1]
    other_token = second["status_url"].rsplit("/", 1)[1]
    answers = [
        read(client, first["reference"], other_token),
        read(client, second["reference"], token),
        read(client, "HC-00000000-0", token),
        read(client, "nonsense", token),
        client.get(f"/api/v1/tickets/{first['reference']}"),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
