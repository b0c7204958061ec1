"""The per-interval judges and the sequential judge, case by case."""

from __future__ import annotations

import random

import pytest

from releasegate.analysis import MetricData, Observation, evaluate_gate
from releasegate.analysis.judges import (
    aggregate,
    judge_anomaly,
    judge_compare,
    judge_ratio,
    judge_threshold,
)
from releasegate.policy.model import Gate, Metric


def _obs(
    canary: list[float | None], baseline: list[float | None] | None = None
) -> tuple[Observation, ...]:
    baseline = baseline or [None] * len(canary)
    return tuple(
        Observation(60.0 * (i + 1), c, b)
        for i, (c, b) in enumerate(zip(canary, baseline, strict=False))
    )


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("mean", [1, 2, 3, 10], 4.0),
        ("max", [1, 5, 2], 5.0),
        ("median", [3, 1, 2], 2.0),
        ("p50", [1, 2, 3, 4], 2.0),
        ("p99", list(range(1, 101)), 99.0),
        ("sum", [1, 2], 3.0),
    ],
)
def test_aggregates(name: str, values: list[float], expected: float) -> None:
    assert aggregate(name, [float(v) for v in values]) == expected


def test_threshold_aggregate_over_a_window() -> None:
    metric = Metric(
        name="m", query="q", judge="threshold", fail_if=(">", 0.05), aggregate=("mean", 120.0)
    )
    statuses = [
        m.status
        for m in judge_threshold(metric, MetricData("m", (), _obs([0.01, 0.09, 0.09, 0.01])), 60.0)
    ]
    assert statuses == ["pass", "pass", "fail", "pass"]


@pytest.mark.parametrize(
    ("direction", "value", "status"),
    [
        ("increase", 130.0, "fail"),
        ("increase", 70.0, "pass"),
        ("decrease", 70.0, "fail"),
        ("either", 70.0, "fail"),
        ("either", 101.0, "pass"),
    ],
)
def test_anomaly_against_history(direction: str, value: float, status: str) -> None:
    history = tuple((-60.0 * (i + 1), 100.0 + (5.0 if i % 2 else -5.0)) for i in range(10))
    metric = Metric(name="m", query="q", judge="anomaly", sigma=2.0, direction=direction)  # type: ignore[arg-type]
    (m,) = judge_anomaly(metric, MetricData("m", history, _obs([value])), 60.0)
    assert m.status == status


def test_anomaly_without_history_is_inconclusive() -> None:
    metric = Metric(name="m", query="q", judge="anomaly")
    assert judge_anomaly(metric, MetricData("m", (), _obs([1.0])), 60.0)[0].status == "inconclusive"


@pytest.mark.parametrize(
    ("canary", "baseline", "status"),
    [(0.7, 1.0, "fail"), (0.85, 1.0, "pass"), (0.0, 0.0, "pass"), (None, 1.0, "inconclusive")],
)
def test_ratio_to_the_baseline(canary: float | None, baseline: float, status: str) -> None:
    metric = Metric(name="m", query="q", judge="ratio", min_ratio=0.8, direction="decrease")
    assert (
        judge_ratio(metric, MetricData("m", (), _obs([canary], [baseline])), 60.0)[0].status
        == status
    )


def test_compare_flags_a_clear_shift_in_the_bad_direction_only() -> None:
    rng = random.Random(4)
    base = [100 + rng.gauss(0, 3) for _ in range(10)]
    worse = [130 + rng.gauss(0, 3) for _ in range(10)]
    up = Metric(name="m", query="q", judge="compare", direction="increase")
    down = Metric(name="m", query="q", judge="compare", direction="decrease")
    assert judge_compare(up, MetricData("m", (), _obs(worse, base)), 60.0)[-1].status == "fail"
    assert judge_compare(down, MetricData("m", (), _obs(worse, base)), 60.0)[-1].status == "pass"
    assert judge_compare(up, MetricData("m", (), _obs(base, base)), 60.0)[-1].status == "pass"


def _rate_series(seed: int, ratio: float, onset: int, n: int = 60) -> tuple[Observation, ...]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        n_c, n_b, p = 500.0, 4500.0, 0.01
        p_c = p * (ratio if i >= onset else 1.0)
        e_c = sum(rng.random() < p_c for _ in range(int(n_c)))
        e_b = sum(rng.random() < p for _ in range(int(n_b)))
        out.append(Observation(60.0 * (i + 1), e_c / n_c, e_b / n_b, n_c, n_b))
    return tuple(out)


RATE = Metric(name="err", query="q", count_query="c", judge="sequential")
GATE = Gate(name="g", provider="file", metrics=(RATE,))


def _first_rollback(obs: tuple[Observation, ...]) -> int | None:
    data = {"err": MetricData("err", (), obs)}
    for i, o in enumerate(obs):
        if evaluate_gate(GATE, data, now=o.time).outcome == "rollback":
            return i
    return None


@pytest.mark.parametrize("seed", range(5))
def test_sequential_stays_quiet_on_a_healthy_canary(seed: int) -> None:
    assert _first_rollback(_rate_series(seed, 1.0, 0)) is None


@pytest.mark.parametrize("seed", range(5))
def test_sequential_detects_a_tripled_error_rate_soon_after_onset(seed: int) -> None:
    t = _first_rollback(_rate_series(seed, 3.0, 20))
    assert t is not None and 20 <= t <= 26


def test_sequential_is_incremental_and_deterministic() -> None:
    obs = _rate_series(9, 2.0, 10)
    data = {"err": MetricData("err", (), obs)}
    stepwise = [evaluate_gate(GATE, data, now=o.time) for o in obs]
    fresh = [
        evaluate_gate(GATE, {"err": MetricData("err", (), obs[: i + 1])}, now=o.time)
        for i, o in enumerate(obs)
    ]
    assert [v.outcome for v in stepwise] == [v.outcome for v in fresh]
    assert [v.metrics[0].statistic for v in stepwise] == [v.metrics[0].statistic for v in fresh]


def test_sequential_missing_data_is_inconclusive_not_pass() -> None:
    obs = (Observation(60.0, None, 0.01, None, 1000.0),)
    verdict = evaluate_gate(GATE, {"err": MetricData("err", (), obs)}, now=60.0)
    assert verdict.outcome == "inconclusive"
    assert verdict.metrics[0].status == "inconclusive"


def test_sequential_level_metric_ignores_a_single_spike() -> None:
    metric = Metric(name="lat", query="q", judge="sequential")
    gate = Gate(name="g", provider="file", metrics=(metric,))
    values = [100.0] * 10 + [400.0] + [100.0] * 10
    obs = tuple(Observation(60.0 * (i + 1), v, 100.0, 300.0, 3000.0) for i, v in enumerate(values))
    verdicts = [evaluate_gate(gate, {"lat": MetricData("lat", (), obs)}, now=o.time) for o in obs]
    assert all(v.outcome != "rollback" for v in verdicts)
