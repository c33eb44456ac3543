"""Search as players and integrations meet it: page, fragment, JSON API, odd input, index life."""

import re
import shutil
import time
from pathlib import Path

import pytest

from helpcenter import create_app
from helpcenter.articles import services as articles_services
from helpcenter.extensions import db
from helpcenter.search import index

# What it checks does not depend on the database behind it: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

SEARCH = "/{lang}/search"


def page_text(client, lang, q, **params):
    response = client.get(SEARCH.format(lang=lang), query_string={"q": q, **params})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_results_page_shows_count_titles_and_highlighted_snippets(indexed, client):
    html = page_text(client, "en", "withdrawal rejected")
    assert "results</h2>" in html
    assert re.search(
        r'href="/en/search/opened/\d+/\d+/deposits-withdrawals/withdrawal-rejected/"', html
    )
    assert "<mark>" in html


@pytest.mark.parametrize(
    ("q", "expected"), [("hesabim bloklanib", "account-locked"), ("musteri", None)]
)
def test_azerbaijani_without_special_letters_finds_the_real_text(indexed, client, q, expected):
    html = page_text(client, "az", q)
    if expected:
        first = html.split('class="hit"')[1]
        assert f"account-verification/{expected}/" in first.split("</a>")[0]
        assert "bloklan" in first.lower()
    else:
        assert "0 nəticə" not in html


def test_russian_result_count_uses_the_right_plural(indexed, client):
    html = page_text(client, "ru", "вывод")
    assert any(word in html for word in ("результатов</h2>", "результата</h2>", "результат</h2>"))


def test_query_in_another_language_is_marked_as_fallback(indexed, client):
    html = page_text(client, "az", "self-exclusion cannot be cancelled early")
    first = html.split('class="hit"')[1].split("</li>")[0]
    assert re.search(r'href="/en/search/opened/\d+/1/responsible-gaming/self-exclusion/"', first)
    assert 'class="badge badge-lang" lang="en">English<' in first


def test_did_you_mean_comes_from_the_index_vocabulary(indexed, client):
    html = page_text(client, "en", "withdrawl")
    assert "Did you mean:" in html
    assert ">withdrawal</a>?" in html


def test_nothing_found_offers_contact(indexed, client):
    html = page_text(client, "en", "zzqx")
    assert "0 results" in html
    assert 'href="#hc-help"' in html and 'id="hc-help"' in html


def test_htmx_request_gets_only_the_results_fragment(indexed, client):
    response = client.get("/en/search?q=bonus", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="hc-search-results"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_pagination(indexed, client):
    first = page_text(client, "en", "account bonus withdrawal deposit")
    assert 'rel="next"' in first
    second = page_text(client, "en", "account bonus withdrawal deposit", page="2")
    assert 'rel="prev"' in second


HOSTILE = [
    "title:*",
    "a*",
    "*",
    "AND OR NOT",
    '"unbalanced',
    "((bonus",
    "bonus)]}",
    "x" * 10_000,
    "\x01\x02bonus\x7f",  # with a NUL it is a 400: tests/web/test_bad_input.py
    "\u202ebonus\u202c",
    "🎰💸 bonus 🤑",
    "<script>alert(1)</script>",
    "slug:withdrawal-times",
    "bonus~5 depozit^10",
    "",
    "   ",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_give_a_normal_page_quickly(indexed, client, q):
    started = time.perf_counter()
    html = page_text(client, "ru", q)
    assert time.perf_counter() - started < 2.0
    assert "<script>alert(1)</script>" not in html


def test_invalid_utf8_in_the_query_string_is_not_an_error(indexed, client):
    response = client.get("/az/search?q=%FF%FE%C3bonus")
    assert response.status_code == 200


def test_player_syntax_is_searched_as_words(indexed, client):
    html = page_text(client, "en", "title:*")
    assert "0 results" in html


def test_api_contract(indexed, client):
    response = client.get(
        "/api/v1/search", query_string={"q": "verifikaciya", "lang": "ru", "limit": 3}
    )
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"query", "lang", "total", "suggestion", "results"}
    assert data["query"] == "verifikaciya" and data["lang"] == "ru"
    assert isinstance(data["total"], int) and 0 < len(data["results"]) <= 3
    result = data["results"][0]
    assert set(result) == {
        "slug",
        "category",
        "lang",
        "title",
        "url",
        "snippet",
        "score",
        "fallback",
    }
    assert result["lang"] == "ru" and result["fallback"] is False
    assert result["url"] == f"http://localhost/ru/{result['category']}/{result['slug']}/"
    assert isinstance(result["score"], float)


@pytest.mark.parametrize(
    "params",
    [{"q": "x", "lang": "de"}, {"q": "x"}, {"q": "x", "lang": "az", "limit": "0"},
     {"q": "x", "lang": "az", "limit": "51"}, {"q": "x", "lang": "az", "limit": "ten"}],
)  # fmt: skip
def test_api_rejects_bad_lang_or_limit_with_a_json_error(indexed, client, params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_missing_index_is_rebuilt_from_the_database(indexed, client, caplog):
    with indexed.app_context():
        base = index.root()
    for path in base.iterdir():
        if path.is_dir():
            for file in path.iterdir():
                file.unlink()
    (base / index.POINTER).unlink()
    fresh = indexed.test_client()
    indexed.extensions.pop("search_index", None)
    assert "withdrawal-times" in page_text(fresh, "en", "withdrawal time")
    assert "rebuilding from the database" in caplog.text


def test_corrupt_index_is_rebuilt(indexed, client):
    with indexed.app_context():
        base = index.root()
    (base / index.POINTER).write_text("gen-does-not-exist\n")
    indexed.extensions.pop("search_index", None)
    assert "withdrawal-times" in page_text(client, "en", "withdrawal time")


def test_a_changed_article_reaches_another_worker_within_seconds(indexed, tmp_path):
    worker = create_app(
        {
            "DATABASE_URL": indexed.config["SQLALCHEMY_DATABASE_URI"],
            "DATA_DIR": indexed.config["DATA_DIR"],
        }
    )
    worker_client = worker.test_client()
    assert "free-spins" not in page_text(worker_client, "en", "zebrafish")
    content = tmp_path / "content"
    source = Path(__file__).resolve().parents[2] / "content"
    shutil.copytree(source, content)
    article = content / "bonuses-promotions" / "free-spins" / "en.md"
    article.write_text(article.read_text() + "\nZebrafish spins are a seasonal offer.\n")
    with indexed.app_context():
        articles_services.load_content(directory=content)
        index.rebuild()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if "free-spins" in page_text(worker_client, "en", "zebrafish"):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the other worker did not see the change within 5 seconds")
    with worker.app_context():
        db.engine.dispose()


def test_cli_reindex_and_content_load_keep_the_index(app, runner):
    result = runner.invoke(
        args=["content", "load", str(Path(__file__).resolve().parents[2] / "content")]
    )
    assert result.exit_code == 0 and "search index gen-" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Search index rebuilt: gen-" in result.output


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_header_and_home_search_boxes_point_at_the_language(indexed, client, lang):
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert html.count(f'action="/{lang}/search"') == 2
    assert html.count(f'hx-get="/{lang}/search/suggest"') == 2
