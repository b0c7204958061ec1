"""``releasegate replay``: run a gate over recorded metrics exactly as it runs live (I/O edge).

Reads a replay CSV (``releasegate.providers.file``), calls the pure
``evaluate_gate`` once per recorded interval with that interval's time as
``now``, and prints one line per interval. Nothing is recorded or published:
replay is for tuning and review.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from releasegate.analysis import GateVerdict, evaluate_gate
from releasegate.cli.common import Context, env_default
from releasegate.errors import EXIT_BLOCKED, EXIT_INCONCLUSIVE, EXIT_OK, UsageError
from releasegate.model import Decision, Subject

FORMATS = ("jsonl", "text", "json", "markdown", "junit")


def register(subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]) -> None:
    """Add ``replay``; its ``--format`` also takes ``jsonl`` (its default)."""
    own = [copy.deepcopy(parent) for parent in parents]
    for parent in own:
        for action in parent._actions:
            if action.dest == "format":
                action.choices = FORMATS
                action.default = env_default(env, "format", "jsonl")
                action.help = "jsonl: one JSON line per interval (default); text: one line per interval; " \
                    "json/markdown/junit: the deciding verdict"
    parser = subparsers.add_parser(
        "replay", parents=own, help="run a gate over recorded metrics",
        description="Run gate NAME over a recorded metrics CSV (time,metric,variant,value,count) as it "
        "would have run live, one verdict per interval. Exit 1 if any interval rolls back, 3 if the "
        "last is inconclusive, else 0.")
    parser.add_argument("--gate", default=env_default(env, "gate"), required=env_default(env, "gate") is None,
                        metavar="NAME", help="the policy gate to run (env RELEASEGATE_GATE)")
    parser.add_argument("--metrics", default=env_default(env, "metrics"),
                        required=env_default(env, "metrics") is None, metavar="FILE.csv",
                        help="the recorded metrics (env RELEASEGATE_METRICS)")
    parser.add_argument("--deployed-at", default=env_default(env, "deployed_at"), metavar="TIME",
                        help="ISO 8601 or unix seconds; earlier rows are history (default: the first canary row)")
    parser.set_defaults(handler=handle_replay)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def replay_verdicts(gate: Any, metrics: Mapping[str, Any], times: Sequence[float],
                    judges: Mapping[str, Any] | None = None) -> list[GateVerdict]:
    """The gate's verdict at each recorded interval, as the live loop would have seen it."""
    return [evaluate_gate(gate, metrics, now=now, judges=judges) for now in times]


def closest_call(verdicts: Sequence[GateVerdict]) -> str | None:
    """For a replay that never rolled back, how close it came: the metric whose charts came
    nearest their threshold, and when (``None`` without chart-keeping metrics)."""
    if any(v.outcome == "rollback" for v in verdicts):
        return None
    peaks = [(m.evidence, t, m.metric) for t, v in enumerate(verdicts) for m in v.metrics if m.evidence is not None]
    if not peaks:
        return None
    share, t, metric = max(peaks, key=lambda peak: (peak[0], -peak[1]))
    return (f"closest to a rollback: {metric} at {share:.2f} of its threshold at [{t}] "
            f"{_iso(verdicts[t].time)}")


def exit_code(verdicts: Sequence[GateVerdict]) -> int:
    """1 if any interval rolled back, 3 if the last is inconclusive, else 0."""
    if any(v.outcome == "rollback" for v in verdicts):
        return EXIT_BLOCKED
    if not verdicts or verdicts[-1].outcome == "inconclusive":
        return EXIT_INCONCLUSIVE
    return EXIT_OK


def handle_replay(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.providers.file import parse_time, read_replay

    deployed_at = None
    if args.deployed_at:
        try:
            deployed_at = parse_time(args.deployed_at)
        except ValueError:
            raise UsageError(f"--deployed-at {args.deployed_at!r} is neither ISO 8601 nor unix seconds") from None
    policy = ctx.policy
    gate = policy.gates.get(args.gate)
    if gate is None:
        known = ", ".join(sorted(policy.gates)) or "none"
        raise UsageError(f"{policy.path}: no gate named {args.gate!r} (gates: {known}); pass one with --gate")
    replay = read_replay(args.metrics, deployed_at=deployed_at)
    if not replay.times:
        raise UsageError(f"{args.metrics}: no rows at or after the deploy time; check --deployed-at")
    verdicts = replay_verdicts(gate, replay.metrics, replay.times, ctx.judges())
    if args.format == "jsonl":
        for t, verdict in enumerate(verdicts):
            line: dict[str, Any] = {"t": t, "time": _iso(verdict.time), "outcome": verdict.outcome,
                                    "reasons": verdict.reasons}
            evidence = {m.metric: m.evidence for m in verdict.metrics if m.evidence is not None}
            if evidence:
                line["evidence"] = evidence
            ctx.print(json.dumps(line, sort_keys=False))
    elif args.format == "text":
        for t, verdict in enumerate(verdicts):
            ctx.print(f"{_iso(verdict.time)} [{t}] {verdict.outcome}: {verdict.reason}")
        closest = closest_call(verdicts)
        if closest is not None:
            ctx.print(closest)
    else:
        from releasegate.render import render

        deciding = next((v for v in verdicts if v.outcome == "rollback"), verdicts[-1])
        decision = Decision(
            kind="canary", outcome=deciding.outcome, reason=deciding.reason,
            subject=Subject(gate=gate.name), time=datetime.fromtimestamp(deciding.time, timezone.utc),
            requirements=deciding.to_requirements(), policy_sha256=policy.sha256, policy_path=policy.path,
        )
        ctx.print(render(decision, args.format))
    return exit_code(verdicts)
