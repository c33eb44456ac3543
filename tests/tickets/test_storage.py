"""Players' files in shared storage: filed through one host, downloaded through another.

Two app instances share one database (as two web hosts do) and each has its own data
directory. With the "database" storage the files are rows of that database; with the
"directory" storage they are files in one directory both hosts mount.
"""

import io
import math
import random
import re
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from helpcenter.extensions import db
from helpcenter.staff import services as staff
from helpcenter.tickets import services, states, storage, uploads
from helpcenter.tickets.models import Attachment, StoredFile, Ticket
from tests.conftest import make_app
from tests.contact.conftest import TICKET, Player

PASSWORD = "correct horse battery staple"
OPERATOR = "operator@casino.example"


def noise_png(width=420, height=300) -> bytes:
    """A PNG of random pixels: about 380 KB that do not compress, so it spans two chunks."""
    pixels = random.Random(width * height).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, "PNG")
    return out.getvalue()


def evidence(data: bytes, name: str = "screenshot.png") -> services.File:
    return services.File(uploads.check(data, name), data)


class Hosts:
    """Web hosts over one database, each with its own data directory."""

    def __init__(self, url: str, root, backend: str):
        self.url, self.root, self.backend = url, root, backend
        self.apps = []

    def host(self, name: str, backend: str | None = None):
        app = make_app(
            self.url,
            self.root / name,
            FILE_STORAGE=backend or self.backend,
            # Directory storage across hosts: a directory every host mounts.
            FILE_STORAGE_DIR=str(self.root / "shared-uploads"),
        )
        self.apps.append(app)
        return app


def signed_in(app):
    """A staff client of `app`, signed in as an operator."""
    with app.app_context():
        if not staff.has_staff():
            staff.create_staff(email=OPERATOR, role="operator", password=PASSWORD)
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/login", data={"csrf_token": token, "email": OPERATOR, "password": PASSWORD}
    )
    assert response.status_code == 303
    return client


def only_attachment(app) -> tuple[str, int, str]:
    """The reference, attachment id and stored name of the one attachment there is."""
    with app.app_context():
        attachment = db.session.scalars(select(Attachment)).one()
        return attachment.ticket.reference, attachment.id, attachment.stored_name


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def on_disk(hosts) -> list[str]:
    """Stored files in the shared directory and in every host's own uploads/."""
    folders = [hosts.root / "shared-uploads", *(hosts.root.glob("*/uploads"))]
    return sorted(p.name for folder in folders if folder.is_dir() for p in folder.iterdir())


def test_a_file_filed_through_one_host_downloads_through_another(hosts):
    a, b = hosts.host("a"), hosts.host("b")
    data = noise_png()
    response = Player(a.test_client()).contact(files=[("выписка банка.png", data)])
    assert response.status_code == 303
    ref, attachment_id, name = only_attachment(a)
    if hosts.backend == "database":
        assert count(a, StoredFile) == 1 and on_disk(hosts) == []
    else:
        assert count(a, StoredFile) == 0 and on_disk(hosts) == [name]

    with signed_in(b).get(f"/staff/tickets/{ref}/files/{attachment_id}") as download:
        assert download.status_code == 200
        assert download.data == data
        headers = download.headers
    assert headers["Content-Length"] == str(len(data))
    assert headers["Content-Type"] == "image/png"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('выписка банка.png')}" in disposition
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("hosts", ["database"], indirect=True)
def test_database_files_are_read_in_slices_not_in_one_piece(hosts):
    a = hosts.host("a")
    data = noise_png()
    with a.app_context():
        services.file_ticket(services.NewTicket(**TICKET), [evidence(data)])
    ref, attachment_id, _ = only_attachment(a)
    client = signed_in(a)
    statements = []
    with a.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with client.get(f"/staff/tickets/{ref}/files/{attachment_id}") as download:
            assert download.data == data
    finally:
        event.remove(engine, "before_cursor_execute", record)
    slices = [s for s in statements if "substr" in s]
    assert len(slices) == math.ceil(len(data) / storage.CHUNK_SIZE) >= 2
    # Nothing else read the blob whole.
    assert not [s for s in statements if "stored_file.data" in s and "substr" not in s]


def test_a_failed_filing_leaves_no_stored_file_anywhere(hosts):
    a, b = hosts.host("a"), hosts.host("b")
    with a.app_context():
        services.file_ticket(services.NewTicket(**TICKET))
    with a.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        ref = ticket.reference
        # Meanwhile staff on host B change the ticket: A's copy is out of date.
        with b.app_context():
            other = services.find_by_reference(ref)
            services.note(
                other, services.Actor(states.STAFF, "Aysel", "supervisor"), "Checking the bank."
            )
        with pytest.raises(services.TicketChanged):
            services.player_reply(ticket, "Here it is.", [evidence(noise_png(), "proof.png")])
    assert count(a, StoredFile) == 0
    assert count(a, Attachment) == 0
    assert on_disk(hosts) == []


def test_missing_or_malformed_names_and_huge_ids_are_404(hosts):
    a = hosts.host("a")
    with a.app_context():
        filed = services.file_ticket(services.NewTicket(**TICKET), [evidence(noise_png(40, 30))])
        ticket = db.session.get(Ticket, filed.ticket.id)
        message = ticket.messages[0]
        for name in ("0" * 32 + ".png", "../secret_key", "x" * 40):
            ticket.attachments.append(
                Attachment(
                    message=message,
                    stored_name=name,
                    display_name="gone.png",
                    mimetype="image/png",
                    size=1,
                )
            )
        db.session.commit()
        ids = [f.id for f in ticket.attachments]
        ref = ticket.reference
    client = signed_in(a)
    with client.get(f"/staff/tickets/{ref}/files/{ids[0]}") as stored:
        assert stored.status_code == 200
    for attachment_id in ids[1:]:
        assert client.get(f"/staff/tickets/{ref}/files/{attachment_id}").status_code == 404
    for huge in ("2147483648", "9" * 30):
        assert client.get(f"/staff/tickets/{ref}/files/{huge}").status_code == 404


def test_reading_falls_back_to_the_other_storage_after_a_switch(hosts):
    before = hosts.host("before")
    data = noise_png(64, 64)
    with before.app_context():
        services.file_ticket(services.NewTicket(**TICKET), [evidence(data)])
    ref, attachment_id, _ = only_attachment(before)
    switched = "directory" if hosts.backend == "database" else "database"
    after = hosts.host("after", backend=switched)
    with signed_in(after).get(f"/staff/tickets/{ref}/files/{attachment_id}") as download:
        assert (download.status_code, download.data) == (200, data)


@pytest.mark.parametrize("hosts", ["directory"], indirect=True)
def test_migrate_to_database_moves_files_and_a_second_run_changes_nothing(hosts):
    old = hosts.host("a")  # an install from before the database storage, on one host
    files = [noise_png(50 + i, 40) for i in range(3)]
    with old.app_context():
        for data in files[:2]:
            services.file_ticket(services.NewTicket(**TICKET), [evidence(data)])
        stray = storage.upload_dir() / ("f" * 32 + ".png")  # left by a crash long ago
    stray.write_bytes(files[2])
    (stray.parent / ".upload-1234.part").write_bytes(b"half a file")
    assert len(on_disk(hosts)) == 4

    new = hosts.host("a", backend="database")  # the same host after the switch
    runner = new.test_cli_runner()
    result = runner.invoke(args=["files", "migrate-to-database"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Moved into the database: 2; already there, removed from disk: 0; "
        "left on disk (no attachment refers to them): 1\n"
    )
    assert on_disk(hosts) == [".upload-1234.part", stray.name]
    with new.app_context():
        rows = {row.name: row.data for row in db.session.scalars(select(StoredFile))}
        names = [a.stored_name for a in db.session.scalars(select(Attachment).order_by("id"))]
    assert [rows[name] for name in names] == files[:2]

    again = runner.invoke(args=["files", "migrate-to-database"])
    assert again.output == (
        "Moved into the database: 0; already there, removed from disk: 0; "
        "left on disk (no attachment refers to them): 1\n"
    )
    assert count(new, StoredFile) == 2

    # A run that stopped after a commit, before removing the file: the next run removes it.
    (stray.parent / names[0]).write_bytes(files[0])
    third = runner.invoke(args=["files", "migrate-to-database"])
    assert "Moved into the database: 0; already there, removed from disk: 1;" in third.output
    assert count(new, StoredFile) == 2

    # Another host, without the directory, sends every file.
    client = signed_in(hosts.host("b", backend="database"))
    with new.app_context():
        attachments = [
            (a.ticket.reference, a.id)
            for a in db.session.scalars(select(Attachment).order_by(Attachment.id))
        ]
    for (ref, attachment_id), data in zip(attachments, files[:2], strict=True):
        with client.get(f"/staff/tickets/{ref}/files/{attachment_id}") as download:
            assert (download.status_code, download.data) == (200, data)
