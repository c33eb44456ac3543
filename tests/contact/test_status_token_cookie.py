"""The private link's token is in the URL of one request only: opening it grants this browser's
session the ticket and leads to the page at the ticket's reference, where everything the page
does (polls, replies, ratings, reopening, the language switcher) goes by the reference."""

import io
import re
from http.cookies import SimpleCookie

from helpcenter.tickets import services, states
from tests.contact.conftest import (
    TICKET,
    csrf_of,
    file_ticket,
    opened,
    png_bytes,
    post_multipart,
    text,
)

HTMX = {"HX-Request": "true"}
STAFF = services.Actor(states.STAFF, "Rəşad", "supervisor")
URL_ATTRIBUTES = re.compile(r'\b(?:hx-get|hx-post|action|href|src)="([^"]*)"')
BAD_LINK = "This link does not open a request."


class Requests:
    """The URL of every request that reaches the app, as a server's access log writes it."""

    def __init__(self, app):
        self.urls: list[str] = []
        inner = app.wsgi_app

        def logged(environ, start_response):
            query = environ.get("QUERY_STRING")
            self.urls.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
            return inner(environ, start_response)

        app.wsgi_app = logged


def urls_in(page: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in URL_ATTRIBUTES.findall(page)]


def session_cookie(response) -> SimpleCookie:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(headers[0])
    return cookie


def main_of(page: str) -> str:
    """The page's main part without the CSRF token: what tells one page from another."""
    main = re.search(r"<main\b.*?</main>", page, re.DOTALL).group(0)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", main)


def test_after_the_private_link_no_request_of_the_page_carries_the_token(ctx, app, client):
    filed = file_ticket()
    ref, token = filed.ticket.reference, filed.token
    log = Requests(app)

    link = client.get(f"/en/status/{token}")
    assert link.status_code == 303
    assert link.headers["Location"] == f"/en/status/{ref}"
    page = text(client.get(link.headers["Location"]))
    assert f"Request {ref}" in page
    assert token not in page
    urls = urls_in(page)
    poll = next(url for url in urls if "/live" in url)
    assert all(token not in url for url in urls)
    assert poll.startswith(f"/en/status/{ref}/live")
    assert f'action="/en/status/{ref}/reply"' in page

    services.reply(filed.ticket, STAFF, "Which card?", wait=True)
    live = client.get(poll, headers=HTMX)
    assert live.status_code == 200 and "Which card?" in text(live)
    assert token not in text(live)
    sent = post_multipart(
        client,
        f"/en/status/{ref}/reply",
        {
            "reply-csrf_token": csrf_of(page),
            "reply-body": "The Visa ending in 4242.",
            "reply-attachments": [(io.BytesIO(png_bytes()), "receipt.png")],
        },
    )
    assert sent.status_code == 303 and sent.headers["Location"] == f"/en/status/{ref}"
    page = text(client.get(sent.headers["Location"]))
    assert "Your message has been added to the request." in page and "receipt.png" in page

    services.resolve(filed.ticket, STAFF, "Refunded.")
    page = text(client.get(f"/en/status/{ref}"))
    rate = next(url for url in urls_in(page) if url.endswith("/rate"))
    assert rate == f"/en/status/{ref}/rate"
    refused = client.post(rate, data={"rating-csrf_token": csrf_of(page), "rating-score": "9"})
    assert refused.status_code == 422 and token not in text(refused)
    assert all(token not in url for url in urls_in(text(refused)))
    rated = client.post(rate, data={"rating-csrf_token": csrf_of(page), "rating-score": "5"})
    assert rated.status_code == 303 and rated.headers["Location"] == f"/en/status/{ref}"
    page = text(client.get(f"/en/status/{ref}"))
    assert "You rated our service 5 of 5." in page
    reopen = next(url for url in urls_in(page) if url.endswith("/reopen"))
    reopened = client.post(
        reopen, data={"reopen-csrf_token": csrf_of(page), "reopen-body": "Not refunded yet."}
    )
    assert reopened.status_code == 303 and reopened.headers["Location"] == f"/en/status/{ref}"

    # What an access log would write: the token in the first line and nowhere else.
    assert len(log.urls) > 8
    assert token in log.urls[0]
    assert [url for url in log.urls[1:] if token in url] == []


def test_the_language_switcher_of_the_page_leads_to_the_same_ticket_without_the_token(app):
    client = app.test_client()
    with app.app_context():
        filed = file_ticket(language="en")
        ref, token = filed.ticket.reference, filed.token
    page = text(client.get(f"/ru/status/{token}", follow_redirects=True))
    switcher = re.findall(r'href="(/[a-z]{2}/status/[^"]+)" hreflang', page)
    assert sorted(switcher) == [f"/{lang}/status/{ref}" for lang in ("az", "en")]
    assert client.get(switcher[0]).status_code == 200


def test_the_lookup_leads_to_the_same_token_free_page(ctx, app, client):
    filed = file_ticket()
    csrf = csrf_of(text(client.get("/en/status")))
    found = client.post(
        "/en/status",
        data={"csrf_token": csrf, "reference": filed.ticket.reference, "email": TICKET["email"]},
    )
    link = app.test_client().get(f"/en/status/{filed.token}")
    assert found.status_code == link.status_code == 303
    assert found.headers["Location"] == link.headers["Location"]


def test_another_browser_gets_the_wrong_link_page_at_the_token_free_address(ctx, app, client):
    filed = file_ticket()
    ref = filed.ticket.reference
    page = client.get(opened(client, filed))
    assert page.status_code == 200
    stranger = app.test_client()
    without = stranger.get(f"/en/status/{ref}")
    wrong = stranger.get(f"/en/status/{filed.token[:-1]}{'x' if filed.token[-1] != 'x' else 'y'}")
    assert without.status_code == wrong.status_code == 404
    assert BAD_LINK in text(without)
    assert main_of(text(without)) == main_of(text(wrong))
    assert f"Request {ref}" not in text(without)
    # Nor do the page's parts or actions open without the session that was given the link.
    assert stranger.get(f"/en/status/{ref}/live", headers=HTMX).status_code == 404
    csrf = csrf_of(text(page))
    sent = stranger.post(
        f"/en/status/{ref}/reply", data={"reply-csrf_token": csrf, "reply-body": "x"}
    )
    assert sent.status_code == 404
    rated = stranger.post(f"/en/status/{ref}/rate", data={"rating-csrf_token": csrf})
    assert rated.status_code == 404


def test_the_link_of_one_request_opens_no_other(ctx, client):
    mine, other = file_ticket(), file_ticket()
    opened(client, mine)
    ref = other.ticket.reference
    assert client.get(f"/en/status/{ref}").status_code == 404
    assert client.get(f"/en/status/{ref}/live", headers=HTMX).status_code == 404
    csrf = csrf_of(text(client.get(f"/en/status/{mine.ticket.reference}")))
    sent = client.post(
        f"/en/status/{ref}/reply", data={"reply-csrf_token": csrf, "reply-body": "x"}
    )
    assert sent.status_code == 404
    assert len(services.find_by_reference(ref).messages) == 1


def test_the_grant_is_an_httponly_lax_session_cookie_for_the_whole_site(ctx, client):
    response = client.get(f"/en/status/{file_ticket().token}")
    assert response.status_code == 303
    cookie = session_cookie(response)["session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The whole site: the page in every language, and the lookup that grants the same way.
    assert cookie["path"] == "/"
    assert not cookie["secure"]  # the tests' configuration: plain HTTP
    assert len(cookie.OutputString()) < 4096


def test_the_grant_cookie_is_secure_where_configured(app):
    app.config["SESSION_COOKIE_SECURE"] = True
    with app.app_context():
        token = file_ticket().token
    response = app.test_client().get(f"/en/status/{token}")
    assert response.status_code == 303
    assert session_cookie(response)["session"]["secure"] is True


def test_a_browser_keeps_the_latest_twenty_grants_in_a_small_cookie(ctx, client):
    filed = [file_ticket() for _ in range(21)]
    for one in filed:
        response = client.get(f"/en/status/{one.token}")
        assert response.status_code == 303
    assert len(session_cookie(response)["session"].OutputString()) < 1024
    assert client.get(f"/en/status/{filed[0].ticket.reference}").status_code == 404
    assert client.get(f"/en/status/{filed[1].ticket.reference}").status_code == 200
    # The private link itself always works again.
    assert client.get(f"/en/status/{filed[0].token}", follow_redirects=True).status_code == 200


def test_a_page_opened_before_the_change_still_sends_to_its_token_address(ctx, client):
    """A status page loaded with the token in its forms (before this release) still works, and
    what it leads to goes by the reference."""
    filed = file_ticket()
    ref, token = filed.ticket.reference, filed.token
    csrf = csrf_of(text(client.get("/en/status")))
    empty = post_multipart(
        client, f"/en/status/{token}/reply", {"reply-csrf_token": csrf, "reply-body": ""}
    )
    assert empty.status_code == 422
    assert token not in text(empty)
    sent = post_multipart(
        client, f"/en/status/{token}/reply", {"reply-csrf_token": csrf, "reply-body": "Hi"}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == f"/en/status/{ref}"
    poll = client.get(f"/en/status/{token}/live", headers=HTMX)
    assert poll.status_code == 200 and token not in text(poll)
