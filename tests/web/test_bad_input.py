"""Bad input gets a 4xx in the visitor's language (JSON under /api/), never a 500, and writes
nothing: NUL characters, lone surrogates, CR/LF in redirects, huge integers, deep JSON."""

import html
import json
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from helpcenter.articles import services as articles
from helpcenter.extensions import db
from helpcenter.staff import access
from helpcenter.staff import services as staff
from helpcenter.tickets import services as tickets
from tests.conftest import CONTENT_DIR, empty_tables, make_app
from tests.conftest import csrf_token as csrf_of
from tests.contact.conftest import FORM, TICKET, file_ticket

# What it checks does not depend on the database behind it: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

PASSWORD = "correct horse battery staple"
EDITOR, SUPERVISOR = "editor@casino.example", "supervisor@casino.example"
ARTICLE = "/{lang}/deposits-withdrawals/withdrawal-times/"
REFUSED = "The request could not be accepted"


@pytest.fixture(scope="module")
def site_app(migrated_url, tmp_path_factory):
    """One app for the module: the shipped content, a staff member per role and an API key.

    Refused requests write nothing, so the tests can share it; rate limits are off because
    every test signs in.
    """
    data_dir = tmp_path_factory.mktemp("bad-input")
    app = make_app(migrated_url, data_dir, RATELIMIT_ENABLED=False)
    with app.app_context():
        articles.load_content(directory=CONTENT_DIR)
        for role in access.ROLES:
            staff.create_staff(
                email=f"{role}@casino.example", role=role, password=PASSWORD, name=role
            )
        app.config["TEST_API_KEY"] = tickets.create_api_key("fuzz-bot")
    yield app
    empty_tables(app)


@pytest.fixture
def app(site_app):
    yield site_app
    site_app.config["API_MAX_BODY_BYTES"] = 256 * 1024


@pytest.fixture
def site(app):
    return app.test_client()


@pytest.fixture
def key(app):
    return app.config["TEST_API_KEY"]


def rows(app) -> dict[str, int]:
    """Rows per table: what a refused request must leave as it was."""
    with app.app_context():
        counts = {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def in_language(app, message: str, lang: str) -> str:
    """`message` as the site shows it in `lang`."""
    with app.test_request_context(), force_locale(lang):
        return gettext(message)


def refused_page(app, response, lang: str) -> None:
    """The localized 400 page for characters the site cannot accept."""
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{in_language(app, REFUSED, lang)}</h1>" in page


def sign_in(client, email: str, lang: str) -> None:
    client.set_cookie("lang", lang)
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    data = {"csrf_token": token, "email": email, "password": PASSWORD}
    assert client.post("/staff/login", data=data).status_code == 303


def token_of(client, path: str) -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


# --- pages: one case per input that answered 500 ----------------------------------------------
# Each case prepares what a visitor would have (a session, the form's token) and returns the
# one bad request, so that the test counts only what that request writes.


def staff_login_nul_email(client, app, lang):
    client.set_cookie("lang", lang)
    token = token_of(client, "/staff/login")
    data = {"csrf_token": token, "email": "operator\x00@casino.example", "password": PASSWORD}
    return lambda: client.post("/staff/login", data=data)


def staff_login_crlf_next(client, app, lang):
    client.set_cookie("lang", lang)
    token = token_of(client, "/staff/login")
    data = {"csrf_token": token, "email": "operator@casino.example", "password": PASSWORD}
    return lambda: client.post("/staff/login?next=/staff/tickets%0D%0ASet-Cookie:%20x=1", data=data)


def staff_language_crlf_next(client, app, lang):
    client.set_cookie("lang", lang)
    return lambda: client.get(
        "/staff/language/en?next=/staff/tickets%0D%0ALocation:%20//evil.example"
    )


def contact_solved_nul(client, app, lang):
    token = token_of(client, f"/{lang}/contact")
    data = {"csrf_token": token, "article": "withdrawal\x00-times", "topic": "payments"}
    return lambda: client.post(f"/{lang}/contact/solved", data=data)


def staff_queue(param):
    def prepare(client, app, lang):
        sign_in(client, SUPERVISOR, lang)
        return lambda: client.get(f"/staff/tickets?{param}=a%00b")

    prepare.__name__ = f"staff_queue_nul_{param}"
    return prepare


def staff_export_nul_q(client, app, lang):
    sign_in(client, SUPERVISOR, lang)
    return lambda: client.get("/staff/tickets.csv?q=%00")


def staff_content_nul(param):
    def prepare(client, app, lang):
        sign_in(client, EDITOR, lang)
        return lambda: client.get(f"/staff/content?{param}=%00")

    prepare.__name__ = f"staff_content_nul_{param}"
    return prepare


def editor_preview_nul(client, app, lang):
    sign_in(client, EDITOR, lang)
    token = token_of(client, "/staff/content/withdrawal-times/en/edit")
    data = {"csrf_token": token, "article": "withdrawal-times\x00", "lang": "en", "body": "x"}
    return lambda: client.post("/staff/content/preview", data=data, headers={"HX-Request": "true"})


def assign_nul(client, app, lang):
    with app.app_context():
        ref = file_ticket().ticket.reference
    sign_in(client, SUPERVISOR, lang)
    page = client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    version = re.search(r'name="[\w-]*version" value="(\d+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "version": version, "assignee": "x\x00@casino.example"}
    return lambda: client.post(f"/staff/tickets/{ref}/assign", data=data)


PAGE_CASES = [
    staff_login_nul_email,
    staff_login_crlf_next,
    staff_language_crlf_next,
    contact_solved_nul,
    staff_queue("q"),
    staff_queue("assignee"),
    staff_queue("category"),
    staff_export_nul_q,
    staff_content_nul("q"),
    staff_content_nul("category"),
    editor_preview_nul,
    assign_nul,
]


@pytest.mark.parametrize("lang", ["az", "ru"])
@pytest.mark.parametrize("prepare", PAGE_CASES, ids=lambda f: f.__name__)
def test_unacceptable_characters_are_a_localized_400(site, app, prepare, lang):
    send = prepare(site, app, lang)
    before = rows(app)
    response = send()
    refused_page(app, response, lang)
    assert "Set-Cookie: x" not in str(response.headers) and "evil" not in str(response.headers)
    assert rows(app) == before


def test_a_refused_sign_in_signs_nobody_in(site, app):
    staff_login_crlf_next(site, app, "en")()
    assert site.get("/staff/tickets").status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/ru/search/opened/2147483648/1/deposits-withdrawals/withdrawal-times/",
        "/ru/search/opened/1/99999999999999999999/deposits-withdrawals/withdrawal-times/",
    ],
)
def test_ids_out_of_range_in_urls_are_a_localized_404(site, app, path):
    before = rows(app)
    response = site.get(path)
    assert response.status_code == 404
    assert in_language(app, "Page not found", "ru") in response.get_data(as_text=True)
    assert rows(app) == before


def test_restoring_a_revision_number_out_of_range_is_a_404(site, app):
    sign_in(site, EDITOR, "ru")
    token = token_of(site, "/staff/content/withdrawal-times/en/history")
    before = rows(app)
    response = site.post(
        "/staff/content/withdrawal-times/en/restore/99999999999", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert rows(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/staff/tickets?page=%C2%B2",  # "²" passes str.isdigit() but not int()
        "/staff/audit?page=99999999999999999999",
        "/staff/content/withdrawal-times/en/history?a=%C2%B2&b=1",
    ],
)
def test_numbers_that_are_not_plain_digits_fall_back_to_the_default(site, path):
    sign_in(site, "admin@casino.example", "en")
    assert site.get(path).status_code == 200


def test_a_next_to_another_site_is_ignored_and_a_console_path_followed(site):
    site.set_cookie("lang", "en")
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/staff/"):
        response = site.get("/staff/language/ru", query_string={"next": target})
        assert response.headers["Location"] == "/staff/"
    response = site.get("/staff/language/ru", query_string={"next": "/staff/tickets?q=a"})
    assert response.headers["Location"] == "/staff/tickets?q=a"


# --- the player's forms: NUL, CR/LF -------------------------------------------------------------


def contact(client, lang, **changes):
    data = {**FORM, "csrf_token": token_of(client, f"/{lang}/contact"), **changes}
    return client.post(f"/{lang}/contact", data=data)


def status_lookup(client, lang, **changes):
    data = {"reference": "HC-7K4MQ9TX-3", "email": "player@example.com", **changes}
    return client.post(
        f"/{lang}/status", data={"csrf_token": token_of(client, f"/{lang}/status"), **data}
    )


def vote(client, lang, **changes):
    path = ARTICLE.format(lang=lang)
    data = {"csrf_token": token_of(client, path), "helpful": "yes", **changes}
    return client.post(path + "vote", data=data)


def search(client, lang, **params):
    return client.get(f"/{lang}/search", query_string=params)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize(
    ("send", "changes"),
    [
        (contact, {"topic": "payments\x00"}),
        (contact, {"na\x00me": "Aysel"}),
        (status_lookup, {"reference": "HC-7K4MQ9TX-3\x00"}),
        (status_lookup, {"email": "\x00"}),
        (vote, {"helpful": "yes\x00"}),
        (search, {"q": "withdrawal\x00"}),
        (search, {"q\x00": "withdrawal"}),
    ],
    ids=lambda v: getattr(v, "__name__", None) or repr(v)[:24],
)
def test_nul_in_the_players_forms_is_a_localized_400(site, app, lang, send, changes):
    before = rows(app)
    refused_page(app, send(site, lang, **changes), lang)
    assert rows(app) == before


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize("field", ["subject", "description", "email", "name", "transaction_id"])
def test_nul_in_the_contact_forms_text_is_explained_at_the_field_and_the_text_kept(
    site, app, lang, field
):
    # The contact form refuses control characters field by field, keeping the player's text.
    before = rows(app)
    response = contact(site, lang, **{field: FORM[field][:12] + "\x00" + FORM[field][12:]})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    message = {
        "email": "Enter an email address like name@example.com.",
        "transaction_id": "Copy the transaction ID exactly as your payment history shows it.",
    }.get(field, "Remove the invisible control characters from this field.")
    assert in_language(app, message, lang) in page
    kept = "subject" if field == "description" else "description"
    assert FORM[kept] in page
    assert rows(app) == before


@pytest.mark.parametrize(
    ("send", "changes", "status"),
    [
        (contact, {"subject": "Withdrawal\r\nBcc: victim@example.com"}, 422),
        (contact, {"email": "player@example.com\r\nBcc: victim@example.com"}, 422),
        (status_lookup, {"email": "player@example.com\r\nBcc: x@example.com"}, 422),
        (status_lookup, {"reference": "HC-7K4MQ9TX-3\r\n"}, 422),
        (vote, {"helpful": "yes\r\n"}, 400),
    ],
    ids=lambda v: getattr(v, "__name__", None) or repr(v)[:24],
)
def test_line_breaks_in_one_line_fields_are_refused(site, app, send, changes, status):
    before = rows(app)
    response = send(site, "ru", **changes)
    assert response.status_code == status
    assert rows(app) == before


def test_a_line_break_in_a_search_is_only_a_space(site):
    response = search(site, "en", q="withdrawal\r\ntime")
    assert response.status_code == 200


def test_a_description_keeps_its_line_breaks(site, app):
    response = contact(site, "en", description="First line of my request.\r\nAnd the second one.")
    assert response.status_code == 303


# --- the API: JSON for every error -------------------------------------------------------------


def api_post(client, body: str | bytes, key: str, **headers):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers}
    return client.post("/api/v1/tickets", data=body, headers=headers)


def json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    return response.get_json()


DEEP = [
    "[" * 1000,
    "[" * 100_000 + "]" * 100_000,
    '{"subject": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"a":' * 3000 + "1" + "}" * 3000,
]


@pytest.mark.parametrize("body", DEEP, ids=["open", "closed", "in-a-field", "objects"])
def test_deeply_nested_json_is_a_422(site, app, key, body):
    before = rows(app)
    data = json_error(api_post(site, body, key), 422)
    assert data == {"errors": {"body": ["The body must be a JSON object."]}}
    assert rows(app) == before


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({**TICKET, "subject": "\ud800 broken"}),  # the escape \ud800, ASCII on the wire
        json.dumps({**TICKET, "name": "\udfff"}),
        json.dumps({**TICKET, "description": "NUL \x00 in the middle of a long enough text"}),
        json.dumps({**TICKET, "x\ud800": "1"}),
        json.dumps({**TICKET, "subject": ["\x00"]}),
        json.dumps({**TICKET, "subject": "raw \ud800 bytes"}, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        ),
    ],
    ids=["surrogate", "low-surrogate", "nul", "in-a-key", "nested", "raw-bytes"],
)
def test_unstorable_text_in_json_is_a_json_400(site, app, key, body):
    before = rows(app)
    data = json_error(api_post(site, body, key), 400)
    assert set(data) == {"error"} and "NUL" in data["error"]
    assert rows(app) == before


def test_an_unstorable_query_or_path_under_the_api_is_json(site, app):
    response = site.get("/api/v1/tickets/HC-7K4MQ9TX-3%00", headers={"X-Ticket-Token": "t"})
    assert set(json_error(response, 400)) == {"error"}
    response = site.get("/api/v1/search?lang=en&q=%00")
    assert set(json_error(response, 400)) == {"error"}


def test_api_errors_are_json_not_azerbaijani_pages(site, app, key):
    missing = json_error(site.get("/api/v1/nothing-here"), 404)
    assert missing == {"error": "not found"}
    wrong_method = site.delete("/api/v1/tickets")
    assert json_error(wrong_method, 405) == {"error": "method not allowed"}
    assert "POST" in wrong_method.headers["Allow"]
    app.config["API_MAX_BODY_BYTES"] = 1024
    before = rows(app)
    big = api_post(site, json.dumps({**TICKET, "description": "x" * 2000}), key)
    assert json_error(big, 413) == {"error": "the request body is too large"}
    assert rows(app) == before
    # Pages outside /api/ keep their HTML error pages.
    assert site.get("/en/nothing-here").mimetype == "text/html"


def test_an_unexpected_error_under_the_api_is_a_json_500(tmp_path):
    from helpcenter import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "PROPAGATE_EXCEPTIONS": False})

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/broken", view_func=broken)
    response = app.test_client().get("/api/v1/broken")
    assert json_error(response, 500) == {"error": "internal error"}
