"""Helpers for the player's pages: a filled-in contact form, evidence files, a filed request."""

import io
import re

import pytest
from PIL import Image
from werkzeug.test import EnvironBuilder

from helpcenter.db import utcnow
from helpcenter.tickets import services
from tests.conftest import csrf_token as csrf_of

FORM = {
    "topic": "payments",
    "urgency": "normal",
    "subject": "Withdrawal of 200 AZN not received",
    "description": "I withdrew 200 AZN to my card three days ago and nothing has arrived yet.",
    "transaction_id": "TX-48213",
    "channel": "email",
    "contact": "",
    "email": "player@example.com",
    "name": "Aysel",
    "player_id": "P-1001",
    "consent": "y",
}


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, "PNG")
    return buffer.getvalue()


def text(response) -> str:
    return response.get_data(as_text=True)


def post_multipart(client, path: str, data: dict):
    """POST a multipart form, closing the body the test client spools to disk when it is large."""
    builder = EnvironBuilder(path=path, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


class Player:
    """A browser session on the contact and status pages (flaskr's AuthActions, for players)."""

    def __init__(self, client, lang="en"):
        self.client = client
        self.lang = lang

    def token(self, path: str | None = None) -> str:
        return csrf_of(text(self.client.get(path or f"/{self.lang}/contact")))

    def contact(self, files=(), csrf=None, **changes):
        data = {**FORM, **changes, "csrf_token": csrf or self.token()}
        data = {k: v for k, v in data.items() if v is not None}
        if files:
            data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
        return post_multipart(self.client, f"/{self.lang}/contact", data)

    def file(self, **changes) -> str:
        """File a request through the form; the path of its private status page."""
        response = self.contact(**changes)
        assert response.status_code == 303, re.findall(
            r'class="error"[^>]*>(.*?)</p>', text(response)
        )
        sent = text(self.client.get(response.headers["Location"]))
        link = re.search(r'class="private-url" href="https?://[^/]+(/[^"]+)"', sent)
        return link.group(1)


@pytest.fixture
def player(loaded, client):
    return Player(client)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


TICKET = {
    "topic": "payments",
    "subject": "Deposit not credited",
    "description": "My deposit of 50 AZN is not on my balance after an hour.",
    "email": "player@example.com",
    "language": "en",
    "channel": "email",
    "transaction_id": "TX-1",
}


def file_ticket(now=None, **changes) -> services.Filed:
    """A request filed straight through the domain, as an integration or staff would."""
    return services.file_ticket(services.NewTicket(**{**TICKET, **changes}), now=now or utcnow())


def opened(client, filed: services.Filed, lang: str = "en") -> str:
    """Open the private link as its reader does: the token-free status page it leads to."""
    response = client.get(f"/{lang}/status/{filed.token}")
    assert response.status_code == 303, response.status
    return response.headers["Location"]
