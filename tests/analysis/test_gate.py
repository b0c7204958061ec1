"""The gate verdict: Argo-style limits, missing data, causality, one row per rule."""

from __future__ import annotations

import math

import pytest

from releasegate.analysis import MetricData, Observation, conclude, evaluate_gate
from releasegate.policy.model import Gate, Metric


def _gate(metric: Metric, **options: object) -> Gate:
    return Gate(name="g", provider="file", metrics=(metric,), **options)  # type: ignore[arg-type]


def _threshold(**options: object) -> Metric:
    return Metric(name="err", query="q", judge="threshold", fail_if=(">", 0.05), **options)  # type: ignore[arg-type]


def _data(
    values: list[float | None], counts: float | None = 100.0, error: str | None = None
) -> dict[str, MetricData]:
    obs = tuple(Observation(60.0 * (i + 1), v, None, counts) for i, v in enumerate(values))
    return {"err": MetricData("err", (), obs, error)}


@pytest.mark.parametrize(
    ("values", "options", "outcome"),
    [
        ([0.01, 0.02], {}, "promote"),
        ([0.01, 0.09], {}, "rollback"),
        ([0.09, 0.01, 0.09], {"failure_limit": 1}, "rollback"),
        ([0.09, 0.01, 0.01], {"failure_limit": 1}, "promote"),
        ([0.01, None], {}, "inconclusive"),
        ([0.01, math.nan], {}, "inconclusive"),
        ([0.01, None], {"inconclusive_limit": 1}, "promote"),
        ([0.01, None, None], {"inconclusive_limit": 1}, "inconclusive"),
        ([0.01, 0.01], {"min_samples": 3}, "continue"),
        ([0.01, 0.01, 0.01], {"min_samples": 3}, "promote"),
        ([0.01, 0.01], {"min_requests": 500}, "continue"),
        ([None, None], {}, "inconclusive"),
        ([], {}, "continue"),
    ],
)
def test_gate_limits(values: list[float | None], options: dict[str, object], outcome: str) -> None:
    verdict = evaluate_gate(_gate(_threshold(), **options), _data(values), now=1e9)
    assert verdict.outcome == outcome, verdict.reason


def test_threshold_for_needs_consecutive_intervals() -> None:
    gate = _gate(_threshold(hold_for=180.0))
    assert evaluate_gate(gate, _data([0.09, 0.09, 0.01, 0.09]), now=1e9).outcome == "promote"
    verdict = evaluate_gate(gate, _data([0.09, 0.09, 0.09]), now=1e9)
    assert verdict.outcome == "rollback"
    assert verdict.reason == "err failed 1 > failure_limit 0: value 0.09 > 0.05 for 3 intervals"


def test_provider_errors_roll_back_only_past_the_error_limit() -> None:
    gate = _gate(_threshold(), error_limit=0)
    assert evaluate_gate(gate, _data([0.01], error="HTTP 503"), now=1e9).outcome == "rollback"
    lenient = _gate(_threshold())
    verdict = evaluate_gate(lenient, _data([0.01], error="HTTP 503"), now=1e9)
    assert verdict.outcome == "inconclusive"
    assert verdict.metrics[0].status == "error"


def test_a_metric_without_data_is_never_a_pass() -> None:
    verdict = evaluate_gate(_gate(_threshold()), {}, now=1e9)
    assert verdict.outcome == "inconclusive"
    assert verdict.metrics[0].status == "error"
    assert conclude(verdict, "fail") == "fail"
    assert conclude(verdict, "pause") == "inconclusive"


def test_observations_after_now_are_ignored() -> None:
    data = _data([0.01, 0.01, 0.5])
    assert evaluate_gate(_gate(_threshold()), data, now=120.0).outcome == "promote"
    assert evaluate_gate(_gate(_threshold()), data, now=180.0).outcome == "rollback"


def test_requirements_carry_the_explanation() -> None:
    verdict = evaluate_gate(_gate(_threshold()), _data([0.01, 0.09]), now=1e9)
    (req,) = verdict.to_requirements()
    assert req.name == "metric err"
    assert req.status == "fail"
    assert req.expected == "not > 0.05"
    assert req.observed == "0.09 at 00:02:00Z"  # the failing value and the end of its interval
    assert req.details["query"] == "q"
    assert req.details["statistic"]["threshold"] == 0.05
    assert [s.label for s in req.series] == ["canary"]


def test_min_requests_counts_the_gates_traffic_for_uncounted_metrics_too() -> None:
    latency = Metric(name="p99", query="q", judge="threshold", fail_if=(">", 0.5))
    gate = Gate(name="g", provider="file", metrics=(_threshold(), latency), min_requests=250)
    counted = _data([0.01, 0.01, 0.01], counts=100.0)
    uncounted = tuple(Observation(60.0 * (i + 1), 0.2, None) for i in range(3))
    data = {**counted, "p99": MetricData("p99", (), uncounted)}
    assert evaluate_gate(gate, data, now=120.0).outcome == "continue"
    assert evaluate_gate(gate, data, now=180.0).outcome == "promote"


def test_min_requests_without_any_counts_never_passes() -> None:
    verdict = evaluate_gate(
        _gate(_threshold(), min_requests=10), _data([0.01, 0.01], counts=None), now=1e9
    )
    assert verdict.outcome == "continue"
    assert (
        verdict.reason
        == "err: min_requests 10 needs request counts (a count_query on one of the gate's metrics)"
    )
    assert (conclude(verdict, "fail"), conclude(verdict, "pause")) == ("fail", "inconclusive")


def test_observed_is_the_value_that_broke_the_rule_not_the_latest() -> None:
    gate = _gate(_threshold(), failure_limit=0)
    verdict = evaluate_gate(gate, _data([0.01, 0.09, 0.01]), now=1e9)
    (req,) = verdict.to_requirements()
    assert (req.status, req.observed) == ("fail", "0.09 at 00:02:00Z")


def test_observed_is_the_window_aggregate_that_broke_the_rule() -> None:
    """``mean over 3m``: the window's mean at the last interval that crossed (0.07, 0.08, 0.01),
    not the raw value of that interval (0.01) nor the latest window."""
    gate = _gate(_threshold(aggregate=("mean", 180.0)), failure_limit=0)
    verdict = evaluate_gate(gate, _data([0.01, 0.04, 0.07, 0.08, 0.01]), now=1e9)
    (req,) = verdict.to_requirements()
    assert verdict.outcome == "rollback"
    assert (req.status, req.observed) == ("fail", "0.05333 at 00:05:00Z")


@pytest.mark.parametrize(
    ("history", "points", "outcome"),
    [
        (180.0, 3, "promote"),  # history: 3m at a 1m interval is 3 points, enough for the judge
        (120.0, 2, "inconclusive"),  # 2 points: fewer than the 3 the judge needs
    ],
)
def test_anomaly_history_of_n_intervals_is_n_points(
    history: float, points: int, outcome: str
) -> None:
    metric = Metric(name="err", query="q", judge="anomaly", history=history)
    deployed = 600.0
    # What the collector asks for: one point per interval from deploy - history to the deploy.
    before = tuple((deployed - 60.0 * k, 0.01 + 0.001 * k) for k in range(points, 0, -1))
    data = {"err": MetricData("err", before, (Observation(deployed + 60.0, 0.012, None, 100.0),))}
    verdict = evaluate_gate(_gate(metric), data, now=deployed + 60.0)
    assert verdict.outcome == outcome
