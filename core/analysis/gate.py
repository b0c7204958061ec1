"""The gate verdict: run each metric's judge over the data seen up to ``now`` and apply the
gate's limits, Argo Rollouts style (pure).

``evaluate_gate`` is stateless and causal: called once per interval with the
growing series (live) or with the whole recording and each interval's ``now``,
it gives the same answers. A :class:`GateRun` gives them too, judging each interval
once (replay): every judge steps with bounded work and state. Per metric:

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

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone

from releasegate.analysis.data import MetricData
from releasegate.analysis.judges import (
    JUDGES,
    AnomalyJudge,
    CompareJudge,
    RatioJudge,
    Step,
    ThresholdJudge,
    judge_anomaly,
    judge_compare,
    judge_ratio,
    judge_threshold,
)
from releasegate.analysis.sequential import (
    SequentialJudge,
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
        h = (
            metric.threshold
            if metric.threshold is not None
            else default_threshold(metric.alpha, metric_kind(metric))
        )
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


def _observed(measurement: Measurement | None, *, when: bool = False) -> str | None:
    """The measurement's value (or window aggregate, or CUSUM); with ``when``, also the end of
    its interval, e.g. ``0.05333 at 15:14:00Z``."""
    if measurement is None:
        return None
    for key in ("cusum", "value", "ratio", "estimate"):
        value = measurement.statistic.get(key)
        if isinstance(value, float | int):
            label = "CUSUM " if key == "cusum" else ""
            if not when:
                return f"{label}{value:.4g}"
            at = datetime.fromtimestamp(measurement.time, tz=timezone.utc).strftime("%H:%M:%SZ")
            return f"{label}{value:.4g} at {at}"
    return None


#: The judges that can be fed one interval at a time (the built-in ones), by judge function.
STEPPERS: Mapping[Judge, Callable[[Metric, Sequence[tuple[float, float | None]], float], Step]] = {
    judge_threshold: ThresholdJudge,
    judge_anomaly: AnomalyJudge,
    judge_ratio: RatioJudge,
    judge_compare: CompareJudge,
    judge_sequential: lambda metric, history, interval: SequentialJudge(metric),
}
#: How many of the latest intervals a verdict carries as its canary and baseline series (for
#: the chart and the Decision's details): a verdict holds a window, never the whole rollout.
SERIES_POINTS = 240


class _Tally:
    """What the gate's limits read from a metric's measurements, kept as running counts."""

    __slots__ = (
        "count",
        "failures",
        "last_failure",
        "errors",
        "gap",
        "conclusive",
        "last_conclusive",
        "last",
    )

    def __init__(self) -> None:
        self.count = self.failures = self.errors = self.gap = self.conclusive = 0
        self.last_failure: Measurement | None = None
        self.last_conclusive: Measurement | None = None
        self.last: Measurement | None = None

    def add(self, m: Measurement) -> None:
        self.count += 1
        if m.status == "fail":
            self.failures += 1
            self.last_failure = m
        self.errors = self.errors + 1 if m.status == "error" else 0
        self.gap = self.gap + 1 if m.status in ("inconclusive", "error") else 0
        if m.status in ("pass", "fail"):
            self.conclusive += 1
            self.last_conclusive = m
        self.last = m

    def plus(self, m: Measurement) -> _Tally:
        """A copy with ``m`` added (a provider error of the latest interval, not kept)."""
        other = _Tally()
        for name in _Tally.__slots__:
            setattr(other, name, getattr(self, name))
        other.add(m)
        return other


def _assess(
    gate: Gate, metric: Metric, tally: _Tally, requests: float | None
) -> tuple[str, str, str]:
    """``(status, reason, state)`` of one metric; ``state`` is ``stop`` (roll back), ``gap``
    (no usable data now), ``building`` (waiting for more evidence) or ``ok``.

    :param requests: the canary requests the gate has seen (from any metric with counts), or
        ``None`` when none of its metrics carries counts.
    """
    name = metric.name
    if tally.failures > gate.failure_limit and tally.last_failure is not None:
        reason = tally.last_failure.reason
        return (
            "fail",
            f"{name} failed {tally.failures} > failure_limit {gate.failure_limit}: {reason}",
            "stop",
        )
    if tally.errors > gate.error_limit and tally.last is not None:
        cause = tally.last.reason
        return (
            "error",
            f"{name} had {tally.errors} consecutive provider errors > error_limit {gate.error_limit}: {cause}",
            "stop",
        )
    if tally.last is None:
        return "inconclusive", f"{name} has no measurements yet", "building"
    if tally.gap > gate.inconclusive_limit:
        last = tally.last
        status = "error" if last.status == "error" else "inconclusive"
        return (
            status,
            f"{name} has no usable data for {tally.gap} interval(s): {last.reason}",
            "gap",
        )
    if tally.conclusive < gate.min_samples:
        return (
            "inconclusive",
            f"{name} has {tally.conclusive} of min_samples {gate.min_samples} measurements",
            "building",
        )
    if gate.min_requests:
        if requests is None:
            return (
                "inconclusive",
                f"{name}: min_requests {gate.min_requests} needs request counts "
                "(a count_query on one of the gate's metrics)",
                "building",
            )
        if requests < gate.min_requests:
            return (
                "inconclusive",
                f"{name} saw {requests:g} canary requests, min_requests is {gate.min_requests}",
                "building",
            )
    last = tally.last_conclusive or tally.last
    return "pass", f"{name}: {last.reason}", "ok"


class _Fallback:
    """A judge that takes the whole series (a plugin's), judged again on the longer series at
    every interval: its measurements are the latest call's, so it costs what the plugin costs."""

    def __init__(self, judge: Judge, metric: Metric, data: MetricData, interval: float) -> None:
        self.judge, self.metric, self.data, self.interval = judge, metric, data, interval

    def judge_upto(self, seen: int, now: float) -> list[Measurement]:
        history = tuple(p for p in self.data.history if p[0] <= now)
        scoped = MetricData(
            self.data.metric, history, self.data.observations[:seen], self.data.error
        )
        return self.judge(self.metric, scoped, self.interval)


class _MetricRun:
    """One metric of a gate run: its judge's state, the running tally and the series window."""

    def __init__(
        self, gate: Gate, metric: Metric, data: MetricData | None, judges: Mapping[str, Judge]
    ) -> None:
        self.gate, self.metric, self.data = gate, metric, data
        self.judge = judges.get(metric.judge)
        self.seen = 0
        self.tally = _Tally()
        self.step: Step | None = None
        self.fallback: _Fallback | None = None
        if data is not None and self.judge is not None:
            factory = STEPPERS.get(self.judge)
            if factory is not None:
                self.step = factory(metric, data.history, gate.interval)
            else:
                self.fallback = _Fallback(self.judge, metric, data, gate.interval)
        # The combined chart reads the built-in sequential judge's increments, even when a
        # plugin replaced the judge of that name.
        self.combined: SequentialJudge | None = None
        if metric.judge == "sequential" and data is not None:
            self.combined = (
                self.step if isinstance(self.step, SequentialJudge) else SequentialJudge(metric)
            )
        self.requests = 0.0
        self.counted = False
        self.canary: deque[tuple[float, float | None]] = deque(maxlen=SERIES_POINTS)
        self.baseline: deque[tuple[float, float | None]] = deque(maxlen=SERIES_POINTS)

    def advance(self, now: float, combined: dict[float, float]) -> None:
        """Judge the intervals up to ``now`` not judged yet; add their small-effect increments
        to ``combined`` (by interval time)."""
        if self.data is None:
            return
        observations = self.data.observations
        start = self.seen
        while self.seen < len(observations) and observations[self.seen].time <= now:
            obs = observations[self.seen]
            self.seen += 1
            self.canary.append((obs.time, obs.canary))
            self.baseline.append((obs.time, obs.baseline))
            if obs.canary_count is not None:
                self.requests += obs.canary_count
                self.counted = True
            measured = None
            if self.step is not None:
                measured = self.step.step(obs)
                self.tally.add(measured)
            if self.combined is not None:
                if self.combined is not self.step:
                    measured = self.combined.step(obs)
                inc = measured.statistic.get("llr combined") if measured is not None else None
                if isinstance(inc, float):
                    combined[obs.time] = combined.get(obs.time, 0.0) + inc
        if self.fallback is not None and (self.seen > start or self.tally.last is None):
            self.tally = _Tally()
            for m in self.fallback.judge_upto(self.seen, now):
                self.tally.add(m)

    def verdict(self, now: float, requests: float | None) -> tuple[MetricVerdict, str]:
        metric = self.metric
        if self.data is None:
            reason = f"{metric.name} has no data: the provider returned nothing for it"
            return MetricVerdict(
                metric.name, "error", reason, {}, judge=metric.judge, query=metric.query
            ), "gap"
        if self.judge is None:
            reason = f"{metric.name}: no judge called {metric.judge!r} is registered"
            return MetricVerdict(
                metric.name, "error", reason, {}, judge=metric.judge, query=metric.query
            ), "gap"
        tally = self.tally
        if self.data.error:
            tally = tally.plus(Measurement(now, "error", f"provider error: {self.data.error}"))
        status, reason, state = _assess(self.gate, metric, tally, requests)
        last = tally.last
        statistic = dict(last.statistic) if last else {}
        statistic["failures"] = float(tally.failures)
        statistic["measurements"] = float(tally.count)
        verdict = MetricVerdict(
            metric=metric.name,
            status=status,
            reason=reason,
            statistic=statistic,
            judge=metric.judge,
            query=metric.query,
            expected=_expected(metric),
            # What broke the rule, not the latest value: the last failing interval's value.
            observed=(
                _observed(tally.last_failure, when=True)
                if status == "fail" and tally.last_failure is not None
                else _observed(last)
            ),
            canary=tuple(self.canary),
            baseline=tuple(self.baseline),
        )
        return verdict, state


class GateRun:
    """A gate judged interval by interval over one rollout's data: each :meth:`advance`
    judges only the intervals not judged yet, so a replay or a live loop of ``T`` intervals
    costs ``T`` judge steps and holds a bounded state (each judge's window, running counts,
    the last ``SERIES_POINTS`` values), whatever ``T``. :func:`evaluate_gate` is one run
    advanced once. A run belongs to its caller: nothing in it is global or cached, so runs in
    different threads (the gates of one analysis) never share state; they may share the
    gate and the data, which are read only."""

    def __init__(
        self,
        gate: Gate,
        data: Mapping[str, MetricData],
        *,
        judges: Mapping[str, Judge] | None = None,
    ) -> None:
        self.gate = gate
        registry = BUILTIN_JUDGES if judges is None else judges
        self._metrics = [
            _MetricRun(gate, metric, data.get(metric.name), registry) for metric in gate.metrics
        ]
        charted = [r for r in self._metrics if r.combined is not None]
        self._charted = charted if len(charted) >= 2 else []
        metrics = [r.metric for r in self._charted]
        self._h = min(
            (
                m.threshold if m.threshold is not None else default_threshold(m.alpha)
                for m in metrics
            ),
            default=0.0,
        )
        self._combined = 0.0
        self._alarms = 0

    def advance(self, now: float) -> GateVerdict:
        """The gate's verdict after everything observed up to ``now`` (unix seconds); ``now``
        never goes back (a smaller one judges nothing new)."""
        increments: dict[float, float] = {}
        for run in self._metrics:
            run.advance(now, increments if run.combined is not None else {})
        for t in sorted(increments):
            self._combined = max(0.0, self._combined + increments[t])
            self._alarms += self._combined >= self._h
        counted = [r.requests for r in self._metrics if r.counted]
        requests = max(counted) if counted else None
        results = [run.verdict(now, requests) for run in self._metrics]
        return self._outcome(results, now)

    def _outcome(self, results: list[tuple[MetricVerdict, str]], now: float) -> GateVerdict:
        gate = self.gate
        verdicts = tuple(v for v, _ in results)
        if self._charted and self._alarms > gate.failure_limit:
            names = ", ".join(r.metric.name for r in self._charted)
            value, h = self._combined, self._h
            reason = (
                f"combined evidence of {names} failed {self._alarms} > failure_limit {gate.failure_limit}: "
                f"CUSUM {value:.2f} >= {h:.2f}: the canary is slightly worse on several metrics at once"
            )
            combined = MetricVerdict(
                "combined",
                "fail",
                reason,
                {"cusum": value, "threshold": h, "alarms": float(self._alarms)},
                judge="sequential",
                expected=f"CUSUM < {h:.2f}",
                observed=f"CUSUM {value:.4g}",
            )
            return GateVerdict("rollback", combined.reason, (*verdicts, combined), now)
        for state, outcome in (
            ("stop", "rollback"),
            ("gap", "inconclusive"),
            ("building", "continue"),
        ):
            hits = [v for v, s in results if s == state]
            if hits:
                return GateVerdict(outcome, hits[0].reason, verdicts, now)
        if not verdicts:
            return GateVerdict("inconclusive", f"gate {gate.name} has no metrics", verdicts, now)
        return GateVerdict("promote", f"every metric of gate {gate.name} passes", verdicts, now)


def canary_requests(data: Mapping[str, MetricData], *, now: float) -> float | None:
    """The canary requests behind the gate so far: the largest count total of any metric
    (every count query measures the same canary traffic, or its sessions) that carried a
    count up to ``now``."""
    totals = []
    for d in data.values():
        seen = [
            o.canary_count for o in d.observations if o.time <= now and o.canary_count is not None
        ]
        if seen:
            totals.append(sum(seen))
    return max(totals) if totals else None


def evaluate_metric(
    gate: Gate,
    metric: Metric,
    data: MetricData | None,
    *,
    now: float,
    requests: float | None = None,
    judges: Mapping[str, Judge] | None = None,
) -> tuple[MetricVerdict, str]:
    """Judge one metric of ``gate`` over its data up to ``now``.

    :param requests: the gate's canary requests so far (see :func:`canary_requests`), which
        ``min_requests`` is checked against for every metric, counted or not.

    :returns: the verdict and its state: ``stop``, ``gap``, ``building`` or ``ok``.
    """
    run = _MetricRun(gate, metric, data, BUILTIN_JUDGES if judges is None else judges)
    run.advance(now, {})
    return run.verdict(now, requests)


def evaluate_gate(
    gate: Gate,
    data: Mapping[str, MetricData],
    *,
    now: float,
    judges: Mapping[str, Judge] | None = None,
) -> GateVerdict:
    """The gate's outcome after everything observed up to ``now`` (unix seconds).

    Stateless: it judges the series from the deploy, in time linear in its length. A loop
    that asks again every interval with the longer series holds a :class:`GateRun` instead,
    which judges each interval once.

    :param gate: the policy's gate.
    :param data: each metric's data by metric name; a metric without data is an error.
    :param now: observations after it are ignored, so the verdict is causal.
    :param judges: judges by name (the plugin registry's); the built-in ones by default.
    :returns: ``rollback``, ``inconclusive``, ``continue`` or ``promote`` with every metric's
        verdict.
    """
    return GateRun(gate, data, judges=judges).advance(now)
