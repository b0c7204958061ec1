"""Configuration YAML with the line of every value, one document at a time (pure on text).

Unlike the policy reader it keeps going on any tag (a value with a custom tag such
as ``!Ref`` is kept as ``"!Ref value"`` text), expands nothing, and reads every
document of a multi-document stream. Duplicate keys are still an error: which one
a deployment tool would use is not something to guess.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

from releasegate.drift.model import RawPath
from releasegate.errors import UsageError

__all__ = ["read_yaml"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
#: More nodes than this (after aliases are expanded) is refused as an alias bomb.
_MAX_NODES = 2_000_000
_MAX_DEPTH = 200


class _Reader:
    def __init__(self, loader: Any, shown: str) -> None:
        self.loader = loader
        self.shown = shown
        self.lines: dict[RawPath, int] = {}
        self.nodes = 0

    def fail(self, node: yaml.Node, message: str) -> UsageError:
        mark = node.start_mark
        return UsageError(f"{self.shown}:{mark.line + 1}:{mark.column + 1}: {message}")

    def convert(self, node: yaml.Node, path: RawPath) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES or len(path) > _MAX_DEPTH:
            raise self.fail(node, "too deeply nested or too many aliases to compare")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:
            return f"{node.tag} {node.value}"
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, bytes):
            return f"!!binary {node.value}"
        return value

    def mapping(self, node: yaml.MappingNode, path: RawPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in reversed(sources):
                    value = self.convert(source, path)
                    if isinstance(value, dict):
                        merged = {**value, **merged}
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a mapping key must be a plain value to compare it")
            key = str(key_node.value)  # as written: ``on:`` stays "on", not True
            if key in result:
                raise self.fail(key_node, f"duplicate key {key!r} (first on line "
                                f"{self.lines[path + (key,)]}); remove one")
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node, (*path, key))
        return {**merged, **result}


def read_yaml(text: str, shown: str) -> list[tuple[Any, dict[RawPath, int]]]:
    """Every non-empty document of ``text`` with its lines (paths relative to the document).

    :param shown: the file name for messages.
    :raises UsageError: ``file:line:col: invalid YAML: ...`` on a syntax error.
    """
    loader = _Loader(text)
    documents: list[tuple[Any, dict[RawPath, int]]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            reader = _Reader(loader, shown)
            data = reader.convert(node, ())
            if data is not None:
                documents.append((data, reader.lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise UsageError(f"{shown}:{where}: invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{shown}: invalid YAML: {' '.join(str(exc).split())}") from exc
    finally:
        loader.dispose()
    return documents
