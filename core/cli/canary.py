"""``releasegate canary``: drive an environment's canary steps through the router (I/O edge).

This handler parses, calls the rollout engine and renders: the step verdict is
:func:`releasegate.rollout.verdict.step_verdict`, the rollback is
:func:`releasegate.rollout.rollback.run_rollback`. The rollout's state lives under
``canary/<env>/<sha>`` (the ledger, or where the platform keeps it), so a retried job resumes
at its step, and a rerun after a partial rollback continues it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from releasegate.cli.analyze import add_provider_options, find_gate, progress_line, run_gates
from releasegate.cli.common import Context, add_env_option, env_default
from releasegate.cli.watch import gate_requirements
from releasegate.errors import UsageError
from releasegate.model import Decision, Requirement, Subject
from releasegate.placeholders import check_gate_values
from releasegate.platform import require_sha
from releasegate.policy.model import CanaryStep, Environment, Gate
from releasegate.records import FORCED, Deployment
from releasegate.rollout.adaptive import decide, latest_values
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
from releasegate.rollout.rollback import (
    RollbackRun,
    rollback_requirements,
    run_rollback,
    steps_from_dict,
    steps_to_dict,
)
from releasegate.rollout.routers import router_for
from releasegate.rollout.runner import AnalysisRun, gate_result
from releasegate.rollout.verdict import rollback_plan, step_verdict


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "canary",
        parents=parents,
        help="drive a canary rollout step by step",
        description="Walk the environment's strategy.canary.steps: set each weight through the "
        "router, analyse the step's gates for its pause, advance or roll back. The commit needs "
        "an allowed promotion into the environment (releasegate promote) or --force REASON. "
        "Exit 0 promoted (or step passed), 1 rolled back, 3 inconclusive, 4 provider, router or "
        "rollback failure.",
    )
    add_env_option(parser, env, required=True)
    parser.add_argument(
        "--step",
        type=int,
        default=env_default(env, "step"),
        metavar="N",
        help="run only step N (1-based), for pipelines with a job per step",
    )
    parser.add_argument(
        "--force",
        default=env_default(env, "force"),
        metavar="REASON",
        help="start without an allowed promotion of the commit; the reason is "
        "recorded and shown in every rendering",
    )
    add_provider_options(parser, env)
    parser.set_defaults(handler=handle)


def _requests(runs: Sequence[AnalysisRun]) -> float | None:
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


def _promotion(
    ctx: Context, environment: Environment, sha: str, state: CanaryState, force: str | None
) -> Deployment | None:
    """The deployment an allowed promotion of ``sha`` started (or the rollout's own), else
    ``None`` under ``--force``; a usage error before any side effect otherwise."""
    for deployment in ctx.platform.deployments(environment.name):
        if deployment.sha != sha:
            continue
        # The newest record of the commit decides: the rollout's own, or one that an allowed
        # promotion (or the platform's own deploy job) started and that has not failed.
        if deployment.id == state.deployment_id or (
            deployment.vouched and deployment.status in ("promoting", "success")
        ):
            return deployment
        break
    if state.deployment_id is not None and state.forced:
        return None
    if force is None:
        raise UsageError(
            f"--env {environment.name}: commit {sha[:12]} has no allowed promotion into "
            f"{environment.name}; run releasegate promote --to {environment.name} first, "
            'or pass --force "REASON"'
        )
    return None


def next_state(
    state: CanaryState,
    steps: tuple[CanaryStep, ...],
    environment: Environment,
    runs: Sequence[AnalysisRun],
    taken: list[str],
) -> CanaryState:
    """The state after the current step passed: the one place a step's advance is decided.

    The step's ``advance:`` rule, when it has one, picks the branch from the latest interval's
    values (appended to ``taken``, for the decision); otherwise the fixed plan and the
    ``adaptive:`` skipping decide.
    """
    assert environment.canary is not None
    step = steps[state.step]
    choice = None
    if step.advance is not None and state.step < len(steps) - 1:
        choice = decide(step.advance, latest_values(r.collected.data for r in runs if r.collected))
        progress_line(
            f"canary {environment.name} step {state.step + 1}/{len(steps)}: {choice.reason}"
        )
        taken.append(f"{step.weight:g}%: {choice.reason}")
    healthy = bool(runs) and all(
        r.verdict is not None and r.verdict.outcome == "promote" for r in runs
    )
    return advance(
        state,
        steps,
        environment.canary.adaptive,
        clearly_healthy=healthy,
        requests=_requests(runs),
        choice=choice,
    )


def _advances(taken: list[str]) -> dict[str, str]:
    return {"advances": "; ".join(taken)} if taken else {}


def handle(args: argparse.Namespace, ctx: Context) -> int:
    policy = ctx.policy
    environment = ctx.environment(args.environment)
    if environment.canary is None:
        raise UsageError(f"--env {environment.name}: the policy has no strategy.canary for it")
    if args.force is not None and not args.force.strip():
        raise UsageError('--force needs a reason, e.g. --force "INC-123: hotfix"')
    canary = environment.canary
    steps = plan(canary)
    sha = require_sha(ctx.ci, args.sha)
    service = args.service or policy.service or ""
    router = router_for(
        canary.router, {"service": service, "env": environment.name}, registry=ctx.hooks.routers()
    )
    step_gates = [
        [find_gate(policy, name, f"steps[{i}].gates") for name in step.gates]
        for i, step in enumerate(steps)
    ]
    check_gate_values(
        (gate for gates in step_gates for gate in gates), service=service, env=environment.name
    )
    key = state_key(environment.name, sha)
    saved = ctx.platform.get_state(key)
    state = CanaryState.from_dict(saved) if saved else CanaryState(environment.name, sha)

    def save(new: CanaryState) -> CanaryState:
        ctx.platform.set_state(key, new.to_dict(), at=ctx.now())
        return new

    if state.status == "rolled_back" and _rollback_left(ctx, environment, state):
        # A rerun after a partial rollback: continue it, without repeating what succeeded.
        return _roll_back(ctx, environment, state, steps, router, service, save, [])
    if args.step is not None:
        selected = select_step(state, steps, args.step)
        if selected is None:
            return _emit(
                ctx,
                state,
                steps,
                "continue" if state.status == "running" else "promote",
                f"step {args.step} already passed; nothing to do",
                [],
            )
    elif state.status != "running":
        outcome = "promote" if state.status == "promoted" else "rollback"
        return _emit(ctx, state, steps, outcome, f"rollout already over: {state.reason}", [])
    # Checked when the rollout starts; a resumed rollout rests on that check (its state says so).
    promoted = (
        _promotion(ctx, environment, sha, state, args.force)
        if state.deployment_id is None
        else None
    )
    if promoted is not None and promoted.forced and not state.forced:
        state = replace(state, forced=promoted.forced)
    mine = promoted
    if state.deployment_id is None:
        if promoted is not None:
            state = replace(state, deployment_id=promoted.id, forced=promoted.forced)
        else:
            mine = ctx.platform.start_deployment(
                environment.name,
                sha,
                production=environment.production,
                actor=ctx.ci.actor,
                vouch=f"{FORCED}{args.force}",
            )
            state = replace(state, deployment_id=mine.id, forced=args.force)
            progress_line(
                f"canary {environment.name}: FORCED without an allowed promotion: {args.force}"
            )
    state = save(state)
    runs: list[AnalysisRun] = []
    taken: list[str] = []  # the advance rules' branches, for the decision
    while state.status == "running":
        index, step, gates = state.step, steps[state.step], step_gates[state.step]
        if state.step_started_at is None:
            router.set_weight(step.weight)
            state = save(enter_step(state, steps, ctx.now().timestamp()))
            progress_line(
                f"canary {environment.name} step {index + 1}/{len(steps)}: weight {step.weight:g}%"
            )
        runs = _analyse(args, ctx, environment, state, steps, gates, service)
        # The analysis covered the step's whole window, so nothing is left to wait for.
        verdict = step_verdict(
            [gate_result(run) for run in runs],
            gates=[g.name for g in gates],
            remaining=0.0,
            step=index + 1,
            steps=len(steps),
            weight=step.weight,
        )
        progress_line(f"canary {environment.name} {verdict.action}: {verdict.reason}")
        if verdict.action == "rollback":
            state = save(roll_back(state, verdict.reason))
            return _roll_back(ctx, environment, state, steps, router, service, save, runs, mine)
        if verdict.action == "error":
            return _emit(ctx, state, steps, "error", verdict.reason, runs)
        if verdict.action in ("hold", "wait"):
            return _emit(
                ctx,
                state,
                steps,
                "inconclusive",
                f"{verdict.reason}; the weight stays at "
                f"{state.weight:g}% and a rerun resumes this step",
                runs,
            )
        state = save(next_state(state, steps, environment, runs, taken))
        if args.step is not None and state.status == "running":
            return _emit(ctx, state, steps, "continue", state.reason, runs, _advances(taken))
    finished = _deployment(ctx, state, mine)
    if finished is not None:
        ctx.platform.finish_deployment(finished, "success")
    return _emit(ctx, state, steps, "promote", state.reason, runs, _advances(taken))


def _analyse(
    args: argparse.Namespace,
    ctx: Context,
    environment: Environment,
    state: CanaryState,
    steps: tuple[CanaryStep, ...],
    gates: list[Gate],
    service: str,
) -> list[AnalysisRun]:
    """The step's gates over the window since the step started.

    While the step's window (:func:`releasegate.rollout.canary.step_window`) lasts, the gates
    run live to its end; once it is over (a job retried after the pause), they judge once the
    whole window since the step started. Never "no runs" for a step with gates.
    """
    step = steps[state.step]
    started = float(state.step_started_at or 0)
    seconds = remaining_pause(state, steps, ctx.now().timestamp(), gates)
    if not gates:
        if seconds > 0:
            ctx.sleep(seconds)
        return []
    label = f"canary {step.weight:g}%"
    if seconds > 0:
        return run_gates(
            gates,
            args,
            ctx,
            service=service,
            env=environment.name,
            deployed_at=started,
            seconds=seconds,
            label=label,
        )
    return run_gates(
        gates,
        args,
        ctx,
        service=service,
        env=environment.name,
        deployed_at=started,
        seconds=0.0,
        label=label,
        once=True,
    )


def _deployment(ctx: Context, state: CanaryState, known: Deployment | None) -> Deployment | None:
    """The rollout's deployment as the platform lists it now, else as this run last saw it."""
    listed = next(
        (d for d in ctx.platform.deployments(state.environment) if d.id == state.deployment_id),
        None,
    )
    return listed or (known if known is not None and known.id == state.deployment_id else None)


def _rollback_left(ctx: Context, environment: Environment, state: CanaryState) -> tuple[str, ...]:
    """The rollback steps a rerun still has to do (those that failed or never ran)."""
    rollback = environment.rollback
    deploy = ctx.platform.rollback_mode(rollback.mode if rollback else None) == "deploy"
    return rollback_plan(
        steps_from_dict(state.rollback),
        router=True,
        command=bool(rollback and rollback.command),
        platform=deploy,
    )


def _rollback(
    ctx: Context, environment: Environment, state: CanaryState, router: Any, service: str, save: Any
) -> RollbackRun:
    rollback = environment.rollback
    deploy = ctx.platform.rollback_mode(rollback.mode if rollback else None) == "deploy"
    done = steps_from_dict(state.rollback)
    holder = {"state": state}

    def record(results: Any) -> None:
        holder["state"] = save(replace(holder["state"], rollback=steps_to_dict(results)))

    return run_rollback(
        environment=environment.name,
        service=service,
        router=router,
        command=rollback.command if rollback else None,
        deploy=deploy,
        platform=ctx.platform,
        done=done,
        record=record,
    )


def _roll_back(
    ctx: Context,
    environment: Environment,
    state: CanaryState,
    steps: Any,
    router: Any,
    service: str,
    save: Any,
    runs: list[AnalysisRun],
    known: Deployment | None = None,
) -> int:
    result = _rollback(ctx, environment, state, router, service, save)
    if result.verdict.action == "rollback":
        deployment = _deployment(ctx, state, known)
        if deployment is not None and deployment.status != "rolled_back":
            ctx.platform.finish_deployment(deployment, "rolled_back")
    outcome = "rollback" if result.verdict.action == "rollback" else "error"
    return _emit(
        ctx,
        state,
        steps,
        outcome,
        f"{state.reason}; {result.verdict.reason}",
        runs,
        result.outputs,
        rollback_requirements(result),
    )


def _emit(
    ctx: Context,
    state: CanaryState,
    steps: Any,
    outcome: str,
    reason: str,
    runs: Sequence[AnalysisRun],
    outputs: dict[str, str] | None = None,
    extra: tuple[Requirement, ...] = (),
) -> int:
    policy = ctx.policy
    values = {
        "weight": f"{state.weight:g}",
        "step": str(min(state.step + 1, len(steps))),
        "steps": str(len(steps)),
        **(outputs or {}),
    }
    if outcome == "continue":
        values["next-step"] = str(state.step + 1)
        values["next-weight"] = f"{steps[state.step].weight:g}"
    requirements = (*gate_requirements(runs), *extra)
    if state.forced:
        values["forced"] = state.forced
        reason = f"FORCED without an allowed promotion ({state.forced}): {reason}"
        requirements = (
            Requirement(
                name="allowed promotion",
                status="skipped",
                observed="forced",
                expected="an allowed promotion (releasegate promote)",
                reason=f"FORCED: {state.forced}",
            ),
            *requirements,
        )
    decision = Decision(
        kind="canary",
        outcome=outcome,
        reason=reason,
        subject=Subject(environment=state.environment, sha=state.sha),
        time=ctx.now(),
        requirements=requirements,
        policy_sha256=policy.sha256,
        policy_path=policy.path,
        outputs=values,
    )
    return ctx.emit(decision)
