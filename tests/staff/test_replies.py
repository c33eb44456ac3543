"""replies.yml: the shipped replies, and mistakes in an edited file named by file and key."""

from pathlib import Path

import pytest
import yaml

from helpcenter.staff import replies
from helpcenter.staff.replies import RepliesError

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database


def _shipped() -> list[dict]:
    return yaml.safe_load(replies.REPLIES_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "replies.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_replies_in_every_language():
    ids = [reply.id for reply in replies.for_language("en")]
    assert "ask-statement" in ids
    for lang in ("az", "ru", "en"):
        assert [reply.id for reply in replies.for_language(lang)] == ids
        assert all(reply.title and reply.body for reply in replies.for_language(lang))
    assert replies.find("ru", "ask-statement").title == "Попросить банковскую выписку"
    assert replies.find("en", "no-such-reply") is None


def _set(index: int, *path_and_value):
    *path, key, value = path_and_value

    def change(data):
        target = data[index]
        for part in path:
            target = target[part]
        target[key] = value

    return change


def _drop_ru_title(data):
    del data[1]["title"]["ru"]


BAD = {
    "language missing": (_drop_ru_title, "withdrawal-processing.title.ru", "missing"),
    "empty body": (_set(1, "body", "az", "  "), "withdrawal-processing.body.az", "empty"),
    "unknown key": (_set(0, "tone", "warm"), "ask-statement.tone", "unknown key"),
    "unknown language": (_set(0, "title", "de", "Hallo"), "ask-statement.title.de", "unknown key"),
    "number as text": (_set(0, "title", "en", 12), "ask-statement.title.en", "quotes"),
    "bad id": (_set(2, "id", "Bad id"), "[2].id", "'Bad id' is not a-z, 0-9 and hyphens"),
    "listed twice": (lambda d: d.append(dict(d[0])), "[5].id", "listed twice"),
    "misspelt key before the missing ones": (
        lambda d: d[0].update(text=d[0].pop("body")),
        "ask-statement.text",
        "unknown key (body, id, title)",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_mistakes_name_the_file_and_the_key(tmp_path, case):
    change, key, problem = BAD[case]
    data = _shipped()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(RepliesError) as raised:
        replies.for_language("en", path)
    assert raised.value.key == key
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"{path}: {key}: ")


def test_a_file_that_is_not_a_list_or_not_yaml(tmp_path):
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("ask-statement: {}\n", encoding="utf-8")
    with pytest.raises(RepliesError, match=r"mapping\.yml: expected a list of replies"):
        replies.for_language("en", mapping)
    broken = tmp_path / "broken.yml"
    broken.write_text("- id: [\n", encoding="utf-8")
    with pytest.raises(RepliesError, match="not valid YAML"):
        replies.for_language("en", broken)
