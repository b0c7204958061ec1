"""Adaptive steps: the branch an advance rule takes, one table row per rule, and the classic
rule walked through the canary state machine."""

from __future__ import annotations

import math

import pytest

from releasegate.analysis.data import MetricData, Observation
from releasegate.canary import CanaryState, advance, enter_step, plan
from releasegate.policy.model import Adaptive, Advance, Canary, CanaryStep
from releasegate.rollout.adaptive import decide, expand, latest_values, target_index

CLASSIC = Advance(by=20, when="latency_p99 < 0.5 and rps > 1000", otherwise=10)
STEPS = plan(Canary(steps=(CanaryStep(10, 60, ("g",), advance=CLASSIC), CanaryStep(100))))


@pytest.mark.parametrize(
    ("values", "branch", "by", "reason"),
    [
        (
            {"latency_p99": 0.21, "rps": 1500},
            "when",
            20,
            "advance +20: `latency_p99 < 0.5 and rps > 1000` holds (latency_p99=0.21, rps=1500)",
        ),
        (
            {"latency_p99": 0.6, "rps": 1500},
            "otherwise",
            10,
            "advance +10: `latency_p99 < 0.5 and rps > 1000` is false (latency_p99=0.6, rps=1500)",
        ),
        (
            {"latency_p99": 0.21, "rps": 200},
            "otherwise",
            10,
            "advance +10: `latency_p99 < 0.5 and rps > 1000` is false (latency_p99=0.21, rps=200)",
        ),
        (
            {"latency_p99": 0.5, "rps": 1000},
            "otherwise",
            10,  # bounds are strict as written
            "advance +10: `latency_p99 < 0.5 and rps > 1000` is false (latency_p99=0.5, rps=1000)",
        ),
        (
            {"latency_p99": 0.21},
            "otherwise",
            10,  # missing data: the slow branch
            "advance +10: no value for rps in `latency_p99 < 0.5 and rps > 1000` (latency_p99=0.21),"
            " so the slow branch",
        ),
        (
            {},
            "otherwise",
            10,
            "advance +10: no value for latency_p99, rps in `latency_p99 < 0.5 and rps > 1000`, so the slow branch",
        ),
    ],
)
def test_decide(values, branch, by, reason) -> None:
    choice = decide(CLASSIC, values)

    assert (choice.branch, choice.by, choice.reason) == (branch, by, reason)


def test_a_division_by_zero_takes_the_slow_branch() -> None:
    choice = decide(
        Advance(by=20, when="errors / requests < 0.01", otherwise=5), {"errors": 0, "requests": 0}
    )

    assert (choice.branch, choice.by) == ("otherwise", 5)
    assert "cannot be evaluated (division by zero" in choice.reason


def _data(*values: float | None, error: str | None = None) -> MetricData:
    return MetricData(
        "m",
        observations=tuple(Observation(float(i), v, None) for i, v in enumerate(values)),
        error=error,
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"latency-p99": _data(0.9, 0.2), "rps": _data(1500)}, {"latency_p99": 0.2, "rps": 1500}),
        ({"latency-p99": _data(0.2, None)}, {}),  # the latest interval has no value
        ({"latency-p99": _data(0.2, math.nan)}, {}),
        ({"latency-p99": _data(0.2, math.inf)}, {}),
        ({"latency-p99": _data(0.2, error="HTTP 500")}, {}),
        ({"latency-p99": _data()}, {}),
    ],
)
def test_latest_values(data, expected) -> None:
    assert latest_values([data]) == expected


def test_expand_fills_in_every_weight_either_branch_reaches() -> None:
    assert [(s.weight, s.origin) for s in STEPS] == [(w, 0) for w in range(10, 100, 10)] + [
        (100, 1)
    ]
    assert all(s.advance == CLASSIC and s.gates == ("g",) for s in STEPS[:-1])
    odd = expand(
        (CanaryStep(5, advance=Advance(by=15, when="a > 1", otherwise=10)), CanaryStep(50))
    )
    assert [s.weight for s in odd] == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]  # gcd 5
    assert [s.weight for s in expand((CanaryStep(5), CanaryStep(50)))] == [5, 50]


@pytest.mark.parametrize(
    ("index", "by", "target"),
    [
        (0, 20, 2),  # 10 -> 30
        (0, 10, 1),  # 10 -> 20
        (7, 20, 9),  # 80 -> 100
        (8, 20, 9),  # 90 -> 100, never past the next listed step
        (8, 10, 9),
    ],
)
def test_target_index(index, by, target) -> None:
    assert target_index(STEPS, index, by) == target


def test_a_listed_step_is_never_skipped() -> None:
    steps = plan(Canary(steps=(CanaryStep(10, advance=CLASSIC), CanaryStep(40), CanaryStep(100))))

    assert [s.weight for s in steps] == [10, 20, 30, 40, 100]
    assert steps[target_index(steps, 2, 20)].weight == 40


def _walk(values: dict[str, float]) -> tuple[list[float], CanaryState]:
    state = CanaryState("production", "abc")
    weights = []
    while state.status == "running":
        state = enter_step(state, STEPS, now=0.0)
        weights.append(state.weight)
        step = STEPS[state.step]
        choice = (
            decide(step.advance, values) if step.advance and state.step < len(STEPS) - 1 else None
        )
        state = advance(state, STEPS, Adaptive(), choice=choice)
    return weights, state


def test_the_classic_rule_walks_by_20_when_fast_and_busy() -> None:
    weights, state = _walk({"latency_p99": 0.2, "rps": 1500})

    assert weights == [10, 30, 50, 70, 90, 100]
    assert state.status == "promoted"


@pytest.mark.parametrize(
    "values", [{"latency_p99": 0.9, "rps": 1500}, {"latency_p99": 0.2, "rps": 10}, {}]
)
def test_the_classic_rule_walks_by_10_otherwise_and_never_rolls_back(values) -> None:
    weights, state = _walk(values)

    assert weights == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert state.status == "promoted"


def test_the_state_says_which_branch_and_why() -> None:
    state = enter_step(CanaryState("production", "abc"), STEPS, now=0.0)

    state = advance(
        state, STEPS, Adaptive(), choice=decide(CLASSIC, {"latency_p99": 0.7, "rps": 3000})
    )

    assert state.reason == (
        "step 1/10 passed; advance +10: `latency_p99 < 0.5 and rps > 1000` is false"
        " (latency_p99=0.7, rps=3000) -> 20%"
    )
