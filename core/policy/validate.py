"""A JSON Schema validator for the keywords the policy schema uses (pure).

The policy schema is plain draft 2020-12 and stays valid for any validator;
this module checks documents against it without the start-up cost of a general
library, and refuses a schema that uses a keyword it does not implement, so the
two can never silently disagree (the tests also compare it with ``jsonschema``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: Keywords that only annotate; they never make a document invalid.
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "default", "examples"})
#: Keywords this validator implements.
KEYWORDS = frozenset(
    {
        "type",
        "const",
        "enum",
        "properties",
        "additionalProperties",
        "required",
        "items",
        "minItems",
        "minLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "anyOf",
        "$ref",
    }
)


@dataclass
class SchemaError:
    """One failed keyword, shaped like ``jsonschema.ValidationError`` for the message writer."""

    validator: str
    validator_value: Any
    instance: Any
    schema: dict[str, Any]
    absolute_path: tuple[str | int, ...]
    schema_path: tuple[str | int, ...] = ()
    context: list[SchemaError] = field(default_factory=list)


def unsupported_keywords(schema: Any) -> set[str]:
    """Keywords anywhere in ``schema`` that this validator does not implement."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in KEYWORDS | ANNOTATIONS:
                found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    found |= unsupported_keywords(sub)
            elif key in ("items", "additionalProperties"):
                found |= unsupported_keywords(value)
            elif key == "anyOf":
                for sub in value:
                    found |= unsupported_keywords(sub)
    return found


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


def _equal(a: Any, b: Any) -> bool:
    # JSON Schema: true is not 1, and 1 is 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class Validator:
    """Validates documents against ``root`` (a draft 2020-12 schema of the supported keywords)."""

    def __init__(self, root: dict[str, Any]) -> None:
        unknown = unsupported_keywords(root)
        if unknown:
            raise ValueError(
                f"the policy schema uses keywords this validator lacks: {', '.join(sorted(unknown))}"
            )
        self.root = root

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        yield from self._check(instance, self.root, ())

    def _resolve(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"only local $defs references are supported, not {ref!r}")
        return dict(self.root["$defs"][ref[len("#/$defs/") :]])

    def _check(
        self, value: Any, schema: dict[str, Any], path: tuple[str | int, ...]
    ) -> Iterator[SchemaError]:
        def error(keyword: str, **extra: Any) -> SchemaError:
            return SchemaError(keyword, schema[keyword], value, schema, path, **extra)

        if "$ref" in schema:
            yield from self._check(value, self._resolve(schema["$ref"]), path)
        if "type" in schema:
            types = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
            if not any(_TYPES[t](value) for t in types):
                yield error("type")
                return
        if "const" in schema and not _equal(value, schema["const"]):
            yield error("const")
        if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
            yield error("enum")
        if "anyOf" in schema:
            context: list[SchemaError] = []
            for index, option in enumerate(schema["anyOf"]):
                failures = list(self._check(value, option, path))
                if not failures:
                    context = []
                    break
                for failure in failures:
                    failure.schema_path = (index, *failure.schema_path)
                context += failures
            if context:
                yield error("anyOf", context=context)
        if isinstance(value, dict):
            yield from self._object(value, schema, path, error)
        elif isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                yield error("minItems")
            if "items" in schema:
                for index, item in enumerate(value):
                    yield from self._check(item, schema["items"], (*path, index))
        elif isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                yield error("minLength")
            if "pattern" in schema and not _regex(schema["pattern"]).search(value):
                yield error("pattern")
        elif _TYPES["number"](value):
            if "minimum" in schema and value < schema["minimum"]:
                yield error("minimum")
            if "maximum" in schema and value > schema["maximum"]:
                yield error("maximum")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                yield error("exclusiveMinimum")
            if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
                yield error("exclusiveMaximum")

    def _object(
        self, value: dict[str, Any], schema: dict[str, Any], path: tuple[str | int, ...], error: Any
    ) -> Iterator[SchemaError]:
        properties = schema.get("properties", {})
        if "required" in schema and any(key not in value for key in schema["required"]):
            yield error("required")
        for key, sub in properties.items():
            if key in value:
                yield from self._check(value[key], sub, (*path, key))
        extra = schema.get("additionalProperties", True)
        if extra is False:
            if any(key not in properties for key in value):
                yield error("additionalProperties")
        elif isinstance(extra, dict):
            for key, item in value.items():
                if key not in properties:
                    yield from self._check(item, extra, (*path, key))
