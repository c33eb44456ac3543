"""The chat pages' polls: an unchanged chat is answered before Flask from one read, and only to
whoever holds a tag of it; anything else gets Flask's full answer."""

import re
import time

from sqlalchemy import event

from helpcenter.chat import polling, services
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.tickets.models import Ticket
from tests.chat.test_player_pages import (
    HTMX,
    poll_url,
    started,
    ticket_of,
)
from tests.contact.conftest import text


def before_flask(response) -> bool:
    """Answered by the layer in front of Flask: none of Flask's headers (its CSP, say)."""
    return "Content-Security-Policy" not in response.headers


def statements(app, call):
    """`call()`'s answer and the SQL statements the fast path's pool ran meanwhile."""
    engine = polling.FastPolls(None, app).engine()
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        return call(), seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def staff_message(app, ticket_id: int, member_id: int, message: str) -> None:
    with app.test_request_context():
        member = db.session.get(staff.StaffMember, member_id)
        chat = db.session.get(Ticket, ticket_id)
        if chat.chat_state == "queued":
            services.accept(member=member, ticket=chat)
        services.staff_message(member=member, ticket=chat, text=message)


def with_tag(url: str, tag: str) -> str:
    return re.sub(r"tag=[^&]*", f"tag={tag}", url)


def test_an_unchanged_chat_is_answered_before_flask_from_one_read(app, client, operator):
    path = started(client)
    poll = poll_url(path, text(client.get(path)))
    answer, sql = statements(app, lambda: client.get(poll, headers=HTMX))
    assert answer.status_code == 204 and answer.get_data() == b""
    assert before_flask(answer) and "Set-Cookie" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    assert len(sql) == 1


def test_flask_answers_the_same_when_the_fast_path_cannot(app, client, operator, monkeypatch):
    path = started(client)
    poll = poll_url(path, text(client.get(path)))

    def broken(self):
        raise ConnectionError("the fast path's pool is away")

    monkeypatch.setattr(polling.FastPolls, "engine", broken)
    answer = client.get(poll, headers=HTMX)
    assert answer.status_code == 204 and not before_flask(answer)


def test_a_changed_chat_gets_the_new_messages_and_a_new_tag(app, client, operator):
    path = started(client)
    poll = poll_url(path, text(client.get(path)))
    staff_message(app, ticket_of(app, path).id, operator, "Salam, mən Aysel.")
    answer = client.get(poll, headers=HTMX)
    assert answer.status_code == 200 and "Salam, mən Aysel." in text(answer)
    assert client.get(poll_url(path, text(answer)), headers=HTMX).status_code == 204


def test_a_waiting_player_sees_the_queue_move(app, client, operator):
    ahead = started(app.test_client())
    path = started(client)
    page = text(client.get(path))
    assert "You are number 2 in line" in page
    poll = poll_url(path, page)
    assert client.get(poll, headers=HTMX).status_code == 204
    staff_message(app, ticket_of(app, ahead).id, operator, "Hello")  # accepts the first chat
    answer = client.get(poll, headers=HTMX)
    assert answer.status_code == 200 and "You are number 1 in line" in text(answer)


def test_a_forged_moved_or_old_tag_goes_to_flask(app, client, operator):
    first = started(client)
    second = started(client)
    poll = poll_url(first, text(client.get(first)))
    tag = re.search(r"tag=([^&]*)", poll).group(1)
    # One character of the signature changed.
    forged = tag[:-1] + ("A" if tag[-1] != "A" else "B")
    answer = client.get(with_tag(poll, forged), headers=HTMX)
    assert answer.status_code == 200 and not before_flask(answer)
    # The first chat's tag on the second chat's poll.
    moved = poll_url(second, text(client.get(second)))
    answer = client.get(with_tag(moved, tag), headers=HTMX)
    assert answer.status_code == 200 and not before_flask(answer)
    # A tag older than its lifetime: Flask answers, and the player counts as seen now.
    ticket = ticket_of(app, first)
    with app.app_context():
        state = polling.queries.poll_state(db.session.execute, ticket.id)
        old = polling.issue(
            app.config["SECRET_KEY"],
            "p",
            ticket.id,
            state,
            ticket.reference,
            now=time.time() - polling.TAG_LIFETIME - 1,
        )
        db.session.execute(
            db.update(Ticket).where(Ticket.id == ticket.id).values(player_seen_at=None)
        )
        db.session.commit()
    answer = client.get(with_tag(poll, old), headers=HTMX)
    assert answer.status_code == 200 and not before_flask(answer)
    assert ticket_of(app, first).player_seen_at is not None


def test_a_tag_tells_a_stranger_nothing(app, client, operator):
    """A tag replayed from another browser gets an empty answer while the chat is unchanged
    (nothing they had not seen), and the 404 of a stranger once it changes."""
    path = started(client)
    poll = poll_url(path, text(client.get(path)))
    stranger = app.test_client()
    unchanged = stranger.get(poll, headers=HTMX)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    staff_message(app, ticket_of(app, path).id, operator, "Sizin kartınız yoxlanılır.")
    changed = stranger.get(poll, headers=HTMX)
    assert changed.status_code == 404
    assert "Sizin kartınız" not in text(changed)


def test_the_staff_polls_answer_304_before_flask(app, client, operator):
    from tests.chat.test_staff_pages import PASSWORD

    with app.test_request_context():
        staff.create_staff(email="kamran@casino.example", role="operator", password=PASSWORD)
    path = started(client)
    console = app.test_client()
    login = console.get("/staff/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(login)).group(1)
    console.post(
        "/staff/login",
        data={"csrf_token": token, "email": "kamran@casino.example", "password": PASSWORD},
    )
    inbox = console.get("/staff/chats", headers=HTMX)
    assert inbox.status_code == 200
    again = console.get("/staff/chats", headers={**HTMX, "If-None-Match": inbox.headers["ETag"]})
    assert again.status_code == 304 and before_flask(again)
    assert again.headers["ETag"] == inbox.headers["ETag"]
    ref = path.rsplit("/", 1)[1]
    staff_message(app, ticket_of(app, path).id, operator, "Baxıram.")
    page = text(console.get(f"/staff/chats/{ref}"))
    url = re.search(r'hx-get="(/staff/chats/[^"]+/messages\?[^"]+)"', page).group(1)
    tag = re.search(r"hx-headers='\{\"If-None-Match\": \"\\\"(s\.[\w.-]+)", page).group(1)
    headers = {**HTMX, "If-None-Match": f'"{tag}"'}
    unchanged = console.get(url.replace("&amp;", "&"), headers=headers)
    assert unchanged.status_code == 304 and before_flask(unchanged)
    # A player's tag is no staff tag.
    player_tag = re.search(r"tag=([^&]*)", poll_url(path, text(client.get(path)))).group(1)
    other = console.get(url.replace("&amp;", "&"), headers={**HTMX, "If-None-Match": player_tag})
    assert other.status_code == 200 and not before_flask(other)
