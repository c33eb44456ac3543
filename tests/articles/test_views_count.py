"""Article views: counted where every host sees them, moved by the worker, never lost or doubled."""

import logging
import signal
import threading
import uuid

import pytest
import redis
from sqlalchemy import select

from helpcenter.articles import services
from helpcenter.articles.models import Article
from helpcenter.extensions import db
from tests.conftest import skip_without_redis
from tests.tickets.test_worker import WorkerProcess, wait_for

REDIS_URL = "redis://127.0.0.1:6379/0"
ARTICLE = "/en/technical-problems/game-frozen/"
OTHER = "/ru/technical-problems/site-not-loading/"


def views(app) -> dict[str, int]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(Article.slug, Article.view_count)).all()
    return {slug: count for slug, count in rows if count}


def look(client, path: str, times: int) -> None:
    for _ in range(times):
        assert client.get(path).status_code == 200


@pytest.fixture
def store():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        skip_without_redis(f"Redis is not running on {REDIS_URL}")
    return client


@pytest.fixture
def with_redis(loaded, store):
    """The app counting into real Redis under a key of this test's own."""
    prefix = f"helpcenter-test:{uuid.uuid4().hex}:views"
    loaded.config.update(REDIS_URL=REDIS_URL, VIEW_COUNTER_KEY=prefix)
    yield loaded
    for key in store.scan_iter(match=f"{prefix}*"):
        store.delete(key)


def move(app, store) -> int:
    with app.app_context():
        return services.move_view_counts(store)


def test_without_redis_every_view_is_in_the_database_at_once(loaded, client):
    look(client, ARTICLE, 3)
    look(client, OTHER, 1)
    assert views(loaded) == {"game-frozen": 3, "site-not-loading": 1}


def test_concurrent_views_without_redis_are_all_counted(loaded):
    errors = []

    def read():
        try:
            look(loaded.test_client(), ARTICLE, 25)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert views(loaded) == {"game-frozen": 100}


def test_with_redis_views_wait_in_redis_until_the_worker_moves_them(with_redis, client, store):
    look(client, ARTICLE, 5)
    look(client, OTHER, 2)
    assert views(with_redis) == {}
    pending = store.hgetall(with_redis.config["VIEW_COUNTER_KEY"] + ":pending")
    assert sorted(int(v) for v in pending.values()) == [2, 5]
    assert move(with_redis, store) == 7
    assert views(with_redis) == {"game-frozen": 5, "site-not-loading": 2}
    assert move(with_redis, store) == 0
    assert views(with_redis) == {"game-frozen": 5, "site-not-loading": 2}
    assert list(store.scan_iter(match=with_redis.config["VIEW_COUNTER_KEY"] + "*")) == []


def test_a_run_that_died_before_adding_is_finished_by_the_next(with_redis, client, store):
    look(client, ARTICLE, 4)
    with with_redis.app_context():
        assert services.claim_view_run(store) is not None  # ...and the worker died here
    look(client, ARTICLE, 1)  # counted in a new pending hash meanwhile
    assert views(with_redis) == {}
    assert move(with_redis, store) == 5
    assert views(with_redis) == {"game-frozen": 5}


def test_a_run_that_died_after_adding_is_not_added_again(with_redis, client, store):
    look(client, ARTICLE, 4)
    with with_redis.app_context():
        key = services.claim_view_run(store)
        assert services.add_view_run(store, key) == 4  # ...and the worker died here
    assert views(with_redis) == {"game-frozen": 4}
    assert move(with_redis, store) == 0
    assert views(with_redis) == {"game-frozen": 4}
    assert list(store.scan_iter(match=with_redis.config["VIEW_COUNTER_KEY"] + "*")) == []


def test_two_hosts_moving_at_once_count_every_view_once(with_redis, store):
    with with_redis.app_context():
        services.count_view(article_id=db.session.scalar(select(Article.id).limit(1)))
        services.claim_view_run(store)  # a dead run both hosts find
    reading = threading.Event()
    errors, moved = [], []

    def read():
        try:
            look(with_redis.test_client(), ARTICLE, 60)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            reading.set()

    def work():
        try:
            while not reading.is_set():
                moved.append(move(with_redis, store))
            moved.append(move(with_redis, store))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (read, work, work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(moved) == 61
    assert sum(views(with_redis).values()) == 61


def test_a_redis_outage_counts_in_the_database_and_says_so_once(loaded, client, caplog):
    loaded.config.update(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="helpcenter.articles.services"):
        look(client, ARTICLE, 3)
    assert views(loaded) == {"game-frozen": 3}
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_a_worker_restart_loses_no_view(with_redis, client, store, tmp_path):
    settings = {"REDIS_URL": REDIS_URL, "VIEW_COUNTER_KEY": with_redis.config["VIEW_COUNTER_KEY"]}
    url = with_redis.config["SQLALCHEMY_DATABASE_URI"]
    look(client, ARTICLE, 10)  # before any worker runs
    first = WorkerProcess(url, tmp_path / "host-a", **settings)
    try:
        wait_for(lambda: views(with_redis) == {"game-frozen": 10}, "the first 10 views", first)
        look(client, ARTICLE, 15)
        first.process.kill()  # no time to finish anything
        first.process.wait()
        look(client, ARTICLE, 5)
        assert sum(views(with_redis).values()) <= 30
        second = WorkerProcess(url, tmp_path / "host-b", **settings)
        try:
            wait_for(lambda: views(with_redis) == {"game-frozen": 30}, "all 30 views", second)
            second.stop(signal.SIGTERM)
            assert "views: " in second.log
        finally:
            second.kill()
    finally:
        first.kill()
    assert move(with_redis, store) == 0
    assert views(with_redis) == {"game-frozen": 30}
