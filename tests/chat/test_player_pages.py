"""The player's chat pages through the Flask client, on the real database and search index."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_babel import force_locale, gettext, ngettext

from helpcenter.chat import queries, services
from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.tickets.models import Ticket, TicketMessage
from tests.conftest import csrf_token
from tests.contact.conftest import png_bytes, post_multipart, text

# Pages and forms: what they show does not depend on the database: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

QUESTION_RU = "Как пройти верификацию? Какие документы нужны?"
GREETING = "Hello"
HTMX = {"HX-Request": "true"}


def in_lang(app, lang: str, message: str, **values) -> str:
    with app.test_request_context(), force_locale(lang):
        return gettext(message, **values)


def start(client, lang="en", message=GREETING, **fields):
    page = client.get(f"/{lang}/chat")
    data = {"topic": "verification", "message": message, "csrf_token": csrf_token(text(page))}
    return client.post(f"/{lang}/chat", data={**data, **fields})


def started(client, lang="en", message=GREETING) -> str:
    response = start(client, lang, message)
    assert response.status_code == 303, text(response)
    return urlsplit(response.headers["Location"]).path


def ticket_of(app, path: str) -> Ticket:
    with app.app_context():
        ticket = queries.find_chat(path.rsplit("/", 1)[1])
        db.session.expunge(ticket)
        return ticket


def last_id(html: str) -> int:
    return int(re.search(r'id="hc-after" value="(\d+)"', html).group(1))


def shown(html: str) -> str:
    return re.search(r'id="hc-shown" value="([^"]*)"', html).group(1)


def message_count(app, ticket_id: int) -> int:
    with app.app_context():
        return db.session.query(TicketMessage).filter_by(ticket_id=ticket_id).count()


def test_a_russian_question_gets_russian_articles_then_the_queue(app, client, operator):
    path = started(client, "ru", QUESTION_RU)
    assert re.fullmatch(r"/ru/chat/HC-[0-9A-Z-]+", path)
    page = text(client.get(path))
    assert QUESTION_RU in page
    assert in_lang(app, "ru", "Bot, not a person") in page
    articles = re.findall(
        r'class="chat-article">\s*<a href="(/ru/[^"]+)" lang="ru">([^<]+)</a>', page
    )
    assert 1 <= len(articles) <= 3
    assert all(re.search("[а-я]", title.lower()) for _, title in articles)
    assert in_lang(app, "ru", "I want to talk to a person") in page

    response = client.post(f"{path}/handoff", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    page = text(client.get(path))
    with app.test_request_context(), force_locale("ru"):
        line = ngettext(
            "You are number %(position)d in line, about %(num)d minute.",
            "You are number %(position)d in line, about %(num)d minutes.",
            2,
            position=1,
        )
    assert line in page
    assert in_lang(app, "ru", "I want to talk to a person") not in page


def test_this_answered_my_question_ends_the_chat_with_the_rating_form(app, client, operator):
    path = started(client, "en", "How do I verify my account? Which documents are needed?")
    page = text(client.get(path))
    client.post(f"{path}/resolved", data={"csrf_token": csrf_token(page)})
    page = text(client.get(path))
    assert "This chat has ended" in page and "Glad the article helped" in page
    assert 'action="' + path + '/rate"' in page and "hc-messages" in page
    assert 'hx-trigger="every' not in page  # an ended chat no longer polls
    assert 'name="text"' not in page
    status_url = re.search(r'class="private-url" href="https?://[^/]+(/[^"]+)"', page).group(1)
    response = client.post(
        f"{path}/rate", data={"rating-score": "5", "rating-csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert "You rated our service 5 of 5" in text(client.get(path))
    # The status page shows the whole conversation, the bot as a bot with its articles.
    status = text(client.get(status_url, follow_redirects=True))
    assert "Answer bot (Bot, not a person)" in status and 'class="chat-articles"' in status


def poll_url(path: str, html: str) -> str:
    """The poll as htmx sends it: the cursor's fields (hx-include) in the query string."""
    tag = re.search(r'id="hc-tag" value="([^"]*)"', html).group(1)
    return f"{path}/messages?after={last_id(html)}&shown={shown(html)}&tag={tag}"


def test_the_poll_answers_204_or_only_the_new_messages(app, client, operator):
    path = started(client)  # a greeting: no articles, straight to the queue
    page = text(client.get(path))
    ticket = ticket_of(app, path)
    poll = poll_url(path, page)

    nothing = client.get(poll, headers=HTMX)
    assert nothing.status_code == 204 and nothing.get_data() == b""
    assert client.get(poll, headers=HTMX).status_code == 204

    with app.test_request_context():
        member = db.session.get(staff.StaffMember, operator)
        chat = db.session.get(Ticket, ticket.id)
        services.accept(member=member, ticket=chat)
        services.staff_message(member=member, ticket=chat, text="Hi, I am Aysel. How can I help?")

    fresh = client.get(poll, headers=HTMX)
    html = text(fresh)
    assert fresh.status_code == 200
    assert "Hi, I am Aysel. How can I help?" in html and "Aysel has joined the chat." in html
    assert GREETING not in html  # only what is new
    assert 'id="hc-chat-state" class="chat-state" hx-swap-oob="true"' in html
    assert "You are talking with Aysel." in html
    assert last_id(html) > last_id(page)
    # The answer's cursor carries a new tag, which holds until the next change.
    assert poll_url(path, html) != poll
    assert client.get(poll_url(path, html), headers=HTMX).status_code == 204
    # Without htmx the poll leads to the page.
    assert client.get(poll).status_code == 302


def test_sending_with_htmx_returns_the_new_messages_and_an_empty_box(app, client, operator):
    path = started(client)
    page = text(client.get(path))
    data = {"text": "My documents were refused", "after": str(last_id(page)), "shown": shown(page)}
    response = client.post(
        f"{path}/messages", data={**data, "csrf_token": csrf_token(page)}, headers=HTMX
    )
    html = text(response)
    assert response.status_code == 200
    assert 'hx-swap-oob="beforeend:#hc-messages"' in html and "My documents were refused" in html
    assert re.search(r'<textarea[^>]*data-focus[^>]*name="text"[^>]*>\s*</textarea>', html)


def test_sending_without_javascript_redirects_back_to_the_chat(app, client, operator):
    path = started(client)
    page = text(client.get(path))
    assert "Show new messages" in page
    response = post_multipart(
        client,
        f"{path}/messages",
        {
            "text": "Here is my screenshot",
            "attachments": [(io.BytesIO(png_bytes()), "proof.png")],
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{path}#hc-compose")
    page = text(client.get(path))
    assert "Here is my screenshot" in page and "proof.png" in page


def test_a_file_over_the_request_s_quota_is_refused_in_the_message_box(app, client, operator):
    app.config["TICKET_MAX_FILES"] = 1
    path = started(client, "ru", "Здравствуйте")
    page = text(client.get(path))
    ticket = ticket_of(app, path)
    before = message_count(app, ticket.id)
    files = [(io.BytesIO(png_bytes()), "first.png"), (io.BytesIO(png_bytes()), "second.png")]
    response = post_multipart(
        client,
        f"{path}/messages",
        {"text": "Два скриншота", "attachments": files, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 422
    with app.test_request_context(), force_locale("ru"):
        expected = ngettext(
            "%(name)s was not sent: one request can hold at most %(num)d file from you.",
            "%(name)s was not sent: one request can hold at most %(num)d files from you.",
            1,
            name="second.png",
        )
    assert "second.png" in expected and expected in text(response)
    assert "Два скриншота" in text(response)  # what the player wrote stays in the box
    assert message_count(app, ticket.id) == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"text": ""}, "Write a message or attach a file."),
        ({"text": "x" * 2001}, "Write at most %(max)d characters (now %(length)d)."),
        (
            {"text": "see file", "attachments": [(b"MZ not a picture", "virus.exe")]},
            "%(name)s is not a JPEG, PNG or PDF file.",
        ),
    ],
)
def test_a_bad_message_is_refused_in_the_players_language(app, client, operator, data, problem):
    path = started(client, "ru", "Здравствуйте")
    page = text(client.get(path))
    ticket = ticket_of(app, path)
    before = message_count(app, ticket.id)
    # A new file object each run: the parameters are shared by the runs on each database.
    files = [(io.BytesIO(body), name) for body, name in data.get("attachments", [])]
    fields = {**data, "csrf_token": csrf_token(page)} | ({"attachments": files} if files else {})
    response = post_multipart(client, f"{path}/messages", fields)
    assert response.status_code == 422
    expected = in_lang(app, "ru", problem, max=2000, length=2001, name="virus.exe")
    assert expected in text(response), re.findall(r'class="error"[^>]*>(.*?)</', text(response))
    assert message_count(app, ticket.id) == before


def test_too_many_messages_in_one_chat_are_refused_politely(app, client, operator):
    app.config["CHAT_MESSAGE_RATE_LIMIT"] = "2 per minute"
    path = started(client, "ru", "Здравствуйте")
    page = text(client.get(path))
    ticket = ticket_of(app, path)
    before = message_count(app, ticket.id)
    for number in (1, 2):
        sent = client.post(
            f"{path}/messages", data={"text": f"Сообщение {number}", "csrf_token": csrf_token(page)}
        )
        assert sent.status_code == 303
    refused = client.post(
        f"{path}/messages", data={"text": "Третье", "csrf_token": csrf_token(page)}
    )
    assert refused.status_code == 429
    expected = in_lang(app, "ru", "Too many attempts. Please wait a few minutes and try again.")
    assert expected in text(refused)
    assert "Третье" in text(refused)  # the text is kept in the box
    assert message_count(app, ticket.id) == before + 2


def test_nobody_else_opens_the_chat_but_the_private_token_works_once(app, client, operator):
    path = started(client)
    ticket = ticket_of(app, path)
    stranger = app.test_client()
    assert stranger.get(path).status_code == 404
    assert stranger.get(f"{path}/messages?after=0", headers=HTMX).status_code == 404
    assert stranger.post(f"{path}/messages", data={"text": "hi"}).status_code in (400, 404)
    assert stranger.get(f"{path}?token=wrong").status_code == 404

    with app.test_request_context():
        token = services.start_chat(language="en", topic="verification", message="Hello").token
        other = queries.find_chat(
            db.session.query(Ticket).order_by(Ticket.id.desc()).first().reference
        )
        other_path = f"/en/chat/{other.reference}"
    assert stranger.get(f"{path}?token={token}").status_code == 404  # another chat's token
    moved = stranger.get(f"{other_path}?token={token}")
    assert moved.status_code == 303 and moved.headers["Location"].endswith(other_path)
    assert stranger.get(other_path).status_code == 200
    assert ticket.reference not in text(stranger.get(other_path))


def test_a_closed_chat_offers_the_contact_form_with_the_text_kept(app, client, loaded):
    page = text(client.get("/en/chat"))
    assert "Chat is closed now." in page and 'name="message"' not in page
    with app.test_request_context():
        member = staff.create_staff(
            email="kamran@casino.example", role="operator", password="pw-" * 4, name="Kamran"
        )
        services.set_presence(member=member, status="available")
        page = text(client.get("/en/chat"))
        services.set_presence(member=member, status="away")
    words = "My withdrawal of 300 AZN is stuck since Monday"
    response = client.post(
        "/en/chat",
        data={"topic": "payments", "message": words, "csrf_token": csrf_token(page)},
    )
    html = text(response)
    assert response.status_code == 200 and "Chat is closed now" in html
    link = re.search(r'class="button" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"topic": ["payments"], "description": [words]}
    form = text(client.get(link))
    assert re.search(rf'<textarea[^>]*name="description"[^>]*>\s*{words}</textarea>', form)
    with app.app_context():
        assert db.session.query(Ticket).count() == 0


def test_chat_with_us_links_while_open(app, client, loaded):
    assert "Chat is closed now: send this form" in text(client.get("/en/contact"))
    assert "Chat is closed now." in text(client.get("/en/"))
    with app.test_request_context():
        member = staff.create_staff(
            email="kamran@casino.example", role="operator", password="pw-" * 4, name="Kamran"
        )
        services.set_presence(member=member, status="available")
    home = text(client.get("/en/"))
    assert 'href="/en/chat"' in home and "Chat with us" in home
    assert "Chat with us now" in text(client.get("/en/contact"))


def test_bad_start_input_is_shown_and_nothing_is_filed(app, client, operator):
    response = start(client, "az", message="", topic="")
    assert response.status_code == 422
    assert in_lang(app, "az", "Write your question.") in text(response)
    with app.app_context():
        assert db.session.query(Ticket).count() == 0
