"""The live chat API that messenger relays rely on: every endpoint's contract, on the real
database with the shipped articles, a real API key and a real available operator."""

import re
from datetime import datetime

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from helpcenter.chat import services
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.tickets import reference
from helpcenter.tickets.models import Ticket
from tests.contact.conftest import file_ticket

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

BASE = "http://127.0.0.1:5000"
QUESTION_RU = "Как пройти верификацию? Какие документы нужны?"
GREETING_RU = "Здравствуйте"
BODY = {
    "language": "ru",
    "topic": "verification",
    "message": QUESTION_RU,
    "email": None,
    # Only a key allowed to vouch sends a player ID (the vouching tests at the end).
    "player_id": None,
    "name": None,
}


@pytest.fixture
def ctx(loaded):
    with loaded.test_request_context():
        yield loaded


@pytest.fixture
def key(ctx, runner):
    result = runner.invoke(args=["api-key", "create", "--name", "telegram-relay"])
    return result.output.strip()


@pytest.fixture
def operator(ctx):
    """An operator available for chats now: the chat is open."""
    aysel = staff.create_staff(
        email="aysel@casino.example", role="operator", password="pw-" * 4, name="Aysel"
    )
    services.set_presence(member=aysel, status="available", now=utcnow())
    return aysel


class Relay:
    """A messenger relay using the API with its key."""

    def __init__(self, client, key):
        self.client = client
        self.key = key

    def headers(self, token=None, key=True) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if key else {}
        if token is not None:
            headers["X-Chat-Token"] = token
        return headers

    def start(self, **changes):
        return self.client.post("/api/v1/chats", json={**BODY, **changes}, headers=self.headers())

    def started(self, **changes) -> dict:
        response = self.start(**changes)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def say(self, chat: dict, text: str, token=None, ref=None, **options):
        return self.client.post(
            f"/api/v1/chats/{ref or chat['reference']}/messages",
            json={"text": text},
            headers=self.headers(token or chat["token"], **options),
        )

    def read(self, chat: dict, after=None, token=None, ref=None, **options):
        query = "" if after is None else f"?after={after}"
        return self.client.get(
            f"/api/v1/chats/{ref or chat['reference']}/messages{query}",
            headers=self.headers(token or chat["token"], **options),
        )

    def act(self, chat: dict, action: str, token=None, ref=None, **options):
        return self.client.post(
            f"/api/v1/chats/{ref or chat['reference']}/{action}",
            headers=self.headers(token or chat["token"], **options),
        )


@pytest.fixture
def relay(client, key):
    return Relay(client, key)


def ticket_of(chat: dict) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.reference == chat["reference"]))


def in_russian(text: str, **values) -> str:
    with force_locale("ru"):
        return gettext(text, **values)


def iso_utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


def test_starting_a_chat_answers_its_reference_token_and_status_link(relay, operator):
    chat = relay.started()
    assert set(chat) == {"reference", "token", "status_url"}
    assert reference.is_valid(chat["reference"])
    assert chat["status_url"] == f"{BASE}/ru/status/{chat['token']}"
    ticket = ticket_of(chat)
    assert (ticket.channel, ticket.language, ticket.topic) == ("chat", "ru", "verification")
    assert (ticket.email, ticket.player_id, ticket.name) == ("", "", "")
    assert (ticket.verified_player_id, ticket.vip) == (None, None)
    assert ticket.source == "api:telegram-relay"
    # The status link opens the player's status page.
    page = relay.client.get(chat["status_url"].removeprefix(BASE), follow_redirects=True)
    assert chat["reference"] in page.get_data(as_text=True)


def test_the_conversation_with_the_bot_its_articles_and_a_cursor(relay, operator):
    chat = relay.started()
    read = relay.read(chat)
    assert read.status_code == 200
    data = read.get_json()
    assert set(data) == {"state", "queue_position", "messages"}
    assert (data["state"], data["queue_position"]) == ("bot", None)
    player, bot = data["messages"]
    assert set(player) == {"id", "at", "author", "name", "text", "articles"}
    assert (player["author"], player["text"], player["articles"]) == ("player", QUESTION_RU, [])
    assert bot["author"] == "bot" and bot["name"] == in_russian("Answer bot")
    assert bot["text"] == in_russian(
        "I'm the help center's answer bot, not a person. These articles may answer your question:"
    )
    assert 1 <= len(bot["articles"]) <= 3
    for article in bot["articles"]:
        assert set(article) == {"title", "url"}
        assert article["url"].startswith(f"{BASE}/ru/")
        assert re.search("[а-я]", article["title"].lower())
        assert relay.client.get(article["url"].removeprefix(BASE)).status_code == 200
    assert abs((utcnow() - iso_utc(player["at"])).total_seconds()) < 60
    assert player["id"] < bot["id"]
    # Only what came after the cursor.
    after = relay.read(chat, after=player["id"]).get_json()["messages"]
    assert [m["id"] for m in after] == [bot["id"]]
    assert relay.read(chat, after=bot["id"]).get_json()["messages"] == []
    # The poll says the player is there.
    assert ticket_of(chat).player_seen_at is not None


def test_a_bad_cursor_is_422_in_the_chats_language(relay, operator):
    chat = relay.started()
    response = relay.read(chat, after="abc")
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {"after": [in_russian("Must be the id of a message (a whole number), or 0.")]}
    }


def test_a_player_message_is_201_with_the_message(relay, operator):
    chat = relay.started(message=GREETING_RU)
    response = relay.say(chat, "  Мой депозит не пришёл  ")
    assert response.status_code == 201
    message = response.get_json()
    assert set(message) == {"id", "at", "author", "name", "text", "articles"}
    assert message["author"] == "player" and message["text"] == "Мой депозит не пришёл"
    assert message["articles"] == [] and message["name"] == ""
    iso_utc(message["at"])
    listed = relay.read(chat).get_json()["messages"]
    assert listed[-1] == message


def test_handoff_puts_the_chat_in_the_queue_with_a_position(relay, operator):
    first = relay.started(message=GREETING_RU)  # nothing to suggest: queued at once
    chat = relay.started()
    assert relay.read(chat).get_json()["queue_position"] is None
    response = relay.act(chat, "handoff")
    assert response.status_code == 200
    assert response.get_json() == {"state": "queued", "queue_position": 2}
    data = relay.read(chat).get_json()
    assert data["state"] == "queued" and data["queue_position"] == 2
    assert isinstance(data["queue_position"], int)
    assert data["messages"][-1]["author"] == "bot"
    assert relay.read(first).get_json()["queue_position"] == 1
    # Asking again changes nothing.
    assert relay.act(chat, "handoff").get_json() == {"state": "queued", "queue_position": 2}


def test_resolved_ends_the_chat_as_answered_by_the_bot(relay, operator):
    chat = relay.started()
    response = relay.act(chat, "resolved")
    assert response.status_code == 200
    assert response.get_json() == {"state": "ended", "queue_position": None}
    ticket = ticket_of(chat)
    assert (ticket.chat_state, ticket.chat_end_reason, ticket.state) == (
        "ended",
        "bot",
        "resolved",
    )
    data = relay.read(chat).get_json()
    assert data["state"] == "ended"
    assert data["messages"][-1]["text"] == in_russian(
        "Glad the article helped. This chat is now closed."
    )
    # Over: no more messages, no handoff, no second resolution.
    ended = in_russian("This chat has ended. You can follow your request on its status page.")
    for response in (
        relay.say(chat, "Ещё вопрос"),
        relay.act(chat, "handoff"),
        relay.act(chat, "resolved"),
    ):
        assert response.status_code == 409
        assert response.get_json() == {"errors": {"chat": [ended]}, "state": "ended"}


def test_resolved_is_409_once_a_person_has_the_chat(relay, operator):
    chat = relay.started(message=GREETING_RU)
    response = relay.act(chat, "resolved")
    assert response.status_code == 409
    assert response.get_json()["state"] == "queued"
    assert ticket_of(chat).chat_state == "queued"


def test_staff_lines_reach_the_relay_and_internal_notes_do_not(relay, operator):
    chat = relay.started(message=GREETING_RU)
    ticket = ticket_of(chat)
    services.accept(member=operator, ticket=ticket)
    services.note(member=operator, ticket=ticket_of(chat), text="Проверить платёж")
    services.staff_message(
        member=operator, ticket=ticket_of(chat), text="Здравствуйте! Чем помочь?"
    )
    messages = relay.read(chat).get_json()["messages"]
    assert [(m["author"], m["name"]) for m in messages] == [
        ("player", ""),
        ("bot", in_russian("Answer bot")),
        ("staff", ""),  # the system's "Aysel has joined the chat."
        ("staff", "Aysel"),
    ]
    assert messages[2]["text"] == in_russian("%(name)s has joined the chat.", name="Aysel")
    assert messages[3]["text"] == "Здравствуйте! Чем помочь?"
    assert all("Проверить" not in m["text"] for m in messages)
    assert relay.read(chat).get_json()["state"] == "active"


def test_a_message_over_the_limit_is_422_in_russian(relay, operator, ctx):
    chat = relay.started()
    limit = ctx.config["CHAT_MESSAGE_MAX"]
    too_long = "а" * (limit + 1)
    response = relay.say(chat, too_long)
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {"text": [f"Напишите не более {limit} символов (сейчас {limit + 1})."]}
    }
    assert relay.say(chat, "а" * limit).status_code == 201
    # The first message too.
    started = relay.start(message=too_long)
    assert started.status_code == 422
    assert started.get_json()["errors"] == {
        "message": [f"Напишите не более {limit} символов (сейчас {limit + 1})."]
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": ""}, "text", "Write your message."),
        ({"text": "  "}, "text", "Write your message."),
        ({"text": None}, "text", "Write your message."),
        ({"text": 5}, "text", "Write your message."),
        ({"text": "ok", "files": []}, "files", "Unknown field."),
        ({"text": "a\u202eb"}, "text", "Remove the invisible control characters from this field."),
        ([], "body", "The body must be a JSON object."),
    ],
)
def test_a_bad_message_body_is_422_in_the_chats_language(relay, operator, body, field, message):
    chat = relay.started()
    response = relay.client.post(
        f"/api/v1/chats/{chat['reference']}/messages",
        json=body,
        headers=relay.headers(chat["token"]),
    )
    assert response.status_code == 422
    assert response.get_json() == {"errors": {field: [in_russian(message)]}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"language": "de"}, "language"),
        ({"language": None}, "language"),
        ({"topic": "weather"}, "topic"),
        ({"topic": None}, "topic"),
        ({"message": "   "}, "message"),
        ({"email": "nope"}, "email"),
        ({"player_id": "P 1!"}, "player_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_an_invalid_start_is_422_and_starts_nothing(relay, operator, changes, field):
    response = relay.start(**changes)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.scalar(select(Ticket.id)) is None


def test_an_unknown_topic_is_told_in_the_chats_language(relay, operator):
    response = relay.start(topic="weather")
    assert response.get_json() == {
        "errors": {"topic": [in_russian("Choose one of the topics in the list.")]}
    }
    response = relay.start(topic=None)
    assert response.get_json() == {
        "errors": {"topic": [in_russian("Choose what your request is about.")]}
    }


def test_a_closed_chat_is_409_with_the_contact_form(relay, ctx):
    response = relay.start(language="az")
    assert response.status_code == 409
    data = response.get_json()
    assert data["contact_url"] == f"{BASE}/az/contact"
    with force_locale("az"):
        closed = gettext(
            "The live chat is closed right now. Send us a request through the contact "
            "form and we will answer you there."
        )
    assert data == {"errors": {"chat": [closed]}, "contact_url": f"{BASE}/az/contact"}
    assert relay.client.get("/az/contact").status_code == 200
    assert db.session.scalar(select(Ticket.id)) is None


def test_without_a_valid_api_key_every_endpoint_is_401(relay, operator, client):
    chat = relay.started()
    bad = {"Authorization": "Bearer hc_nope", "X-Chat-Token": chat["token"]}
    ref = chat["reference"]
    for headers in ({"X-Chat-Token": chat["token"]}, bad):
        for method, path in (
            ("post", "/api/v1/chats"),
            ("post", f"/api/v1/chats/{ref}/messages"),
            ("get", f"/api/v1/chats/{ref}/messages"),
            ("post", f"/api/v1/chats/{ref}/handoff"),
            ("post", f"/api/v1/chats/{ref}/resolved"),
        ):
            body = BODY if path.endswith("chats") else {"text": "hi"}
            response = getattr(client, method)(
                path, headers=headers, **({"json": body} if method == "post" else {})
            )
            assert response.status_code == 401, path
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.get_json() == {"error": "a valid API key is required"}
    assert ticket_of(chat).chat_state == "bot" and len(ticket_of(chat).messages) == 2


def test_a_wrong_missing_or_other_chats_token_is_404(relay, operator):
    mine = relay.started()
    other = relay.started(message=GREETING_RU)
    ticket = file_ticket(language="ru")  # a request from the contact form, not a chat
    not_a_chat = {"reference": ticket.ticket.reference, "token": ticket.token}
    cases = [
        (mine, "wrong-token", None),
        (mine, "", None),
        (mine, other["token"], None),  # another chat's valid token
        (other, mine["token"], None),
        (mine, mine["token"], "HC-0000000-0"),
        (not_a_chat, not_a_chat["token"], None),
    ]
    for chat, token, ref in cases:
        for response in (
            relay.say(chat, "Привет", token=token or " ", ref=ref),
            relay.read(chat, token=token or " ", ref=ref),
            relay.act(chat, "handoff", token=token or " ", ref=ref),
            relay.act(chat, "resolved", token=token or " ", ref=ref),
        ):
            assert response.status_code == 404
            assert response.get_json() == {"error": "no chat with this reference and token"}
    # Nothing was written to either chat.
    assert len(ticket_of(mine).messages) == 2 and ticket_of(mine).chat_state == "bot"
    assert len(ticket_of(other).messages) == 2
    # The reference as a person types it works with the right token.
    assert relay.read(mine, ref=mine["reference"].lower()).status_code == 200


def test_reads_are_limited_per_key_and_chat(relay, operator, ctx):
    chat = relay.started()
    ctx.config["API_READ_RATE_LIMIT"] = "2 per minute"
    assert relay.read(chat).status_code == 200
    assert relay.read(chat).status_code == 200
    limited = relay.read(chat)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    other = relay.started(message=GREETING_RU)
    assert relay.read(other).status_code == 200


# --- keys allowed to vouch (the casino's back office) ---------------------------------------------

NOT_YOURS = "This API key may not vouch for a player ID or VIP level."


@pytest.fixture
def casino(ctx, runner, client):
    result = runner.invoke(args=["api-key", "create", "--name", "back-office", "--vouch"])
    assert result.exit_code == 0, result.output
    return Relay(client, result.output.strip())


def test_a_vouching_key_starts_the_players_chat_with_its_vip_level(casino, operator):
    chat = casino.started(player_id="P-1001", vip="gold")
    ticket = ticket_of(chat)
    assert (ticket.player_id, ticket.verified_player_id, ticket.vip) == ("P-1001", "P-1001", "gold")
    assert ticket.source == "api:back-office"


@pytest.mark.parametrize(
    "changes", [{"player_id": "P-1001"}, {"vip": "gold"}, {"player_id": "P-1", "vip": "silver"}]
)
def test_any_other_key_sending_a_player_id_or_vip_level_starts_nothing(relay, operator, changes):
    response = relay.start(**changes)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {name: [in_russian(NOT_YOURS)] for name in changes}}
    assert db.session.scalar(select(Ticket.id)) is None


@pytest.mark.parametrize(("changes", "field"), [({"vip": "diamond"}, "vip"), ({"vip": 1}, "vip")])
def test_a_vouching_key_with_an_unknown_vip_level_starts_nothing(casino, operator, changes, field):
    response = casino.start(player_id="P-1001", **changes)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    assert db.session.scalar(select(Ticket.id)) is None
