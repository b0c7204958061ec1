"""``releasegate canary``: drive an environment's canary steps through the router (I/O edge).

Each step sets the weight, analyses its gates for the pause, then advances or rolls
back (weight 0, then the platform's rollback). The rollout's state lives in the ledger
under ``canary/<env>/<sha>``, so a retried job resumes at its step, mid-pause.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from releasegate.cli.analyze import add_provider_options, find_gate, progress_line, run_gates
from releasegate.cli.common import Context, add_env_option, env_default
from releasegate.cli.watch import rollback_requirements
from releasegate.errors import UsageError
from releasegate.model import Decision, Subject
from releasegate.placeholders import check_gate_values
from releasegate.platform import require_sha
from releasegate.rollout.canary import (
    CanaryState,
    advance,
    enter_step,
    plan,
    remaining_pause,
    roll_back,
    select_step,
    state_key,
)
from releasegate.rollout.routers import router_for
from releasegate.rollout.runner import AnalysisRun


def register(subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]) -> None:
    parser = subparsers.add_parser(
        "canary", parents=parents, help="drive a canary rollout step by step",
        description="Walk the environment's strategy.canary.steps: set each weight through the "
        "router, analyse the step's gates for its pause, advance or roll back. Exit 0 promoted "
        "(or step passed), 1 rolled back, 3 inconclusive, 4 provider or router failure.")
    add_env_option(parser, env, required=True)
    parser.add_argument("--step", type=int, default=env_default(env, "step"), metavar="N",
                        help="run only step N (1-based), for pipelines with a job per step")
    add_provider_options(parser, env)
    parser.set_defaults(handler=handle)


def _requests(runs: list[AnalysisRun]) -> float | None:
    totals = []
    for run in runs:
        if run.collected is None:
            continue
        for data in run.collected.data.values():
            counts = [o.canary_count for o in data.observations if o.canary_count is not None]
            if counts:
                totals.append(sum(counts))
                break
    return min(totals) if totals else None


def handle(args: argparse.Namespace, ctx: Context) -> int:
    policy = ctx.policy
    environment = ctx.environment(args.environment)
    if environment.canary is None:
        raise UsageError(f"--env {environment.name}: the policy has no strategy.canary for it")
    canary = environment.canary
    steps = plan(canary)
    sha = require_sha(ctx.ci, args.sha)
    service = args.service or policy.service or ""
    router = router_for(canary.router, {"service": service, "env": environment.name},
                        registry=ctx.hooks.routers())
    check_gate_values((find_gate(policy, name) for step in steps for name in step.gates),
                      service=service, env=environment.name)
    key = state_key(environment.name, sha)
    saved = ctx.platform.get_state(key)
    state = CanaryState.from_dict(saved) if saved else CanaryState(environment.name, sha)
    if args.step is not None:
        selected = select_step(state, steps, args.step)
        if selected is None:
            return _emit(ctx, policy, state, steps, "continue" if state.status == "running" else "promote",
                         f"step {args.step} already passed; nothing to do", [])
    elif state.status != "running":
        outcome = "promote" if state.status == "promoted" else "rollback"
        return _emit(ctx, policy, state, steps, outcome, f"rollout already over: {state.reason}", [])
    if state.deployment_id is None:
        deployment = ctx.platform.start_deployment(environment.name, sha, production=environment.production,
                                                   actor=ctx.ci.actor)
        state = replace(state, deployment_id=deployment.id)

    def save(new: CanaryState) -> CanaryState:
        ctx.platform.set_state(key, new.to_dict(), at=ctx.now())
        return new

    state = save(state)
    runs: list[AnalysisRun] = []
    while state.status == "running":
        index, step = state.step, steps[state.step]
        if state.step_started_at is None:
            router.set_weight(step.weight)
            state = save(enter_step(state, steps, ctx.now().timestamp()))
            progress_line(f"canary {environment.name} step {index + 1}/{len(steps)}: weight {step.weight:g}%")
        seconds = remaining_pause(state, steps, ctx.now().timestamp())
        gates = [find_gate(policy, name, f"steps[{index}].gates") for name in step.gates]
        runs = []
        if gates and seconds > 0:
            runs = run_gates(gates, args, ctx, service=service, env=environment.name,
                             deployed_at=float(state.step_started_at or 0), seconds=seconds,
                             label=f"canary {step.weight:g}%")
        elif seconds > 0:
            ctx.sleep(seconds)
        failed = [run for run in runs if run.failed]
        if failed:
            router.set_weight(0)
            first = failed[0]
            state = save(roll_back(state, f"step {index + 1} gate {first.gate.name}: "
                                          f"{first.verdict.reason if first.verdict else 'failed'}"))
            return _rollback(ctx, policy, state, steps, runs)
        broken = [run for run in runs if run.provider_failure]
        if broken:
            return _emit(ctx, policy, state, steps, "error",
                         f"step {index + 1}: no decision, the provider failed: "
                         f"{broken[0].provider_failure}", runs)
        unsure = [run for run in runs if run.outcome != "pass"]
        if unsure:
            return _emit(ctx, policy, state, steps, "inconclusive",
                         f"step {index + 1}: gate {unsure[0].gate.name} was inconclusive; the weight stays"
                         f" at {state.weight:g}% and a rerun resumes this step", runs)
        healthy = bool(runs) and all(r.verdict is not None and r.verdict.outcome == "promote" for r in runs)
        state = save(advance(state, steps, canary.adaptive, clearly_healthy=healthy, requests=_requests(runs)))
        if args.step is not None and state.status == "running":
            return _emit(ctx, policy, state, steps, "continue", state.reason, runs)
    finished = next((d for d in ctx.platform.deployments(environment.name) if d.id == state.deployment_id), None)
    if finished is not None:
        ctx.platform.finish_deployment(finished, "success")
    return _emit(ctx, policy, state, steps, "promote", state.reason, runs)


def _rollback(ctx: Context, policy: Any, state: CanaryState, steps: Any, runs: list[AnalysisRun]) -> int:
    platform = ctx.platform
    target = platform.rollback_target(state.environment)
    deployment = next((d for d in platform.deployments(state.environment) if d.id == state.deployment_id), None)
    if deployment is not None:
        platform.finish_deployment(deployment, "rolled_back")
    reason, outputs = state.reason + "; canary weight set to 0", {}
    if target is not None:
        outputs["rollback-to"] = target.sha
        rollback = policy.environment(state.environment).rollback
        if ctx.platform.rollback_mode(rollback.mode if rollback else None) == "deploy":
            reason += f"; {platform.rollback(state.environment, target)}"
        else:
            reason += f"; redeploy {target.sha[:12]} to roll back"
    return _emit(ctx, policy, state, steps, "rollback", reason, runs, outputs)


def _emit(ctx: Context, policy: Any, state: CanaryState, steps: Any, outcome: str, reason: str,
          runs: list[AnalysisRun], outputs: dict[str, str] | None = None) -> int:
    values = {"weight": f"{state.weight:g}", "step": str(min(state.step + 1, len(steps))),
              "steps": str(len(steps)), **(outputs or {})}
    if outcome == "continue":
        values["next-step"] = str(state.step + 1)
        values["next-weight"] = f"{steps[state.step].weight:g}"
    decision = Decision(kind="canary", outcome=outcome, reason=reason,
                        subject=Subject(environment=state.environment, sha=state.sha), time=ctx.now(),
                        requirements=rollback_requirements(runs), policy_sha256=policy.sha256,
                        policy_path=policy.path, outputs=values)
    return ctx.emit(decision)
