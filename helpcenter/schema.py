"""Configuration files checked with pydantic, and its errors told as `key.path: problem`.

The files people edit by hand (support.yml, replies.yml, article front matter) are declared as
pydantic models. Pydantic's own messages speak of "dictionaries" and "Input should be"; the
people who edit these files need the key they got wrong, named as they wrote it, and what to
write instead. `issues()` turns a `ValidationError` into that.
"""

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration file is unreadable or wrong; `key` names the offending key.

    `key` and `problem` are the first mistake; `others` are the rest found in the same pass
    (as (key, problem) pairs), so one check shows all there is to fix.
    """

    def __init__(
        self,
        key: str,
        problem: str,
        file: Path | str | None = None,
        *,
        others: Sequence[tuple[str, str]] = (),
    ):
        self.key = key
        self.problem = problem
        self.others = tuple(others)
        where = f"{file}: " if file else ""
        super().__init__(
            "\n".join(
                f"{where}{k}: {p}" if k else f"{where}{p}" for k, p in [(key, problem), *others]
            )
        )


def load_file(path: Path, parse: Callable[[Any], T], error: type[ConfigError], what: str) -> T:
    """`parse` of the YAML in `path`; every problem is `error`, naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error("", f"cannot read the {what}: {problem}", path) from problem
    except yaml.YAMLError as problem:
        raise error("", f"not valid YAML: {problem}", path) from problem
    try:
        return parse(data)
    except ConfigError as problem:
        raise error(problem.key, problem.problem, path, others=problem.others) from None


class At(ValueError):
    """A problem a validator finds below the value it checks; `path` leads from there to it.

    A check across fields (a topic naming a channel the file does not have) runs on the whole
    document, but the person fixing it needs the key it is about.
    """

    def __init__(self, *path: str | int, problem: str):
        super().__init__(problem)
        self.path = path


@dataclass(frozen=True)
class Issue:
    loc: tuple[str | int, ...]  # as pydantic gives it, with `At` paths added
    key: str  # how people read it: channels.phone.hours.until, topics[3].id
    problem: str


def _unwrap(annotation: Any) -> Any:
    """The type under Annotated[...] and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _type_at(schema: Any, loc: tuple[str | int, ...]) -> Any:
    """The declared type of the value at `loc` in `schema`, or None when it cannot be told."""
    annotation = _unwrap(schema)
    for part in loc:
        origin = get_origin(annotation)
        if _is_model(annotation) and isinstance(part, str):
            fields = annotation.model_fields
            found = next((f for n, f in fields.items() if (f.alias or n) == part), None)
            if found is None:
                return None
            annotation = found.annotation
        elif origin in (list, tuple) and isinstance(part, int):
            annotation = get_args(annotation)[0]
        elif origin is dict and isinstance(part, str):
            annotation = get_args(annotation)[1]
        else:
            return None
        annotation = _unwrap(annotation)
    return annotation


def _item(data: Any, part: str | int) -> Any:
    if isinstance(data, Mapping):
        return data.get(part)
    if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
        return data[part]
    return None


def _key(loc: tuple[str | int, ...], data: Any, named: set[tuple[str | int, ...]]) -> str:
    """`loc` as a dotted key; a list item goes by its `id` when that id is valid."""
    key = ""
    for depth, part in enumerate(loc):
        if part == "[key]":  # pydantic's marker for a problem with a mapping's key itself
            continue
        item = _item(data, part)
        if isinstance(part, int) and not isinstance(data, Mapping):
            item_id = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(item_id, str) and item_id and loc[: depth + 1] in named:
                key = f"{key}.{item_id}" if key else item_id
            else:
                key = f"{key}[{part}]"
        else:
            key = f"{key}.{part}" if key else str(part)
        data = item
    return key


def _choices(annotation: Any) -> str | None:
    if get_origin(annotation) is Literal:
        return ", ".join(str(choice) for choice in get_args(annotation))
    return None


def _problem(error: Mapping[str, Any], annotation: Any, parent: Any) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        if _is_model(parent):
            known = ", ".join(sorted(f.alias or n for n, f in parent.model_fields.items()))
            return f"unknown key ({known})"
        return "unknown key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "expected a mapping of keys to values"
    if kind in ("list_type", "tuple_type"):
        return "expected a list"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "expected a list with at least one item"
    if kind == "too_short":
        return f"expected a list with at least {ctx.get('min_length')} items"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items"
    if kind == "literal_error":
        return f"{value!r} is not one of {_choices(annotation) or ctx.get('expected')}"
    if kind == "string_type":
        return f"expected text, not {value!r} (put it in quotes)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"longer than {ctx.get('max_length')} characters"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, not {value!r}"
    if kind == "greater_than_equal":
        return f"expected a whole number of at least {ctx.get('ge')}"
    if kind == "less_than":
        return f"expected a number below {ctx.get('lt')}"
    if kind == "less_than_equal":
        return f"expected a number of at most {ctx.get('le')}"
    if kind == "bool_type":
        return f"expected true or false, not {value!r}"
    return str(error["msg"])


def issues(error: ValidationError, schema: Any, data: Any) -> list[Issue]:
    """Every problem in `error` (from validating `data` as `schema`), as keys and sentences.

    An unknown key comes before a missing one beside it (it is usually the same key
    misspelled), and an item of a list of plain values is named by the list: the problem
    quotes the value.
    """
    raw = error.errors()
    locs = []
    for item in raw:
        loc = tuple(item["loc"])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, At):
            loc += cause.path
        locs.append(loc)
    # A list item whose id had no problem of its own may be called by that id.
    bad_ids = {loc[:-1] for loc in locs if loc and loc[-1] == "id"}
    named = {
        loc[: depth + 1]
        for loc in locs
        for depth, part in enumerate(loc)
        if isinstance(part, int) and loc[: depth + 1] not in bad_ids
    }
    first_seen: dict[tuple[str | int, ...], int] = {}
    result = []
    for index, (item, loc) in enumerate(zip(raw, locs, strict=True)):
        parent = _type_at(schema, loc[:-1]) if loc else None
        annotation = _type_at(schema, loc)
        shown = loc
        if loc and isinstance(loc[-1], int) and not _is_model(annotation):
            shown = loc[:-1]
        issue = Issue(loc, _key(shown, data, named), _problem(item, annotation, parent))
        rank = 0 if item["type"] == "extra_forbidden" else 1
        result.append((first_seen.setdefault(loc[:-1], index), rank, index, issue))
    return [issue for *_order, issue in sorted(result, key=lambda entry: entry[:3])]
