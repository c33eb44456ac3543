"""A player signed in from the casino: prefilled forms, "My requests", their own status and chat
pages without a token or email, the header's marker; all through the real app and database."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.players import services as players
from helpcenter.players.models import Player, UsedSignInToken
from helpcenter.tickets.models import Ticket
from tests.conftest import csrf_token, make_app
from tests.contact.conftest import FORM, file_ticket, text
from tests.contact.conftest import Player as Browser
from tests.players.conftest import SECRET, hs256, player_of, sign_in

LEYLA = {"sub": "P-100234", "email": "leyla@example.com", "name": "Leyla Məmmədova", "vip": "gold"}
RAUF = {"sub": "P-200777", "email": "rauf@example.com", "name": "Rauf Əliyev", "vip": None}


def ticket(app, reference: str) -> Ticket:
    with app.app_context():
        found = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        db.session.expunge(found)
        return found


def file_signed_in(client, **changes) -> str:
    """File the contact form as the signed-in browser would; the reference filed."""
    browser = Browser(client)
    response = browser.contact(**changes)
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>(.*?)</p>', text(response))
    with client.session_transaction() as session:
        return session["filed"]["reference"]


def file_anonymously(app, email: str, player_id: str = "") -> str:
    with app.test_request_context():
        return file_ticket(email=email, player_id=player_id).ticket.reference


# --- the contact form -----------------------------------------------------------------------------


def test_the_contact_form_is_prefilled_read_only_and_files_as_the_vouched_player(loaded, client):
    sign_in(client, **LEYLA)
    page = text(client.get("/en/contact"))
    for name, value in (("email", "leyla@example.com"), ("player_id", "P-100234")):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert f'value="{value}"' in field and "readonly" in field
    assert "these details come from it and cannot be changed here" in page

    # What the browser posts instead of the vouched details does not count.
    reference = file_signed_in(client, email="someone@else.example", player_id="P-1", name="X")
    filed = ticket(loaded, reference)
    assert (filed.email, filed.name, filed.player_id) == (
        "leyla@example.com",
        "Leyla Məmmədova",
        "P-100234",
    )
    assert (filed.verified_player_id, filed.vip) == ("P-100234", "gold")


def test_a_player_cannot_make_themselves_vip_or_vouched_through_the_form(loaded, client):
    reference = file_signed_in(client, vip="platinum", verified_player_id="P-100234")
    filed = ticket(loaded, reference)
    assert filed.vip is None and filed.verified_player_id is None
    assert filed.player_id == FORM["player_id"]  # typed, not vouched


# --- "My requests" and the status pages -----------------------------------------------------------


def test_my_requests_lists_exactly_the_players_own_requests(loaded, client):
    # Typed by a stranger with Leyla's player ID, never vouched: not hers to see.
    typed = file_anonymously(loaded, "stranger@example.com", player_id="P-100234")
    sign_in(client, **LEYLA)
    first = file_signed_in(client, subject="First request of Leyla")
    second = file_signed_in(
        client, subject="Second request of Leyla", submission="another-form-token-1"
    )

    rauf = loaded.test_client()
    sign_in(rauf, **RAUF)
    raufs = file_signed_in(rauf, subject="Rauf's own request")

    sent = text(client.get("/en/contact/sent"))
    assert 'you also find it in <a href="/en/requests">My requests</a>' in sent
    assert "My requests</a> lists all your requests" in text(client.get("/en/status"))

    page = text(client.get("/en/requests"))
    assert "Second request of Leyla" in page and "First request of Leyla" in page
    assert page.index("Second request of Leyla") < page.index("First request of Leyla")
    assert raufs not in page and "Rauf" not in page and typed not in page
    assert "With an operator" in page and "First answer by" in page

    other = text(rauf.get("/en/requests"))
    assert raufs in other and first not in other and second not in other


def test_the_player_opens_their_own_status_page_without_token_or_email(loaded, client):
    sign_in(client, **LEYLA)
    reference = file_signed_in(client)
    # A new browser of the same player: no grant, no token, only the sign-in.
    again = loaded.test_client()
    sign_in(again, **LEYLA)
    response = again.get(f"/en/status/{reference}")
    assert response.status_code == 200
    assert FORM["subject"] in text(response)

    rauf = loaded.test_client()
    sign_in(rauf, **RAUF)
    assert rauf.get(f"/en/status/{reference}").status_code == 404
    assert loaded.test_client().get(f"/en/status/{reference}").status_code == 404


def test_earlier_requests_with_the_verified_email_are_linked_at_the_first_sign_in(loaded, client):
    earlier = file_anonymously(loaded, "Leyla@Example.com")
    someone_elses = file_anonymously(loaded, "other@example.com")
    sign_in(client, **LEYLA)
    page = text(client.get("/en/requests"))
    assert earlier in page and someone_elses not in page
    assert client.get(f"/en/status/{earlier}").status_code == 200
    with loaded.app_context():
        assert db.session.scalar(select(Player.player_id)) == "P-100234"


def test_my_requests_without_sign_in_explains_and_without_sso_does_not_exist(
    loaded, client, migrated_url, tmp_path
):
    page = text(client.get("/en/requests"))
    assert "Open the help center from your casino account" in page
    plain = make_app(migrated_url, tmp_path / "plain")
    assert plain.test_client().get("/en/requests").status_code == 404


def test_my_requests_pages_older_requests(loaded, client, monkeypatch):
    from helpcenter.players import views

    monkeypatch.setattr(views, "REQUESTS_PER_PAGE", 2)
    sign_in(client, **LEYLA)
    now = datetime.now(UTC)
    with loaded.test_request_context():
        for n in range(3):
            file_ticket(
                now=now - timedelta(hours=3 - n),
                subject=f"Request number {n}",
                email="leyla@example.com",
                verified_player_id="P-100234",
            )
    first = text(client.get("/en/requests"))
    assert "Request number 2" in first and "Request number 1" in first
    assert "Request number 0" not in first
    older = re.search(r'href="(/en/requests\?before=[^"]+)"', first).group(1)
    second = text(client.get(older.replace("&amp;", "&")))
    assert "Request number 0" in second and "Request number 2" not in second
    # A cursor that is not one of hers shows the newest again, not an error.
    assert "Request number 2" in text(client.get("/en/requests?before=HC-XXXXXXXX-1"))


# --- the chat -------------------------------------------------------------------------------------


def test_a_signed_in_chat_is_vouched_and_opens_in_the_players_other_browser(
    loaded, client, operator
):
    sign_in(client, **LEYLA)
    page = text(client.get("/en/chat"))
    field = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    assert 'value="leyla@example.com"' in field and "readonly" in field
    response = client.post(
        "/en/chat",
        data={
            "topic": "verification",
            "message": "Hello",
            "email": "not-me@example.com",
            "csrf_token": csrf_token(page),
        },
    )
    path = urlsplit(response.headers["Location"]).path
    filed = ticket(loaded, path.rsplit("/", 1)[1])
    assert (filed.email, filed.verified_player_id, filed.vip) == (
        "leyla@example.com",
        "P-100234",
        "gold",
    )

    again = loaded.test_client()
    sign_in(again, **LEYLA)
    page = text(again.get(path))
    assert "Hello" in page
    # The other browser writes in the chat too, and the first one sees it.
    sent = again.post(
        f"{path}/messages", data={"text": "From my phone", "csrf_token": csrf_token(page)}
    )
    assert sent.status_code == 303
    assert "From my phone" in text(client.get(path))
    rauf = loaded.test_client()
    sign_in(rauf, **RAUF)
    assert rauf.get(path).status_code == 404


def test_the_chat_rating_asks_the_nps_question_too(loaded, client, operator):
    page = text(client.get("/en/chat"))
    response = client.post(
        "/en/chat",
        data={
            "topic": "verification",
            "message": "How do I verify my account? Which documents are needed?",
            "csrf_token": csrf_token(page),
        },
    )
    path = urlsplit(response.headers["Location"]).path
    page = text(client.get(path))
    client.post(f"{path}/resolved", data={"csrf_token": csrf_token(page)})
    page = text(client.get(path))
    assert "How likely are you to recommend us to a friend?" in page
    response = client.post(
        f"{path}/rate",
        data={"rating-score": "4", "rating-nps": "9", "rating-csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303
    filed = ticket(loaded, path.rsplit("/", 1)[1])
    assert (filed.rating, filed.nps_score) == (4, 9)


# --- the header, sign-in limits and housekeeping --------------------------------------------------


def test_the_header_names_the_signed_in_player_on_cached_pages_only_for_them(loaded, client):
    sign_in(client, **LEYLA)
    mine = client.get("/en/")
    assert "Signed in as Leyla Məmmədova" in text(mine) and "/en/requests" in text(mine)
    assert mine.headers["Cache-Control"] == "private, no-store"
    # The same cached page for a stranger: no name, no marker left over.
    stranger = loaded.test_client().get("/en/")
    assert "Leyla" not in text(stranger) and "<!--player-" not in text(stranger)
    assert "Cache-Control" not in stranger.headers

    client.post("/en/sso/sign-out", data={"csrf_token": csrf_token(text(mine))})
    assert player_of(client) is None
    assert "Signed in as" not in text(client.get("/en/"))


def _with_sub(token: str, sub: str) -> str:
    """`token` with another player ID in its payload and its old signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = sub
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_token_changed_to_another_player_id_is_refused(client):
    response = client.get("/en/sso", query_string={"jwt": _with_sub(hs256(**LEYLA), "P-200777")})
    assert response.status_code == 401 and player_of(client) is None


def test_sign_ins_are_rate_limited_per_address(migrated_url, tmp_path, jwks_file):
    from tests.conftest import empty_tables
    from tests.players.conftest import _app

    app = _app(migrated_url, tmp_path, SSO_SECRET=SECRET, SSO_RATE_LIMIT="2 per minute")
    try:
        client = app.test_client()
        for _ in range(2):
            client.get("/en/sso", query_string={"jwt": hs256()})
        response = client.get("/en/sso", query_string={"jwt": hs256()})
        assert response.status_code == 429
        assert "Too many attempts" in text(response) and player_of(client) is not None
    finally:
        empty_tables(app)


def test_the_worker_forgets_used_tokens_once_they_expired(app):
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add_all(
            [
                UsedSignInToken(jti="old", expires_at=now - timedelta(minutes=5), used_at=now),
                UsedSignInToken(jti="live", expires_at=now + timedelta(minutes=2), used_at=now),
            ]
        )
        db.session.commit()
        assert players.forget_used_tokens(now) == 1
        assert db.session.scalars(select(UsedSignInToken.jti)).all() == ["live"]


def test_another_player_signing_in_on_the_same_device_gets_none_of_the_first_ones_requests(
    loaded, client
):
    looked_up = file_anonymously(loaded, "family@example.com")
    client.post(
        "/en/status",
        data={
            "reference": looked_up,
            "email": "family@example.com",
            "csrf_token": csrf_token(text(client.get("/en/status"))),
        },
    )
    assert client.get(f"/en/status/{looked_up}").status_code == 200
    sign_in(client, **LEYLA)
    assert client.get(f"/en/status/{looked_up}").status_code == 200  # the same person
    sign_in(client, **RAUF)
    assert client.get(f"/en/status/{looked_up}").status_code == 404
    assert player_of(client)["player_id"] == "P-200777"


def test_the_cli_prints_a_link_that_signs_the_player_in_once(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "sso", "link", "--player-id", "P-100234", "--email", "leyla@example.com",
            "--name", "Leyla", "--lang", "ru", "--vip", "gold", "--next", "/ru/requests",
            "--base-url", "https://help.example",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("https://help.example/ru/sso?jwt=")
    path = url.removeprefix("https://help.example")
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"] == "/ru/requests"
    assert player_of(client) == {
        "player_id": "P-100234",
        "email": "leyla@example.com",
        "name": "Leyla",
        "lang": "ru",
        "vip": "gold",
    }
    assert app.test_client().get(path).status_code == 401  # used once

    refused = runner.invoke(
        args=["sso", "link", "--player-id", "P 1", "--email", "a@b.c", "--name", "A"]
    )
    assert refused.exit_code == 2 and "--player-id" in refused.output
    refused = runner.invoke(
        args=["sso", "link", "--player-id", "P1", "--email", "a@b.c", "--name", "A", "--vip", "x"]
    )
    assert refused.exit_code == 2 and "platinum, gold, silver" in refused.output


def test_without_a_secret_the_cli_says_there_is_no_sign_on(migrated_url, tmp_path):
    plain = make_app(migrated_url, tmp_path / "plain")
    result = plain.test_cli_runner().invoke(
        args=["sso", "link", "--player-id", "P1", "--email", "a@b.c", "--name", "A"]
    )
    assert result.exit_code == 2 and "HELPCENTER_SSO_SECRET is not set" in result.output
