"""Retries that never file twice: the API's Idempotency-Key and the contact form's token."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.tickets import services
from helpcenter.tickets.models import IdempotentRequest, OutboxEmail, Ticket
from tests.conftest import csrf_token, eventually
from tests.contact.conftest import FORM, post_multipart
from tests.contact.conftest import text as page_text

BODY = {
    "topic": "payments",
    "subject": "Deposit not credited",
    "description": "I paid 50 AZN by card an hour ago and my balance did not change.",
    "email": "bot-user@example.com",
    "language": "en",
    "channel": "email",
    "transaction_id": "TX-777",
}


def new_key(runner, name: str) -> str:
    return runner.invoke(args=["api-key", "create", "--name", name]).output.strip()


@pytest.fixture
def key(ctx, runner):
    return new_key(runner, "telegram-bot")


def post(client, key, body=BODY, idempotency_key="retry-4f1c2a"):
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post("/api/v1/tickets", json=body, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_retry_gets_the_first_answer_and_files_nothing(ctx, client, key):
    first = post(client, key)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # The same request again, the keys of its JSON in another order: the same request.
    retry = post(client, key, dict(reversed(BODY.items())))
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert (count(Ticket), count(OutboxEmail)) == (1, 1)
    # The replayed private link is the one that works.
    path = retry.get_json()["status_url"].removeprefix("http://127.0.0.1:5000")
    assert first.get_json()["reference"] in page_text(client.get(path))


def test_without_a_key_every_post_files(ctx, client, key):
    assert post(client, key, idempotency_key=None).status_code == 201
    assert post(client, key, idempotency_key=None).status_code == 201
    assert count(Ticket) == 2


def test_the_same_key_with_another_body_is_422(ctx, client, key):
    assert post(client, key).status_code == 201
    response = post(client, key, {**BODY, "language": "ru", "subject": "Another problem"})
    assert response.status_code == 422
    # In the language the (second) request names, like every validation message of the API.
    assert response.get_json() == {
        "errors": {"Idempotency-Key": ["Этот ключ уже использован с другим запросом."]}
    }
    assert count(Ticket) == 1


@pytest.mark.parametrize("value", ["", "x" * 256, "clé", "line\tbreak"])
def test_a_malformed_key_is_422_naming_the_header(ctx, client, key, value):
    response = post(client, key, idempotency_key=value)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["Idempotency-Key"]
    assert count(Ticket) == 0


def test_the_longest_printable_key_is_accepted(ctx, client, key):
    value = "~ !" + "k" * 252
    assert post(client, key, idempotency_key=value).status_code == 201
    assert post(client, key, idempotency_key=value).headers["Idempotent-Replayed"] == "true"


def test_keys_belong_to_one_api_key(ctx, client, runner, key):
    other = new_key(runner, "whatsapp-bot")
    first, second = post(client, key), post(client, other)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert first.get_json()["reference"] != second.get_json()["reference"]
    assert count(Ticket) == 2


@pytest.mark.parametrize(("hours", "is_replay"), [(23, True), (25, False)])
def test_a_key_replays_for_24_hours(ctx, client, key, hours, is_replay):
    first = post(client, key).get_json()
    db.session.execute(
        update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=hours))
    )
    db.session.commit()
    retry = post(client, key)
    assert retry.status_code == 201
    assert (retry.headers.get("Idempotent-Replayed") == "true") is is_replay
    assert (retry.get_json() == first) is is_replay
    assert count(Ticket) == (1 if is_replay else 2)
    # A retry of the new filing replays the new one.
    assert post(client, key).get_json() == retry.get_json()


class HeldFiling(threading.Thread):
    """`file_ticket` with the request's key, held just before its commit until released."""

    def __init__(self, app, body: dict, *, crash: bool = False):
        super().__init__()
        self.app, self.body, self.crash = app, body, crash
        self.held, self.release = threading.Event(), threading.Event()
        self.reference = self.error = None

    def _hold(self, session) -> None:
        self.held.set()
        self.release.wait(30)
        if self.crash:
            raise RuntimeError("the worker died before the commit")

    def run(self) -> None:
        with self.app.app_context():
            event.listen(db.session(), "before_commit", self._hold)
            idempotency = services.Idempotency(
                "api:telegram-bot", "retry-4f1c2a", services.request_hash(self.body)
            )
            new = services.NewTicket(**{**self.body, "source": "api:telegram-bot"})
            try:
                self.reference = services.file_ticket(new, idempotency=idempotency).ticket.reference
            except RuntimeError as error:
                self.error = error
            finally:
                db.session.remove()


def wait_for_a_lock_wait() -> None:
    """Poll PostgreSQL until a session waits for a row lock (the retry waits for the first)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )

    def waiting() -> int:
        with db.engine.connect() as connection:
            return connection.scalar(query)

    eventually(waiting, seconds=20, what="the retry waiting for the first request")


@pytest.mark.parametrize("crash", [False, True])
def test_a_retry_during_the_first_filing_waits_for_its_outcome(app, ctx, client, key, crash):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("observes PostgreSQL's lock wait")
    body = {**BODY, "contact": "", "name": "", "player_id": ""}
    first = HeldFiling(app, body, crash=crash)
    first.start()
    answers = []
    retry = threading.Thread(target=lambda: answers.append(post(client, key, body)))
    try:
        assert first.held.wait(20)
        retry.start()
        wait_for_a_lock_wait()
    finally:
        first.release.set()
        first.join(20)
        if retry.ident is not None:
            retry.join(20)
    (answer,) = answers
    assert answer.status_code == 201
    db.session.rollback()
    (reference,) = db.session.scalars(select(Ticket.reference)).all()
    assert answer.get_json()["reference"] == reference
    if crash:
        # The first request left nothing behind; the retry filed the request.
        assert first.error is not None and "Idempotent-Replayed" not in answer.headers
    else:
        # The first request's ticket, answered again.
        assert first.reference == reference and answer.headers["Idempotent-Replayed"] == "true"
    assert count(OutboxEmail) == 1


def test_the_worker_forgets_keys_older_than_24_hours(ctx, client, key):
    post(client, key, idempotency_key="old")
    post(client, key, idempotency_key="recent")
    db.session.execute(
        update(IdempotentRequest)
        .where(IdempotentRequest.key == "old")
        .values(created_at=utcnow() - timedelta(hours=24, seconds=1))
    )
    db.session.commit()
    assert services.forget_idempotency_keys() == 1
    assert db.session.scalars(select(IdempotentRequest.key)).all() == ["recent"]
    assert count(Ticket) == 2


# --- the contact form ----------------------------------------------------------------------------


def fresh_form(client) -> dict:
    page = page_text(client.get("/en/contact"))
    submission = re.search(r'name="submission" type="hidden" value="([^"]+)"', page).group(1)
    return {**FORM, "csrf_token": csrf_token(page), "submission": submission}


def confirmation(client, response) -> tuple[str, str]:
    """The reference and the private link on the page the form led to."""
    assert response.status_code == 303, page_text(response)[:2000]
    page = page_text(client.get(response.headers["Location"]))
    reference = re.search(r'<p class="reference"[^>]*><strong>([^<]+)</strong>', page).group(1)
    link = re.search(r'class="private-url" href="([^"]+)"', page).group(1)
    return reference, link


def forget_the_answer(client) -> None:
    """The browser never saw the first answer (a second click, or a connection that broke)."""
    with client.session_transaction() as session:
        del session["filed"], session["tickets"]


def test_every_rendered_form_has_its_own_token(loaded, client):
    assert fresh_form(client)["submission"] != fresh_form(client)["submission"]


@pytest.mark.parametrize("changes", [{}, {"description": "Sent again after a change: " * 3}])
def test_a_form_sent_twice_files_one_request(loaded, client, changes):
    data = fresh_form(client)
    first = confirmation(client, post_multipart(client, "/en/contact", data))
    forget_the_answer(client)
    again = confirmation(client, post_multipart(client, "/en/contact", {**data, **changes}))
    assert again == first
    with loaded.app_context():
        assert (count(Ticket), count(OutboxEmail)) == (1, 1)


def test_two_forms_file_two_requests(loaded, client):
    first = confirmation(client, post_multipart(client, "/en/contact", fresh_form(client)))
    second = confirmation(client, post_multipart(client, "/en/contact", fresh_form(client)))
    assert first[0] != second[0]
    with loaded.app_context():
        assert count(Ticket) == 2


def test_a_form_that_failed_validation_keeps_its_token(loaded, client):
    data = fresh_form(client)
    refused = post_multipart(client, "/en/contact", {**data, "subject": ""})
    assert refused.status_code == 422
    assert f'value="{data["submission"]}"' in page_text(refused)
    confirmation(client, post_multipart(client, "/en/contact", data))
    confirmation(client, post_multipart(client, "/en/contact", data))
    with loaded.app_context():
        assert count(Ticket) == 1
