"""The one YAML reader: bounded, remembering where every value came from (pure on text).

The policy and the configuration files drift compares are both read here. Every read
is bounded before anything is built: size, NUL bytes, nesting depth, the aliases
written, and the values after aliases are expanded, so an alias bomb ("billion laughs")
or a deeply nested or recursive document is a one-line usage error naming the limit.
Two readings share those bounds: :class:`YamlReader` for the policy (plain tags only,
``${VAR}`` expanded, problems collected with line and column) and :func:`read_yaml`
for configuration (any tag kept as text, every document, keys as written).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from releasegate.errors import UsageError

__all__ = [
    "CONFIG_LIMITS",
    "POLICY_LIMITS",
    "Limits",
    "Marks",
    "Path",
    "YamlReader",
    "format_path",
    "read_yaml",
]

Path = tuple[str | int, ...]
Marks = dict[Path, tuple[int, int]]

# libyaml's parser when PyYAML has it: several times faster on big files.
_FastLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Limits:
    """What one YAML text may hold.

    :param max_bytes: size of the text (UTF-8 bytes).
    :param max_depth: nesting of mappings and sequences.
    :param max_aliases: ``*alias`` references written in the text.
    :param max_nodes: values after aliases are expanded (each alias counts its whole subtree).
    """

    max_bytes: int
    max_depth: int
    max_aliases: int
    max_nodes: int


#: A policy is a hand-written file of a few hundred values.
POLICY_LIMITS = Limits(max_bytes=1 << 20, max_depth=64, max_aliases=1_000, max_nodes=100_000)
#: Configuration (Helm values, Kubernetes manifests) can be large, but never a bomb.
CONFIG_LIMITS = Limits(max_bytes=64 << 20, max_depth=200, max_aliases=10_000, max_nodes=1_000_000)


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


def _where(shown: str, line: int, column: int) -> str:
    return f"{shown}:{line}:{column}"


def _at(shown: str, mark: Any) -> str:
    """``file:line:col`` of a PyYAML mark (``file`` alone when there is none)."""
    return shown if mark is None else _where(shown, mark.line + 1, mark.column + 1)


def check_bounds(text: str, shown: str, limits: Limits) -> None:
    """Refuse, before anything is built, text over the size limit, with a NUL byte, nested too
    deep or with too many aliases (an event scan: no nodes are built, nothing recurses).

    Syntax errors are left to the reader, which reports them with their position.

    :raises UsageError: ``file:line:col: YAML ... limit ...``.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise UsageError(
            f"{shown}: YAML larger than the size limit ({size} bytes > {limits.max_bytes} bytes)"
        )
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise UsageError(
            f"{_where(shown, line, nul - text.rfind(chr(10), 0, nul))}: a NUL byte; "
            "YAML text cannot contain one"
        )
    for loader_class in (_FastLoader, yaml.SafeLoader):
        # libyaml's scanner reads ahead and stops at its own nesting limit before our count
        # sees the events; the pure-Python parser (iterative too) then scans as far as it can
        try:
            loader = loader_class(text)
        except yaml.YAMLError:  # the pure-Python reader refuses control characters at once
            return
        if _scan(loader, shown, limits):
            return


def _scan(loader: Any, shown: str, limits: Limits) -> bool:
    """Count nesting and aliases over the events of ``loader``; ``False`` on a syntax error."""
    depth = aliases = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.max_depth:
                    raise UsageError(
                        f"{_at(shown, event.start_mark)}: YAML nested deeper than the "
                        f"depth limit ({limits.max_depth})"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > limits.max_aliases:
                    raise UsageError(
                        f"{_at(shown, event.start_mark)}: more YAML aliases than the "
                        f"alias limit ({limits.max_aliases})"
                    )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        if "maximum nesting depth" in str(exc.problem) and mark is not None:  # libyaml's own limit
            raise UsageError(
                f"{_where(shown, mark.line + 1, mark.column + 1)}: YAML nested deeper "
                f"than the depth limit ({limits.max_depth})"
            ) from None
        return False  # a syntax error: the reader says where
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()
    return True


class _Budget:
    """Bounds the walk that builds values: the values each node stands for once aliases are
    expanded are counted up front (each distinct node once, so a bomb is measured, not built),
    and an alias inside its own anchor is caught."""

    def __init__(self, shown: str, limits: Limits) -> None:
        self.shown = shown
        self.limits = limits
        self.sizes: dict[int, int] = {}
        self.total = 0

    def _fail(self, node: yaml.Node, message: str) -> UsageError:
        mark = node.start_mark
        return UsageError(f"{_where(self.shown, mark.line + 1, mark.column + 1)}: {message}")

    def measure(self, root: yaml.Node) -> None:
        """:raises UsageError: over the node limit, or on a recursive alias."""
        open_nodes: set[int] = set()

        def size(node: yaml.Node, depth: int) -> int:
            key = id(node)
            if key in self.sizes:
                return self.sizes[key]
            if key in open_nodes or depth > self.limits.max_depth:
                raise self._fail(node, "a YAML alias inside its own anchor (recursive YAML)")
            total = 1
            if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
                open_nodes.add(key)
                children = (
                    (part for pair in node.value for part in pair)
                    if isinstance(node, yaml.MappingNode)
                    else iter(node.value)
                )
                for child in children:
                    total += size(child, depth + 1)
                    if total > self.limits.max_nodes:
                        raise self._fail(
                            node,
                            f"more than {self.limits.max_nodes} YAML values once "
                            "aliases are expanded (the node limit; an alias bomb?)",
                        )
                open_nodes.discard(key)
            self.sizes[key] = total
            return total

        self.total += size(root, 0)  # every document of a stream counts
        if self.total > self.limits.max_nodes:
            raise self._fail(
                root,
                f"more than {self.limits.max_nodes} YAML values once aliases are "
                "expanded (the node limit; an alias bomb?)",
            )


def _merge_sources(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(reversed(node.value))
    return [node]


def _reader_error(shown: str, text: str, exc: yaml.reader.ReaderError) -> UsageError:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - text.rfind("\n", 0, exc.position)
    return UsageError(
        f"{_where(shown, line, column)}: invalid YAML: unacceptable character "
        f"#x{exc.character if isinstance(exc.character, int) else ord(exc.character):04x}"
        f" ({exc.reason})"
    )


# ---------------------------------------------------------------------------- the policy


class YamlReader:
    """Turns policy YAML into data plus marks; problems collect in :attr:`problems`.

    Rejects duplicate keys and non-standard tags, and expands ``${VAR}`` /
    ``${VAR:-default}`` in strings from ``env``.

    :param env: where ``${VAR}`` is looked up.
    :param shown: the file name for the messages of a limit.
    :param limits: the bounds (:data:`POLICY_LIMITS`).
    """

    def __init__(
        self, env: Mapping[str, str], shown: str = "(policy)", limits: Limits = POLICY_LIMITS
    ) -> None:
        self.env = env
        self.shown = shown
        self.limits = limits
        self.marks: Marks = {}
        self.problems: list[tuple[tuple[int, int], Path, str]] = []

    def read(self, text: str) -> Any:
        """Parse ``text``; a syntax error is recorded as a problem and returns ``None``.

        :raises UsageError: when the text breaks a limit (size, NUL, depth, aliases, nodes).
        """
        check_bounds(text, self.shown, self.limits)
        self._budget = _Budget(self.shown, self.limits)
        try:
            loader = _FastLoader(text)
            node = loader.get_single_node()
        except yaml.reader.ReaderError as exc:
            raise _reader_error(self.shown, text, exc) from None
        except yaml.YAMLError:
            # libyaml's messages are terse; the pure-Python parser says what it expected.
            loader = yaml.SafeLoader(text)
        else:
            if node is None:
                return None
            self._budget.measure(node)
            return self._convert(loader, node, ())
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problems.append((where, (), f"invalid YAML: {exc.problem or exc.context}"))
            return None
        except yaml.YAMLError as exc:
            self.problems.append(((1, 1), (), f"invalid YAML: {' '.join(str(exc).split())}"))
            return None
        finally:
            loader.dispose()
        if node is None:
            return None
        self._budget.measure(node)
        return self._convert(loader, node, ())

    def _problem(self, node: yaml.Node, path: Path, message: str) -> None:
        self.problems.append(
            ((node.start_mark.line + 1, node.start_mark.column + 1), path, message)
        )

    def _convert(self, loader: Any, node: yaml.Node, path: Path) -> Any:
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _STANDARD_TAGS:
            self._problem(
                node, path, f"unsupported YAML tag {node.tag!r}; only plain YAML is allowed"
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(loader, node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(loader, item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = loader.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self._problem(node, path, f"invalid value: {' '.join(str(exc).split())}")
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
            if key_node.tag == _MERGE:
                for source in _merge_sources(value_node):
                    value = self._convert(loader, source, path)
                    if isinstance(value, dict):
                        merged = {**value, **merged}
                continue
            key = (
                loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            )
            if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                self._problem(key_node, path, "mapping keys must be plain strings")
                continue
            key = str(key)
            if key in result:
                self._problem(
                    key_node,
                    (*path, key),
                    f"duplicate key {key!r} (first defined on line {self.marks[path + (key,)][0]})",
                )
                continue
            self.marks[path + (key,)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
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
            self._problem(
                node,
                path,
                f"environment variable {name} is not set and has no default "
                f"(write ${{{name}:-VALUE}} to give one)",
            )
            return match.group(0)

        return _VARIABLE.sub(substitute, text) if "$" in text else text


# ---------------------------------------------------------------------------- configuration

RawPath = tuple[str | int, ...]


class _ConfigReader:
    def __init__(self, loader: Any, shown: str, budget: _Budget) -> None:
        self.loader = loader
        self.shown = shown
        self.budget = budget
        self.lines: dict[RawPath, int] = {}

    def fail(self, node: yaml.Node, message: str) -> UsageError:
        mark = node.start_mark
        return UsageError(f"{_where(self.shown, mark.line + 1, mark.column + 1)}: {message}")

    def convert(self, node: yaml.Node, path: RawPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:
            return f"{node.tag} {node.value}"
        except (ValueError, OverflowError):
            return str(node.value)
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
                for source in _merge_sources(value_node):
                    value = self.convert(source, path)
                    if isinstance(value, dict):
                        merged = {**value, **merged}
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a mapping key must be a plain value to compare it")
            key = str(key_node.value)  # as written: ``on:`` stays "on", not True
            if key in result:
                raise self.fail(
                    key_node,
                    f"duplicate key {key!r} (first on line "
                    f"{self.lines[path + (key,)]}); remove one",
                )
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node, (*path, key))
        return {**merged, **result}


def read_yaml(
    text: str, shown: str, limits: Limits = CONFIG_LIMITS
) -> list[tuple[Any, dict[RawPath, int]]]:
    """Every non-empty document of configuration ``text`` with its lines (paths relative to the
    document). Any tag is kept as ``"!Tag value"`` text, nothing is expanded, and a duplicate
    key is an error: which one a deployment tool would use is not something to guess.

    :param shown: the file name for messages.
    :raises UsageError: ``file:line:col: invalid YAML: ...`` on a syntax error, or naming the
        limit a bomb or a deeply nested file breaks.
    """
    check_bounds(text, shown, limits)
    budget = _Budget(shown, limits)
    loader = _FastLoader(text)
    documents: list[tuple[Any, dict[RawPath, int]]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            budget.measure(node)
            reader = _ConfigReader(loader, shown, budget)
            data = reader.convert(node, ())
            if data is not None:
                documents.append((data, reader.lines))
    except yaml.reader.ReaderError as exc:
        raise _reader_error(shown, text, exc) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise UsageError(f"{shown}:{where}: invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{shown}: invalid YAML: {' '.join(str(exc).split())}") from exc
    finally:
        loader.dispose()
    return documents
