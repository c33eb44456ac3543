"""Cached pages stay per-visitor where it matters: CSRF tokens and vote state."""

from helpcenter import cache
from tests.conftest import csrf_token

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
