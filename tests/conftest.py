"""Fixtures: the app on SQLite and (with HELPCENTER_TEST_DATABASE_URL) on PostgreSQL."""

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import jinja2
import pytest
from sqlalchemy import create_engine, make_url, text
from werkzeug.routing import Rule

from helpcenter import create_app
from helpcenter.articles import services
from helpcenter.extensions import db
from helpcenter.search import index

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


def _compile_url_builders_once() -> None:
    """Share werkzeug's compiled URL builders between the apps of the test run.

    Each test builds its own app (its own config and data directory), and registering a route
    compiles Python code for its URL builder: about 40 ms per app, 90 s of CPU a run. The code
    depends only on the rule's text, trace, defaults and converters, and takes the rule as its
    first argument, so one compiled builder serves every app's copy of the same rule.
    """
    compile_builder = Rule._compile_builder
    builders: dict[tuple, Callable] = {}

    def shared(rule: Rule, append_unknown: bool = True):
        key = (
            type(rule),
            rule.rule,
            tuple(rule._trace),
            tuple((k, repr(v)) for k, v in sorted((rule.defaults or {}).items())),
            # By name: an app's converter classes may be made anew in each create_app. The
            # builder calls the rule's own converters; only defaults are converted ahead.
            tuple(
                (k, type(c).__qualname__, repr({n: v for n, v in vars(c).items() if n != "map"}))
                for k, c in sorted(rule._converters.items())
            ),
            tuple(
                rule._converters[k].to_url(v)
                for k, v in sorted((rule.defaults or {}).items())
                if k in rule._converters
            ),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


_compile_url_builders_once()


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per test run and shared by every app built in it.

    Each app has its own Jinja environment, and compiling the templates a page uses took more
    time than the test itself; the bytecode is checked against the template's source.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def skip_without_redis(reason: str) -> None:
    """Skip a test that needs Redis, or fail it where CI requires Redis."""
    if _required("HELPCENTER_REQUIRE_REDIS"):
        pytest.fail(f"HELPCENTER_REQUIRE_REDIS is set: {reason}")
    pytest.skip(reason)


def _database_of_this_worker(url: str) -> str:
    """The PostgreSQL database this test process uses: the one given, or under pytest-xdist
    (`make test` runs the suite in several processes) one per worker beside it, created when
    missing: test_gw0, test_gw1... Each process empties its tables between tests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


def pytest_collection_modifyitems(config, items):
    """Tests whose subject does not depend on the database run on one only.

    `front_end` (focus, axe, layouts): SQLite. `one_database` (browser flows, pages and forms,
    input and role matrices, search over the index): PostgreSQL, the production database,
    where it is configured, else SQLite. Everything else runs on both.
    """
    postgres = bool(os.environ.get("HELPCENTER_TEST_DATABASE_URL"))
    kept, dropped = [], []
    for item in items:
        database = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        if item.get_closest_marker("front_end"):
            drop = database == "postgresql"
        elif item.get_closest_marker("one_database"):
            drop = database == ("sqlite" if postgres else "postgresql")
        else:
            drop = False
        (dropped if drop else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/test.db"
    url = os.environ.get("HELPCENTER_TEST_DATABASE_URL")
    if not url:
        if _required("HELPCENTER_REQUIRE_POSTGRES"):
            pytest.fail(
                "HELPCENTER_REQUIRE_POSTGRES is set but HELPCENTER_TEST_DATABASE_URL is not"
            )
        pytest.skip("PostgreSQL: set HELPCENTER_TEST_DATABASE_URL to run these too")
    return _database_of_this_worker(url)


@pytest.fixture(scope="session")
def migrated_url(database_url, tmp_path_factory):
    """The database with the schema built by the Alembic migrations, as in production."""
    app = make_app(database_url, tmp_path_factory.mktemp("data"))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


def make_app(database_url: str, data_dir, **config):
    """An app (a host) over `database_url` with its own data directory; `config` adds settings."""
    app = create_app({"DATABASE_URL": database_url, "DATA_DIR": str(data_dir), **config})
    app.jinja_env.bytecode_cache = _TEMPLATES
    return app


def empty_tables(app) -> None:
    """Delete every table's rows and close the app's connections: what a test leaves behind."""
    # A background index build still running would open a connection after the dispose.
    index.wait_for_builder(app)
    with app.app_context():
        db.session.remove()
        # One round trip says which tables hold rows: most tests touch a few of the forty.
        holding = " UNION ALL ".join(
            f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")"
            for table in db.metadata.sorted_tables
        )
        full = set(db.session.scalars(text(holding)))
        for table in reversed(db.metadata.sorted_tables):
            if table.name in full:
                db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


def eventually(
    check: Callable[[], object],
    seconds: float = 5.0,
    what: str = "the condition",
    details: Callable[[], str] | None = None,
):
    """Poll `check()` until it returns something truthy, and return that.

    Fails the test after `seconds` with "`what` not within `seconds` s", followed by what
    `details()` returns then (a log, say).
    """
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            message = f"{what}: not within {seconds:g} s"
            pytest.fail(f"{message}\n{details()}" if details else message)
        time.sleep(0.05)


@pytest.fixture
def app(migrated_url, tmp_path):
    app = make_app(migrated_url, tmp_path / "data")
    yield app
    empty_tables(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class ContentSnapshot:
    """The shipped content as loaded once per test run and database: the tables that hold
    rows, copied beside them (`snapshot_<table>`), and the search index."""

    tables: tuple[str, ...]
    index_dir: Path


def _snapshot_table(name: str) -> str:
    return f"snapshot_{name}"


@pytest.fixture(scope="session")
def content_snapshot(migrated_url, tmp_path_factory) -> ContentSnapshot:
    """Load content/ and build its search index once per run (and database), then empty it.

    Loading the 120 files takes about a second and indexing them two or three; each test that
    needs them gets a copy of the rows and of the index instead (`loaded`). The rows are kept
    in the database itself, so a copy is one INSERT ... SELECT per table on the server.
    """
    data_dir = tmp_path_factory.mktemp("content")
    app = make_app(migrated_url, data_dir)
    with app.app_context():
        services.load_content(directory=CONTENT_DIR)
        index.rebuild()
        tables = []
        for table in db.metadata.sorted_tables:
            if db.session.execute(table.select().limit(1)).first() is None:
                continue
            copy = _snapshot_table(table.name)
            db.session.execute(text(f'DROP TABLE IF EXISTS "{copy}"'))
            db.session.execute(text(f'CREATE TABLE "{copy}" AS SELECT * FROM "{table.name}"'))
            tables.append(table.name)
        db.session.commit()
    empty_tables(app)
    return ContentSnapshot(tuple(tables), data_dir / "search")


@pytest.fixture
def loaded(app, content_snapshot):
    """The shipped content/ in the database, and its search index in the app's data directory.

    The same rows (with the same ids) and the same index as `helpcenter content load` and
    `helpcenter search reindex` make, copied from the run's snapshot.
    """
    with app.app_context():
        for name in content_snapshot.tables:
            copy = _snapshot_table(name)
            db.session.execute(text(f'INSERT INTO "{name}" SELECT * FROM "{copy}"'))
        if db.engine.dialect.name == "postgresql":
            # Rows came with their ids: the sequences continue after them (one round trip).
            sequences = ", ".join(
                f"setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))"
                for name in content_snapshot.tables
                if "id" in db.metadata.tables[name].c
            )
            db.session.execute(text(f"SELECT {sequences}"))
        db.session.commit()
    shutil.copytree(
        content_snapshot.index_dir, Path(app.config["DATA_DIR"]) / "search", dirs_exist_ok=True
    )
    return app


def csrf_token(html: str) -> str:
    """The page's CSRF token, from a hand-written field or a (prefixed) WTForms one."""
    match = re.search(r'name="(?:[\w-]*-)?csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class ContentDir:
    """Writes content directories for loader tests: ContentDir(tmp).article(...)."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def category(self, slug: str, order: int = 1, **extra) -> Path:
        path = self.root / slug
        path.mkdir(exist_ok=True)
        body = extra.pop(
            "raw",
            f"order: {order}\ntitle:\n  az: Kateqoriya {slug}\n"
            f"  ru: Раздел {slug}\n  en: Category {slug}\n",
        )
        (path / "_category.yml").write_text(body, encoding="utf-8")
        return path

    def article(
        self, category: str, slug: str, langs=("az", "ru", "en"), body="Some text.", **front
    ) -> Path:
        if not (self.root / category).exists():
            self.category(category)
        path = self.root / category / slug
        path.mkdir(exist_ok=True)
        for lang in langs:
            fields = {"title": f'"{slug} {lang}"', **front}
            fm = "".join(f"{k}: {v}\n" for k, v in fields.items())
            (path / f"{lang}.md").write_text(f"---\n{fm}---\n{body}\n", encoding="utf-8")
        return path


@pytest.fixture
def content_dir(tmp_path):
    return ContentDir(tmp_path / "content")
