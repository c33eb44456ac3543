"""Keys allowed to vouch (the casino's back office): the player ID and VIP level they file
with, the refusal of both from any other key, and a player's requests listed for them."""

from datetime import datetime, timedelta

import pytest
import yaml
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from helpcenter import support
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets import services, states
from helpcenter.tickets.models import Ticket
from tests.contact.conftest import file_ticket
from tests.contact.test_api import BODY, post, tickets

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

NOT_YOURS = "This API key may not vouch for a player ID or VIP level."
STAFF = services.Actor(states.STAFF, "Aysel", "operator")


@pytest.fixture
def key(ctx, runner):
    """An ordinary integration's key."""
    return runner.invoke(args=["api-key", "create", "--name", "telegram-bot"]).output.strip()


@pytest.fixture
def casino(ctx, runner):
    """The casino back office's key, allowed to vouch."""
    result = runner.invoke(args=["api-key", "create", "--name", "back-office", "--vouch"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def in_language(lang: str, text: str, **values) -> str:
    with force_locale(lang):
        return gettext(text, **values)


def only_ticket() -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket))


# --- filing ---------------------------------------------------------------------------------------


def test_a_vouching_key_files_the_players_request_with_its_vip_level(ctx, client, casino):
    response = post(client, {**BODY, "player_id": "P-1001", "vip": "gold"}, casino)
    assert response.status_code == 201, response.get_json()
    ticket = only_ticket()
    assert (ticket.player_id, ticket.verified_player_id, ticket.vip) == ("P-1001", "P-1001", "gold")
    assert ticket.source == "api:back-office"


@pytest.mark.parametrize(
    ("changes", "vip"), [({}, None), ({"player_id": None, "vip": None}, None), ({"vip": ""}, None)]
)
def test_a_vouching_key_may_leave_both_out(ctx, client, casino, changes, vip):
    assert post(client, {**BODY, **changes}, casino).status_code == 201
    ticket = only_ticket()
    assert (ticket.player_id, ticket.verified_player_id, ticket.vip) == ("", None, vip)


@pytest.mark.parametrize(
    "changes",
    [
        {"player_id": "P-1001"},
        {"vip": "gold"},
        {"player_id": "P-1001", "vip": "platinum"},
        {"vip": 3},
        {"player_id": "not an id!"},
    ],
)
@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_any_other_key_sending_a_player_id_or_vip_level_files_nothing(
    ctx, client, key, changes, lang
):
    response = post(client, {**BODY, "language": lang, **changes}, key)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors == {name: [in_language(lang, NOT_YOURS)] for name in changes}
    assert tickets(ctx) == 0


def test_the_refusal_is_said_in_english_when_so_asked(ctx, client, key):
    response = post(client, {**BODY, "language": "en", "player_id": "P-1"}, key)
    assert response.get_json() == {"errors": {"player_id": [NOT_YOURS]}}


def test_an_ordinary_key_still_files_without_them_and_vouches_for_nobody(ctx, client, key):
    assert post(client, {**BODY, "player_id": "", "vip": None}, key).status_code == 201
    ticket = only_ticket()
    assert (ticket.player_id, ticket.verified_player_id, ticket.vip) == ("", None, None)


@pytest.mark.parametrize(
    ("vip", "message"),
    [
        ("diamond", "Must be one of: {levels}."),
        ("Gold", "Must be one of: {levels}."),
        (7, "Must be a string or null."),
    ],
)
def test_an_unknown_vip_level_is_422(ctx, client, casino, vip, message):
    levels = support.current().vip_levels
    assert "gold" in levels and "Gold" not in levels
    response = post(client, {**BODY, "language": "en", "player_id": "P-1", "vip": vip}, casino)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"vip": [message.format(levels=", ".join(levels))]}}
    assert tickets(ctx) == 0


def test_without_vip_levels_in_support_yml_no_level_is_accepted(ctx, client, casino, tmp_path):
    shipped = yaml.safe_load(support.SUPPORT_FILE.read_text(encoding="utf-8"))
    del shipped["vip"]
    (tmp_path / "support.yml").write_text(yaml.safe_dump(shipped), encoding="utf-8")
    ctx.config["SUPPORT_FILE"] = str(tmp_path / "support.yml")
    assert support.current().vip_levels == ()
    response = post(client, {**BODY, "language": "en", "vip": "gold"}, casino)
    assert response.get_json() == {"errors": {"vip": ["This help center has no VIP levels."]}}


def test_a_vouched_player_id_follows_the_contact_forms_rules(ctx, client, casino):
    response = post(client, {**BODY, "language": "en", "player_id": "P 1!"}, casino)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "player_id": ["Use only Latin letters (A–Z), digits, - and _."]
    }


def test_withdrawing_vouching_applies_to_the_keys_next_request(ctx, client, casino, runner):
    body = {**BODY, "player_id": "P-1001", "vip": "gold"}
    assert runner.invoke(args=["api-key", "forbid-vouching", "back-office"]).exit_code == 0
    assert post(client, body, casino).status_code == 422
    assert runner.invoke(args=["api-key", "allow-vouching", "back-office"]).exit_code == 0
    assert post(client, body, casino).status_code == 201


def test_the_idempotency_key_covers_the_vip_level(ctx, client, casino):
    body = {**BODY, "player_id": "P-1001", "vip": "gold"}
    first = post(client, body, casino, **{"Idempotency-Key": "order-1"})
    again = post(client, body, casino, **{"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    other = post(client, {**body, "vip": "silver"}, casino, **{"Idempotency-Key": "order-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]
    assert tickets(ctx) == 1


# --- a player's requests --------------------------------------------------------------------------


def listed(client, key, player_id="P-1001", **query):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(f"/api/v1/players/{player_id}/tickets", headers=headers, query_string=query)


def filed_for(player_id, hours_ago: int, **changes) -> services.Filed:
    return file_ticket(
        now=utcnow() - timedelta(hours=hours_ago), verified_player_id=player_id, **changes
    )


def test_listing_takes_a_key_allowed_to_vouch(ctx, client, key, casino):
    nobody = listed(client, None)
    assert nobody.status_code == 401 and nobody.headers["WWW-Authenticate"] == "Bearer"
    wrong = listed(client, "hc_nope")
    assert wrong.status_code == 401
    ordinary = listed(client, key)
    assert ordinary.status_code == 403
    assert ordinary.get_json() == {"error": "this API key may not read players' requests"}
    assert listed(client, casino).status_code == 200


def test_an_unknown_player_has_no_requests(ctx, client, casino):
    response = listed(client, casino, "P-404")
    assert response.status_code == 200
    assert response.get_json() == {"player_id": "P-404", "tickets": [], "next": None}


def test_exactly_the_requests_vouched_for_as_the_players_newest_first(ctx, client, casino):
    oldest = filed_for("P-1001", 30, vip="gold")
    chat = filed_for("P-1001", 2, channel="chat", subject="Live chat")
    newest = filed_for("P-1001", 1)
    filed_for("P-2002", 1)  # another player's
    typed = file_ticket(player_id="P-1001")  # anybody may type a player ID: not theirs
    response = listed(client, casino)
    assert response.status_code == 200
    data = response.get_json()
    assert data["player_id"] == "P-1001" and data["next"] is None
    references = [t["reference"] for t in data["tickets"]]
    assert references == [newest.ticket.reference, chat.ticket.reference, oldest.ticket.reference]
    assert typed.ticket.reference not in response.get_data(as_text=True)
    first = data["tickets"][0]
    assert set(first) == {
        "reference",
        "channel",
        "topic",
        "subject",
        "language",
        "state",
        "tier",
        "vip",
        "created_at",
        "updated_at",
        "next_deadline",
        "resolved_at",
        "closed_at",
    }
    assert data["tickets"][1]["channel"] == "chat"
    assert data["tickets"][2]["vip"] == "gold" and first["vip"] is None
    assert (first["state"], first["tier"], first["topic"]) == ("received", "operator", "payments")
    assert datetime.fromisoformat(first["created_at"]).utcoffset() is not None
    assert first["resolved_at"] is None and first["closed_at"] is None


def test_the_next_deadline_and_never_a_token_or_an_internal_note(ctx, client, casino):
    filed = filed_for("P-1001", 1)
    ticket = filed.ticket

    def shown() -> dict:
        response = listed(client, casino)
        text = response.get_data(as_text=True)
        assert filed.token not in text and "token" not in text
        assert "Checked the card processor" not in text
        return response.get_json()["tickets"][0]

    def at(text):
        return datetime.fromisoformat(text)

    services.note(ticket, STAFF, "Checked the card processor: nothing yet")
    assert at(shown()["next_deadline"]) == ticket.first_response_due_at
    services.reply(ticket, STAFF, "We are looking into it.")
    assert at(shown()["next_deadline"]) == ticket.resolution_due_at
    services.resolve(ticket, STAFF, "Credited.")
    resolved = shown()
    assert resolved["next_deadline"] is None and resolved["state"] == "resolved"
    assert at(resolved["resolved_at"]) == ticket.resolved_at


def test_pages_follow_a_cursor(ctx, client, casino):
    refs = [filed_for("P-1001", hours).ticket.reference for hours in (1, 2, 3, 4, 5)]
    first = listed(client, casino, limit="2").get_json()
    assert [t["reference"] for t in first["tickets"]] == refs[:2]
    assert first["next"] == f"/api/v1/players/P-1001/tickets?limit=2&before={refs[1]}"
    # A request filed meanwhile does not shift the pages.
    filed_for("P-1001", 0)
    second = client.get(first["next"], headers={"Authorization": f"Bearer {casino}"}).get_json()
    assert [t["reference"] for t in second["tickets"]] == refs[2:4]
    third = client.get(second["next"], headers={"Authorization": f"Bearer {casino}"}).get_json()
    assert [t["reference"] for t in third["tickets"]] == refs[4:] and third["next"] is None
    assert len(listed(client, casino).get_json()["tickets"]) == 6  # 50 by default


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"before": "HC-00000000-0"}, "before"),
        ({"before": "nonsense"}, "before"),
        ({"before": "other"}, "before"),
    ],
)
def test_a_bad_limit_or_cursor_is_422(ctx, client, casino, query, field):
    filed_for("P-1001", 1)
    if query.get("before") == "other":
        query = {"before": filed_for("P-2002", 1).ticket.reference}  # another player's
    response = listed(client, casino, **query)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]


def test_listing_is_limited_per_key(ctx, client, casino):
    ctx.config["API_READ_RATE_LIMIT"] = "2 per minute"
    codes = [listed(client, casino, player).status_code for player in ("P-1", "P-2", "P-3")]
    assert codes == [200, 200, 429]


def test_no_request_is_filed_or_listed_by_a_typed_player_id(ctx, client, key, casino):
    assert post(client, {**BODY, "player_id": "P-1001"}, key).status_code == 422
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert post(client, {**BODY, "player_id": "P-1001"}, casino).status_code == 201
    assert len(listed(client, casino).get_json()["tickets"]) == 1
