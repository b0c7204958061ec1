"""Canary planning and the rollout state machine, case by case."""

from __future__ import annotations

import pytest

from releasegate.errors import PolicyError, UsageError
from releasegate.policy.model import Adaptive, Canary, CanaryStep
from releasegate.rollout.canary import (
    CanaryState,
    advance,
    enter_step,
    next_index,
    plan,
    remaining_pause,
    roll_back,
    select_step,
)

STEPS = plan(
    Canary(
        steps=(
            CanaryStep(5, 1800, ("g",)),
            CanaryStep(25, 3600, ("g",)),
            CanaryStep(50, 600, ("g",)),
            CanaryStep(100),
        )
    )
)
ON = Adaptive(enabled=True, min_requests=1000, max_skip=1)


def test_plan_ends_at_full_traffic() -> None:
    assert [s.weight for s in plan(Canary(steps=(CanaryStep(10, 60),)))] == [10, 100]
    assert [s.weight for s in STEPS] == [5, 25, 50, 100]


@pytest.mark.parametrize("weights", [(0,), (50, 20), (120,)])
def test_plan_rejects_bad_weights(weights) -> None:
    with pytest.raises(PolicyError, match=r"strategy\.canary\.steps\[\d\]\.weight: "):
        plan(Canary(steps=tuple(CanaryStep(w) for w in weights)))


@pytest.mark.parametrize(
    ("adaptive", "healthy", "requests", "index", "expected"),
    [
        (Adaptive(), True, 10**6, 0, 1),  # off
        (ON, False, 10**6, 0, 1),  # not clearly healthy
        (ON, True, None, 0, 1),  # no request counts
        (ON, True, 999, 0, 1),  # too little traffic
        (ON, True, 1000, 0, 2),  # skip one
        (Adaptive(True, 1000, 5), True, 5000, 0, 3),  # never past the last step
        (ON, True, 5000, 2, 3),
    ],
)
def test_next_index(adaptive, healthy, requests, index, expected) -> None:
    assert (
        next_index(STEPS, index, adaptive, clearly_healthy=healthy, requests=requests) == expected
    )


def test_a_rollout_walks_every_step_to_promotion() -> None:
    state = CanaryState("production", "abc")
    seen = []
    while state.status == "running":
        state = enter_step(state, STEPS, now=1000.0 * (len(seen) + 1))
        seen.append((state.step, state.weight))
        state = advance(state, STEPS, Adaptive())
    assert seen == [(0, 5), (1, 25), (2, 50), (3, 100)]
    assert (state.status, state.passed) == ("promoted", (0, 1, 2, 3))


def test_adaptive_stepping_skips_and_says_why() -> None:
    state = enter_step(CanaryState("production", "abc"), STEPS, now=0)

    state = advance(state, STEPS, ON, clearly_healthy=True, requests=4000)

    assert (state.step, state.step_started_at) == (2, None)
    assert state.reason == "step 1/4 passed; clearly healthy over 4000 requests, skipping 1 step(s)"


def test_remaining_pause_resumes_mid_step() -> None:
    state = CanaryState("production", "abc", step=1)
    assert remaining_pause(state, STEPS, now=50.0) == 3600
    started = enter_step(state, STEPS, now=100.0)
    assert remaining_pause(started, STEPS, now=1300.0) == 2400
    assert remaining_pause(started, STEPS, now=9999.0) == 0


def test_state_round_trips_through_the_ledger_dict() -> None:
    state = roll_back(
        enter_step(CanaryState("production", "abc", deployment_id=7, passed=(0,)), STEPS, 5.0),
        "bad",
    )

    assert CanaryState.from_dict(state.to_dict()) == state
    assert (state.weight, state.status) == (0.0, "rolled_back")


@pytest.mark.parametrize(
    ("state", "number", "result"),
    [
        (CanaryState("p", "abc", step=1), 2, "run"),
        (CanaryState("p", "abc", step=2), 2, None),  # already passed: nothing to do
        (CanaryState("p", "abc", status="promoted", step=3), 4, None),
        (
            CanaryState("p", "abc", step=1),
            3,
            "--step 3: step 2 of p has not passed yet; run --step 2 first",
        ),
        (CanaryState("p", "abc", step=0), 5, "--step 5: the canary of p has steps 1 to 4"),
        (
            CanaryState("p", "abc", status="rolled_back", reason="error-rate failed"),
            1,
            "--step 1: the canary of abc in p was rolled back (error-rate failed); deploy a new build to start again",
        ),
    ],
)
def test_select_step(state, number, result) -> None:
    if result is None or result == "run":
        assert select_step(state, STEPS, number) == (state if result else None)
    else:
        with pytest.raises(UsageError) as caught:
            select_step(state, STEPS, number)
        assert str(caught.value) == result
