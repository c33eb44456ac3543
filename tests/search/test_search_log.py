"""Every search is recorded; editors see top queries and content gaps."""

from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.search.models import SearchLog


def logged(app) -> list[tuple[str, str, int, str | None]]:
    with app.app_context():
        rows = db.session.scalars(select(SearchLog).order_by(SearchLog.id))
        return [(r.query, r.lang, r.result_count, r.opened_slug) for r in rows]


def test_searches_are_recorded_normalized_and_opened_results_counted(indexed, client):
    html = client.get("/az/search", query_string={"q": "  HESABIM   Bloklanıb\t "}).get_data(
        as_text=True
    )
    assert logged(indexed)[0][:2] == ("hesabım bloklanıb", "az")
    link = html.split('class="hit"')[1].split('href="')[1].split('"')[0]
    assert link.startswith("/az/search/opened/")
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/az/account-verification/")
    assert logged(indexed)[0][3] is not None


def test_zero_result_searches_show_up_as_content_gaps(indexed, client, runner):
    client.get("/en/search?q=bonus")
    client.get("/en/search?q=bonus")
    client.get("/ru/search?q=zzqxv")
    # The API records its search once the answer is sent: when the server closes the
    # response, as every WSGI server does (the test client only when told).
    api = client.get("/api/v1/search?q=bonus&lang=en")
    assert len(logged(indexed)) == 3
    api.close()
    assert logged(indexed)[3][:3] == ("bonus", "en", api.json["total"])
    result = runner.invoke(args=["search", "report", "--days", "7"])
    assert result.exit_code == 0, result.output
    top, gaps = result.output.split("Queries that found nothing")
    assert "       3" in top and "en    bonus" in top
    assert "ru    zzqxv" in gaps and "bonus" not in gaps


def test_suggestions_are_not_logged_and_are_listbox_options(indexed, client):
    body = client.get("/en/search/suggest?q=withdraw", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert body.count('role="option"') == 5
    assert logged(indexed) == []


def test_report_rejects_bad_arguments(app, runner):
    result = runner.invoke(args=["search", "report", "--days", "0"])
    assert result.exit_code == 2 and "--days" in result.output


def test_a_repeated_search_served_from_the_caches_links_its_own_log_entry(indexed, client):
    indexed.config["PAGE_CACHE_SECONDS"] = 60  # as in production: the page comes from cache
    links = []
    for _ in range(2):
        html = client.get("/en/search?q=withdrawal+rejected").get_data(as_text=True)
        links.append(html.split('class="hit"')[1].split('href="')[1].split('"')[0])
    first, second = links
    assert first != second
    client.get(second)
    assert [row[3] for row in logged(indexed)] == [None, "withdrawal-rejected"]
