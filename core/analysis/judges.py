"""The per-interval judges: threshold, anomaly, ratio and compare (pure).

Each judge reads one metric's observations up to ``now`` and returns one
:class:`~releasegate.analysis.verdict.Measurement` per interval; the gate
(``releasegate.analysis.gate``) turns measurements into a verdict with the
gate's limits. A missing, NaN or infinite value is an ``inconclusive``
measurement, never a pass. The sequential judge lives in
``releasegate.analysis.sequential``.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from releasegate.analysis.data import MetricData, Observation
from releasegate.analysis.stats import is_number, location_shift, mann_whitney
from releasegate.analysis.verdict import Measurement
from releasegate.policy.model import Metric

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}

AGGREGATES: dict[str, Callable[[Sequence[float]], float]] = {
    "mean": statistics.fmean,
    "avg": statistics.fmean,
    "median": statistics.median,
    "max": max,
    "min": min,
    "sum": math.fsum,
}

#: Ratio bounds used when a ratio metric sets neither ``min_ratio`` nor ``max_ratio``.
DEFAULT_MIN_RATIO = 0.8
DEFAULT_MAX_RATIO = 1.25


def aggregate(name: str, values: Sequence[float]) -> float:
    """``mean``, ``median``, ``max``, ``min``, ``sum`` or ``pNN`` (nearest-rank percentile) of
    ``values``, which must not be empty."""
    if name in AGGREGATES:
        return AGGREGATES[name](values)
    if name.startswith("p") and name[1:].replace(".", "", 1).isdigit():
        ordered = sorted(values)
        rank = max(1, math.ceil(float(name[1:]) / 100.0 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]
    raise ValueError(f"unknown aggregate {name!r}")


def _missing(obs: Observation, what: str) -> Measurement:
    return Measurement(obs.time, "inconclusive", f"no {what} value for this interval", {})


def _fmt(value: float) -> str:
    return f"{value:.4g}"


class Step(Protocol):
    """A judge fed one interval at a time: :meth:`step` returns that interval's measurement
    with a bounded amount of work and state (the window the judge reads, not the series)."""

    def step(self, obs: Observation) -> Measurement: ...


def steps(judge: Step, observations: Sequence[Observation]) -> list[Measurement]:
    """Every interval's measurement, in order."""
    return [judge.step(obs) for obs in observations]


class ThresholdJudge:
    """``fail_if`` on the canary (or post-deploy) value, held ``for`` a duration or applied to
    an ``aggregate`` over a trailing window (kept as that window's values only)."""

    def __init__(
        self, metric: Metric, history: Sequence[tuple[float, float | None]], interval: float
    ) -> None:
        self.metric = metric
        self.need = (
            max(1, math.ceil((metric.hold_for or 0.0) / interval - 1e-9)) if metric.hold_for else 1
        )
        self.streak = 0
        self.window: deque[tuple[float, float]] = deque()

    def step(self, obs: Observation) -> Measurement:
        metric = self.metric
        if metric.fail_if is None:
            return Measurement(obs.time, "inconclusive", "no fail_if condition", {})
        op_text, limit = metric.fail_if
        if not is_number(obs.canary):
            self.streak = 0
            return _missing(obs, "canary")
        value = float(obs.canary)  # type: ignore[arg-type]
        label = "value"
        if metric.aggregate is not None:
            name, span = metric.aggregate
            self.window.append((obs.time, value))
            while self.window and self.window[0][0] <= obs.time - span + 1e-9:
                self.window.popleft()
            value = aggregate(name, [v for _, v in self.window])
            label = f"{name} over {len(self.window)} intervals"
        crossed = OPERATORS[op_text](value, limit)
        self.streak = self.streak + 1 if crossed else 0
        streak, need = self.streak, self.need
        stat: dict[str, float | str] = {"value": value, "threshold": limit, "held": streak}
        if streak >= need:
            reason = f"{label} {_fmt(value)} {op_text} {_fmt(limit)}"
            reason += f" for {streak} intervals" if need > 1 else ""
            return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
        if crossed:
            reason = (
                f"{label} {_fmt(value)} {op_text} {_fmt(limit)}, held {streak} of {need} intervals"
            )
            return Measurement(obs.time, "pass", reason, stat, obs.canary_count)
        reason = f"{label} {_fmt(value)} is not {op_text} {_fmt(limit)}"
        return Measurement(obs.time, "pass", reason, stat, obs.canary_count)


def judge_threshold(metric: Metric, data: MetricData, interval: float) -> list[Measurement]:
    """``fail_if`` on the canary (or post-deploy) value, optionally held ``for`` a duration or
    applied to an ``aggregate`` over a trailing window."""
    return steps(ThresholdJudge(metric, data.history, interval), data.observations)


def _history(
    metric: Metric, history: Sequence[tuple[float, float | None]], start: float, interval: float
) -> list[float]:
    """The history values within ``metric.history`` before the deploy, one interval before
    ``start`` (the end of the first observed interval): ``history: N intervals`` is N points,
    at ``deploy - N*interval`` up to ``deploy - interval``."""
    deployed = start - interval
    return [
        float(v)  # type: ignore[arg-type]
        for t, v in history
        if t < start and t >= deployed - metric.history - 1e-9 and is_number(v)
    ]


def _bad(direction: str, score: float, limit: float) -> bool:
    if direction == "increase":
        return score > limit
    if direction == "decrease":
        return score < -limit
    return abs(score) > limit


class AnomalyJudge:
    """The value against mean + k·σ of the service before the deploy (read once, at the
    first interval)."""

    def __init__(
        self, metric: Metric, history: Sequence[tuple[float, float | None]], interval: float
    ) -> None:
        self.metric = metric
        self.history = history
        self.interval = interval
        self.baseline: tuple[float, float, float] | None = None
        self.short: str | None = None

    def step(self, obs: Observation) -> Measurement:
        metric = self.metric
        if self.baseline is None and self.short is None:
            values = _history(metric, self.history, obs.time, self.interval)
            if len(values) < 3:
                self.short = f"only {len(values)} history values before the deploy, need at least 3"
            else:
                # The sample deviation (n - 1): the history is a sample of the service's
                # behaviour, and with few points the population deviation understates the
                # spread and fails healthy canaries.
                mean, sd = statistics.fmean(values), statistics.stdev(values)
                self.baseline = (mean, sd, sd if sd > 0 else max(abs(mean) * 1e-9, 1e-12))
            self.history = ()
        if self.baseline is None:
            return Measurement(obs.time, "inconclusive", self.short or "", {})
        if not is_number(obs.canary):
            return _missing(obs, "canary")
        mean, sd, scale = self.baseline
        value = float(obs.canary)  # type: ignore[arg-type]
        z = (value - mean) / scale
        stat: dict[str, float | str] = {
            "value": value,
            "mean": mean,
            "sd": sd,
            "z": z,
            "sigma": metric.sigma,
        }
        side = {"increase": "above", "decrease": "below"}.get(metric.direction, "beyond")
        if _bad(metric.direction, z, metric.sigma):
            reason = (
                f"value {_fmt(value)} is {abs(z):.2f} sd {side} the pre-deploy mean {_fmt(mean)}"
                f" (limit {metric.sigma:g} sd)"
            )
            return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
        reason = f"value {_fmt(value)} is within {metric.sigma:g} sd of the pre-deploy mean {_fmt(mean)} (z {z:.2f})"
        return Measurement(obs.time, "pass", reason, stat, obs.canary_count)


def judge_anomaly(metric: Metric, data: MetricData, interval: float) -> list[Measurement]:
    """The value against mean + k·σ of the same series before the deploy (``sigma``,
    ``history``), in the metric's bad ``direction``."""
    return steps(AnomalyJudge(metric, data.history, interval), data.observations)


class RatioJudge:
    """Canary over baseline (or over the pre-deploy mean, read once, at the first interval)."""

    def __init__(
        self, metric: Metric, history: Sequence[tuple[float, float | None]], interval: float
    ) -> None:
        self.metric = metric
        self.history = history
        self.interval = interval
        self.pre: float | None = None
        self.started = False
        low, high = metric.min_ratio, metric.max_ratio
        if low is None and high is None:
            low, high = (
                (DEFAULT_MIN_RATIO, None)
                if metric.direction == "decrease"
                else (None, DEFAULT_MAX_RATIO)
            )
        self.low, self.high = low, high

    def step(self, obs: Observation) -> Measurement:
        if not self.started:
            values = _history(self.metric, self.history, obs.time, self.interval)
            self.pre = statistics.fmean(values) if values else None
            self.started, self.history = True, ()
        low, high = self.low, self.high
        if not is_number(obs.canary):
            return _missing(obs, "canary")
        reference = obs.baseline if obs.baseline is not None else self.pre
        if not is_number(reference):
            return _missing(obs, "baseline (or pre-deploy)")
        value, ref = float(obs.canary), float(reference)  # type: ignore[arg-type]
        ratio = 1.0 if value == ref else (value / ref if ref else math.inf)
        stat: dict[str, float | str] = {"value": value, "reference": ref, "ratio": ratio}
        what = "baseline" if obs.baseline is not None else "pre-deploy mean"
        if low is not None and ratio < low:
            reason = f"ratio {_fmt(ratio)} to the {what} is below min_ratio {low:g}"
            return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
        if high is not None and ratio > high:
            reason = f"ratio {_fmt(ratio)} to the {what} is above max_ratio {high:g}"
            return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
        reason = f"ratio {_fmt(ratio)} to the {what} is within bounds"
        return Measurement(obs.time, "pass", reason, stat, obs.canary_count)


def judge_ratio(metric: Metric, data: MetricData, interval: float) -> list[Measurement]:
    """Canary over baseline (or post-deploy over the pre-deploy mean when there is no
    baseline) against ``min_ratio`` / ``max_ratio``."""
    return steps(RatioJudge(metric, data.history, interval), data.observations)


class CompareJudge:
    """Kayenta's Mann-Whitney classifier over the last ``lookback`` intervals (kept as those
    intervals only)."""

    def __init__(
        self, metric: Metric, history: Sequence[tuple[float, float | None]], interval: float
    ) -> None:
        self.metric = metric
        self.window: deque[Observation] = deque(maxlen=max(1, metric.lookback))

    def step(self, obs: Observation) -> Measurement:
        metric = self.metric
        allowed_up = 1.0 + (metric.effect or 0.0)
        allowed_down = 1.0 - (metric.effect or 0.0)
        self.window.append(obs)
        canary = [float(o.canary) for o in self.window if is_number(o.canary)]  # type: ignore[arg-type]
        baseline = [float(o.baseline) for o in self.window if is_number(o.baseline)]  # type: ignore[arg-type]
        if not is_number(obs.canary):
            return _missing(obs, "canary")
        if not baseline:
            return _missing(obs, "baseline")
        if sorted(canary) == sorted(baseline) or len(set(canary + baseline)) == 1:
            return Measurement(obs.time, "pass", "canary and baseline samples are identical", {})
        test = mann_whitney(canary, baseline)
        lo, estimate, hi = location_shift(canary, baseline, metric.confidence)
        mc, mb = statistics.fmean(canary), statistics.fmean(baseline)
        mean_ratio = mc / mb if mc and mb else math.nan
        stat: dict[str, float | str] = {
            "u": test.u,
            "p": test.p_two_sided,
            "low": lo,
            "estimate": estimate,
            "high": hi,
            "mean_ratio": mean_ratio,
            "n_canary": len(canary),
            "n_baseline": len(baseline),
        }
        high = lo > metric.tolerance * abs(estimate) and not (mean_ratio < allowed_up)
        low = hi < -metric.tolerance * abs(estimate) and not (mean_ratio > allowed_down)
        bad = (high and metric.direction != "decrease") or (low and metric.direction != "increase")
        ci = f"[{_fmt(lo)}, {_fmt(hi)}]"
        if bad:
            side = "higher" if high else "lower"
            reason = (
                f"canary is {side} than baseline: shift {_fmt(estimate)}, {metric.confidence:.0%} CI {ci},"
                f" U {test.u:g}, p {test.p_two_sided:.3g}"
            )
            return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
        reason = f"no significant shift: {_fmt(estimate)}, {metric.confidence:.0%} CI {ci}, p {test.p_two_sided:.3g}"
        return Measurement(obs.time, "pass", reason, stat, obs.canary_count)


def judge_compare(metric: Metric, data: MetricData, interval: float) -> list[Measurement]:
    """Kayenta's Mann-Whitney classifier over the last ``lookback`` intervals: a Hodges-Lehmann
    interval at ``confidence`` clear of ``tolerance`` x |estimate|, with the mean ratio beyond
    ``1 ± effect`` (default: any), in the bad ``direction``."""
    return steps(CompareJudge(metric, data.history, interval), data.observations)


JUDGES: dict[str, Callable[[Metric, MetricData, float], list[Measurement]]] = {
    "threshold": judge_threshold,
    "anomaly": judge_anomaly,
    "ratio": judge_ratio,
    "compare": judge_compare,
}
