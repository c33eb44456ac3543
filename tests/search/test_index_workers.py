"""Several gunicorn workers keep answering while the index is rebuilt and swapped."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from helpcenter.search import index


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def test_gunicorn_workers_answer_during_reindex(indexed):
    port = _free_port()
    env = {
        **os.environ,
        "HELPCENTER_DATA_DIR": indexed.config["DATA_DIR"],
        "HELPCENTER_DATABASE_URL": indexed.config["SQLALCHEMY_DATABASE_URI"],
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "helpcenter:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        answers: list[tuple[int, bool]] = []
        stop = threading.Event()

        def search_loop():
            while not stop.is_set() and len(answers) < 400:
                try:
                    status, body = _get(base + "/en/search?q=withdrawal+time")
                    answers.append((status, "withdrawal-times" in body))
                except OSError:
                    answers.append((0, False))

        threads = [threading.Thread(target=search_loop) for _ in range(3)]
        for thread in threads:
            thread.start()
        with indexed.app_context():
            for _ in range(3):
                index.rebuild()
                time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert len(answers) >= 20
    assert all(status == 200 and found for status, found in answers), answers[:10]
