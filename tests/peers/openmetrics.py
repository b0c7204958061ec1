"""Series as Python data, written as OpenMetrics (for ``promtool``) or as exposition text.

Pure: builds strings from values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Series", "exposition_text", "openmetrics_text"]


@dataclass(frozen=True)
class Series:
    """One time series with its samples.

    :param name: the sample name, e.g. ``http_requests_total`` (a counter's ends in ``_total``).
    :param labels: label names and values, without ``__name__``.
    :param samples: ``(unix_seconds, value)`` pairs, in any order.
    :param type: the metric family type: ``gauge``, ``counter`` or ``untyped``.
    """

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    samples: Sequence[tuple[float, float]] = ()
    type: str = "gauge"

    @property
    def family(self) -> str:
        """The OpenMetrics family name: a counter's sample name without ``_total``."""
        if self.type == "counter":
            if not self.name.endswith("_total"):
                raise ValueError(f"counter series {self.name!r} must end in _total")
            return self.name[: -len("_total")]
        return self.name


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _timestamp(ts: float) -> str:
    text = f"{ts:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    parts = []
    for key in sorted(labels):
        value = str(labels[key]).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append(f'{key}="{value}"')
    return "{" + ",".join(parts) + "}"


def openmetrics_text(series: Iterable[Series]) -> str:
    """Render series as an OpenMetrics file that ``promtool tsdb create-blocks-from`` accepts.

    Series of one family are grouped under one ``# TYPE`` line, each series' samples in
    ascending time order, and the text ends with ``# EOF``.

    :param series: the series; several may share a family (different labels).
    :returns: the file's text.
    """
    families: dict[str, list[Series]] = {}
    types: dict[str, str] = {}
    for one in series:
        family = one.family
        if types.setdefault(family, one.type) != one.type:
            raise ValueError(
                f"family {family!r} has series of types {types[family]} and {one.type}"
            )
        families.setdefault(family, []).append(one)
    lines: list[str] = []
    for family, members in families.items():
        lines.append(f"# TYPE {family} {types[family]}")
        for one in members:
            head = one.name + _labels(one.labels)
            for ts, value in sorted(one.samples):
                lines.append(f"{head} {_number(value)} {_timestamp(ts)}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def exposition_text(values: Mapping[tuple[str, tuple[tuple[str, str], ...]], float]) -> str:
    """Render current values in the Prometheus text format that a scrape reads.

    :param values: ``(name, sorted label pairs) -> value``.
    :returns: the exposition text (untyped samples, no timestamps).
    """
    lines = [
        f"{name}{_labels(dict(labels))} {_number(value)}"
        for (name, labels), value in values.items()
    ]
    return "\n".join(lines) + ("\n" if lines else "")
