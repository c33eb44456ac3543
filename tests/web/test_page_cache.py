"""Cached pages stay per-visitor where it matters: CSRF tokens and vote state, and a cached
page that reads a visitor's value its view did not declare is refused."""

import re

import pytest
from flask import g
from jinja2 import ChoiceLoader, DictLoader

from helpcenter import cache
from helpcenter.staff import services as staff
from helpcenter.web.pages import UndeclaredValue, render_page
from tests.conftest import csrf_token
from tests.staff.conftest import EMAILS, PASSWORD, StaffActions

ARTICLE = "/en/deposits-withdrawals/withdrawal-times/"


def test_cached_article_gives_each_visitor_a_working_token_and_their_own_state(loaded):
    loaded.config["PAGE_CACHE_SECONDS"] = 60
    cache.init_app(loaded)
    alice, bob = loaded.test_client(), loaded.test_client()
    alice_token = csrf_token(alice.get(ARTICLE).get_data(as_text=True))
    bob_token = csrf_token(bob.get(ARTICLE).get_data(as_text=True))
    assert alice_token != bob_token
    assert (
        alice.post(ARTICLE + "vote", data={"csrf_token": alice_token, "helpful": "yes"}).status_code
        == 303
    )
    assert "Thank you for your feedback!" in alice.get(ARTICLE).get_data(as_text=True)
    bob_page = bob.get(ARTICLE).get_data(as_text=True)
    assert "Was this article helpful?" in bob_page
    assert (
        bob.post(
            ARTICLE + "vote", data={"csrf_token": csrf_token(bob_page), "helpful": "no"}
        ).status_code
        == 303
    )


def test_cached_pages_follow_the_host_in_canonical_urls(loaded):
    loaded.config["PAGE_CACHE_SECONDS"] = 60
    cache.init_app(loaded)
    client = loaded.test_client()
    first = client.get(ARTICLE, base_url="http://help.example").get_data(as_text=True)
    second = client.get(ARTICLE, base_url="http://other.example").get_data(as_text=True)
    assert 'rel="canonical" href="http://help.example/en/' in first
    assert 'rel="canonical" href="http://other.example/en/' in second


def _same_for_everyone(html: str) -> str:
    """A page without this visitor's CSRF token and search log id (the marks filled per request)."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)
    return re.sub(r"/opened/\d+/", "/opened/0/", html)


CACHED_PAGES = [
    ("/en/", {}),
    ("/en/deposits-withdrawals/", {}),
    ("/az/deposits-withdrawals/?unavailable=withdrawal-times", {}),
    ("/en/search?q=bonus", {}),
    ("/en/search?q=bonus", {"HX-Request": "true"}),
    ("/ru/search?q=bonus&page=2", {}),
]


def test_cached_pages_show_no_visitor_what_another_has(loaded):
    loaded.config["PAGE_CACHE_SECONDS"] = 60
    cache.init_app(loaded)
    with loaded.app_context():
        staff.create_staff(email=EMAILS["editor"], role="editor", password=PASSWORD)
    # Bob is signed in to the console, reads in Russian and has not voted; Alice has voted.
    bob = loaded.test_client()
    signed_in = StaffActions(bob, lang="ru").login("editor")
    assert signed_in.status_code in (302, 303)
    alice = loaded.test_client()
    page = alice.get(ARTICLE).get_data(as_text=True)
    alice.post(ARTICLE + "vote", data={"csrf_token": csrf_token(page), "helpful": "no"})

    for first, second in ((bob, alice), (alice, bob)):
        cache.init_app(loaded)
        for url, headers in [*CACHED_PAGES, (ARTICLE, {})]:
            one = first.get(url, headers=headers)
            other = second.get(url, headers=headers)
            assert one.status_code == other.status_code == 200, url
            if url != ARTICLE:
                assert _same_for_everyone(one.get_data(as_text=True)) == _same_for_everyone(
                    other.get_data(as_text=True)
                ), url
        assert "Thank you for your feedback!" in alice.get(ARTICLE).get_data(as_text=True)
        bob_article = bob.get(ARTICLE).get_data(as_text=True)
        assert "Was this article helpful?" in bob_article
        assert "Thank you for your feedback!" not in bob_article


# Imported without context: it sees the environment's globals only.
_MACRO = "{% macro asked() %}{{ request.args.q }}{% endmacro %}"


@pytest.mark.parametrize(
    "template",
    [
        "{{ session.get('votes') }}",
        "{% if current_user.is_authenticated %}staff{% endif %}",
        "{{ request.args.q }}",
        "{% if htmx %}fragment{% endif %}",
        "{% from 'test/_macro.html' import asked %}{{ asked() }}",
    ],
)
def test_a_cached_page_that_reads_an_undeclared_visitor_value_is_refused(
    app, monkeypatch, template
):
    templates = {"test/page.html": template, "test/_macro.html": _MACRO}
    monkeypatch.setattr(
        app, "jinja_loader", ChoiceLoader([DictLoader(templates), app.jinja_loader])
    )
    with app.test_request_context("/en/?q=mine"):
        g.lang = "en"
        with pytest.raises(UndeclaredValue):
            render_page("test/page.html", dict, varies_on={"q": "mine"})


def test_a_cached_page_reads_what_its_view_declares(app, monkeypatch):
    templates = {"test/page.html": "{{ q }} {{ lang }} {{ shared }}"}
    monkeypatch.setattr(
        app, "jinja_loader", ChoiceLoader([DictLoader(templates), app.jinja_loader])
    )
    with app.test_request_context("/en/?q=mine"):
        g.lang = "en"
        html = render_page("test/page.html", lambda: {"shared": "all"}, varies_on={"q": "mine"})
    assert html == "mine en all"
