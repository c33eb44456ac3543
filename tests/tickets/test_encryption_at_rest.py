"""Players' files encrypted at rest (HELPCENTER_FILE_ENCRYPTION_KEYS), in both storages.

Hosts over one database, each with its own keys, stand for an install before and after a
key is set or rotated. What is stored is read back raw from the row or the file on disk.
"""

import base64
import logging

import pytest
from sqlalchemy import select, update

from helpcenter.extensions import db
from helpcenter.staff.models import AuditEntry
from helpcenter.tickets import encryption, services
from helpcenter.tickets.models import Attachment, StoredFile
from tests.conftest import make_app
from tests.contact.conftest import TICKET, Player
from tests.tickets.test_storage import evidence, noise_png, signed_in

KEY_A = base64.urlsafe_b64encode(b"A" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()


def host(hosts, name: str, keys: str = ""):
    app = hosts.host(name)
    app.config["FILE_ENCRYPTION_KEYS"] = encryption.parse_keys(keys)
    return app


def file_one(app, data: bytes) -> tuple[str, int, str]:
    """File a ticket with `data` through `app`; its reference, attachment id and stored name."""
    with app.app_context():
        filed = services.file_ticket(services.NewTicket(**TICKET), [evidence(data)])
        attachment = db.session.scalars(
            select(Attachment).where(Attachment.ticket_id == filed.ticket.id)
        ).one()
        return filed.ticket.reference, attachment.id, attachment.stored_name


def stored_bytes(hosts, app, name: str) -> bytes:
    """What the storage holds for `name`: the database row's data, or the file on disk."""
    if hosts.backend == "database":
        with app.app_context():
            return db.session.scalar(select(StoredFile.data).where(StoredFile.name == name))
    return (hosts.root / "shared-uploads" / name).read_bytes()


def replace_stored(hosts, app, name: str, data: bytes) -> None:
    if hosts.backend == "database":
        with app.app_context():
            db.session.execute(
                update(StoredFile).where(StoredFile.name == name).values(data=data, size=len(data))
            )
            db.session.commit()
    else:
        (hosts.root / "shared-uploads" / name).write_bytes(data)


def download(app, ref: str, attachment_id: int):
    client = signed_in(app)
    client.set_cookie("lang", "en")
    with client.get(f"/staff/tickets/{ref}/files/{attachment_id}") as response:
        page = response.data.decode(errors="replace")
        return response.status_code, response.data, page


def not_in(data: bytes, stored: bytes) -> bool:
    """No telltale piece of `data` (its signature, or 64 bytes from anywhere) is in `stored`."""
    pieces = [data[:8]] + [data[i : i + 64] for i in range(8, len(data) - 64, len(data) // 7)]
    return not any(piece in stored for piece in pieces)


def test_with_a_key_the_stored_bytes_are_not_the_file_and_staff_download_the_original(hosts):
    app = host(hosts, "a", KEY_A)
    data = noise_png(64, 48)
    # Through the contact form, as a player sends it (the form re-encodes the image).
    response = Player(app.test_client()).contact(files=[("выписка.png", data)])
    assert response.status_code == 303
    with app.app_context():
        attachment = db.session.scalars(select(Attachment)).one()
        ref, attachment_id, name = (
            attachment.ticket.reference,
            attachment.id,
            attachment.stored_name,
        )
    status, sent, _ = download(app, ref, attachment_id)
    assert status == 200 and sent[:8] == b"\x89PNG\r\n\x1a\n"
    stored = stored_bytes(hosts, app, name)
    assert stored.startswith(encryption.MAGIC) and not_in(sent, stored)

    # Evidence as filed through the service is sent back byte for byte.
    ref, attachment_id, name = file_one(app, data)
    assert not_in(data, stored_bytes(hosts, app, name))
    assert download(app, ref, attachment_id)[:2] == (200, data)
    if hosts.backend == "database":
        with app.app_context():
            row = db.session.scalars(select(StoredFile).where(StoredFile.name == name)).one()
            assert row.size == len(row.data) > len(data)


def test_without_a_key_files_are_stored_as_they_are(hosts):
    app = host(hosts, "a")
    data = noise_png(64, 48)
    ref, attachment_id, name = file_one(app, data)
    assert stored_bytes(hosts, app, name) == data
    assert download(app, ref, attachment_id)[:2] == (200, data)


def test_plain_and_encrypted_files_are_read_side_by_side(hosts):
    before = host(hosts, "before")
    old = noise_png(40, 30)
    old_file = file_one(before, old)
    keyed = host(hosts, "keyed", KEY_A)
    new = noise_png(41, 30)
    new_file = file_one(keyed, new)
    assert stored_bytes(hosts, keyed, old_file[2]) == old
    assert stored_bytes(hosts, keyed, new_file[2]) != new
    assert download(keyed, *old_file[:2])[:2] == (200, old)
    assert download(keyed, *new_file[:2])[:2] == (200, new)


def test_rotation_reencrypts_every_file_with_the_first_key(hosts):
    plain = noise_png(30, 20)
    under_a = [noise_png(31 + i, 20) for i in range(3)]
    files = [file_one(host(hosts, "old"), plain)]
    with_a = host(hosts, "a", KEY_A)
    files += [file_one(with_a, data) for data in under_a]
    originals = [plain, *under_a]

    rotating = host(hosts, "rotating", f"{KEY_B},{KEY_A}")
    runner = rotating.test_cli_runner()
    result = runner.invoke(args=["files", "reencrypt", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Encrypted: 1; re-encrypted from an older key: 3; already under the current key: 0; "
        "left as they are (cannot be decrypted): 0\n"
    )
    with rotating.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.staff_email, entry.staff_id) == (
            "files_reencrypt",
            "helpcenter files reencrypt",
            None,
        )
        assert entry.detail == result.output.strip()
    after_first = [stored_bytes(hosts, rotating, name) for _, _, name in files]

    again = runner.invoke(args=["files", "reencrypt", "--batch-size", "3"])
    assert again.exit_code == 0, again.output
    assert "Encrypted: 0; re-encrypted from an older key: 0; already under the current key: 4;" in (
        again.output
    )
    assert [stored_bytes(hosts, rotating, name) for _, _, name in files] == after_first

    only_b = host(hosts, "b", KEY_B)
    for (ref, attachment_id, name), data in zip(files, originals, strict=True):
        assert not_in(data, stored_bytes(hosts, only_b, name))
        assert download(only_b, ref, attachment_id)[:2] == (200, data)
    # And the old key alone no longer opens them.
    assert download(with_a, *files[1][:2])[0] == 500


def test_a_file_whose_key_is_missing_is_refused_clearly_and_left_untouched(hosts, caplog):
    data = noise_png(40, 30)
    ref, attachment_id, name = file_one(host(hosts, "a", KEY_A), data)
    before = stored_bytes(hosts, hosts.apps[0], name)
    only_b = host(hosts, "b", KEY_B)
    missing_id = encryption.key_id(encryption.parse_keys(KEY_A)[0]).hex()

    with caplog.at_level(logging.ERROR):
        status, sent, page = download(only_b, ref, attachment_id)
    assert status == 500
    assert "This file cannot be opened" in page and "Traceback" not in page
    assert data not in sent
    assert f"encrypted with key {missing_id}, which is not in" in caplog.text
    assert ref in caplog.text

    result = only_b.test_cli_runner().invoke(args=["files", "reencrypt"])
    assert result.exit_code == 1
    assert (
        f"Left as it is: {name} is encrypted with key {missing_id}, which is not in "
        "HELPCENTER_FILE_ENCRYPTION_KEYS"
    ) in result.output
    assert "left as they are (cannot be decrypted): 1" in result.output
    assert stored_bytes(hosts, only_b, name) == before
    # The key back in the list: the file opens again.
    assert download(host(hosts, "c", f"{KEY_B},{KEY_A}"), ref, attachment_id)[:2] == (200, data)


def test_changed_ciphertext_or_a_file_copied_over_another_is_refused(hosts, caplog):
    app = host(hosts, "a", KEY_A)
    first, second = noise_png(40, 30), noise_png(41, 30)
    one, other = file_one(app, first), file_one(app, second)
    sealed = stored_bytes(hosts, app, one[2])
    flipped = bytearray(sealed)
    flipped[len(sealed) // 2] ^= 0x01
    replace_stored(hosts, app, one[2], bytes(flipped))
    with caplog.at_level(logging.ERROR):
        status, _, page = download(app, *one[:2])
    assert status == 500 and "This file cannot be opened" in page
    assert "the stored bytes were changed or damaged" in caplog.text

    # Another player's file, intact, put in place of this one's: it names a different file.
    replace_stored(hosts, app, other[2], sealed)
    assert download(app, *other[:2])[0] == 500

    # Rotation (which reads every file not yet under the new key) leaves both as they are.
    rotating = host(hosts, "rotating", f"{KEY_B},{KEY_A}")
    result = rotating.test_cli_runner().invoke(args=["files", "reencrypt"])
    assert result.exit_code == 1
    assert "left as they are (cannot be decrypted): 2" in result.output
    assert stored_bytes(hosts, app, one[2]) == bytes(flipped)


def test_reencrypt_without_a_key_says_so_and_changes_nothing(hosts):
    app = host(hosts, "a")
    data = noise_png(40, 30)
    _, _, name = file_one(app, data)
    result = app.test_cli_runner().invoke(args=["files", "reencrypt"])
    assert result.exit_code == 1
    assert "HELPCENTER_FILE_ENCRYPTION_KEYS is not set" in result.output
    assert stored_bytes(hosts, app, name) == data


@pytest.mark.parametrize("hosts", ["database"], indirect=True)
def test_new_key_prints_a_usable_key_and_a_bad_key_stops_the_start(hosts):
    printed = host(hosts, "a").test_cli_runner().invoke(args=["files", "new-key"]).output
    assert len(encryption.parse_keys(f"{printed.strip()}, {KEY_A}")) == 2
    for bad in ("not-a-key", base64.urlsafe_b64encode(b"short").decode(), f"{KEY_A},x"):
        with pytest.raises(ValueError, match="HELPCENTER_FILE_ENCRYPTION_KEYS: key"):
            make_app(hosts.url, hosts.root / "bad", FILE_ENCRYPTION_KEYS=bad)
