"""A bare Flask app that serves one static HTML page: the baseline of the page benchmarks.

It answers every GET with the bytes of the file named by BENCH_BARE_PAGE_FILE (a copy of a
real page: the article page for bench/pages.py, the status page for bench/tickets.py), so it
measures what gunicorn and Flask cost without any of the app's work.

    BENCH_BARE_PAGE_FILE=page.html gunicorn 'bench.bare_app:create_app()'
"""

import os
from pathlib import Path

from flask import Flask, Response

PAGE_FILE_ENV = "BENCH_BARE_PAGE_FILE"


def create_app() -> Flask:
    page = Path(os.environ[PAGE_FILE_ENV]).read_bytes()
    app = Flask(__name__)

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def static_page(path: str) -> Response:
        return Response(page, mimetype="text/html")

    return app
