"""What the judges read: one metric's observations since the deploy and its history (pure).

Providers (Prometheus, the replay file) build these values; the judges and the
gate verdict only read them. A ``None`` value is a missing sample and is never
taken as a pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """One metric over one interval since the deploy.

    :param time: unix seconds at the end of the interval.
    :param canary: the canary's value (or the post-deploy service value); ``None`` when missing.
    :param baseline: the baseline's value; ``None`` when missing or when there is no baseline.
    :param canary_count: requests or sessions behind the canary's rate (errors = value x count).
    :param baseline_count: the same for the baseline.
    """

    time: float
    canary: float | None
    baseline: float | None
    canary_count: float | None = None
    baseline_count: float | None = None


@dataclass(frozen=True)
class MetricData:
    """Everything known about one metric of a gate, up to the latest interval.

    :param metric: the gate metric's name.
    :param history: ``(time, value)`` of the whole service before the deploy (anomaly judge).
    :param observations: one :class:`Observation` per interval since the deploy, in time order.
    :param error: a provider error for the latest interval; it becomes an ``error`` measurement.
    """

    metric: str
    history: tuple[tuple[float, float | None], ...] = ()
    observations: tuple[Observation, ...] = ()
    error: str | None = None
