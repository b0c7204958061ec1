"""The replay provider: reads a recorded metrics CSV into the judges' data (I/O).

Format (``docs/gates.md``): a header ``time,metric,variant,value,count``, then one
row per metric, variant and interval. ``time`` is ISO 8601 or unix seconds;
``variant`` is ``canary``, ``baseline`` or ``service``; an empty ``value`` is a
missing sample; ``count`` (optional) is the requests or sessions behind a rate.
Rows before the deploy time (default: the first canary row) are history.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

from releasegate.analysis.data import MetricData, Observation
from releasegate.errors import EvidenceError, UsageError

COLUMNS = ("time", "metric", "variant", "value", "count")
VARIANTS = ("canary", "baseline", "service")


@dataclass(frozen=True)
class Replay:
    """A recording: each metric's data, the interval end times since the deploy, the deploy time."""

    metrics: dict[str, MetricData]
    times: tuple[float, ...]
    deployed_at: float


def parse_time(text: str) -> float:
    """Unix seconds from ``text``: a number of seconds, or ISO 8601 (naive means UTC).

    :raises ValueError: when it is neither (see :func:`releasegate.instants.parse_instant`).
    """
    from releasegate.instants import parse_instant

    return parse_instant(text).timestamp()


def _number(text: str, what: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise EvidenceError(
            f"{where}: {what} {text!r} is not a number; write a number or leave it empty"
        ) from None


Row = tuple[float, str, str, float | None, float | None]


def parse_rows(lines: Iterable[str], source: str) -> list[Row]:
    """Validated rows ``(time, metric, variant, value, count)`` of a replay CSV.

    :raises EvidenceError: naming ``source:line`` on the first bad row or header.
    """
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise EvidenceError(
            f"{source}:1: the file is empty; expected the header {','.join(COLUMNS)}"
        ) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS[:4] if c not in names]
    if missing:
        raise EvidenceError(
            f"{source}:1: header lacks {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
    index = {name: names.index(name) for name in COLUMNS if name in names}
    rows: list[Row] = []
    seen: dict[tuple[float, str, str], int] = {}
    for record in reader:
        line = reader.line_num
        where = f"{source}:{line}"
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) <= max(index[c] for c in COLUMNS[:4]):
            raise EvidenceError(
                f"{where}: {len(record)} fields, expected {len(names)} ({','.join(names)})"
            )
        cells = {name: (record[i] if i < len(record) else "") for name, i in index.items()}
        try:
            when = parse_time(cells["time"])
        except ValueError:
            raise EvidenceError(
                f"{where}: time {cells['time']!r} is neither ISO 8601 nor unix seconds"
            ) from None
        metric = cells["metric"].strip()
        if not metric:
            raise EvidenceError(f"{where}: the metric name is empty")
        variant = cells["variant"].strip().lower()
        if variant not in VARIANTS:
            raise EvidenceError(
                f"{where}: variant {cells['variant']!r} is not one of {', '.join(VARIANTS)}"
            )
        value = _number(cells["value"], "value", where)
        count = _number(cells.get("count", ""), "count", where)
        if count is not None and (count < 0 or not math.isfinite(count)):
            raise EvidenceError(f"{where}: count {count:g} must be a finite number >= 0")
        key = (when, metric, variant)
        if key in seen:
            raise EvidenceError(
                f"{where}: a second {metric} {variant} row for this time (first at line {seen[key]})"
            )
        seen[key] = line
        rows.append((when, metric, variant, value, count))
    return rows


def build_replay(rows: list[Row], source: str, *, deployed_at: float | None = None) -> Replay:
    """Group validated rows into per-metric history and observations (pure).

    :raises UsageError: when the deploy time cannot be known.
    """
    if deployed_at is None:
        canary_times = [r[0] for r in rows if r[2] == "canary"]
        if not canary_times:
            raise UsageError(
                f"{source}: no canary rows, so the deploy time is unknown; pass --deployed-at"
            )
        deployed_at = min(canary_times)
    times = tuple(sorted({r[0] for r in rows if r[0] >= deployed_at}))
    by_metric: dict[str, dict[tuple[float, str], tuple[float | None, float | None]]] = {}
    for when, metric, variant, value, count in rows:
        by_metric.setdefault(metric, {})[(when, variant)] = (value, count)
    metrics: dict[str, MetricData] = {}
    for metric, cells in by_metric.items():
        before = sorted((t, v) for t, v in cells if t < deployed_at)
        kinds = {v for _, v in before}
        source_variant = "service" if "service" in kinds else "baseline"
        history = tuple((t, cells[(t, v)][0]) for t, v in before if v == source_variant)
        has_canary = any(v == "canary" for _, v in cells)
        post = "canary" if has_canary else "service"
        observations = []
        for t in times:
            c_value, c_count = cells.get((t, post), (None, None))
            b_value, b_count = cells.get((t, "baseline"), (None, None))
            observations.append(Observation(t, c_value, b_value, c_count, b_count))
        metrics[metric] = MetricData(metric, history, tuple(observations))
    return Replay(metrics, times, deployed_at)


def read_replay(path: str, *, deployed_at: float | None = None) -> Replay:
    """Read the replay CSV at ``path``.

    :raises EvidenceError: when the file cannot be read or a row is malformed.
    """
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        raise EvidenceError(
            f"{path}: cannot read the metrics file ({exc.strerror}); check the --metrics path"
        ) from exc
    return build_replay(
        parse_rows(io.StringIO(text, newline=""), path), path, deployed_at=deployed_at
    )
