"""Load the operating-model policy: the built-in default, optionally with an
organisation's YAML or TOML file deep-merged over it.

Merge rules: mappings merge recursively; lists replace wholesale, except lists
of objects carrying a `key` (stages, items, areas, groups, bands, ...), which
merge by key: an entry with a known key updates that entry, a new key is
appended, and `{key: x, remove: true}` removes entry x. An empty list
replaces the default's list (e.g. `digests: []` turns every digest off).

Every problem found (syntax, merge, schema, cross-reference) is reported with
its location through one `PolicyError`.
"""
from __future__ import annotations

import copy
import difflib
import functools
import re
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .lines import with_lines
from .models import Policy, PolicyReferenceError
from .problems import PolicyError, Problem

__all__ = ["Problem", "PolicyError", "default_policy", "load_policy", "check_policy_file", "policy_from_data"]

SUFFIXES = (".yaml", ".yml", ".toml")


# --------------------------------------------------------------------- public API

@functools.lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The built-in default policy (`default.yaml`), loaded once."""
    return policy_from_data({}, source="(built-in default)")


def load_policy(path: str | Path | None = None) -> Policy:
    """The default policy, with the file at `path` (YAML or TOML) merged over it."""
    if path is None:
        return default_policy()
    path = Path(path)
    try:
        return policy_from_data(_read(path), source=str(path))
    except PolicyError as exc:
        raise PolicyError(with_lines(exc.problems, path), exc.source) from None


def check_policy_file(path: str | Path) -> list[Problem]:
    """Every problem of the policy file at `path`; empty when it is valid."""
    try:
        load_policy(path)
    except PolicyError as exc:
        return exc.problems
    return []


def policy_from_data(data: dict[str, Any], source: str | None = None) -> Policy:
    """Merge an already-parsed override document over the default and validate it."""
    problems: list[Problem] = []
    merged = _merge(copy.deepcopy(_default_data()), data, "", problems)
    try:
        policy = Policy.model_validate(merged)
    except ValidationError as exc:
        raise PolicyError(problems + _validation_problems(exc, merged), source) from None
    if problems:
        raise PolicyError(problems, source)
    return policy


# --------------------------------------------------------------------- reading

# Built-in sections kept in files of their own (each adds top-level sections to default.yaml's).
BUILT_IN_SECTIONS = ("eu_ai_act.yaml", "frameworks.yaml")


@functools.lru_cache(maxsize=1)
def _default_data() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("default.yaml").read_text(encoding="utf-8")
    data = _parse_yaml(text, "default.yaml")
    for name in BUILT_IN_SECTIONS:
        extra = _parse_yaml(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"), name)
        data.update({k: v for k, v in (extra or {}).items() if k not in data})
    return data


class _Loader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (YAML would silently keep the last)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` entries may be overridden
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name} line {mark.line + 1}" if mark else name
        detail = ": ".join(x for x in (exc.context, exc.problem) if x)
        col = f" (column {mark.column + 1})" if mark else ""
        raise PolicyError([Problem(where, f"YAML syntax error: {detail}{col}")], name) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Problem(name, f"YAML error: {exc}")], name) from None


def _parse_toml(text: str, name: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:
            where, msg = f"{name} line {m.group(1)}", f"{msg[:m.start()]} (column {m.group(2)})"
        else:
            where = name
        raise PolicyError([Problem(where, f"TOML syntax error: {msg}")], name) from None


def _read(path: Path) -> dict[str, Any]:
    name, source = path.name, str(path)

    def fail(where: str, message: str) -> PolicyError:
        return PolicyError([Problem(where, message)], source)

    if path.suffix.lower() not in SUFFIXES:
        raise fail(name, f"unsupported file type {path.suffix or '(none)'!r}; use .yaml, .yml or .toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(source, "no such file") from None
    except UnicodeDecodeError as exc:
        raise fail(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise fail(source, f"cannot read it: {exc.strerror or exc}") from None
    try:
        data = (_parse_toml if path.suffix.lower() == ".toml" else _parse_yaml)(text, name)
    except PolicyError as exc:
        raise PolicyError(exc.problems, source) from None
    if data is None:
        return {}  # an empty file changes nothing
    if not isinstance(data, dict):
        raise fail(name, f"the top level must be a mapping of policy sections (found {type(data).__name__})")
    return data


# --------------------------------------------------------------------- merging

def _join(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def _same_key(base: dict, key: Any) -> Any:
    """TOML keys are always strings: let "1" address an integer key 1."""
    if key not in base and isinstance(key, str) and re.fullmatch(r"-?\d+", key) and int(key) in base:
        return int(key)
    return key


def _is_keyed(base: list, over: list) -> bool:
    if not over or not all(isinstance(e, dict) for e in over):
        return False
    if base:
        return all(isinstance(e, dict) and "key" in e for e in base)
    return all("key" in e for e in over)


def _merge(base: Any, over: Any, path: str, problems: list[Problem]) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            k = _same_key(base, k)
            out[k] = _merge(base[k], v, _join(path, k), problems) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list) and _is_keyed(base, over):
        return _merge_keyed(base, over, path, problems)
    return over


def _merge_keyed(base: list, over: list, path: str, problems: list[Problem]) -> list:
    out = list(base)
    for i, entry in enumerate(over):
        where = _join(path, i)
        if "key" not in entry:
            problems.append(Problem(where, "this list merges by key: the entry needs a 'key' naming the "
                                           "entry to change, add or remove"))
            continue
        entry = dict(entry)
        remove = entry.pop("remove", False)
        if not isinstance(remove, bool):
            problems.append(Problem(f"{where}.remove", "must be true or false"))
            continue
        at = next((j for j, e in enumerate(out) if e.get("key") == entry["key"]), None)
        if remove:
            if at is None:
                problems.append(Problem(where, f"cannot remove {entry['key']!r}: there is no entry with that key"))
            else:
                del out[at]
        elif at is None:
            out.append(entry)
        else:
            out[at] = _merge(out[at], entry, where, problems)
    return out


# --------------------------------------------------------------------- error reporting

def _locate(loc: tuple, doc: Any) -> tuple[str, str | None]:
    """Render a pydantic loc on the merged document; also the key of the
    innermost list entry it passes through (to help find it in a file)."""
    path, node, entry_key = "", doc, None
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(node, list) and isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("key"), str):
            entry_key = node["key"]
    return path, entry_key


def _unwrap(tp: Any) -> Any:
    while True:  # Annotated[X, ...] -> X;  X | None -> X
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Annotated:
            tp = args[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in args if a is not type(None))
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return typing.get_origin(tp) is None and isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that the object at `loc` is validated against."""
    tp: Any = Policy
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if _is_model(tp):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif origin is list and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if _is_model(tp) else None


def _unknown_field(loc: tuple, doc: Any) -> str:
    field = str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model else []
    parent, _ = _locate(loc[:-1], doc)
    msg = f"unknown field {field!r} in {parent or 'the top level'}"
    close = difflib.get_close_matches(field, allowed, n=1)
    if close:
        msg += f"; did you mean {close[0]!r}?"
    if allowed:
        msg += f" (allowed: {', '.join(allowed)})"
    return msg


def _validation_problems(exc: ValidationError, doc: Any) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc, kind = tuple(err["loc"]), err["type"]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, PolicyReferenceError):
            problems.extend(Problem(where, msg) for where, msg in cause.problems)
            continue
        where, entry_key = _locate(loc, doc)
        if kind == "extra_forbidden":
            msg = _unknown_field(loc, doc)
        elif kind == "missing":
            msg = f"required field {loc[-1]!r} is missing"
        elif kind == "value_error" and cause is not None:
            msg = str(cause)
        else:
            msg = err["msg"]
            if "[key]" in loc:
                msg = f"key {loc[-2]!r}: {msg}"
            if kind == "string_type" and isinstance(err.get("input"), bool):
                msg += " (YAML reads unquoted yes/no/on/off as true/false: put the value in quotes)"
        if entry_key is not None:
            msg += f" (in the entry with key {entry_key!r})"
        problems.append(Problem(where or "(top level)", msg))
    return problems
