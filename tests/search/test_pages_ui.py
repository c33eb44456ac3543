"""What a player sees around the results: the zero-result page, the dropdown, one search box."""

import re

import pytest
from sqlalchemy import select, update

from helpcenter.articles.models import Article
from helpcenter.extensions import db

# What it checks does not depend on the database behind it: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

NOTHING = "qzxjv"  # no article has these letters, in any language or layout
# (language, existing words of its page: the topics heading, the popular heading, the contact
# link, and a topic title and the most viewed article's title in that language)
ZERO = {
    "en": (
        "Browse by topic",
        "Popular articles",
        "Contact our support team",
        "Responsible gaming",
        "How does self-exclusion work?",
    ),
    "az": (
        "Mövzular",
        "Populyar məqalələr",
        "Dəstək xidmətimizlə əlaqə saxlayın",
        "Məsuliyyətli oyun",
        "Özünü oyundan kənarlaşdırma necə işləyir?",
    ),
    "ru": (
        "Темы",
        "Популярные статьи",
        "Свяжитесь со службой поддержки",
        "Ответственная игра",
        "Как работает самоисключение?",
    ),
}


@pytest.fixture
def most_viewed(indexed):
    """Self-exclusion made the most viewed article, so it heads "Popular articles"."""
    with indexed.app_context():
        db.session.execute(
            update(Article).where(Article.slug == "self-exclusion").values(view_count=10_000)
        )
        db.session.commit()
    return "self-exclusion"


def search_page(client, lang, q, **headers):
    response = client.get(f"/{lang}/search", query_string={"q": q}, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html: str, heading_id: str) -> str:
    """The list that follows the heading with `heading_id`."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</ul>", 1)[0]


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
@pytest.mark.parametrize("fragment", [False, True], ids=["page", "htmx-fragment"])
def test_nothing_found_offers_topics_popular_articles_and_contact(
    indexed, client, most_viewed, lang, fragment
):
    topics_title, popular_title, contact, topic, article_title = ZERO[lang]
    headers = {"HX-Request": "true"} if fragment else {}
    html = search_page(client, lang, NOTHING, **headers)
    assert "<html" not in html if fragment else "<html" in html

    assert f">{topics_title}</h3>" in html
    topics = section(html, "hc-zero-topics")
    # Every published category, linked in the page language, in the home page's order.
    home = client.get(f"/{lang}/").get_data(as_text=True)
    home_order = re.findall(rf'class="category-card" href="(/{lang}/[a-z-]+/)"', home)
    assert re.findall(r'href="([^"]+)"', topics) == home_order and len(home_order) == 6
    assert f">{topic}</a>" in topics

    assert f">{popular_title}</h3>" in html
    popular = section(html, "hc-zero-popular")
    links = re.findall(r'href="([^"]+)"', popular)
    assert 3 <= len(links) <= 5
    assert all(link.startswith(f"/{lang}/") for link in links)
    assert links[0] == f"/{lang}/responsible-gaming/{most_viewed}/"
    assert f">{article_title}</a>" in popular

    assert f'href="#hc-help">{contact}</a>' in html
    if not fragment:
        assert 'id="hc-help"' in html


def test_the_zero_result_page_is_a_cached_page_like_the_others(indexed, client):
    first = search_page(client, "en", NOTHING)
    # The same page from the cache, and the other language's page from its own entry.
    assert search_page(client, "en", NOTHING) == first
    assert ">Темы</h3>" in search_page(client, "ru", NOTHING)


def test_results_pages_do_not_carry_the_zero_result_extras(indexed, client):
    html = search_page(client, "en", "withdrawal")
    assert 'class="hit"' in html
    assert "hc-zero-topics" not in html and "hc-zero-popular" not in html


def test_the_empty_search_page_asks_for_words_and_offers_no_extras(indexed, client):
    html = search_page(client, "en", "")
    assert "Type a few words about your question" in html
    assert "hc-zero-topics" not in html


@pytest.mark.parametrize(
    ("lang", "nothing", "contact"),
    [
        ("en", "Nothing found.", "Contact our support team"),
        ("az", None, "Dəstək xidmətimizlə əlaqə saxlayın"),
        ("ru", None, "Свяжитесь со службой поддержки"),
    ],
)
def test_dropdown_says_nothing_found_and_links_the_contact_form(
    indexed, client, lang, nothing, contact
):
    html = client.get(f"/{lang}/search/suggest", query_string={"q": NOTHING}).get_data(as_text=True)
    options = re.findall(r'<li role="option"[^>]*>(.*?)</li>', html, re.S)
    assert len(options) == 1
    assert f'href="/{lang}/contact"' in options[0]
    assert f'<span class="suggest-contact">{contact}</span>' in options[0]
    if nothing:
        assert f">{nothing}</span>" in options[0]


def test_dropdown_lists_results_and_nothing_for_an_empty_box(indexed, client):
    html = client.get("/en/search/suggest", query_string={"q": "withdrawal"}).get_data(as_text=True)
    assert 1 <= html.count('role="option"') <= 5
    assert "/contact" not in html
    empty = client.get("/en/search/suggest", query_string={"q": ""}).get_data(as_text=True)
    assert "option" not in empty


@pytest.mark.parametrize(
    ("path", "own_box"),
    [
        ("/{lang}/", True),
        ("/{lang}/search?q=bonus", True),
        ("/{lang}/deposits-withdrawals/", False),
        ("/{lang}/deposits-withdrawals/withdrawal-times/", False),
    ],
)
def test_pages_with_their_own_search_box_say_so_for_the_stylesheet(indexed, client, path, own_box):
    for lang in ("az", "ru", "en"):
        html = client.get(path.format(lang=lang)).get_data(as_text=True)
        assert ('<body class="has-page-search">' in html) is own_box
        # The header's box stays in the page (hidden by the stylesheet where there is another).
        assert 'id="hc-header-q"' in html


def test_popular_is_the_most_viewed_published_articles_in_the_language(indexed, most_viewed):
    from helpcenter.articles import queries

    with indexed.app_context():
        unpublished = db.session.scalar(select(Article).where(Article.slug == "withdrawal-times"))
        unpublished.is_published = False
        unpublished.view_count = 20_000
        db.session.commit()
        links = queries.popular("ru", 4)
    assert len(links) == 4
    assert links[0].slug == most_viewed and links[0].lang == "ru"
    assert "withdrawal-times" not in {link.slug for link in links}
