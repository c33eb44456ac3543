""" "Was this helpful?": htmx fragment, plain POST without JavaScript, one vote per visitor."""

import pytest
from sqlalchemy import select

from helpcenter.articles.models import ArticleVote
from helpcenter.extensions import db
from tests.conftest import csrf_token

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

ARTICLE = "/az/deposits-withdrawals/withdrawal-times/"


def votes(app) -> list[tuple[bool, str]]:
    with app.app_context():
        return [(v.is_helpful, v.lang) for v in db.session.scalars(select(ArticleVote))]


def test_plain_post_records_the_vote_and_shows_thanks(loaded, client):
    token = csrf_token(client.get(ARTICLE).get_data(as_text=True))
    response = client.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"] == ARTICLE + "#hc-feedback"
    page = client.get(ARTICLE).get_data(as_text=True)
    assert "Rəyiniz üçün təşəkkür edirik!" in page
    # The answer stays pressed and can still be changed.
    assert 'name="helpful" value="yes" aria-pressed="true"' in page
    assert 'name="helpful" value="no" aria-pressed="false"' in page
    assert votes(loaded) == [(True, "az")]


def test_htmx_vote_returns_only_the_fragment(loaded, client):
    token = csrf_token(
        client.get("/ru/deposits-withdrawals/withdrawal-times/").get_data(as_text=True)
    )
    response = client.post(
        "/ru/deposits-withdrawals/withdrawal-times/vote",
        data={"csrf_token": token, "helpful": "no"},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert body.lstrip().startswith('<section id="hc-feedback"')
    assert "<html" not in body
    assert "Жаль, что эта статья не ответила на ваш вопрос." in body
    assert votes(loaded) == [(False, "ru")]


def test_one_vote_per_visitor_and_article(loaded, client, app):
    token = csrf_token(client.get(ARTICLE).get_data(as_text=True))
    client.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "yes"})
    client.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "no"})
    assert votes(loaded) == [(False, "az")]
    other = app.test_client()
    token = csrf_token(other.get(ARTICLE).get_data(as_text=True))
    other.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "yes"})
    assert sorted(votes(loaded)) == [(False, "az"), (True, "az")]


def test_vote_without_csrf_token_is_rejected(loaded, client):
    client.get(ARTICLE)
    response = client.post(ARTICLE + "vote", data={"helpful": "yes"})
    assert response.status_code == 400
    assert "Formanın vaxtı bitib" in response.get_data(as_text=True)
    assert votes(loaded) == []


@pytest.mark.parametrize(
    "url",
    [
        "/az/deposits-withdrawals/no-such-article/vote",
        "/az/bonuses-promotions/withdrawal-times/vote",
    ],
)
def test_vote_for_a_missing_article_is_404(loaded, client, url):
    token = csrf_token(client.get(ARTICLE).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "helpful": "yes"})
    assert response.status_code == 404
    assert votes(loaded) == []


def test_vote_with_a_bad_answer_is_400(loaded, client):
    token = csrf_token(client.get(ARTICLE).get_data(as_text=True))
    assert (
        client.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "maybe"}).status_code
        == 400
    )
    assert votes(loaded) == []


def test_votes_are_rate_limited(loaded, client, app):
    app.config["VOTE_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(client.get(ARTICLE).get_data(as_text=True))
    codes = [
        client.post(ARTICLE + "vote", data={"csrf_token": token, "helpful": "yes"}).status_code
        for _ in range(4)
    ]
    assert codes == [303, 303, 303, 429]
