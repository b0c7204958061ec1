"""What drift comparison works on and finds: configuration units, paths and findings (pure).

A :class:`ConfigUnit` is one comparable piece of an environment's configuration: a
whole file (Helm values, JSON, TOML, ``.env``) or one Kubernetes resource of a
multi-document manifest. Units of two environments are matched by ``key``; their
data is compared into :class:`Finding` values that name both sides' file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ConfigUnit",
    "DriftReport",
    "Finding",
    "Named",
    "PathPart",
    "RawPath",
    "Side",
    "format_path",
]


@dataclass(frozen=True, order=True)
class Named:
    """An item of a list of mappings, matched by its ``name`` rather than its position."""

    name: str


#: A path as the reader saw it: mapping keys and list indexes.
RawPath = tuple[str | int, ...]
#: A path as findings show it: keys, indexes, or named list items.
PathPart = str | int | Named

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: tuple[PathPart, ...]) -> str:
    """``("env", Named("LOG_LEVEL"), "value")`` -> ``env[name=LOG_LEVEL].value``.

    Keys that are not plain words are quoted: ``annotations['kubernetes.io/ingress.class']``.
    """
    out = ""
    for part in path:
        if isinstance(part, Named):
            out += f"[name={part.name}]"
        elif isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True)
class ConfigUnit:
    """One comparable piece of configuration, with where each value was written.

    :param key: what matches the same unit in another environment: the file's place in
        ``drift.files``, or ``Kind/namespace/name`` for a Kubernetes resource.
    :param file: the file it was read from, as shown in findings.
    :param data: the parsed value (mappings, lists, strings, numbers, booleans, ``None``).
    :param lines: 1-based line of each raw path inside ``data``; ``()`` is the unit's start.
    :param resource: ``(kind, namespace, name)`` for a Kubernetes resource, else ``None``.
    """

    key: str
    file: str
    data: Any
    lines: Mapping[RawPath, int] = field(default_factory=dict)
    resource: tuple[str, str, str] | None = None

    @property
    def label(self) -> str | None:
        """``Deployment shop/checkout`` for a resource, ``None`` for a plain file."""
        if self.resource is None:
            return None
        kind, namespace, name = self.resource
        return f"{kind} {namespace + '/' if namespace else ''}{name}"

    def line(self, path: RawPath | None) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        if path is None:
            return None
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)


@dataclass(frozen=True)
class Side:
    """One environment's side of a finding.

    :param present: whether the path exists on this side.
    :param line: the path's line; for an absent path, the line of the nearest ancestor.
    :param value: the value there, for display (never shown when the finding is secret).
    """

    environment: str
    file: str | None
    line: int | None
    present: bool
    value: Any = None

    @property
    def where(self) -> str:
        """``deploy/staging/values.yaml:7`` (or ``(none)`` when there is no file)."""
        if self.file is None:
            return "(none)"
        return f"{self.file}:{self.line}" if self.line else self.file


FindingKind = Literal["only", "value", "type", "order"]


@dataclass(frozen=True)
class Finding:
    """One difference between two environments' configuration.

    :param kind: ``only`` (present on one side), ``value``, ``type`` (a string against a
        number, a list against a mapping...) or ``order`` (the same list items, reordered).
    :param path: the display path inside the unit (empty for a whole unit).
    :param unit: the resource label when the unit is a Kubernetes resource.
    :param item: the path is a list item (wording: "list item" rather than "key").
    :param secret: the values look secret and are never shown.
    :param allowed: the policy's reason when an ``allow:`` path covers it, else ``None``.
    """

    kind: FindingKind
    path: str
    left: Side
    right: Side
    unit: str | None = None
    item: bool = False
    secret: bool = False
    allowed: str | None = None

    @property
    def where(self) -> str:
        """The unit and path, as one label: ``Deployment shop/checkout: spec.replicas``."""
        if not self.path:
            return self.unit or "(whole file)"
        return f"{self.unit}: {self.path}" if self.unit else self.path


@dataclass(frozen=True)
class DriftReport:
    """The comparison of two environments: findings, or why there could be none.

    :param error: a message when the configuration could not be read or compared; a
        report with an error is never clean.
    """

    left: str
    right: str
    findings: tuple[Finding, ...] = ()
    units: int = 0
    error: str | None = None

    @property
    def unexpected(self) -> tuple[Finding, ...]:
        """The findings no ``allow:`` path covers."""
        return tuple(f for f in self.findings if f.allowed is None)

    @property
    def clean(self) -> bool:
        return self.error is None and not self.unexpected
