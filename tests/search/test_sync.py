"""Every host keeps its own search index in step with the database, within seconds.

Host A is the `indexed` app; host B is a second app over the same database with its own
data directory, as a second server would be. Changes go through A's services; B's answers
are polled against a deadline.
"""

import logging
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpcenter.articles import services as articles
from helpcenter.articles.models import Article, Category
from helpcenter.editor import services as editor
from helpcenter.extensions import db
from helpcenter.search import index
from helpcenter.search.index import Version
from helpcenter.search.models import ContentChange
from tests.conftest import eventually, make_app

AUTHOR = "editor@casino.example"
CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
ARTICLE = "withdrawal-times"


def other_host(app, tmp_path: Path, name: str, *, copy_index: bool = True, **config):
    """A second host: same database, own data directory (with a copy of A's index)."""
    data_dir = tmp_path / name
    if copy_index:
        shutil.copytree(index.root(app), data_dir / "search")
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"], data_dir, **config)


def close(*hosts) -> None:
    """Let a background build finish, then close the host's connections."""
    for host in hosts:
        holder = host.extensions.get("search_index")
        if holder is not None and holder.builder is not None:
            holder.builder.join(timeout=60)
        with host.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _index_log(caplog):
    caplog.set_level(logging.INFO, logger=index.log.name)


@pytest.fixture
def host_b(indexed, tmp_path):
    host = other_host(indexed, tmp_path, "b")
    yield host
    close(host)


def hits(host, q: str, lang: str = "en") -> list[dict]:
    response = host.test_client().get(
        "/api/v1/search", query_string={"q": q, "lang": lang, "limit": 10}
    )
    assert response.status_code == 200
    return response.get_json()["results"]


def slugs(host, q: str, lang: str = "en") -> list[str]:
    return [hit["slug"] for hit in hits(host, q, lang)]


def the_article(slug: str = ARTICLE) -> Article:
    return db.session.scalar(select(Article).where(Article.slug == slug))


def publish(app, slug: str, lang: str, *, title: str | None = None, body: str | None = None):
    with app.app_context():
        article = the_article(slug)
        current = editor.latest(article.id, lang)
        draft = editor.Draft(
            title or current.title, current.summary, tuple(current.tags), body or current.body_md
        )
        editor.save(article=article, lang=lang, draft=draft, base_id=current.id, author=AUTHOR)
        editor.publish(article=article, lang=lang, author=AUTHOR)


def test_a_new_article_reaches_another_host_and_no_request_waits(indexed, tmp_path, caplog):
    host_b = other_host(indexed, tmp_path, "b", SEARCH_SYNC_SECONDS=0)
    try:
        assert hits(host_b, "zanzibarite") == []
        with indexed.app_context():
            category = db.session.scalar(
                select(Category).where(Category.slug == "bonuses-promotions")
            )
            draft = editor.Draft("Zanzibarite tournaments", "", (), "Play the zanzibarite cup.\n")
            article = editor.create_article(
                category=category, slug="zanzibarite-cup", lang="en", draft=draft, author=AUTHOR
            )
            editor.publish(article=article, lang="en", author=AUTHOR)
        # The request that notices the change answers at once from the index it has...
        assert hits(host_b, "zanzibarite") == []
        assert host_b.extensions["search_index"].builder is not None
        # ...and the index catches up in the background, with only that article's documents.
        found = eventually(lambda: hits(host_b, "zanzibarite"), what="the new article on B")
        assert [hit["slug"] for hit in found] == ["zanzibarite-cup"]
        assert "updated for zanzibarite-cup" in caplog.text
    finally:
        close(host_b)


def titled(host, q: str, title: str) -> bool:
    return any(hit["title"] == title for hit in hits(host, q) if hit["slug"] == ARTICLE)


def test_a_new_title_reaches_another_host_within_seconds(indexed, host_b):
    assert not titled(host_b, "payout calendar", "Payout calendar")
    publish(indexed, ARTICLE, "en", title="Payout calendar")
    eventually(
        lambda: titled(host_b, "payout calendar", "Payout calendar"), what="the new title on B"
    )
    # The other languages of the article are still found.
    assert ARTICLE in slugs(host_b, "вывод", "ru")


def status(host) -> str:
    return host.test_cli_runner().invoke(args=["search", "status"]).output


def test_an_unpublished_article_leaves_another_hosts_search_within_seconds(indexed, host_b):
    assert ARTICLE in slugs(host_b, "withdrawal time")
    assert "(up to date)" in status(host_b)
    with indexed.app_context():
        editor.unpublish(article=the_article(), author=AUTHOR)
        version = db.session.scalar(select(func.max(ContentChange.id)))
    assert f"of {version} (behind" in status(host_b)
    eventually(
        lambda: ARTICLE not in slugs(host_b, "withdrawal time"), what="the article gone from B"
    )
    assert f"content version {version} of {version} (up to date)" in status(host_b)
    for lang, q in (("ru", "вывод"), ("az", "çıxarış")):
        assert ARTICLE not in slugs(host_b, q, lang)


@pytest.fixture
def small(app, content_dir):
    """Two articles in two categories, loaded and indexed: a full rebuild takes no time."""
    content_dir.article("alpha", "quokka-care", body="Feeding a quokka.")
    content_dir.article("beta", "wombat-care", body="Feeding a wombat.")
    with app.app_context():
        articles.load_content(directory=content_dir.root)
        index.rebuild()
    return app


def test_an_unpublished_category_leaves_another_hosts_search_within_seconds(
    small, content_dir, tmp_path
):
    host_b = other_host(small, tmp_path, "b")
    try:
        assert slugs(host_b, "feeding quokka")[0] == "quokka-care"
        shutil.rmtree(content_dir.root / "alpha")
        with small.app_context():
            articles.load_content(directory=content_dir.root)
        eventually(
            lambda: slugs(host_b, "feeding quokka") == ["wombat-care"],
            what="the category gone from B",
        )
    finally:
        close(host_b)


def test_one_build_per_host_however_many_workers(indexed, tmp_path, caplog):
    first = other_host(indexed, tmp_path, "b", SEARCH_SYNC_SECONDS=0)
    workers = [first, *(other_host(indexed, tmp_path, "b", copy_index=False) for _ in range(2))]
    for worker in workers[1:]:
        worker.config["SEARCH_SYNC_SECONDS"] = 0
    try:
        publish(indexed, ARTICLE, "en", title="Payout calendar")
        seen = []

        def search(worker):
            eventually(
                lambda: titled(worker, "payout calendar", "Payout calendar"),
                what="the new title on every worker",
            )
            seen.append(worker)

        threads = [threading.Thread(target=search, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == len(workers)
        assert caplog.text.count(f"updated for {ARTICLE}") == 1
    finally:
        close(*workers)


def test_a_damaged_index_is_rebuilt_while_the_old_one_answers(small, tmp_path, caplog, request):
    host_b = other_host(small, tmp_path, "b")
    request.addfinalizer(lambda: close(host_b))
    assert slugs(host_b, "feeding quokka")[0] == "quokka-care"
    base = index.root(host_b)
    # A generation whose segments are gone, named by the pointer.
    damaged = base / "gen-99999999999999999999"
    shutil.copytree(base / index._current_generation(base), damaged)
    for segment in damaged.glob("*.seg"):
        segment.unlink()
    (base / index.POINTER).write_text(damaged.name + "\n")
    # Answers keep coming from the index this worker has open while the new one is built.
    answers = []

    def rebuilt():
        answers.append(slugs(host_b, "feeding quokka")[0])
        # The builder swaps the pointer, then logs: wait for both.
        swapped = index._current_generation(base) not in (None, damaged.name)
        return swapped and "built with 6 documents" in caplog.text

    eventually(rebuilt, seconds=15, what="the damaged index rebuilt")
    assert set(answers) == {"quokka-care"}
    assert "built with 6 documents" in caplog.text
    assert slugs(host_b, "feeding quokka")[0] == "quokka-care"


def test_a_host_with_an_empty_data_dir_is_unhealthy_until_its_index_is_built(small, tmp_path):
    host_c = other_host(small, tmp_path, "c", copy_index=False)
    try:
        client = host_c.test_client()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "starting",
            "database": "ok",
            "search": "building",
        }
        eventually(lambda: client.get("/healthz").status_code == 200, what="a healthy host C")
        assert client.get("/healthz").get_json() == {
            "status": "ok",
            "database": "ok",
            "search": "ok",
        }
        assert slugs(host_c, "feeding quokka")[0] == "quokka-care"
    finally:
        close(host_c)


def test_content_version_counts_late_commits_and_forgets_rolled_back_ids():
    now = datetime.now(UTC)
    old = now - timedelta(seconds=index.GAP_SECONDS + 1)
    # Id 2 is taken by a transaction still running when 3 commits.
    version = Version().after([(1, now), (3, now)], now)
    assert (version.floor, version.seen, version.number) == (1, (3,), 3)
    assert version.matches(1, 3)
    # Its row commits later: the same highest id, one more row: the index is behind.
    assert not version.matches(2, 3)
    assert version.after([(2, now), (3, now)], now) == Version(3, ())
    # A gap below a row older than GAP_SECONDS was rolled back: the floor moves past it.
    assert Version().after([(1, old), (3, old)], now) == Version(3, ())
