"""The production files in deploy/: the gunicorn configuration runs, the examples fit the app."""

import os
import re
import runpy
import shlex
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from helpcenter import config, create_app
from tests.conftest import eventually

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_DEADLINE = 60.0


def _env_example() -> dict[str, str]:
    """The assignments of deploy/helpcenter.env.example, unquoted as systemd and sh read them."""
    values = {}
    for line in (DEPLOY / "helpcenter.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


def _wait_for(check, what: str, log: Path):
    return eventually(
        check, START_DEADLINE, what, details=lambda: f"log:\n{log.read_text()[-3000:]}"
    )


def test_env_example_sets_real_settings_that_parse(tmp_path, monkeypatch):
    example = _env_example()
    settings = {name: value for name, value in example.items() if name.startswith("HELPCENTER_")}
    unknown = [name for name in settings if not hasattr(config.Config, name[len("HELPCENTER_") :])]
    assert unknown == []  # a misspelt name would be ignored without a word
    for name in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "PUBLIC_BASE_URL", "DATA_DIR"):
        assert f"HELPCENTER_{name}" in settings
    for name in list(os.environ):
        if name.startswith("HELPCENTER_"):
            monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HELPCENTER_DATA_DIR", str(tmp_path))  # not /var/lib/helpcenter here

    app = create_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["PROXY_FIX_X_FOR"] == 1
    assert app.config["SMTP_PORT"] == 587 and app.config["SMTP_STARTTLS"] is True
    assert app.config["MAIL_FROM"] == "support@casino.example"
    assert app.config["FILE_STORAGE"] == "database"


def test_proxy_accepts_exactly_the_bodies_the_app_accepts():
    nginx = (DEPLOY / "nginx.conf").read_text()
    size = re.search(r"^\s*client_max_body_size\s+(\d+)m;", nginx, re.MULTILINE)
    assert size is not None
    assert int(size.group(1)) * 1024 * 1024 == config.Config.MAX_CONTENT_LENGTH
    assert re.search(r"^\s*proxy_request_buffering\s+on;", nginx, re.MULTILINE)


def test_units_run_commands_that_exist(tmp_path):
    web = (DEPLOY / "helpcenter-web.service").read_text()
    assert "--config /opt/helpcenter/deploy/gunicorn.conf.py" in web
    worker = (DEPLOY / "helpcenter-worker.service").read_text()
    command = re.search(r"^ExecStart=\S+/helpcenter (\S+)$", worker, re.MULTILINE)
    assert command is not None
    assert command.group(1) in create_app({"DATA_DIR": str(tmp_path)}).cli.commands


def test_gunicorn_config_serves_with_threads_and_keeps_secrets_out_of_the_access_log(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPCENTER_")}
    env |= {
        "HELPCENTER_DATA_DIR": str(tmp_path / "data"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_CMD_ARGS": "--workers 1",  # the override the env example documents
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "--config", str(DEPLOY / "gunicorn.conf.py")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def status_of_a_status_page():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                    conn.sendall(
                        b"GET /xx/status/Secret-Token-123?email=player%40example.com HTTP/1.1\r\n"
                        b"Host: localhost\r\nConnection: close\r\n\r\n"
                    )
                    return conn.makefile("rb").readline()
            except OSError:
                return None

        answer = _wait_for(status_of_a_status_page, "an answer", log)
        assert answer.startswith(b"HTTP/1.1 ")
        line = _wait_for(
            lambda: next((li for li in log.read_text().splitlines() if "/status/" in li), None),
            "an access line",
            log,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    text = log.read_text()
    assert "Using worker: gthread" in text
    assert re.search(r"Booting worker with pid", text)
    assert '"GET /xx/status/<token> HTTP/1.1" 404' in line
    assert "Secret-Token-123" not in text and "player%40example.com" not in text


def test_the_access_log_leaves_out_unchanged_chat_polls(tmp_path):
    """Every open chat page polls once a second; the ones answered "unchanged" before the app
    are not logged, every other request is."""
    from gunicorn.config import Config

    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", settings["access_log_format"])
    logger = settings["AccessLogger"](cfg)

    class Answer:
        status = "204 No Content"
        sent = 0
        headers = ()

    class Asked:
        headers = ()
        method, path, query, uri, version = "GET", "/en/chat/HC-1/messages", "", "", (1, 1)

    poll = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/en/chat/HC-1/messages",
        "RAW_URI": "/en/chat/HC-1/messages",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
    }
    logger.access(Answer(), Asked(), {**poll, "helpcenter.unchanged_poll": True}, timedelta(0))
    logger.access(Answer(), Asked(), poll, timedelta(0))
    for handler in logger.access_log.handlers:
        handler.flush()
    lines = (tmp_path / "access.log").read_text().splitlines()
    assert len(lines) == 1 and "/en/chat/HC-1/messages" in lines[0]


def test_a_postgresql_pool_keeps_a_connection_per_gunicorn_thread(tmp_path):
    app = create_app(
        {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/none", "DATA_DIR": str(tmp_path)}
    )
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    settings = (DEPLOY / "gunicorn.conf.py").read_text()
    threads = int(re.search(r"^threads = (\d+)", settings, re.M).group(1))
    assert options["pool_size"] == threads and options["pool_pre_ping"]
