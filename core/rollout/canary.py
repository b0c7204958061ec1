"""Canary step planning and the rollout state machine (pure).

A rollout walks the environment's ``steps`` (weight, pause, gates). After each step's
analysis it advances, optionally several steps at once when the canary is clearly
healthy under enough traffic (adaptive stepping), or it rolls back. The state is a
plain dict in the ledger, so a retried CI job resumes at its step and mid-pause.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from releasegate.errors import PolicyError, UsageError
from releasegate.policy.model import Adaptive, Canary, CanaryStep, Gate
from releasegate.rollout.adaptive import Choice, expand, target_index

__all__ = [
    "CanaryState",
    "Status",
    "advance",
    "enter_step",
    "next_index",
    "plan",
    "remaining_pause",
    "roll_back",
    "select_step",
    "state_key",
    "minimum_window",
    "step_window",
]

Status = Literal["running", "promoted", "rolled_back"]


def plan(canary: Canary) -> tuple[CanaryStep, ...]:
    """The steps to walk: the policy's, ending at full traffic (a final ``{weight: 100}`` is
    added when the last step sends less), with the weights a step's ``advance`` rule can
    reach filled in (:func:`releasegate.rollout.adaptive.expand`).

    :raises releasegate.errors.PolicyError: for weights outside 0..100 or going down.
    """
    steps = list(canary.steps)
    previous = 0.0
    for index, step in enumerate(steps):
        if not 0 < step.weight <= 100 or step.weight < previous:
            raise PolicyError(
                [
                    f"strategy.canary.steps[{index}].weight: {step.weight:g} must be above 0, at most"
                    f" 100 and not below the step before ({previous:g})"
                ]
            )
        previous = step.weight
    if not steps or steps[-1].weight < 100:
        steps.append(CanaryStep(weight=100.0))
    return expand(tuple(steps))


def state_key(environment: str, sha: str) -> str:
    """The ledger state key of one rollout."""
    return f"canary/{environment}/{sha}"


@dataclass(frozen=True)
class CanaryState:
    """Where a rollout is.

    :param step: index of the current step in :func:`plan`'s steps.
    :param weight: the weight last set through the router (0 before the first step).
    :param step_started_at: when the current step's weight was set (unix seconds), ``None``
        before it is set.
    :param passed: indexes of the steps whose analysis passed (skipped steps are not in it).
    :param reason: why the rollout is where it is, in one sentence.
    :param rollback: the rollback steps' results so far, by step (see
        :mod:`releasegate.rollout.rollback`), so a rerun continues a partial rollback.
    :param forced: the ``--force`` reason the rollout started without an allowed promotion.
    """

    environment: str
    sha: str
    step: int = 0
    status: Status = "running"
    weight: float = 0.0
    step_started_at: float | None = None
    deployment_id: int | None = None
    passed: tuple[int, ...] = ()
    reason: str = "not started"
    rollback: dict[str, Any] = field(default_factory=dict)
    forced: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-able values, for the ledger."""
        out = asdict(self)
        out["passed"] = list(self.passed)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CanaryState:
        """Read a state written by :meth:`to_dict`."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["passed"] = tuple(fields.get("passed", ()))
        fields["rollback"] = dict(fields.get("rollback") or {})
        return cls(**fields)


def enter_step(state: CanaryState, steps: tuple[CanaryStep, ...], now: float) -> CanaryState:
    """The state once the current step's weight has been set at ``now``."""
    step = steps[state.step]
    return replace(
        state,
        weight=step.weight,
        step_started_at=now,
        reason=f"step {state.step + 1}/{len(steps)}: {step.weight:g}% of traffic to the canary",
    )


def step_window(step: CanaryStep, gates: Sequence[Gate] = ()) -> float:
    """How long a step lasts: its ``pause``, and never less than its gates' minimum window.

    A gate judges nothing before one interval has passed, a gate with ``min_samples: N``
    nothing before N intervals, and a threshold with ``for:`` or ``mean over`` nothing before
    that window; a step with gates and no ``pause`` (or ``pause: 0``) therefore lasts the
    longest of these over its gates. A step with gates is never passed without judged evidence.
    """
    return max([step.pause or 0.0, *(minimum_window(gate) for gate in gates)])


def minimum_window(gate: Gate) -> float:
    """The shortest analysis in which ``gate`` can reach a verdict, in whole intervals."""
    needed = gate.interval * max(1, gate.min_samples)
    for metric in gate.metrics:
        for window in (metric.hold_for, metric.aggregate[1] if metric.aggregate else None):
            if window:
                needed = max(needed, math.ceil(window / gate.interval - 1e-9) * gate.interval)
    return needed


def remaining_pause(
    state: CanaryState, steps: tuple[CanaryStep, ...], now: float, gates: Sequence[Gate] = ()
) -> float:
    """Seconds of the current step's window still to go (all of it if the step has not started);
    see :func:`step_window` for a step whose gates need longer than its pause."""
    pause = step_window(steps[state.step], gates)
    if state.step_started_at is None:
        return pause
    return max(0.0, state.step_started_at + pause - now)


def next_index(
    steps: tuple[CanaryStep, ...],
    index: int,
    adaptive: Adaptive,
    *,
    clearly_healthy: bool,
    requests: float | None,
) -> int:
    """The step after ``index``: the next one, or up to ``adaptive.max_skip`` further when
    adaptive stepping is on, every metric of the step passed with enough evidence
    (``clearly_healthy``) and the canary served at least ``adaptive.min_requests``. The
    last step (full traffic) is never skipped."""
    following = index + 1
    if not (adaptive.enabled and clearly_healthy and requests is not None):
        return following
    if requests < adaptive.min_requests:
        return following
    return min(following + max(0, adaptive.max_skip), len(steps) - 1)


def advance(
    state: CanaryState,
    steps: tuple[CanaryStep, ...],
    adaptive: Adaptive,
    *,
    clearly_healthy: bool = False,
    requests: float | None = None,
    choice: Choice | None = None,
) -> CanaryState:
    """The state after the current step passed: the next step, or ``promoted`` after the last.

    :param choice: the branch the step's ``advance`` rule took; it alone then sets how far
        to go (``adaptive`` skipping does not apply).
    """
    passed = (*state.passed, state.step)
    if state.step >= len(steps) - 1:
        return replace(
            state,
            status="promoted",
            passed=passed,
            reason="every step passed; the canary serves 100%",
        )
    why = f"step {state.step + 1}/{len(steps)} passed"
    if choice is not None:
        target = target_index(steps, state.step, choice.by)
        why += f"; {choice.reason} -> {steps[target].weight:g}%"
        return replace(state, step=target, step_started_at=None, passed=passed, reason=why)
    target = next_index(
        steps, state.step, adaptive, clearly_healthy=clearly_healthy, requests=requests
    )
    skipped = target - state.step - 1
    if skipped:
        why += f"; clearly healthy over {requests:g} requests, skipping {skipped} step(s)"
    return replace(state, step=target, step_started_at=None, passed=passed, reason=why)


def roll_back(state: CanaryState, reason: str) -> CanaryState:
    """The state after a failed step: traffic back to 0 and the rollout rolled back."""
    return replace(state, status="rolled_back", weight=0.0, step_started_at=None, reason=reason)


def select_step(
    state: CanaryState, steps: tuple[CanaryStep, ...], number: int
) -> CanaryState | None:
    """For ``--step N`` (1-based): the state to run step ``N`` from, or ``None`` when that step
    has already passed (or was skipped past), so a retried job does nothing.

    :raises releasegate.errors.UsageError: when ``N`` is out of range, the rollout is over,
        or an earlier step has not passed yet.
    """
    if not 1 <= number <= len(steps):
        raise UsageError(
            f"--step {number}: the canary of {state.environment} has steps 1 to {len(steps)}"
        )
    if state.status == "rolled_back":
        raise UsageError(
            f"--step {number}: the canary of {state.sha[:12]} in {state.environment} was rolled back"
            f" ({state.reason}); deploy a new build to start again"
        )
    index = number - 1
    if state.status == "promoted" or index < state.step:
        return None
    if index > state.step:
        raise UsageError(
            f"--step {number}: step {state.step + 1} of {state.environment} has not passed yet;"
            f" run --step {state.step + 1} first"
        )
    return state
