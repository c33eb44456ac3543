"""Players' files encrypted at rest with AES-256-GCM (HELPCENTER_FILE_ENCRYPTION_KEYS).

The setting holds one or more keys, each 32 random bytes in URL-safe base64 (`helpcenter
files new-key` makes one), separated by commas. New files are encrypted with the first key;
every key is tried by its id for reading, so a key can be rotated: put the new key first,
run `helpcenter files reencrypt`, then drop the old one. Without a key files are stored as
they are, and files of both kinds can be read side by side.

A sealed file is ``MAGIC | key id (8 bytes) | nonce (12 bytes) | ciphertext and tag``. Plain
files are checked JPEG, PNG or PDF, none of which starts with MAGIC's NUL byte. The key id is
the start of a SHA-256 of the key, so it names the key without giving anything of it away.
The associated data binds the ciphertext to its header and to the file's stored name: a
changed byte, or one player's file copied over another's, fails to decrypt.
"""

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

MAGIC = b"\x00HCENC1"
KEY_ID_SIZE = 8
NONCE_SIZE = 12
HEADER_SIZE = len(MAGIC) + KEY_ID_SIZE + NONCE_SIZE
KEY_SIZE = 32


class Unreadable(Exception):
    """A sealed file that cannot be decrypted; the message says why, for the logs."""


class KeyMissing(Unreadable):
    def __init__(self, name: str, key_id: bytes) -> None:
        super().__init__(
            f"{name} is encrypted with key {key_id.hex()}, which is not in "
            "HELPCENTER_FILE_ENCRYPTION_KEYS"
        )


class Damaged(Unreadable):
    def __init__(self, name: str, key_id: bytes) -> None:
        super().__init__(
            f"{name} does not decrypt with key {key_id.hex()}: the stored bytes were changed "
            "or damaged"
        )


def parse_keys(value: str | bytes | Iterable[str | bytes] | None) -> tuple[bytes, ...]:
    """The keys of HELPCENTER_FILE_ENCRYPTION_KEYS (a comma-separated string or a list).

    Raises ValueError for a key that is not 32 bytes of URL-safe base64.
    """
    if isinstance(value, (bytes, str)):
        text = value.decode() if isinstance(value, bytes) else value
        items: list[str | bytes] = [part.strip() for part in text.split(",") if part.strip()]
    else:
        items = list(value or ())
    keys: list[bytes] = []
    for number, item in enumerate(items, 1):
        if isinstance(item, bytes) and len(item) == KEY_SIZE:
            key = item
        else:
            try:
                key = base64.urlsafe_b64decode(str(item).strip())
            except (binascii.Error, ValueError):
                key = b""
        if len(key) != KEY_SIZE:
            raise ValueError(
                f"HELPCENTER_FILE_ENCRYPTION_KEYS: key {number} is not 32 bytes in URL-safe "
                "base64 (`helpcenter files new-key` makes one)"
            )
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def new_key() -> str:
    """A fresh key, as HELPCENTER_FILE_ENCRYPTION_KEYS holds it."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"helpcenter file key id\0" + key).digest()[:KEY_ID_SIZE]


def configured_keys() -> tuple[bytes, ...]:
    """This app's keys, the one for new files first (config.finalize parsed them)."""
    return current_app.config["FILE_ENCRYPTION_KEYS"]


def is_sealed(head: bytes) -> bool:
    """Whether stored bytes starting with `head` (at least len(MAGIC) of them) are sealed."""
    return head[: len(MAGIC)] == MAGIC


def sealed_key_id(blob: bytes) -> bytes:
    return blob[len(MAGIC) : len(MAGIC) + KEY_ID_SIZE]


def seal(name: str, data: bytes, key: bytes) -> bytes:
    """`data`, the file stored as `name`, encrypted with `key`."""
    header = MAGIC + key_id(key) + os.urandom(NONCE_SIZE)
    return header + AESGCM(key).encrypt(header[-NONCE_SIZE:], data, _associated(header, name))


def unseal(name: str, blob: bytes, keys: tuple[bytes, ...]) -> bytes:
    """The plaintext of the sealed file `name`; KeyMissing or Damaged when there is none."""
    wanted = sealed_key_id(blob)
    key = next((key for key in keys if key_id(key) == wanted), None)
    if key is None:
        raise KeyMissing(name, wanted)
    header = blob[:HEADER_SIZE]
    try:
        return AESGCM(key).decrypt(
            header[-NONCE_SIZE:], blob[HEADER_SIZE:], _associated(header, name)
        )
    except (InvalidTag, ValueError):
        raise Damaged(name, wanted) from None


def protect(name: str, data: bytes) -> bytes:
    """What to store for a new file: sealed with the first key, or `data` without a key."""
    keys = configured_keys()
    return seal(name, data, keys[0]) if keys else data


def _associated(header: bytes, name: str) -> bytes:
    return header + name.encode()
