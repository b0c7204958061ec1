"""Performing a rollback, step by step, each step recorded as it ends (I/O: router, command,
platform).

The order and what is left to do come from :func:`releasegate.rollout.verdict.rollback_plan`:
traffic back to stable (the router's ``abort`` when it has one, else weight 0), then
``rollback.command`` (tokens rendered inside each word, run as an argv list, never through a
shell), then the platform's rollback (``rollback.mode: deploy``). After each step ``record``
receives the results so far, so a job killed part way is continued by its rerun without
repeating what succeeded. A failing step stops the sequence: later steps may depend on it.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from releasegate.errors import ReleasegateError
from releasegate.model import Requirement
from releasegate.placeholders import render_command
from releasegate.records import Deployment
from releasegate.rollout.verdict import RollbackStep, Verdict, rollback_plan, rollback_verdict

__all__ = [
    "RollbackRun",
    "rollback_requirements",
    "run_rollback",
    "steps_from_dict",
    "steps_to_dict",
]

#: Tokens of ``rollback.command`` that name the rollback target.
_TARGET_TOKENS = ("{rollback_to}", "{sha}", "{version}")


@dataclass(frozen=True)
class RollbackRun:
    """A rollback's result: the verdict (``rollback`` or ``error``), every step's result
    (recorded earlier ones included), the steps planned and the target rolled back to."""

    verdict: Verdict
    steps: tuple[RollbackStep, ...]
    planned: tuple[str, ...]
    target: Deployment | None = None
    outputs: dict[str, str] = field(default_factory=dict)


def steps_to_dict(steps: Mapping[str, RollbackStep]) -> dict[str, dict[str, str]]:
    """Rollback results as JSON-able values, for the ledger."""
    return {name: {"status": s.status, "detail": s.detail} for name, s in steps.items()}


def steps_from_dict(data: Mapping[str, Any] | None) -> dict[str, RollbackStep]:
    """Read what :func:`steps_to_dict` wrote; anything unreadable counts as not done."""
    out: dict[str, RollbackStep] = {}
    for name, value in (data or {}).items():
        if isinstance(value, Mapping) and value.get("status") in ("done", "failed"):
            out[str(name)] = RollbackStep(str(name), value["status"], str(value.get("detail", "")))
    return out


def run_rollback(
    *,
    environment: str,
    service: str,
    router: Any | None,
    command: str | None,
    deploy: bool,
    platform: Any,
    done: Mapping[str, RollbackStep],
    record: Callable[[dict[str, RollbackStep]], None],
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    timeout: float = 300.0,
) -> RollbackRun:
    """Run the rollback steps still to do and return the result.

    :param router: the canary's traffic router, ``None`` after a full rollout (a watch).
    :param command: ``rollback.command``, or ``None``.
    :param deploy: whether the platform redeploys the target (``rollback.mode`` resolved).
    :param platform: finds the target and performs the platform's rollback.
    :param done: results recorded by an earlier run of this rollback.
    :param record: called with all results so far after each step.
    :param run: runs the command's argv (``subprocess.run``).
    """
    target = platform.rollback_target(environment)
    planned = rollback_plan(done, router=router is not None, command=bool(command), platform=deploy)
    results = dict(done)
    for step in planned:
        try:
            if step == "traffic":
                detail = _traffic(router)
            elif step == "command":
                detail = _command(command or "", environment, service, target, run, timeout)
            else:
                if target is None:
                    raise ReleasegateError(
                        f"no earlier successful deployment of {environment} to roll back to"
                    )
                detail = str(platform.rollback(environment, target))
            results[step] = RollbackStep(step, "done", detail)
        except (ReleasegateError, OSError, ValueError, subprocess.SubprocessError) as exc:
            results[step] = RollbackStep(step, "failed", str(exc) or type(exc).__name__)
        record(results)
        if results[step].status == "failed":
            break
    everything = tuple(
        s
        for s in ("traffic", "command", "platform")
        if s in results and (s in planned or s in done)
    )
    whole_plan = tuple(s for s in ("traffic", "command", "platform") if s in planned or s in done)
    shown = tuple(results[s] for s in everything)
    verdict = rollback_verdict(shown, whole_plan)
    outputs = {"rollback-steps": ",".join(f"{s.step}={s.status}" for s in shown) or "none"}
    if target is not None:
        outputs["rollback-to"] = target.sha
    left = [s for s in whole_plan if results.get(s) is None or results[s].status != "done"]
    if left:
        outputs["rollback-left"] = ",".join(left)
    return RollbackRun(verdict, shown, whole_plan, target, outputs)


def _traffic(router: Any) -> str:
    abort = getattr(router, "abort", None)
    if callable(abort):
        abort()
        return "traffic back to stable (router abort)"
    router.set_weight(0)
    return "canary weight set to 0"


def _command(
    template: str,
    environment: str,
    service: str,
    target: Deployment | None,
    run: Callable[..., subprocess.CompletedProcess[str]],
    timeout: float,
) -> str:
    if target is None and any(token in template for token in _TARGET_TOKENS):
        raise ReleasegateError(
            "rollback.command names the rollback target, and there is no earlier "
            f"successful deployment of {environment}"
        )
    sha = target.sha if target else ""
    values = {
        "service": service,
        "env": environment,
        "rollback_to": sha,
        "sha": sha,
        "version": (target.version or "") if target else "",
    }
    argv = render_command(shlex.split(template), values, "rollback")
    shown = shlex.join(argv)
    try:
        done = run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    except FileNotFoundError:
        raise ReleasegateError(
            f"rollback.command: executable {argv[0]!r} not found on PATH"
        ) from None
    except subprocess.TimeoutExpired:
        raise ReleasegateError(
            f"rollback.command: {shown} did not finish in {timeout:g}s"
        ) from None
    if done.returncode != 0:
        output = " ".join((done.stderr or done.stdout or "no output").split())[-300:]
        raise ReleasegateError(f"rollback.command: {shown} exited {done.returncode}: {output}")
    return f"ran {shown}"


def rollback_requirements(result: RollbackRun) -> tuple[Requirement, ...]:
    """One requirement line per rollback step, for every rendering of the Decision."""
    # A step that failed is the platform's or the command's failure: ``error``, like the outcome.
    out = [
        Requirement(
            name=f"rollback {s.step}",
            status="pass" if s.status == "done" else "error",
            reason=s.detail,
            observed=s.status,
            expected="done",
        )
        for s in result.steps
    ]
    ran = {s.step for s in result.steps}
    out += [
        Requirement(
            name=f"rollback {step}",
            status="error",
            observed="not run",
            expected="done",
            reason="not run: an earlier rollback step failed",
        )
        for step in result.planned
        if step not in ran
    ]
    return tuple(out)
