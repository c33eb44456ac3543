"""Configuration from HELPCENTER_* variables, the stored secret key and SQLite settings."""

from sqlalchemy import text

from helpcenter import create_app
from helpcenter.extensions import db


def test_secret_key_is_generated_once_and_kept_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPCENTER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HELPCENTER_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides_database_and_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPCENTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HELPCENTER_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("HELPCENTER_DATABASE_URL", "postgresql://user@db.internal/helpcenter")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal/helpcenter"
    )


def test_default_database_is_sqlite_in_wal_mode_with_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPCENTER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HELPCENTER_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/helpcenter.db"
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        db.engine.dispose()
