"""``releasegate plan``: the promotion path, each environment's requirements, canary steps and gates."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from releasegate.cli.common import Context
from releasegate.durations import format_duration
from releasegate.policy.model import CanaryStep, Environment, Gate, Policy, Router


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "plan",
        parents=parents,
        help="show the promotion path and its rules",
        description="Print the promotion path with every environment's "
        "requirements, canary steps and gates.",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    plan = plan_data(ctx.policy)
    if args.format == "json":
        ctx.print(json.dumps(plan, indent=2))
    elif args.format == "markdown":
        ctx.print(_markdown(plan))
    else:
        ctx.print(_text(plan))
    return 0


def _requirements(env: Environment) -> list[str]:
    r = env.requires
    out = []
    if r.from_env:
        out.append(
            f"deployed and healthy in {r.from_env}"
            + (f" for {format_duration(r.soak)}" if r.soak else "")
        )
    elif r.soak:
        out.append(f"soak {format_duration(r.soak)}")
    out += [f"validation {v}" for v in r.validations]
    for rule in r.approvals:
        who = f" from {rule.group}" if rule.group else ""
        out.append(
            f"{rule.count} approval{'s' if rule.count > 1 else ''}{who}"
            + ("" if r.allow_self_approval else ", not by the author")
            + (", vouched for by the platform" if r.approvals_from == "platform" else "")
            + (f", valid {format_duration(r.approvals_expire)}" if r.approvals_expire else "")
        )
    out += [f"criterion {c.text}" for c in r.criteria]
    out += [f"window {w}" for w in r.windows]
    out += [
        f"freeze {f.start} .. {f.end}" + (f" ({f.reason})" if f.reason else "") for f in r.freezes
    ]
    if r.drift:
        out.append("configuration drift clean")
    if (r.windows or r.freezes) and r.break_glass:
        out.append("break-glass allowed")
    return out


def _gate(gate: Gate) -> dict[str, Any]:
    return {
        "name": gate.name,
        "provider": gate.provider,
        "interval": format_duration(gate.interval),
        "failure_limit": gate.failure_limit,
        "min_requests": gate.min_requests,
        "on_inconclusive": gate.on_inconclusive,
        "metrics": [
            {"name": m.name, "judge": m.judge, "direction": m.direction} for m in gate.metrics
        ],
    }


def plan_data(policy: Policy) -> dict[str, Any]:
    """The plan as plain data (the JSON rendering)."""
    environments = []
    for env in policy.environments:
        item: dict[str, Any] = {
            "name": env.name,
            "strategy": env.strategy,
            "requires": _requirements(env),
        }
        if env.canary:
            item["canary"] = [
                {
                    "weight": s.weight,
                    "pause": format_duration(s.pause) if s.pause else None,
                    "gates": list(s.gates),
                    **_advance(s),
                }
                for s in env.canary.steps
            ]
            router = env.canary.router or Router()
            if router.command:
                item["router"] = router.command
            elif router.kind == "argo-rollouts":
                from releasegate.rollout.argo import rollout_steps
                from releasegate.rollout.canary import plan as plan_steps

                name = router.options.get("name", "{service}").replace(
                    "{service}", policy.service or ""
                )
                item["router"] = (
                    f"argo-rollouts: Rollout {name} (promote to advance, abort to roll back)"
                )
                item["rollout_steps"] = rollout_steps(plan_steps(env.canary))
            else:
                item["router"] = router.kind
        if env.rollback:
            item["rollback"] = {
                "on_failure": env.rollback.on_failure,
                "gates": list(env.rollback.gates),
                "window": format_duration(env.rollback.window) if env.rollback.window else None,
            }
        environments.append(item)
    return {
        "policy": policy.path,
        "sha256": policy.sha256,
        "service": policy.service,
        "path": [e.name for e in policy.environments],
        "environments": environments,
        "gates": [_gate(g) for g in policy.gates.values()],
    }


def _advance(step: CanaryStep) -> dict[str, Any]:
    rule = step.advance
    if rule is None:
        return {}
    return {"advance": {"by": rule.by, "when": rule.when, "otherwise": rule.otherwise}}


def _step_text(step: dict[str, Any]) -> str:
    text = f"{step['weight']:g}%"
    if step["pause"]:
        text += f" for {step['pause']}"
    if step["gates"]:
        text += f" [{', '.join(step['gates'])}]"
    if step.get("advance"):
        rule = step["advance"]
        text += f" then +{rule['by']:g} when {rule['when']}, else +{rule['otherwise']:g}"
    return text


def _rollout_text(steps: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"setWeight {s['setWeight']}" if "setWeight" in s else "pause {}" for s in steps
    )


def _text(plan: dict[str, Any]) -> str:
    lines = [f"Promotion path: {' -> '.join(plan['path'])}", ""]
    for env in plan["environments"]:
        lines.append(env["name"])
        for req in env["requires"] or ["no requirements"]:
            lines.append(f"  - {req}")
        if "canary" in env:
            lines.append("  canary: " + " -> ".join(_step_text(s) for s in env["canary"]))
            if env.get("router"):
                lines.append(f"  router: {env['router']}")
            if env.get("rollout_steps") is not None:
                lines.append(f"  Rollout steps: {_rollout_text(env['rollout_steps']) or 'none'}")
        if "rollback" in env:
            rb = env["rollback"]
            watch = f" watching {', '.join(rb['gates'])}" if rb["gates"] else ""
            lines.append(
                f"  rollback: {'on failure' if rb['on_failure'] else 'manual'}{watch}"
                + (f" for {rb['window']}" if rb["window"] else "")
            )
        lines.append("")
    if plan["gates"]:
        lines.append("Gates")
        for gate in plan["gates"]:
            metrics = ", ".join(f"{m['name']} ({m['judge']})" for m in gate["metrics"])
            lines.append(
                f"  {gate['name']}: {gate['provider']} every {gate['interval']}: {metrics}"
            )
    return "\n".join(lines).rstrip() + "\n"


def _markdown(plan: dict[str, Any]) -> str:
    lines = [
        f"### Promotion path: {' → '.join(f'`{p}`' for p in plan['path'])}",
        "",
        "| Environment | Requires | Rollout |",
        "|---|---|---|",
    ]
    for env in plan["environments"]:
        rollout = " → ".join(_step_text(s) for s in env["canary"]) if "canary" in env else "direct"
        lines.append(f"| `{env['name']}` | {'<br>'.join(env['requires']) or '–'} | {rollout} |")
    if plan["gates"]:
        lines += ["", "| Gate | Provider | Interval | Metrics |", "|---|---|---|---|"]
        for gate in plan["gates"]:
            metrics = ", ".join(f"{m['name']} ({m['judge']})" for m in gate["metrics"])
            lines.append(
                f"| `{gate['name']}` | {gate['provider']} | {gate['interval']} | {metrics} |"
            )
    return "\n".join(lines) + "\n"
