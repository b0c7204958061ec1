"""The policy's JSON Schema and the translation of its errors into one-line messages (pure).

The schema itself is data (``releasegate.schema.json`` beside this module, draft
2020-12); this module only loads it and words its errors for people: what was
expected, what was found, and a did-you-mean for misspelt keys and values.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

Path = tuple[str | int, ...]

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package."""
    text = (
        resources.files("releasegate.policy").joinpath("releasegate.schema.json").read_text("utf-8")
    )
    return dict(json.loads(text))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when a choice is close to ``word``, else ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    if value is None:
        return "nothing"
    return f"{value!r}"


def _expected_types(types: str | list[str]) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_TYPE_NAMES.get(t, t) for t in names)


def problems(data: Any) -> Iterator[tuple[Path, bool, str]]:
    """Validate ``data``; yield ``(path, at_key, message)`` per problem.

    ``at_key`` says the location is the key at ``path`` (an unknown key) rather than its value.
    """
    for error in _validator().iter_errors(data):
        yield from _explain(error)


@lru_cache(maxsize=1)
def _validator() -> Any:
    from releasegate.policy.validate import Validator

    return Validator(schema())


def _explain(error: Any) -> Iterator[tuple[Path, bool, str]]:
    path: Path = tuple(error.absolute_path)
    kind, instance, spec = error.validator, error.instance, error.schema
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(spec.get("properties", {}))
        for key in instance:
            if key in known:
                continue
            hint = did_you_mean(key, known)
            if not hint and known:
                hint = f"; expected one of: {', '.join(known)}"
            yield (*path, key), True, f"unknown key {key!r}{hint}"
    elif kind == "required":
        missing = [k for k in error.validator_value if k not in instance]
        for key in missing:
            yield path, False, f"missing required key {key!r}"
    elif kind == "type":
        yield (
            path,
            False,
            f"expected {_expected_types(error.validator_value)}, got {_kind(instance)}",
        )
    elif kind == "enum":
        options = [str(o) for o in error.validator_value]
        yield (
            path,
            False,
            (
                f"expected one of {', '.join(options)}, got {_kind(instance)}"
                f"{did_you_mean(str(instance), options)}"
            ),
        )
    elif kind == "const":
        yield path, False, f"expected {error.validator_value!r}, got {_kind(instance)}"
    elif kind in ("anyOf", "oneOf"):
        yield from _explain_alternatives(error, path)
    elif kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        symbol = {
            "minimum": ">=",
            "exclusiveMinimum": ">",
            "maximum": "<=",
            "exclusiveMaximum": "<",
        }
        yield path, False, f"must be {symbol[kind]} {error.validator_value}, got {instance!r}"
    elif kind == "minItems":
        yield path, False, f"needs at least {error.validator_value} item(s)"
    elif kind == "minLength":
        yield path, False, "must not be empty"
    elif kind == "pattern":
        yield (
            path,
            False,
            (
                f"{instance!r} is not a valid name (letters, digits, '_', '.', '-'; "
                "starting with a letter or digit)"
                if "A-Za-z0-9]" in error.validator_value
                else f"{instance!r} does not match {error.validator_value}"
            ),
        )
    else:
        yield path, False, error.message


def _explain_alternatives(error: Any, path: Path) -> Iterator[tuple[Path, bool, str]]:
    # A deeper error inside one alternative says more than "matches none": report the
    # alternative that got furthest, when the value had the shape of that alternative.
    deeper = [e for e in error.context if len(e.absolute_path) > len(path)]
    if deeper:
        best = max(deeper, key=lambda e: len(e.absolute_path))
        same_branch = [e for e in deeper if e.schema_path[0] == best.schema_path[0]]
        for sub in same_branch:
            yield from _explain(sub)
        return
    description = error.schema.get("description")
    if description:
        expected = f"{description[0].lower()}{description[1:].rstrip('.')}"
        yield path, False, f"expected {expected}, got {_kind(error.instance)}"
        return
    types = []
    for option in error.validator_value:
        option = _resolve(option)
        if "type" in option:
            types.append(_expected_types(option["type"]))
        elif "enum" in option:
            types.append("one of " + ", ".join(map(str, option["enum"])))
        elif "const" in option:
            types.append(repr(option["const"]))
    yield (
        path,
        False,
        f"expected {' or '.join(types) or 'another value'}, got {_kind(error.instance)}",
    )


def _resolve(option: dict[str, Any]) -> dict[str, Any]:
    ref = option.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved = schema()["$defs"][ref.split("/")[-1]]
        return dict(resolved)
    return option
