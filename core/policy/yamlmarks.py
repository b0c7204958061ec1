"""Safe YAML reading that remembers where every value came from (I/O-free, pure on text).

Returns plain Python data and a map from document path to ``(line, column)``;
rejects duplicate keys and non-standard tags, and expands ``${VAR}`` /
``${VAR:-default}`` in strings from a given environment mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import yaml

Path = tuple[str | int, ...]
Marks = dict[Path, tuple[int, int]]

# libyaml's parser when PyYAML has it: several times faster on big policies.
_FastLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def format_path(path: Path) -> str:
    """``("environments", 2, "requires")`` -> ``environments[2].requires``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "(document)"


class YamlReader:
    """Turns YAML text into data plus marks; problems collect in :attr:`problems`.

    :param env: where ``${VAR}`` is looked up.
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.marks: Marks = {}
        self.problems: list[tuple[tuple[int, int], Path, str]] = []

    def read(self, text: str) -> Any:
        """Parse ``text``; a syntax error is recorded as a problem and returns ``None``."""
        try:
            loader = _FastLoader(text)
            node = loader.get_single_node()
        except yaml.YAMLError:
            # libyaml's messages are terse; the pure-Python parser says what it expected.
            loader = yaml.SafeLoader(text)
        else:
            return self._convert(loader, node, ()) if node is not None else None
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problems.append((where, (), f"invalid YAML: {exc.problem or exc.context}"))
            return None
        except yaml.YAMLError as exc:
            self.problems.append(((1, 1), (), f"invalid YAML: {exc}"))
            return None
        finally:
            loader.dispose()
        if node is None:
            return None
        return self._convert(loader, node, ())

    def _problem(self, node: yaml.Node, path: Path, message: str) -> None:
        self.problems.append(((node.start_mark.line + 1, node.start_mark.column + 1), path, message))

    def _convert(self, loader: Any, node: yaml.Node, path: Path) -> Any:
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _STANDARD_TAGS:
            self._problem(node, path, f"unsupported YAML tag {node.tag!r}; only plain YAML is allowed")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(loader, node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(loader, item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = loader.construct_object(node)
        except yaml.YAMLError as exc:
            self._problem(node, path, f"invalid value: {exc}")
            return None
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, str):
            return self._expand(node, path, value)
        return value

    def _mapping(self, loader: Any, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in _merge_sources(value_node):
                    value = self._convert(loader, source, path)
                    if isinstance(value, dict):
                        merged = {**value, **merged}
                continue
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                self._problem(key_node, path, "mapping keys must be plain strings")
                continue
            key = str(key)
            if key in result:
                self._problem(key_node, (*path, key), f"duplicate key {key!r} (first defined on line "
                              f"{self.marks[path + (key,)][0]})")
                continue
            self.marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self._convert(loader, value_node, (*path, key))
        return {**merged, **result}

    def _expand(self, node: yaml.Node, path: Path, text: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group(1), match.group(2)
            value = self.env.get(name)
            if value not in (None, ""):
                return str(value)
            if default is not None:
                return default
            self._problem(node, path, f"environment variable {name} is not set and has no default "
                          f"(write ${{{name}:-VALUE}} to give one)")
            return match.group(0)

        return _VARIABLE.sub(substitute, text) if "$" in text else text


def _merge_sources(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(reversed(node.value))
    return [node]
