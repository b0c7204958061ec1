"""Reading environments' configuration files with the line of every value (I/O).

YAML (multi-document; Kubernetes resources become units of their own, matched by
kind/namespace/name), Helm values (YAML), JSON, TOML and ``.env`` files become
:class:`~releasegate.drift.model.ConfigUnit` values for the pure drift comparison.
Values are compared as written: ``${VAR}`` is not expanded here.
"""

from __future__ import annotations

import glob
import json
import re
import sys
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from releasegate.drift.model import ConfigUnit, DriftReport, RawPath
from releasegate.errors import UsageError
from releasegate.policy.model import Policy

__all__ = ["MAX_CONFIG_BYTES", "drift_report", "file_format", "read_environment", "read_units"]

#: Largest configuration file read, in bytes.
MAX_CONFIG_BYTES = 16 * 1024 * 1024
_MAGIC = re.compile(r"[*?\[]")
Lines = dict[RawPath, int]


def file_format(path: Path, shown: str | None = None) -> str:
    """``yaml``, ``json``, ``toml`` or ``env``, from the file name.

    :raises UsageError: for a name that says none of them.
    """
    name = path.name.lower()
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".toml"):
        return "toml"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    raise UsageError(
        f"{shown or path}: unknown configuration format; name it .yaml, .yml, .json, .toml or .env"
    )


def _text(path: Path, shown: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise UsageError(
                f"{shown}: {size} bytes, more than {MAX_CONFIG_BYTES}; compare smaller files"
            )
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read the configuration: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{shown}: not UTF-8 text at byte {exc.start}") from exc


def read_units(path: Path, shown: str, key: str) -> list[ConfigUnit]:
    """The units of one file: one per Kubernetes resource, else one per document.

    :param shown: the file name used in findings and messages.
    :param key: the unit key of the file's (first) plain document.
    :raises UsageError: ``file:line:col: message`` when the file cannot be parsed.
    """
    fmt = file_format(path, shown)
    text = _text(path, shown)
    if fmt == "yaml":
        from releasegate.yamlread import read_yaml

        documents = read_yaml(text, shown)
    elif fmt == "json":
        documents = [_json(text, shown)]
    elif fmt == "toml":
        documents = [_toml(text, shown)]
    else:
        documents = [_dotenv(text, shown)]
    units: list[ConfigUnit] = []
    plain = 0
    for data, lines in documents:
        for item, item_lines in _resources(data, lines):
            resource = _identity(item)
            if resource is not None:
                units.append(ConfigUnit("/".join(resource), shown, item, item_lines, resource))
            else:
                units.append(
                    ConfigUnit(key if plain == 0 else f"{key}#{plain}", shown, item, item_lines)
                )
                plain += 1
    return units


def _resources(data: Any, lines: Lines) -> list[tuple[Any, Lines]]:
    """A ``kind: List`` (as ``kubectl get -o yaml`` writes) as its items, else the document."""
    if (
        isinstance(data, dict)
        and data.get("kind") == "List"
        and isinstance(data.get("items"), list)
    ):
        out = []
        for i, item in enumerate(data["items"]):
            prefix = ("items", i)
            out.append((item, {p[2:]: n for p, n in lines.items() if p[:2] == prefix}))
        return out
    return [(data, lines)]


def _identity(data: Any) -> tuple[str, str, str] | None:
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("kind"), str)
        or "apiVersion" not in data
    ):
        return None
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return None
    return data["kind"], str(metadata.get("namespace") or ""), str(metadata["name"])


def read_environment(patterns: Sequence[str], base: Path, environment: str) -> list[ConfigUnit]:
    """Every unit of an environment's ``drift.files`` entries, relative to ``base``.

    A plain file's key is its entry's position, with the part of the path a glob matched,
    so ``deploy/staging/*.yaml`` and ``deploy/production/*.yaml`` pair files by name.

    :raises UsageError: when an entry matches no file, or a file cannot be read.
    """
    units: list[ConfigUnit] = []
    for index, pattern in enumerate(patterns):
        root = pattern if Path(pattern).is_absolute() else str(base / pattern)
        files = sorted(Path(p) for p in glob.glob(root, recursive=True) if Path(p).is_file())
        if not files:
            raise UsageError(
                f"drift.files.{environment}: {pattern} matches no file (relative to {base})"
            )
        static = Path(root)
        while _MAGIC.search(static.name):
            static = static.parent
        for path in files:
            shown = _shown(path, base)
            key = (
                f"{index}"
                if path == Path(root)
                else f"{index}:{path.relative_to(static).as_posix()}"
            )
            units.extend(read_units(path, shown, key))
    return units


def drift_report(policy: Policy, left: str, right: str, *, capture: bool = False) -> DriftReport:
    """Read both environments' ``drift.files`` (relative to the policy) and compare them.

    :param capture: return a report carrying the error instead of raising it (for the
        promotion requirement, where an unreadable file blocks rather than aborts).
    :raises UsageError: when a file is missing or unreadable and ``capture`` is false.
    """
    from releasegate.drift import compare

    files = policy.drift.files if policy.drift else {}
    base = Path(policy.path).resolve().parent
    try:
        for name in (left, right):
            if name not in files:
                raise UsageError(f"{policy.path}: drift.files names no configuration for {name}")
        return compare(
            policy,
            left,
            right,
            read_environment(files[left], base, left),
            read_environment(files[right], base, right),
        )
    except UsageError as exc:
        if not capture:
            raise
        return DriftReport(left=left, right=right, error=str(exc))


def _shown(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


# -- JSON, TOML and .env: parsed by the standard library, lines found simply ----------------


def _line_of(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset)


def _json(text: str, shown: str) -> tuple[Any, Lines]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{shown}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines: Lines = {}
    decoder = json.JSONDecoder()

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    def value(pos: int, path: RawPath) -> int:
        """Record where the value at ``pos`` starts; return the offset after it (text is valid)."""
        pos = skip(pos)
        lines.setdefault(path, _line_of(starts, pos))
        if text[pos] == "{":
            pos = skip(pos + 1)
            while text[pos] != "}":
                key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
                lines[path + (key,)] = _line_of(starts, pos)
                pos = skip(value(skip(pos) + 1, (*path, key)))  # after the colon
                pos = skip(pos + 1) if text[pos] == "," else pos
            return pos + 1
        if text[pos] == "[":
            pos, index = skip(pos + 1), 0
            while text[pos] != "]":
                pos = skip(value(pos, (*path, index)))
                pos, index = (skip(pos + 1) if text[pos] == "," else pos), index + 1
            return pos + 1
        return int(decoder.raw_decode(text, pos)[1])

    value(0, ())
    return data, lines


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_TOML_PART_PATTERN = r"[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'"
_TOML_KEY = re.compile(rf"^\s*((?:{_TOML_PART_PATTERN})(?:\s*\.\s*(?:{_TOML_PART_PATTERN}))*)\s*=")
_TOML_PART = re.compile(_TOML_PART_PATTERN)


def _toml_keys(text: str) -> list[str]:
    return [p[1:-1] if p[0] in "\"'" else p for p in _TOML_PART.findall(text)]


def _toml(text: str, shown: str) -> tuple[Any, Lines]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        try:
            import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
        except ModuleNotFoundError:
            raise UsageError(
                f"{shown}: reading TOML needs Python 3.11 or the tomli package (pip install tomli)"
            ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{shown}: invalid TOML: {exc}") from exc
    lines: Lines = {(): 1}
    table: RawPath = ()
    counts: dict[RawPath, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TOML_HEADER.match(line)
        if header and not _TOML_KEY.match(line):
            table = tuple(_toml_keys(header.group(2)))
            if header.group(1) == "[[":
                counts[table] = counts.get(table, -1) + 1
                table = (*table, counts[table])
            for depth in range(1, len(table) + 1):
                lines.setdefault(table[:depth], number)
            continue
        key = _TOML_KEY.match(line)
        if key:
            path = (*table, *_toml_keys(key.group(1)))
            for depth in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:depth], number)
    return data, lines


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$")


def _dotenv(text: str, shown: str) -> tuple[dict[str, str], Lines]:
    data: dict[str, str] = {}
    lines: Lines = {(): 1}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise UsageError(f"{shown}:{number}:1: expected KEY=VALUE, got {line.strip()[:40]!r}")
        key, raw = match.groups()
        if raw[:1] in ("'", '"') and raw.count(raw[0]) >= 2:
            value = raw[1 : raw.index(raw[0], 1)]
            if raw[0] == '"':
                value = value.replace("\\n", "\n")
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0]
        data[key] = value
        lines[(key,)] = number
    return data, lines
