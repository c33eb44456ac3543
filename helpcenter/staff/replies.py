"""Saved replies (replies.yml): common answers staff start from, in the ticket's language."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from helpcenter.schema import At, ConfigError, issues, load_file
from helpcenter.vocabulary import LANGUAGES

REPLIES_FILE = Path(__file__).with_name("replies.yml")
_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


class RepliesError(ConfigError):
    """replies.yml is unreadable or wrong: `key` names the reply and key (ask-statement.body.ru).

    `key` and `problem` are the first mistake; the message lists every one found.
    """


@dataclass(frozen=True)
class Reply:
    id: str
    title: str
    body: str


def _reply_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a-z, 0-9 and hyphens (at most 40)")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Texts(BaseModel):
    """The same text in every language (vocabulary.LANGUAGES)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    az: Text
    ru: Text
    en: Text


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: Annotated[str, AfterValidator(_reply_id)]
    title: _Texts
    body: _Texts


def _once(replies: list[_Reply]) -> list[_Reply]:
    seen: set[str] = set()
    for index, reply in enumerate(replies):
        if reply.id in seen:
            raise At(index, "id", problem=f"{reply.id!r} is listed twice")
        seen.add(reply.id)
    return replies


_Replies = Annotated[list[_Reply], AfterValidator(_once)]
_SCHEMA: TypeAdapter[list[_Reply]] = TypeAdapter(_Replies)


def _parse(data) -> dict[str, dict[str, Reply]]:
    try:
        replies = _SCHEMA.validate_python(data)
    except ValidationError as error:
        found = [
            (issue.key, issue.problem if issue.loc else "expected a list of replies")
            for issue in issues(error, _Replies, data)
        ]
        raise RepliesError(*found[0], others=tuple(found[1:])) from None
    return {
        lang: {
            reply.id: Reply(reply.id, getattr(reply.title, lang), getattr(reply.body, lang))
            for reply in replies
        }
        for lang in LANGUAGES
    }


@cache
def _load(path: Path) -> dict[str, dict[str, Reply]]:
    return load_file(path, _parse, RepliesError, "replies")


def for_language(lang: str, path: Path = REPLIES_FILE) -> tuple[Reply, ...]:
    return tuple(_load(path).get(lang, {}).values())


def find(lang: str, reply_id: str, path: Path = REPLIES_FILE) -> Reply | None:
    return _load(path).get(lang, {}).get(reply_id)
