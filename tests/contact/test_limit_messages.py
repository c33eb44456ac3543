"""Messages about upload limits state the limits in force: change them and every message follows."""

import re
import sys
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage
from wtforms.validators import ValidationError

from helpcenter.contact import forms
from helpcenter.tickets import uploads
from tests.contact.conftest import Player, file_ticket, png_bytes, text

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database

MB = 1024 * 1024


def errors(response) -> list[str]:
    return re.findall(r'<p class="error" id="[^"]+">(.*?)</p>', text(response))


def set_limits(monkeypatch, *, files: int, megabytes: int, megapixels: int) -> None:
    """New limits in helpcenter.vocabulary and in every module that imported its names."""
    values = {"MAX_FILES": files, "MAX_BYTES": megabytes * MB, "MAX_MEGAPIXELS": megapixels}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "helpcenter" or name.startswith("helpcenter.")):
            continue
        for constant, value in values.items():
            if hasattr(module, constant):
                monkeypatch.setattr(module, constant, value)
    monkeypatch.setattr(uploads, "MAX_PIXELS", megapixels * 1_000_000)


@pytest.fixture
def limits(monkeypatch):
    set_limits(monkeypatch, files=3, megabytes=2, megapixels=2)


def test_the_contact_form_states_the_limits_in_force(loaded, client, limits):
    page = text(client.get("/en/contact"))
    assert "Up to 3 files: JPEG, PNG or PDF, at most 2 MB each. Screenshots," in page
    assert "10 MB" not in page and "5 files" not in page


def test_one_file_is_one_file(loaded, client, monkeypatch):
    set_limits(monkeypatch, files=1, megabytes=4, megapixels=1)
    assert "1 file: JPEG, PNG or PDF, at most 4 MB. Screenshots," in text(client.get("/en/contact"))
    response = Player(client).contact(files=[("a.png", png_bytes()), ("b.png", png_bytes())])
    assert "Attach at most 1 file." in errors(response)
    response = Player(client).contact(files=[("wide.png", png_bytes((1100, 1000)))])
    assert "wide.png has more than 1 megapixel. Send a smaller image." in errors(response)


def test_refusals_state_the_limits_the_checks_applied(loaded, client, limits):
    player = Player(client)
    response = player.contact(files=[(f"shot{i}.png", png_bytes()) for i in range(4)])
    assert response.status_code == 422
    assert "Attach at most 3 files." in errors(response)

    # Under the old 10 MB, over the new 2 MB: refused, and the message says 2 MB.
    pdf = b"%PDF-1.4\n" + b"0" * (3 * MB) + b"\n%%EOF"
    response = player.contact(files=[("statement.pdf", pdf)])
    assert response.status_code == 422
    assert "statement.pdf is larger than 2 MB." in errors(response)

    response = player.contact(files=[("wide.png", png_bytes((1500, 1500)))])
    assert response.status_code == 422
    assert "wide.png has more than 2 megapixels. Send a smaller image." in errors(response)


def test_the_summary_of_refused_files_states_the_size_limit(app, limits):
    field = SimpleNamespace(data=[FileStorage(filename="empty.png")], errors=[])
    with app.test_request_context(), force_locale("en"), pytest.raises(ValidationError) as refused:
        forms._read_files(field)
    assert field.errors == ["empty.png is empty."]
    assert str(refused.value) == "Attach the files again: only JPEG, PNG and PDF up to 2 MB."


def test_the_reply_form_and_the_error_page_state_the_limits_in_force(ctx, client, limits):
    page = text(client.get(f"/en/status/{file_ticket().token}", follow_redirects=True))
    assert "Up to 3 files: JPEG, PNG or PDF, at most 2 MB each." in page

    ctx.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(
        "/en/contact", data=b"-" * (2 * MB), content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 413
    assert "You can attach up to 3 files of at most 2 MB each." in text(response)


@pytest.mark.parametrize(
    ("lang", "files", "hint", "refusal"),
    [
        ("ru", 1, "До 1 файла: JPEG, PNG или PDF, не более 2 МБ каждый.", "не более 1 файла."),
        ("ru", 2, "До 2 файлов: JPEG, PNG или PDF, не более 2 МБ каждый.", "не более 2 файлов."),
        ("ru", 5, "До 5 файлов: JPEG, PNG или PDF, не более 2 МБ каждый.", "не более 5 файлов."),
        ("ru", 21, "До 21 файла: JPEG, PNG или PDF, не более 2 МБ каждый.", "не более 21 файла."),
        ("az", 3, "3 fayla qədər: JPEG, PNG və ya PDF, hər biri 2 MB-a qədər.", "ən çox 3 fayl"),
    ],
    ids=["ru-1", "ru-2", "ru-5", "ru-21", "az-3"],
)
def test_numbers_agree_with_their_nouns(loaded, client, monkeypatch, lang, files, hint, refusal):
    set_limits(monkeypatch, files=files, megabytes=2, megapixels=2)
    assert hint in text(client.get(f"/{lang}/contact"))
    attached = [(f"shot{i}.png", png_bytes()) for i in range(files + 1)]
    response = Player(client, lang).contact(files=attached)
    assert any(refusal in e.lower() for e in errors(response)), errors(response)
