"""Saved replies (replies.yml): common answers staff start from, in the ticket's language."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from helpcenter.vocabulary import LANGUAGES

REPLIES_FILE = Path(__file__).with_name("replies.yml")
_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


class RepliesError(ValueError):
    pass


@dataclass(frozen=True)
class Reply:
    id: str
    title: str
    body: str


def _parse(data) -> dict[str, dict[str, Reply]]:
    if not isinstance(data, list):
        raise RepliesError("expected a list of replies")
    by_language: dict[str, dict[str, Reply]] = {lang: {} for lang in LANGUAGES}
    for index, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != {"id", "title", "body"}:
            raise RepliesError(f"reply {index}: expected the keys id, title and body")
        reply_id = item["id"]
        if not isinstance(reply_id, str) or not _ID.fullmatch(reply_id):
            raise RepliesError(f"reply {index}: id {reply_id!r} is not a-z, 0-9 and hyphens")
        for lang in LANGUAGES:
            title = (item["title"] or {}).get(lang) if isinstance(item["title"], dict) else None
            body = (item["body"] or {}).get(lang) if isinstance(item["body"], dict) else None
            if not isinstance(title, str) or not isinstance(body, str) or not body.strip():
                raise RepliesError(f"reply {reply_id}: title and body needed in {lang}")
            if reply_id in by_language[lang]:
                raise RepliesError(f"reply {reply_id}: listed twice")
            by_language[lang][reply_id] = Reply(reply_id, title.strip(), body.strip())
    return by_language


@cache
def _load(path: Path) -> dict[str, dict[str, Reply]]:
    return _parse(yaml.safe_load(path.read_text(encoding="utf-8")))


def for_language(lang: str, path: Path = REPLIES_FILE) -> tuple[Reply, ...]:
    return tuple(_load(path).get(lang, {}).values())


def find(lang: str, reply_id: str, path: Path = REPLIES_FILE) -> Reply | None:
    return _load(path).get(lang, {}).get(reply_id)
