"""The rollout's decisions, as pure functions: the step verdict, the watch verdict and the
rollback sequence.

Each takes what the gates said so far (one :class:`GateResult` per gate of the step or
watch), how much of the step's pause or the watch's window is left, and the policy's
settings, and returns a frozen value with a one-sentence ``reason``. Nothing here reads a
clock, runs a query or sets a weight: :mod:`releasegate.rollout.runner` collects, the CLI
handlers call these and render, :mod:`releasegate.rollout.rollback` performs the rollback.

The rules, in the order they are applied (``tests/rollout/test_verdict.py`` has one row each):

1. A gate whose result is ``fail``, or ``inconclusive`` under ``on_inconclusive: fail``,
   ends the step or watch at once with a rollback, even while other gates still run.
2. A gate still running (its window not over) makes the step wait.
3. A gate whose provider failed is ``error``: no decision (exit 4), nothing advances.
4. A gate ``inconclusive`` under ``on_inconclusive: pause`` holds (exit 3); the weight stays.
5. A step with gates but no gate result is never a pass: it holds ("no evidence").
6. A step without gates waits for its pause, then advances.
7. Every gate passed (``inconclusive`` counts as passed only under an explicit
   ``on_inconclusive: pass``): advance, or for a watch, healthy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ROLLBACK_STEPS",
    "Action",
    "GateResult",
    "RollbackStep",
    "Verdict",
    "rollback_plan",
    "rollback_verdict",
    "settle",
    "step_verdict",
    "watch_verdict",
]

#: What a gate reports: still ``running``, or its finished outcome.
GateStatus = Literal["running", "pass", "fail", "inconclusive", "error"]
#: What the rollout does next.
Action = Literal["wait", "advance", "rollback", "hold", "error"]


@dataclass(frozen=True)
class GateResult:
    """One gate's result so far.

    :param gate: the gate's name.
    :param status: ``running`` while its window is not over, else its outcome; ``error`` when
        its provider failed past the gate's ``error_limit``.
    :param reason: the gate's own one-sentence reason.
    :param on_inconclusive: the gate's ``on_inconclusive`` (``fail``, ``pause`` or ``pass``).
    :param at: when the gate reached this result (unix seconds), ``None`` if unknown.
    """

    gate: str
    status: GateStatus
    reason: str = ""
    on_inconclusive: str = "fail"
    at: float | None = None


@dataclass(frozen=True)
class Verdict:
    """What to do next, why, and which gate decided it (``None`` when none did)."""

    action: Action
    reason: str
    gate: str | None = None


def settle(result: GateResult) -> str:
    """A gate's result with ``on_inconclusive`` applied: ``pass``, ``fail``, ``pause``,
    ``error`` or ``running``. Only an explicit ``on_inconclusive: pass`` lets missing data pass."""
    if result.status != "inconclusive":
        return result.status
    return {"fail": "fail", "pass": "pass"}.get(result.on_inconclusive, "pause")


def _judge(results: Sequence[GateResult], gates: Sequence[str], where: str) -> Verdict | None:
    """Rules 1 to 5, shared by the step and the watch verdict; ``None`` when they say nothing."""
    settled = [(r, settle(r)) for r in results]
    failed = [r for r, s in settled if s == "fail"]
    if failed:
        first = min(failed, key=lambda r: (r.at is None, r.at or 0.0))
        why = (
            "was inconclusive (on_inconclusive: fail)"
            if first.status == "inconclusive"
            else "failed"
        )
        return Verdict("rollback", f"{where}: gate {first.gate} {why}: {first.reason}", first.gate)
    running = [r for r, s in settled if s == "running"]
    if running:
        return Verdict(
            "wait", f"{where}: gate {running[0].gate} is still analysing", running[0].gate
        )
    broken = [r for r, s in settled if s == "error"]
    if broken:
        return Verdict(
            "error",
            f"{where}: no decision, gate {broken[0].gate}'s provider failed: {broken[0].reason}",
            broken[0].gate,
        )
    paused = [r for r, s in settled if s == "pause"]
    if paused:
        return Verdict(
            "hold",
            f"{where}: gate {paused[0].gate} was inconclusive "
            f"(on_inconclusive: pause): {paused[0].reason}",
            paused[0].gate,
        )
    judged = {r.gate for r in results}
    missing = [g for g in gates if g not in judged]
    if missing:
        return Verdict(
            "hold",
            f"{where}: gate {missing[0]} judged nothing; a step with gates "
            "never passes without evidence",
            missing[0],
        )
    return None


def step_verdict(
    results: Sequence[GateResult],
    *,
    gates: Sequence[str],
    remaining: float,
    step: int,
    steps: int,
    weight: float,
) -> Verdict:
    """The verdict on canary step ``step`` (1-based) of ``steps`` at ``weight`` percent.

    :param results: the gates' results so far (any order; rule 1 takes the earliest failure).
    :param gates: the names of the step's gates, in policy order.
    :param remaining: seconds of the step's pause still to go.
    """
    where = f"step {step}/{steps} ({weight:g}%)"
    ruled = _judge(results, gates, where)
    if ruled is not None:
        return ruled
    if not gates:
        if remaining > 0:
            return Verdict("wait", f"{where}: pausing {remaining:g}s more (no gates)")
        return Verdict("advance", f"{where}: pause over; the step has no gates")
    return Verdict("advance", f"{where}: gates {', '.join(gates)} passed")


def watch_verdict(
    results: Sequence[GateResult],
    *,
    gates: Sequence[str],
    remaining: float,
    environment: str,
    window: float,
) -> Verdict:
    """The verdict on watching ``environment`` for ``window`` seconds after a full rollout.

    ``advance`` here means the window is over and the environment stayed healthy.
    """
    where = f"watch {environment}"
    ruled = _judge(results, gates, where)
    if ruled is not None:
        return ruled
    return Verdict("advance", f"{environment} stayed healthy for {window:g}s")


# --------------------------------------------------------------------------------------------
# The rollback sequence
# --------------------------------------------------------------------------------------------

#: The rollback's steps, in the order they run: traffic back to stable (router weight 0 or the
#: router's abort), ``rollback.command``, the platform's rollback (``rollback.mode: deploy``).
ROLLBACK_STEPS = ("traffic", "command", "platform")


@dataclass(frozen=True)
class RollbackStep:
    """One rollback step's result: ``done`` or ``failed``, and what happened in one sentence."""

    step: str
    status: Literal["done", "failed"]
    detail: str


def rollback_plan(
    done: Mapping[str, RollbackStep], *, router: bool, command: bool, platform: bool
) -> tuple[str, ...]:
    """The rollback steps still to run, in order: those that apply and have not succeeded.

    :param done: the results recorded so far (by a run that stopped part way, too); a step
        that failed runs again, one that succeeded never does.
    :param router: whether traffic is split (a canary); a watch after full rollout has none.
    :param command: whether the policy sets ``rollback.command``.
    :param platform: whether ``rollback.mode`` is ``deploy`` on this platform.
    """
    applies = {"traffic": router, "command": command, "platform": platform}
    return tuple(
        s for s in ROLLBACK_STEPS if applies[s] and (s not in done or done[s].status != "done")
    )


def rollback_verdict(results: Sequence[RollbackStep], planned: Sequence[str]) -> Verdict:
    """The outcome of a rollback: ``rollback`` when every planned step is done, else ``error``
    naming the step that failed and what is left to do (never reported as rolled back)."""
    if not planned:
        return Verdict("rollback", "no rollback step for releasegate to run")
    by_step = {r.step: r for r in results}
    failed = next(
        (by_step[s] for s in planned if s in by_step and by_step[s].status == "failed"), None
    )
    if failed is None and all(s in by_step for s in planned):
        done = "; ".join(by_step[s].detail for s in planned) or "nothing to undo"
        return Verdict("rollback", f"rolled back: {done}")
    left = [s for s in planned if s not in by_step or by_step[s].status != "done"]
    head = f"rollback step {failed.step} failed: {failed.detail}" if failed else "rollback stopped"
    return Verdict(
        "error",
        f"{head}; NOT rolled back, left to do: {', '.join(left)} (a rerun continues from there)",
    )
