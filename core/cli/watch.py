"""``releasegate watch``: after full rollout, watch the environment's rollback gates (I/O edge).

This handler parses, calls the rollout engine and renders: the verdict is
:func:`releasegate.rollout.verdict.watch_verdict`; on a rollback,
:func:`releasegate.rollout.rollback.run_rollback` runs ``rollback.command`` and the
platform's rollback, recording each step under ``watch/<env>/<sha>`` so a rerun after a
partial rollback continues it. The rollback target (the last successful deployment of that
environment) is the Decision output ``rollback-to``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from releasegate.cli.analyze import add_provider_options, duration, find_gate, run_gates
from releasegate.cli.common import Context, add_env_option, env_default
from releasegate.errors import UsageError
from releasegate.model import Decision, Requirement, Subject
from releasegate.rollout.rollback import (
    rollback_requirements,
    run_rollback,
    steps_from_dict,
    steps_to_dict,
)
from releasegate.rollout.runner import AnalysisRun, gate_result
from releasegate.rollout.verdict import rollback_plan, watch_verdict


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "watch",
        parents=parents,
        help="watch an environment's rollback gates after rollout",
        description="Run the environment's rollback.gates for rollback.window (or --duration); "
        "on failure run the rollback (rollback.command, then the platform's rollback) and name "
        "the rollback target. Exit 0 healthy, 1 rolled back, 3 inconclusive, 4 provider or "
        "rollback failure.",
    )
    add_env_option(parser, env, required=True)
    parser.add_argument(
        "--duration",
        "--window",
        dest="window",
        default=env_default(env, "duration") or env_default(env, "window"),
        help="how long to watch (default: rollback.window)",
    )
    add_provider_options(parser, env)
    parser.set_defaults(handler=handle)


def gate_requirements(runs: Sequence[AnalysisRun]) -> tuple[Requirement, ...]:
    """Every gate's requirements, in policy order."""
    out: list[Requirement] = []
    for run in runs:
        if run.verdict is not None:
            out.extend(run.verdict.to_requirements())
        if run.provider_failure:
            out.append(Requirement(f"gate {run.gate.name} provider", "error", run.provider_failure))
    return tuple(out)


def state_key(environment: str, sha: str) -> str:
    """Where a watch records its rollback steps."""
    return f"watch/{environment}/{sha}"


def handle(args: argparse.Namespace, ctx: Context) -> int:
    policy = ctx.policy
    environment = ctx.environment(args.environment)
    rollback = environment.rollback
    if rollback is None or not rollback.gates:
        raise UsageError(
            f"--env {environment.name}: the policy sets no rollback.gates to watch;"
            f" add environments[{environment.name}].rollback.gates"
        )
    seconds = duration(args.window, "--duration") if args.window else rollback.window
    if not seconds:
        raise UsageError(f"--env {environment.name}: set rollback.window or pass --duration")
    gates = [find_gate(policy, name, "rollback.gates") for name in rollback.gates]
    deployments = ctx.platform.deployments(environment.name)
    sha = args.sha or (deployments[0].sha if deployments else None) or ctx.ci.sha
    current = next((d for d in deployments if d.sha == sha), None)
    service = args.service or policy.service or ""
    key = state_key(environment.name, sha or "")
    saved = ctx.platform.get_state(key) or {}
    done = steps_from_dict(saved.get("rollback"))
    deploy = ctx.platform.rollback_mode(rollback.mode) == "deploy"
    subject = Subject(environment=environment.name, sha=sha)
    outputs: dict[str, str] = {"window": f"{seconds:g}s"}
    runs: list[AnalysisRun] = []
    left = rollback_plan(done, router=False, command=bool(rollback.command), platform=deploy)
    if done and left:
        # A rerun after a partial rollback: finish it, do not watch again.
        cause = str(saved.get("reason") or "an earlier watch rolled back")
    else:
        started = ctx.now().timestamp()
        runs = run_gates(
            gates,
            args,
            ctx,
            service=service,
            env=environment.name,
            deployed_at=started,
            seconds=seconds,
            label="watch",
        )
        verdict = watch_verdict(
            [gate_result(run) for run in runs],
            gates=rollback.gates,
            remaining=0.0,
            environment=environment.name,
            window=seconds,
        )
        if verdict.action != "rollback":
            outcome = {"advance": "pass", "error": "error"}.get(verdict.action, "inconclusive")
            return _emit(ctx, outcome, verdict.reason, subject, runs, outputs)
        cause = verdict.reason
        ctx.platform.set_state(key, {"reason": cause, "rollback": {}}, at=ctx.now())

    def record(results: Any) -> None:
        ctx.platform.set_state(
            key, {"reason": cause, "rollback": steps_to_dict(results)}, at=ctx.now()
        )

    result = run_rollback(
        environment=environment.name,
        service=service,
        router=None,
        command=rollback.command,
        deploy=deploy,
        platform=ctx.platform,
        done=done,
        record=record,
    )
    outputs.update(result.outputs)
    reason = f"{cause}; {result.verdict.reason}" if result.planned else cause
    if result.target is None:
        reason += "; no earlier successful deployment to roll back to"
    elif not deploy:
        reason += f"; roll back to {result.target.sha[:12]}"
    if result.verdict.action != "rollback":
        return _emit(ctx, "error", reason, subject, runs, outputs, rollback_requirements(result))
    if current is not None and rollback.on_failure and current.status != "rolled_back":
        ctx.platform.finish_deployment(current, "rolled_back")
    return _emit(ctx, "rollback", reason, subject, runs, outputs, rollback_requirements(result))


def _emit(
    ctx: Context,
    outcome: str,
    reason: str,
    subject: Subject,
    runs: Sequence[AnalysisRun],
    outputs: dict[str, str],
    extra: tuple[Requirement, ...] = (),
) -> int:
    policy = ctx.policy
    decision = Decision(
        kind="watch",
        outcome=outcome,
        reason=reason,
        subject=subject,
        time=ctx.now(),
        requirements=(*gate_requirements(runs), *extra),
        policy_sha256=policy.sha256,
        policy_path=policy.path,
        outputs=outputs,
    )
    return ctx.emit(decision)
