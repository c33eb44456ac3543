"""Where players' files are kept: in the database (the default) or in a directory.

HELPCENTER_FILE_STORAGE chooses where new files go:

* ``database``: a StoredFile row, added to the session of the ticket or reply it belongs to,
  so it is committed or rolled back with them. Every host reads the same files, and a backup
  of the database is a backup of the files.
* ``directory``: a file in HELPCENTER_FILE_STORAGE_DIR (default ``<data dir>/uploads``),
  written atomically before the commit and removed again when the transaction rolls back
  (`uploads.write`). Only for a single host, or a directory every host mounts.

Attachment.stored_name is the key in both. Reading looks in the configured place first and
then in the other one, so an install can switch either way, and `migrate_to_database` moves
the files of a directory into the database.

With HELPCENTER_FILE_ENCRYPTION_KEYS set, both storages keep files encrypted (see
encryption.py); StoredFile.size is then the size of the stored, encrypted bytes. Reading tells
the two kinds apart by the first bytes, and `reencrypt` brings every file under the current
key.

Downloads stream: a file on disk is read in blocks, a database blob with ``substr`` in
CHUNK_SIZE slices (PostgreSQL bytea and SQLite blob alike), each slice on a connection taken
from the pool only for that query, so a slow download holds no connection in between. An encrypted
file is read whole and decrypted before its first byte is sent: nothing unauthenticated goes out.
"""

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from flask import current_app
from sqlalchemy import Engine, LargeBinary, func, select, update

from helpcenter.extensions import db
from helpcenter.tickets import encryption, uploads
from helpcenter.tickets.models import Attachment, StoredFile

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024


@dataclass
class Opened:
    """A stored file, ready to be read in chunks; close `file` when done."""

    size: int
    file: BinaryIO


class Storage(Protocol):
    def save(self, checked: uploads.Checked, data: bytes) -> str:
        """Keep `data` under a new name, part of the current transaction; return the name."""

    def discard(self, name: str) -> None:
        """Undo `save` after the transaction rolled back."""

    def open(self, name: str) -> Opened | None:
        """The file `name`, or None when it is not here."""


class DatabaseStorage:
    """Files as StoredFile rows, written in the session of the ticket they belong to."""

    def save(self, checked: uploads.Checked, data: bytes) -> str:
        name = uploads.new_name(checked, data)
        stored = encryption.protect(name, data)
        db.session.add(StoredFile(name=name, size=len(stored), data=stored))
        return name

    def discard(self, name: str) -> None:
        """Nothing to do: the rollback took the row away."""

    def open(self, name: str) -> Opened | None:
        found = db.session.execute(
            select(StoredFile.id, StoredFile.size).where(StoredFile.name == name)
        ).first()
        if found is None:
            return None
        reader = _BlobReader(db.engine, found.id, found.size)
        return Opened(found.size, io.BufferedReader(reader, buffer_size=CHUNK_SIZE))


class DirectoryStorage:
    """Files in a private directory of this host (see `uploads.write`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, checked: uploads.Checked, data: bytes) -> str:
        name = uploads.new_name(checked, data)
        uploads.write(self.directory, name, encryption.protect(name, data))
        return name

    def discard(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)

    def open(self, name: str) -> Opened | None:
        try:
            file = uploads.open_stored(self.directory, name).open("rb")
        except FileNotFoundError:
            return None
        return Opened(os.fstat(file.fileno()).st_size, file)


class _BlobReader(io.RawIOBase):
    """Reads a StoredFile's data slice by slice, one short query each."""

    def __init__(self, engine: Engine, file_id: int, size: int) -> None:
        self.engine, self.file_id, self.size = engine, file_id, size
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), CHUNK_SIZE, self.size - self.position)
        if wanted <= 0:
            return 0
        # substr counts from 1, in bytes for a blob or bytea.
        part = func.substr(StoredFile.data, self.position + 1, wanted, type_=LargeBinary)
        with self.engine.connect() as connection:
            chunk = connection.scalar(select(part).where(StoredFile.id == self.file_id))
        if not chunk:
            raise OSError(f"stored file {self.file_id} ended at byte {self.position}")
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def upload_dir() -> Path:
    """The directory of the ``directory`` storage (and of files from before the database)."""
    configured = current_app.config.get("FILE_STORAGE_DIR")
    return Path(configured) if configured else Path(current_app.config["DATA_DIR"]) / "uploads"


def current() -> Storage:
    """The storage that new files go to, as configured."""
    if current_app.config["FILE_STORAGE"] == "directory":
        return DirectoryStorage(upload_dir())
    return DatabaseStorage()  # (config.finalize allows nothing else)


def open_file(name: str) -> Opened | None:
    """The stored file `name`, from the configured storage or else the other one; or None.

    An encrypted file comes decrypted; encryption.Unreadable when its key is not configured
    or its bytes were changed.
    """
    if not uploads.is_stored_name(name):
        return None
    places: list[Storage] = [DatabaseStorage(), DirectoryStorage(upload_dir())]
    if isinstance(current(), DirectoryStorage):
        places.reverse()
    for place in places:
        if (opened := place.open(name)) is not None:
            return _decrypted(name, opened)
    return None


def _decrypted(name: str, opened: Opened) -> Opened:
    """`opened` itself for a plain file (still streamed), else its decrypted bytes."""
    file = cast(io.BufferedReader, opened.file)  # (both storages open one)
    try:
        if not encryption.is_sealed(file.peek(len(encryption.MAGIC))):
            return opened
        sealed = file.read()
    except BaseException:
        file.close()
        raise
    file.close()
    data = encryption.unseal(name, sealed, encryption.configured_keys())
    return Opened(len(data), io.BytesIO(data))


@dataclass(frozen=True)
class Migrated:
    moved: int  # copied into the database, then removed from the directory
    already_there: int  # in the database from an earlier run, now removed from the directory
    left: int  # files no attachment refers to, left where they are


def migrate_to_database() -> Migrated:
    """Move the attached files of the upload directory into the database, one by one.

    Each file is committed as a StoredFile row before it is removed from disk, so an
    interrupted run loses nothing and running it again finishes the work. A file whose row
    exists already (an earlier run stopped before removing it) is removed once its bytes are
    known to be the same. Files that no attachment refers to are left alone.
    """
    directory = upload_dir()
    if not directory.is_dir():
        return Migrated(0, 0, 0)
    moved = already_there = left = 0
    for path in sorted(directory.iterdir()):
        name = path.name
        if not uploads.is_stored_name(name) or not path.is_file():
            continue  # temporary files of a write in progress, anything else
        if db.session.scalar(select(Attachment.id).where(Attachment.stored_name == name)) is None:
            left += 1
            continue
        data = path.read_bytes()
        stored = db.session.scalar(select(StoredFile).where(StoredFile.name == name))
        if stored is None:
            db.session.add(StoredFile(name=name, size=len(data), data=data))
            db.session.commit()
            moved += 1
        elif stored.data == data:
            already_there += 1
        else:
            log.error("%s differs from the database's copy; left on disk", name)
            db.session.rollback()
            left += 1
            continue
        db.session.expunge_all()  # the bytes we read, out of the identity map
        path.unlink()
    return Migrated(moved, already_there, left)


@dataclass(frozen=True)
class Reencrypted:
    encrypted: int  # stored plain, now encrypted with the current key
    rotated: int  # encrypted with another key, now with the current one
    current: int  # already encrypted with the current key: left as they are
    failed: tuple[str, ...]  # why each file that cannot be decrypted was left as it is


class NoKey(Exception):
    """`reencrypt` without HELPCENTER_FILE_ENCRYPTION_KEYS."""


def reencrypt(batch_size: int = 100) -> Reencrypted:
    """Encrypt every stored file with the current (first) key: database rows and directory files.

    Plain files are encrypted, files under another configured key re-encrypted; files under
    the current key are only looked at (their header, not their bytes). Rows are committed
    every `batch_size` files and held in memory one at a time, so an interrupted run keeps what
    it did and a second run changes nothing. A file whose key is not configured, or whose bytes
    do not decrypt, is left untouched and named in `failed`. Raises NoKey without a key.
    """
    keys = encryption.configured_keys()
    if not keys:
        raise NoKey("HELPCENTER_FILE_ENCRYPTION_KEYS is not set: there is no key to encrypt with")
    counts = {"encrypted": 0, "rotated": 0, "current": 0}
    failed: list[str] = []
    current_id = encryption.key_id(keys[0])

    def rewritten(name: str, stored: bytes) -> bytes | None:
        """The bytes to store instead of `stored`, or None to leave them."""
        if not encryption.is_sealed(stored):
            counts["encrypted"] += 1
            return encryption.seal(name, stored, keys[0])
        try:
            data = encryption.unseal(name, stored, keys)
        except encryption.Unreadable as problem:
            log.error("reencrypt: %s; left as it is", problem)
            failed.append(str(problem))
            return None
        counts["rotated"] += 1
        return encryption.seal(name, data, keys[0])

    header = func.substr(StoredFile.data, 1, encryption.HEADER_SIZE, type_=LargeBinary)
    last_id = 0
    while True:
        batch = db.session.execute(
            select(StoredFile.id, StoredFile.name, header.label("header"))
            .where(StoredFile.id > last_id)
            .order_by(StoredFile.id)
            .limit(batch_size)
        ).all()
        if not batch:
            break
        for row in batch:
            head = bytes(row.header)
            if encryption.is_sealed(head) and encryption.sealed_key_id(head) == current_id:
                counts["current"] += 1
                continue
            stored = db.session.scalar(select(StoredFile.data).where(StoredFile.id == row.id))
            if stored is not None and (new := rewritten(row.name, bytes(stored))) is not None:
                db.session.execute(
                    update(StoredFile)
                    .where(StoredFile.id == row.id)
                    .values(data=new, size=len(new))
                )
        db.session.commit()
        last_id = batch[-1].id

    directory = upload_dir()
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if not uploads.is_stored_name(path.name) or not path.is_file():
                continue
            with path.open("rb") as file:
                head = file.read(encryption.HEADER_SIZE)
            if encryption.is_sealed(head) and encryption.sealed_key_id(head) == current_id:
                counts["current"] += 1
            elif (new := rewritten(path.name, path.read_bytes())) is not None:
                uploads.write(directory, path.name, new)  # atomically: readers see old or new
    done = Reencrypted(**counts, failed=tuple(failed))
    log.info(
        "reencrypt: encrypted %d, rotated %d, already current %d, failed %d",
        done.encrypted,
        done.rotated,
        done.current,
        len(done.failed),
    )
    return done
