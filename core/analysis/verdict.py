"""The results of judging a gate: per-interval measurements, per-metric verdicts and the
gate verdict, and how they become Decision requirements (pure).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from releasegate.model import Requirement, Series

MEASUREMENT_STATUSES = ("pass", "fail", "inconclusive", "error")
GATE_OUTCOMES = ("continue", "rollback", "inconclusive", "promote")


@dataclass(frozen=True)
class Measurement:
    """One judge's reading of one interval.

    :param time: unix seconds at the end of the interval.
    :param status: ``pass``, ``fail``, ``inconclusive`` (no usable data) or ``error`` (provider).
    :param reason: one sentence.
    :param statistic: the numbers behind the status (value, threshold, z, p, CUSUM...).
    :param weight: canary requests or sessions behind this interval, when known.
    """

    time: float
    status: str
    reason: str
    statistic: dict[str, float | str] = field(default_factory=dict)
    weight: float | None = None


@dataclass(frozen=True)
class MetricVerdict:
    """One metric's state after the latest interval.

    :param metric: the gate metric's name.
    :param status: ``pass``, ``fail``, ``inconclusive`` or ``error``.
    :param reason: one sentence, e.g. ``error-rate failed 1 > failure_limit 0: ...``.
    :param statistic: the latest measurement's statistic plus the counts behind the status.
    :param judge: the judge that produced it.
    :param query: the metric's query, for the explanation.
    :param expected: what would pass, e.g. ``CUSUM < 9.7``.
    :param observed: what was seen, e.g. ``CUSUM 11.2``.
    :param canary: the canary's ``(time, value)`` series judged.
    :param baseline: the baseline's ``(time, value)`` series judged.
    """

    metric: str
    status: str
    reason: str
    statistic: dict[str, float | str]
    judge: str = ""
    query: str | None = None
    expected: str | None = None
    observed: str | None = None
    canary: tuple[tuple[float, float | None], ...] = ()
    baseline: tuple[tuple[float, float | None], ...] = ()

    @property
    def evidence(self) -> float | None:
        """How far the metric is towards a rollback: its largest chart over that chart's
        threshold (1 or more fails; the CUSUM and the from-deploy test), for judges that keep
        charts (``sequential``), else ``None``."""
        shares = []
        for value, threshold in (("cusum", "threshold"), ("sprt", "sprt threshold")):
            v, h = self.statistic.get(value), self.statistic.get(threshold)
            if isinstance(v, float) and isinstance(h, float) and h > 0:
                shares.append(v / h)
        return round(max(shares), 3) if shares else None

    def to_requirement(self) -> Requirement:
        """This verdict as a Decision requirement, with the chart series."""
        series = [Series("canary", self.canary)] if self.canary else []
        if any(value is not None for _, value in self.baseline):
            series.append(Series("baseline", self.baseline))
        details: dict[str, object] = {"judge": self.judge, "statistic": dict(self.statistic)}
        if self.query:
            details["query"] = self.query
        details["canary"] = [list(point) for point in self.canary]
        details["baseline"] = [list(point) for point in self.baseline]
        return Requirement(
            name=f"metric {self.metric}",
            status=self.status,  # type: ignore[arg-type]
            reason=self.reason,
            observed=self.observed,
            expected=self.expected,
            details=details,
            series=tuple(series),
        )


@dataclass(frozen=True)
class GateVerdict:
    """A gate's outcome at one moment of a rollout.

    :param outcome: ``continue`` (no problem seen, evidence still building), ``rollback``,
        ``inconclusive`` (the latest data cannot vouch for the canary) or ``promote``
        (every metric has enough evidence that the canary is not worse).
    :param reason: the outcome in one sentence.
    :param metrics: one verdict per gate metric, in the policy's order.
    :param time: the ``now`` the verdict was made at (unix seconds).
    """

    outcome: str
    reason: str
    metrics: tuple[MetricVerdict, ...]
    time: float = 0.0

    def to_requirements(self) -> tuple[Requirement, ...]:
        """One requirement per metric, for a Decision."""
        return tuple(verdict.to_requirement() for verdict in self.metrics)

    @property
    def reasons(self) -> list[str]:
        """The metric reasons that explain the outcome: failures first, then the rest."""
        order = {"fail": 0, "error": 1, "inconclusive": 2, "pass": 3}
        ranked = sorted(self.metrics, key=lambda v: order.get(v.status, 4))
        return [v.reason for v in ranked]


def conclude(verdict: GateVerdict, on_inconclusive: str) -> str:
    """The analysis outcome (``pass``, ``fail`` or ``inconclusive``) of a finished analysis
    whose last verdict is ``verdict``, applying the gate's ``on_inconclusive``."""
    if verdict.outcome == "rollback":
        return "fail"
    if verdict.outcome == "promote":
        return "pass"
    # "continue" at the end means the evidence never became sufficient: not a pass either.
    return {"fail": "fail", "pass": "pass"}.get(on_inconclusive, "inconclusive")
