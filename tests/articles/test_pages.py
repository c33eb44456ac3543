"""Knowledge base pages as a player sees them, in each language."""

import re

import pytest

from helpcenter.articles import services
from helpcenter.articles.content import read_content
from tests.conftest import CONTENT_DIR, eventually

# What it checks does not depend on the database behind it: once (tests/conftest.py).
pytestmark = pytest.mark.one_database

ARTICLE = "/{lang}/deposits-withdrawals/withdrawal-times/"
TITLES = {
    "az": "Pul çıxarışı nə qədər vaxt aparır?",
    "ru": "Сколько времени занимает вывод средств?",
    "en": "How long does a withdrawal take?",
}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "cookie", "expected"),
    [
        ({}, None, "/az/"),
        ({"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}, None, "/ru/"),
        ({"Accept-Language": "de-DE,en;q=0.5"}, None, "/en/"),
        ({"Accept-Language": "ru"}, "en", "/en/"),
    ],
)
def test_root_redirects_to_the_players_language(client, headers, cookie, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_visiting_a_language_remembers_it_for_the_root(loaded, client):
    client.get("/ru/")
    assert client.get("/").headers["Location"] == "/ru/"


@pytest.mark.parametrize(
    ("lang", "heading", "count"),
    [
        ("az", "Sizə necə kömək edə bilərik?", "7 məqalə"),
        ("ru", "Чем мы можем помочь?", "7 статей"),
        ("en", "How can we help?", "7 articles"),
    ],
)
def test_home_lists_categories_with_counts_popular_and_support(
    loaded, client, lang, heading, count
):
    page = text(client.get(f"/{lang}/"))
    assert f'<html lang="{lang}">' in page
    assert heading in page
    assert count in page  # deposits-withdrawals has 7 articles
    assert f'href="/{lang}/responsible-gaming/"' in page
    assert 'id="hc-help"' in page and "Telegram" in page


def test_russian_plural_forms_of_article_counts(loaded, client):
    page = text(client.get("/ru/"))
    assert "7 статей" in page and "6 статей" in page


def _popular(client) -> list[str]:
    section = text(client.get("/en/")).split('id="hc-popular-title"')[1].split("</ul>")[0]
    return re.findall(r'href="/en/[a-z-]+/([a-z-]+)/"', section)


def test_popular_articles_follow_views(loaded, client):
    assert _popular(client)[0] != "game-frozen"
    for _ in range(3):
        client.get("/en/technical-problems/game-frozen/")
    client.get("/en/technical-problems/site-not-loading/")
    assert _popular(client)[:2] == ["game-frozen", "site-not-loading"]


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_article_page_has_breadcrumb_date_toc_and_related(loaded, client, lang):
    response = client.get(ARTICLE.format(lang=lang))
    page = text(response)
    assert response.status_code == 200
    assert f'<h1 id="hc-article-title">{TITLES[lang]}</h1>' in page
    breadcrumb = page.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert (
        f'href="/{lang}/"' in breadcrumb and f'href="/{lang}/deposits-withdrawals/"' in breadcrumb
    )
    assert 'class="toc"' in page
    assert 'id="hc-related-title"' in page
    assert "<table>" in page


def test_updated_date_is_localized(loaded, client):
    months = {
        "az": r"\d{1,2} (yanvar|fevral|mart|aprel|may|iyun|iyul|avqust|sentyabr|oktyabr|noyabr"
        r"|dekabr) \d{4}",
        "ru": r"\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября"
        r"|ноября|декабря) \d{4}",
        "en": r"(January|February|March|April|May|June|July|August|September|October|November"
        r"|December) \d{1,2}, \d{4}",
    }
    labels = {"az": "Yenilənib: ", "ru": "Обновлено: ", "en": "Updated "}
    for lang, pattern in months.items():
        page = text(client.get(ARTICLE.format(lang=lang)))
        assert re.search(re.escape(labels[lang]) + pattern, page), lang


def test_article_has_canonical_and_hreflang_alternates(loaded, client):
    page = text(client.get(ARTICLE.format(lang="az")))
    assert (
        '<link rel="canonical" href="http://localhost/az/deposits-withdrawals/withdrawal-times/">'
        in page
    )
    for lang in ("az", "ru", "en"):
        assert (
            f'hreflang="{lang}" href="http://localhost/{lang}/deposits-withdrawals/withdrawal-times/"'
            in page
        )


def test_language_switcher_leads_to_the_same_article(loaded, client):
    page = text(client.get(ARTICLE.format(lang="en")))
    switcher = page.split('class="lang-switch"')[1].split("</nav>")[0]
    assert 'href="/az/deposits-withdrawals/withdrawal-times/"' in switcher
    assert 'href="/ru/deposits-withdrawals/withdrawal-times/"' in switcher


def test_missing_translation_switches_to_category_with_notice(app, client, content_dir):
    content_dir.article("payments", "fees", langs=("en", "ru"))
    with app.app_context():
        services.load_content(directory=content_dir.root)
    page = text(client.get("/en/payments/fees/"))
    assert 'href="/az/payments/?unavailable=fees"' in page
    assert 'hreflang="az" href' not in page.split("</head>")[0]
    response = client.get("/az/payments/fees/")
    assert response.status_code == 302
    notice = text(client.get(response.headers["Location"]))
    assert "«fees ru» məqaləsi hələ bu dildə yoxdur." in notice
    assert 'href="/en/payments/fees/"' in notice and 'href="/ru/payments/fees/"' in notice


def test_category_page_lists_articles_in_their_order(loaded, client):
    content = read_content(CONTENT_DIR)
    expected = [
        a.slug
        for a in sorted(content.articles, key=lambda a: a.position)
        if a.category == "deposits-withdrawals"
    ]
    page = text(client.get("/ru/deposits-withdrawals/"))
    assert "<h1>Пополнение и вывод средств</h1>" in page
    listed = page.split('class="article-list article-list-summaries"')[1].split("</ul>")[0]
    assert re.findall(r'href="/ru/deposits-withdrawals/([a-z-]+)/"', listed) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/az/no-such-topic/", "Səhifə tapılmadı"),
        ("/ru/deposits-withdrawals/no-such-article/", "Страница не найдена"),
        ("/en/deposits-withdrawals/withdrawal-times/extra/", "Page not found"),
        ("/ru/" + "a" * 500 + "/", "Страница не найдена"),
        ("/az/Deposits/", "Səhifə tapılmadı"),
        ("/ru/%00%ff/", "Страница не найдена"),
        ("/ru/deposits-withdrawals/..%2f..%2fetc/", "Страница не найдена"),
        ("/en/responsible-gaming/deposit-limits/", None),
    ],
)
def test_bad_paths_get_a_localized_404(loaded, client, url, message):
    response = client.get(url)
    if message is None:
        assert response.status_code == 200
        return
    assert response.status_code == 404
    assert message in text(response)


def test_unknown_language_is_a_404_in_the_visitors_language(loaded, client):
    response = client.get("/de/", headers={"Accept-Language": "ru"})
    assert response.status_code == 404
    assert "Страница не найдена" in text(response)


def test_article_in_wrong_category_redirects_to_its_place(loaded, client):
    response = client.get("/en/bonuses-promotions/withdrawal-times/")
    assert response.status_code == 301
    assert response.headers["Location"] == "/en/deposits-withdrawals/withdrawal-times/"


def test_unpublished_article_is_gone(app, client, content_dir):
    content_dir.article("payments", "fees")
    keep = content_dir.article("payments", "limits")
    with app.app_context():
        services.load_content(directory=content_dir.root)
    assert client.get("/en/payments/fees/").status_code == 200
    for file in (content_dir.root / "payments" / "fees").iterdir():
        file.unlink()
    (content_dir.root / "payments" / "fees").rmdir()
    with app.app_context():
        services.load_content(directory=content_dir.root)
    assert keep.exists()
    assert client.get("/en/payments/fees/").status_code == 404
    assert "fees en" not in text(client.get("/en/payments/"))


def test_sitemap_covers_every_language_with_alternates(loaded, client):
    response = client.get("/sitemap.xml")
    xml = text(response)
    assert response.mimetype == "application/xml"
    assert xml.count("<url>") == (40 + 6) * 3
    assert "<loc>http://localhost/ru/complaints-disputes/how-escalation-works/</loc>" in xml
    assert (
        'hreflang="az" href="http://localhost/az/complaints-disputes/how-escalation-works/"' in xml
    )


def test_healthz_checks_the_database(app, client):
    def past_starting():
        response = client.get("/healthz")
        return response if response.status_code != 503 else None

    # A fresh host says "starting" until its search index is built (tests/search/test_sync.py).
    response = eventually(
        past_starting,
        seconds=10,
        what="/healthz past 503",
        details=lambda: str(client.get("/healthz").get_json()),
    )
    assert response.get_json() == {"status": "ok", "database": "ok", "search": "ok"}


def test_pages_send_security_headers(loaded, client):
    response = client.get(ARTICLE.format(lang="az"))
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in text(response)


def test_stylesheet_and_htmx_are_served_from_our_own_origin(loaded, client):
    page = text(client.get("/en/"))
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        response = client.get(path)
        response.close()
        assert response.status_code == 200, path
    assert "/static/vendor/htmx-2.0.11.min.js" in page
    assert "https://" not in page.split("</head>")[0].replace("http://localhost", "")
