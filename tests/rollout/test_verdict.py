"""The rollout engine's decisions, one table row per rule of ``releasegate.rollout.verdict``."""

from __future__ import annotations

import pytest

from releasegate.rollout.verdict import (
    GateResult,
    RollbackStep,
    rollback_plan,
    rollback_verdict,
    settle,
    step_verdict,
    watch_verdict,
)


def _r(gate: str, status: str, on: str = "fail", at: float | None = None) -> GateResult:
    return GateResult(gate, status, f"{gate} said {status}", on, at)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "on_inconclusive", "settled"),
    [
        ("pass", "fail", "pass"),
        ("fail", "pass", "fail"),
        ("error", "pass", "error"),
        ("running", "fail", "running"),
        ("inconclusive", "fail", "fail"),
        ("inconclusive", "pause", "pause"),
        ("inconclusive", "pass", "pass"),
        ("inconclusive", "typo", "pause"),
    ],
)
def test_settle_applies_on_inconclusive(status: str, on_inconclusive: str, settled: str) -> None:
    assert settle(_r("g", status, on_inconclusive)) == settled


@pytest.mark.parametrize(
    ("results", "gates", "remaining", "action", "decider"),
    [
        # Rule 1: the first failure ends the step at once, other gates still running.
        ([_r("a", "running"), _r("b", "fail")], ["a", "b"], 500.0, "rollback", "b"),
        (
            [_r("a", "fail", at=20), _r("b", "fail", at=10), _r("c", "running")],
            ["a", "b", "c"],
            500.0,
            "rollback",
            "b",
        ),
        ([_r("a", "running"), _r("b", "inconclusive", "fail")], ["a", "b"], 500.0, "rollback", "b"),
        ([_r("a", "error"), _r("b", "fail")], ["a", "b"], 0.0, "rollback", "b"),
        # Rule 2: a gate still running makes the step wait.
        ([_r("a", "pass"), _r("b", "running")], ["a", "b"], 100.0, "wait", "b"),
        # Rule 3: a provider failure is no decision.
        ([_r("a", "pass"), _r("b", "error")], ["a", "b"], 0.0, "error", "b"),
        # Rule 4: inconclusive under pause holds.
        ([_r("a", "pass"), _r("b", "inconclusive", "pause")], ["a", "b"], 0.0, "hold", "b"),
        ([_r("a", "error"), _r("b", "inconclusive", "pause")], ["a", "b"], 0.0, "error", "a"),
        # Rule 5: no result for a gate is never a pass.
        ([], ["a"], 0.0, "hold", "a"),
        ([_r("a", "pass")], ["a", "b"], 0.0, "hold", "b"),
        # Rule 6: no gates: the pause, then advance.
        ([], [], 30.0, "wait", None),
        ([], [], 0.0, "advance", None),
        # Rule 7: every gate passed; inconclusive passes only under an explicit pass.
        ([_r("a", "pass"), _r("b", "pass")], ["a", "b"], 0.0, "advance", None),
        ([_r("a", "pass"), _r("b", "inconclusive", "pass")], ["a", "b"], 0.0, "advance", None),
    ],
)
def test_step_verdict(
    results: list[GateResult], gates: list[str], remaining: float, action: str, decider: str | None
) -> None:
    verdict = step_verdict(results, gates=gates, remaining=remaining, step=2, steps=5, weight=25)
    assert (verdict.action, verdict.gate) == (action, decider)
    assert verdict.reason.startswith("step 2/5 (25%): ")


def test_the_rollback_reason_names_the_gate_and_its_own_reason() -> None:
    verdict = step_verdict(
        [_r("latency", "inconclusive", "fail")],
        gates=["latency"],
        remaining=0,
        step=1,
        steps=3,
        weight=10,
    )
    assert verdict.reason == (
        "step 1/3 (10%): gate latency was inconclusive (on_inconclusive: fail):"
        " latency said inconclusive"
    )


@pytest.mark.parametrize(
    ("results", "action"),
    [
        ([_r("a", "running"), _r("b", "fail")], "rollback"),
        ([_r("a", "inconclusive", "fail")], "rollback"),
        ([_r("a", "inconclusive", "pause")], "hold"),
        ([_r("a", "error")], "error"),
        ([_r("a", "running")], "wait"),
        ([], "hold"),
        ([_r("a", "pass")], "advance"),
    ],
)
def test_watch_verdict(results: list[GateResult], action: str) -> None:
    verdict = watch_verdict(
        results, gates=["a"] if results else ["a"], remaining=0, environment="production", window=60
    )
    assert verdict.action == action


def _done(step: str, status: str = "done") -> RollbackStep:
    return RollbackStep(step, status, f"{step} {status}")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("done", "router", "command", "platform", "plan"),
    [
        ({}, True, True, True, ("traffic", "command", "platform")),
        ({}, True, False, False, ("traffic",)),
        ({}, False, True, False, ("command",)),
        ({}, False, False, False, ()),
        # A rerun after a partial rollback continues without repeating what succeeded.
        ({"traffic": _done("traffic")}, True, True, True, ("command", "platform")),
        (
            {"traffic": _done("traffic"), "command": _done("command", "failed")},
            True,
            True,
            True,
            ("command", "platform"),
        ),
    ],
)
def test_rollback_plan(
    done: dict[str, RollbackStep],
    router: bool,
    command: bool,
    platform: bool,
    plan: tuple[str, ...],
) -> None:
    assert rollback_plan(done, router=router, command=command, platform=platform) == plan


def test_a_rollback_is_reported_only_when_every_step_is_done() -> None:
    ok = rollback_verdict([_done("traffic"), _done("command")], ("traffic", "command"))
    assert (ok.action, ok.reason) == ("rollback", "rolled back: traffic done; command done")
    bad = rollback_verdict(
        [_done("traffic"), _done("command", "failed")], ("traffic", "command", "platform")
    )
    assert bad.action == "error"
    assert bad.reason == (
        "rollback step command failed: command failed; NOT rolled back, left to do:"
        " command, platform (a rerun continues from there)"
    )
    assert "rolled back:" not in bad.reason
