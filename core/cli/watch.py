"""``releasegate watch``: after full rollout, watch the environment's rollback gates (I/O edge).

A failure marks the deployment rolled back and names the rollback target (the last
successful deployment of that environment), as the Decision output ``rollback-to``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from releasegate.cli.analyze import add_provider_options, duration, find_gate, run_gates
from releasegate.cli.common import Context, add_env_option, env_default
from releasegate.errors import UsageError
from releasegate.model import Decision, Requirement, Subject
from releasegate.rollout.runner import AnalysisRun


def register(subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]) -> None:
    parser = subparsers.add_parser(
        "watch", parents=parents, help="watch an environment's rollback gates after rollout",
        description="Run the environment's rollback.gates for rollback.window; on failure mark the "
        "deployment rolled back and name the rollback target. Exit 0 healthy, 1 rollback, "
        "3 inconclusive, 4 provider failure.")
    add_env_option(parser, env, required=True)
    parser.add_argument("--window", default=env_default(env, "window"),
                        help="how long to watch (default: rollback.window)")
    add_provider_options(parser, env)
    parser.set_defaults(handler=handle)


def rollback_requirements(runs: list[AnalysisRun]) -> tuple[Requirement, ...]:
    """Every gate's requirements, in policy order."""
    out: list[Requirement] = []
    for run in runs:
        if run.verdict is not None:
            out.extend(run.verdict.to_requirements())
        if run.provider_failure:
            out.append(Requirement(f"gate {run.gate.name} provider", "error", run.provider_failure))
    return tuple(out)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    policy = ctx.policy
    environment = ctx.environment(args.environment)
    rollback = environment.rollback
    if rollback is None or not rollback.gates:
        raise UsageError(f"--env {environment.name}: the policy sets no rollback.gates to watch;"
                         f" add environments[{environment.name}].rollback.gates")
    seconds = duration(args.window, "--window") if args.window else rollback.window
    if not seconds:
        raise UsageError(f"--env {environment.name}: set rollback.window or pass --window")
    gates = [find_gate(policy, name, "rollback.gates") for name in rollback.gates]
    deployments = ctx.platform.deployments(environment.name)
    sha = args.sha or (deployments[0].sha if deployments else None) or ctx.ci.sha
    current = next((d for d in deployments if d.sha == sha), None)
    started = ctx.now().timestamp()
    runs = run_gates(gates, args, ctx, service=args.service or policy.service or "",
                     env=environment.name, deployed_at=started, seconds=seconds, label="watch")
    subject = Subject(environment=environment.name, sha=sha)
    failed = [run for run in runs if run.failed]
    outputs: dict[str, str] = {"window": f"{seconds:g}s"}
    if failed:
        target = ctx.platform.rollback_target(environment.name)
        if current is not None and rollback.on_failure:
            ctx.platform.finish_deployment(current, "rolled_back")
        reason = f"gate {failed[0].gate.name}: {failed[0].verdict.reason if failed[0].verdict else 'failed'}"
        if target is None:
            reason += "; no earlier successful deployment to roll back to"
        else:
            outputs["rollback-to"] = target.sha
            reason += f"; roll back to {target.sha[:12]}"
            if ctx.platform.rollback_mode(rollback.mode) == "deploy":
                reason += f" ({ctx.platform.rollback(environment.name, target)})"
        outcome = "rollback"
    elif any(run.provider_failure for run in runs):
        broken = next(run for run in runs if run.provider_failure)
        outcome, reason = "error", f"no decision, the provider failed: {broken.provider_failure}"
    else:
        outcomes = [run.outcome for run in runs]
        outcome = "pass" if all(o == "pass" for o in outcomes) else "inconclusive"
        reason = (f"{environment.name} stayed healthy for {seconds:g}s" if outcome == "pass"
                  else f"gates {', '.join(r.gate.name for r in runs if r.outcome != 'pass')} were inconclusive")
    decision = Decision(kind="watch", outcome=outcome, reason=reason, subject=subject, time=ctx.now(),
                        requirements=rollback_requirements(runs), policy_sha256=policy.sha256,
                        policy_path=policy.path, outputs=outputs)
    return ctx.emit(decision)
