"""The gate verdict: run each metric's judge over the data seen up to ``now`` and apply the
gate's limits, Argo Rollouts style (pure).

``evaluate_gate`` is stateless and causal: called once per interval with the
growing series (live) or with the whole recording and each interval's ``now``
(replay), it gives the same answers. Per metric:

* ``fail`` when more than ``failure_limit`` measurements failed (cumulative);
* ``error`` when more than ``error_limit`` consecutive intervals had provider errors;
* ``inconclusive`` when the latest ``inconclusive_limit + 1`` intervals had no usable data,
  or while it has fewer than ``min_samples`` measurements or ``min_requests`` canary
  requests (the evidence is still building);
* ``pass`` otherwise.

The gate rolls back when any metric failed or errored, or when the combined chart of
its sequential metrics (their small-effect evidence summed per interval) failed; it is ``inconclusive`` when
any metric lacks data now, ``continue`` while evidence builds, and ``promote``
when every metric passes with enough evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from releasegate.analysis.data import MetricData, Observation
from releasegate.analysis.judges import JUDGES
from releasegate.analysis.sequential import (
    combined_chart,
    default_threshold,
    judge_sequential,
    metric_kind,
)
from releasegate.analysis.verdict import GateVerdict, Measurement, MetricVerdict
from releasegate.policy.model import Gate, Metric

#: A judge turns one metric's data into one measurement per observed interval (pure).
Judge = Callable[[Metric, MetricData, float], list[Measurement]]
#: The judges releasegate ships; plugins add more through ``releasegate_register_judges``.
BUILTIN_JUDGES: Mapping[str, Judge] = {**JUDGES, "sequential": judge_sequential}


def _expected(metric: Metric) -> str | None:
    if metric.judge == "sequential":
        h = metric.threshold if metric.threshold is not None else default_threshold(metric.alpha, metric_kind(metric))
        return f"CUSUM < {h:.2f}"
    if metric.judge == "threshold" and metric.fail_if:
        return f"not {metric.fail_if[0]} {metric.fail_if[1]:g}"
    if metric.judge == "anomaly":
        return f"within {metric.sigma:g} sd of the pre-deploy mean"
    if metric.judge == "ratio":
        low = f">= {metric.min_ratio:g}" if metric.min_ratio is not None else ""
        high = f"<= {metric.max_ratio:g}" if metric.max_ratio is not None else ""
        return " and ".join(x for x in (low, high) if x) or None
    if metric.judge == "compare":
        return f"no {metric.direction} at {metric.confidence:.0%} confidence"
    return None


def _observed(measurement: Measurement | None) -> str | None:
    if measurement is None:
        return None
    for key in ("cusum", "value", "ratio", "estimate"):
        value = measurement.statistic.get(key)
        if isinstance(value, float | int):
            label = "CUSUM " if key == "cusum" else ""
            return f"{label}{value:.4g}"
    return None


def _streak(measurements: Sequence[Measurement], statuses: tuple[str, ...]) -> int:
    count = 0
    for m in reversed(measurements):
        if m.status not in statuses:
            break
        count += 1
    return count


def _assess(gate: Gate, metric: Metric, measurements: Sequence[Measurement],
            requests: float | None) -> tuple[str, str, str]:
    """``(status, reason, state)`` of one metric; ``state`` is ``stop`` (roll back), ``gap``
    (no usable data now), ``building`` (waiting for more evidence) or ``ok``.

    :param requests: the canary requests the gate has seen (from any metric with counts), or
        ``None`` when none of its metrics carries counts.
    """
    name = metric.name
    failures = [m for m in measurements if m.status == "fail"]
    if len(failures) > gate.failure_limit:
        return "fail", f"{name} failed {len(failures)} > failure_limit {gate.failure_limit}: {failures[-1].reason}", "stop"
    errors = _streak(measurements, ("error",))
    if errors > gate.error_limit:
        cause = measurements[-1].reason
        return "error", f"{name} had {errors} consecutive provider errors > error_limit {gate.error_limit}: {cause}", "stop"
    if not measurements:
        return "inconclusive", f"{name} has no measurements yet", "building"
    gap = _streak(measurements, ("inconclusive", "error"))
    if gap > gate.inconclusive_limit:
        last = measurements[-1]
        status = "error" if last.status == "error" else "inconclusive"
        return status, f"{name} has no usable data for {gap} interval(s): {last.reason}", "gap"
    conclusive = [m for m in measurements if m.status in ("pass", "fail")]
    if len(conclusive) < gate.min_samples:
        return "inconclusive", f"{name} has {len(conclusive)} of min_samples {gate.min_samples} measurements", "building"
    if gate.min_requests:
        if requests is None:
            return ("inconclusive", f"{name}: min_requests {gate.min_requests} needs request counts "
                    "(a count_query on one of the gate's metrics)", "building")
        if requests < gate.min_requests:
            return "inconclusive", f"{name} saw {requests:g} canary requests, min_requests is {gate.min_requests}", "building"
    last = conclusive[-1] if conclusive else measurements[-1]
    return "pass", f"{name}: {last.reason}", "ok"


def _points(observations: Sequence[Observation], side: str) -> tuple[tuple[float, float | None], ...]:
    return tuple((o.time, getattr(o, side)) for o in observations)


def canary_requests(data: Mapping[str, MetricData], *, now: float) -> float | None:
    """The canary requests behind the gate so far: the largest count total of any metric
    (every count query measures the same canary traffic, or its sessions)."""
    totals = [sum(o.canary_count for o in d.observations if o.time <= now and o.canary_count is not None)
              for d in data.values() if any(o.canary_count is not None for o in d.observations)]
    return max(totals) if totals else None


def evaluate_metric(gate: Gate, metric: Metric, data: MetricData | None, *, now: float,
                    requests: float | None = None,
                    judges: Mapping[str, Judge] | None = None) -> tuple[MetricVerdict, str]:
    """Judge one metric of ``gate`` over its data up to ``now``.

    :param requests: the gate's canary requests so far (see :func:`canary_requests`), which
        ``min_requests`` is checked against for every metric, counted or not.

    :returns: the verdict and its state: ``stop``, ``gap``, ``building`` or ``ok``.
    """
    if data is None:
        reason = f"{metric.name} has no data: the provider returned nothing for it"
        return MetricVerdict(metric.name, "error", reason, {}, judge=metric.judge, query=metric.query), "gap"
    observations = tuple(o for o in data.observations if o.time <= now)
    history = tuple(p for p in data.history if p[0] <= now)
    scoped = MetricData(data.metric, history, observations, data.error)
    judge = (BUILTIN_JUDGES if judges is None else judges).get(metric.judge)
    if judge is None:
        reason = f"{metric.name}: no judge called {metric.judge!r} is registered"
        return MetricVerdict(metric.name, "error", reason, {}, judge=metric.judge, query=metric.query), "gap"
    measurements = judge(metric, scoped, gate.interval)
    if data.error:
        measurements.append(Measurement(now, "error", f"provider error: {data.error}"))
    status, reason, state = _assess(gate, metric, measurements, requests)
    last = measurements[-1] if measurements else None
    statistic = dict(last.statistic) if last else {}
    statistic["failures"] = float(sum(m.status == "fail" for m in measurements))
    statistic["measurements"] = float(len(measurements))
    verdict = MetricVerdict(
        metric=metric.name,
        status=status,
        reason=reason,
        statistic=statistic,
        judge=metric.judge,
        query=metric.query,
        expected=_expected(metric),
        observed=_observed(last),
        canary=_points(observations, "canary"),
        baseline=_points(observations, "baseline"),
    )
    return verdict, state


def _combined(gate: Gate, data: Mapping[str, MetricData], now: float) -> MetricVerdict | None:
    """A failed verdict for the combined chart of the gate's sequential metrics, if it alarmed.

    It joins the gate's verdicts as one more row (``combined``), so every rendering shows
    the evidence that rolled back and the rollback counts as a failed measurement.
    """
    metrics = [m for m in gate.metrics if m.judge == "sequential" and m.name in data]
    if len(metrics) < 2:
        return None
    series = []
    for metric in metrics:
        scoped = MetricData(metric.name, (), tuple(o for o in data[metric.name].observations if o.time <= now))
        series.append(judge_sequential(metric, scoped, gate.interval))
    h = min(m.threshold if m.threshold is not None else default_threshold(m.alpha) for m in metrics)
    value, alarms = combined_chart(series, h)
    if alarms <= gate.failure_limit:
        return None
    names = ", ".join(m.name for m in metrics)
    reason = (f"combined evidence of {names} failed {alarms} > failure_limit {gate.failure_limit}: "
              f"CUSUM {value:.2f} >= {h:.2f}: the canary is slightly worse on several metrics at once")
    return MetricVerdict("combined", "fail", reason, {"cusum": value, "threshold": h, "alarms": float(alarms)},
                         judge="sequential", expected=f"CUSUM < {h:.2f}", observed=f"CUSUM {value:.4g}")


def evaluate_gate(gate: Gate, data: Mapping[str, MetricData], *, now: float,
                  judges: Mapping[str, Judge] | None = None) -> GateVerdict:
    """The gate's outcome after everything observed up to ``now`` (unix seconds).

    :param gate: the policy's gate.
    :param data: each metric's data by metric name; a metric without data is an error.
    :param now: observations after it are ignored, so the verdict is causal.
    :param judges: judges by name (the plugin registry's); the built-in ones by default.
    :returns: ``rollback``, ``inconclusive``, ``continue`` or ``promote`` with every metric's
        verdict.
    """
    requests = canary_requests(data, now=now)
    results = [evaluate_metric(gate, metric, data.get(metric.name), now=now, requests=requests, judges=judges)
               for metric in gate.metrics]
    verdicts = tuple(v for v, _ in results)
    combined = _combined(gate, data, now)
    if combined is not None:
        return GateVerdict("rollback", combined.reason, (*verdicts, combined), now)
    for state, outcome in (("stop", "rollback"), ("gap", "inconclusive"), ("building", "continue")):
        hits = [v for v, s in results if s == state]
        if hits:
            return GateVerdict(outcome, hits[0].reason, verdicts, now)
    if not verdicts:
        return GateVerdict("inconclusive", f"gate {gate.name} has no metrics", verdicts, now)
    return GateVerdict("promote", f"every metric of gate {gate.name} passes", verdicts, now)
