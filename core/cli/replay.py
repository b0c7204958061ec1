"""``releasegate replay``: run a gate over recorded metrics exactly as it runs live (I/O edge).

Reads a replay CSV (``releasegate.providers.file``), calls the pure
advances one ``GateRun`` to each recorded interval's time (each interval judged once, as
``evaluate_gate`` would judge the series up to it), and prints each interval's line as
soon as it is decided. Nothing is recorded or published:
replay is for tuning and review.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from releasegate.analysis import GateRun, GateVerdict
from releasegate.cli.common import Context, env_default
from releasegate.errors import EXIT_BLOCKED, EXIT_INCONCLUSIVE, EXIT_OK, UsageError
from releasegate.model import Decision, Subject

FORMATS = ("jsonl", "text", "json", "markdown", "junit")


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    """Add ``replay``; its ``--format`` also takes ``jsonl`` (its default)."""
    own = [copy.deepcopy(parent) for parent in parents]
    for parent in own:
        for action in parent._actions:
            if action.dest == "format":
                action.choices = FORMATS
                action.default = env_default(env, "format", "jsonl")
                action.help = (
                    "jsonl: one JSON line per interval (default); text: one line per interval; "
                    "json/markdown/junit: the deciding verdict"
                )
    parser = subparsers.add_parser(
        "replay",
        parents=own,
        help="run a gate over recorded metrics",
        description="Run gate NAME over a recorded metrics CSV (time,metric,variant,value,count) as it "
        "would have run live, one verdict per interval. Exit 1 if any interval rolls back, 3 if the "
        "last is inconclusive, else 0.",
    )
    parser.add_argument(
        "--gate",
        default=env_default(env, "gate"),
        required=env_default(env, "gate") is None,
        metavar="NAME",
        help="the policy gate to run (env RELEASEGATE_GATE)",
    )
    parser.add_argument(
        "--metrics",
        default=env_default(env, "metrics"),
        required=env_default(env, "metrics") is None,
        metavar="FILE.csv",
        help="the recorded metrics (env RELEASEGATE_METRICS)",
    )
    parser.add_argument(
        "--deployed-at",
        default=env_default(env, "deployed_at"),
        metavar="TIME",
        help="ISO 8601 or unix seconds; earlier rows are history (default: the first canary row)",
    )
    parser.set_defaults(handler=handle_replay)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def replay_verdicts(
    gate: Any,
    metrics: Mapping[str, Any],
    times: Sequence[float],
    judges: Mapping[str, Any] | None = None,
) -> Iterator[GateVerdict]:
    """The gate's verdict at each recorded interval, as the live loop would have seen it, each
    as soon as it is decided (one :class:`GateRun`, each interval judged once)."""
    run = GateRun(gate, metrics, judges=judges)
    for now in times:
        yield run.advance(now)


class Summary:
    """What a replay reports after its per-interval lines, kept as they stream by: the first
    rollback, the last verdict and the closest call of a healthy replay."""

    def __init__(self, on_inconclusive: str = "fail") -> None:
        self.on_inconclusive = on_inconclusive
        self.rollback: GateVerdict | None = None
        self.last: GateVerdict | None = None
        self.peak: tuple[float, int, str, float] | None = None

    def add(self, t: int, verdict: GateVerdict) -> None:
        if verdict.outcome == "rollback" and self.rollback is None:
            self.rollback = verdict
        self.last = verdict
        for m in verdict.metrics:
            if m.evidence is not None and (self.peak is None or m.evidence > self.peak[0]):
                self.peak = (m.evidence, t, m.metric, verdict.time)

    def closest_call(self) -> str | None:
        """For a replay that never rolled back, how close it came: the metric whose charts
        came nearest their threshold, and when (``None`` without chart-keeping metrics)."""
        if self.rollback is not None or self.peak is None:
            return None
        share, t, metric, when = self.peak
        return (
            f"closest to a rollback: {metric} at {share:.2f} of its threshold at [{t}] {_iso(when)}"
        )

    def exit_code(self) -> int:
        """1 if any interval rolled back; when the replay ended without enough evidence
        (``inconclusive``, or still ``continue``), the gate's ``on_inconclusive`` decides, as
        in ``analyze``, ``canary`` and ``watch``: 1 for ``fail``, 3 for ``pause``, 0 only for
        an explicit ``pass``; else 0."""
        return {"rollback": EXIT_BLOCKED, "inconclusive": EXIT_INCONCLUSIVE}.get(
            self.outcome(), EXIT_OK
        )

    def outcome(self) -> str:
        """The replay's outcome: ``rollback``, ``inconclusive`` or ``promote`` (see :meth:`exit_code`)."""
        if self.rollback is not None:
            return "rollback"
        if self.last is None or self.last.outcome in ("inconclusive", "continue"):
            return {"fail": "rollback", "pass": "promote"}.get(self.on_inconclusive, "inconclusive")
        return "promote" if self.last.outcome == "promote" else self.last.outcome


def handle_replay(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.providers.file import parse_time, read_replay

    deployed_at = None
    if args.deployed_at:
        try:
            deployed_at = parse_time(args.deployed_at)
        except ValueError:
            raise UsageError(
                f"--deployed-at {args.deployed_at!r} is neither ISO 8601 nor unix seconds"
            ) from None
    policy = ctx.policy
    gate = policy.gates.get(args.gate)
    if gate is None:
        known = ", ".join(sorted(policy.gates)) or "none"
        raise UsageError(
            f"{policy.path}: no gate named {args.gate!r} (gates: {known}); pass one with --gate"
        )
    replay = read_replay(args.metrics, deployed_at=deployed_at)
    if not replay.times:
        raise UsageError(
            f"{args.metrics}: no rows at or after the deploy time; check --deployed-at"
        )
    # The recorded series stay alive to the end: the cyclic garbage collector need not walk
    # them again at every collection (which would make a long replay's intervals dearer).
    gc.freeze()
    try:
        summary = _stream(args, ctx, gate, replay)
    finally:
        gc.unfreeze()
    if args.format not in ("jsonl", "text"):
        from releasegate.render import render

        deciding = summary.rollback or summary.last
        assert deciding is not None  # replay.times is not empty
        decision = Decision(
            kind="canary",
            outcome=summary.outcome(),
            reason=deciding.reason,
            subject=Subject(gate=gate.name),
            time=datetime.fromtimestamp(deciding.time, timezone.utc),
            requirements=deciding.to_requirements(),
            policy_sha256=policy.sha256,
            policy_path=policy.path,
        )
        ctx.print(render(decision, args.format))
    return summary.exit_code()


def _stream(args: argparse.Namespace, ctx: Context, gate: Any, replay: Any) -> Summary:
    """Print each interval's line as it is decided (jsonl, text); return the summary."""
    summary = Summary(gate.on_inconclusive)
    for t, verdict in enumerate(replay_verdicts(gate, replay.metrics, replay.times, ctx.judges())):
        summary.add(t, verdict)
        if args.format == "jsonl":
            line: dict[str, Any] = {
                "t": t,
                "time": _iso(verdict.time),
                "outcome": verdict.outcome,
                "reasons": verdict.reasons,
            }
            evidence = {m.metric: m.evidence for m in verdict.metrics if m.evidence is not None}
            if evidence:
                line["evidence"] = evidence
            ctx.print(json.dumps(line, sort_keys=False))
        elif args.format == "text":
            ctx.print(f"{_iso(verdict.time)} [{t}] {verdict.outcome}: {verdict.reason}")
    if args.format == "text":
        closest = summary.closest_call()
        if closest is not None:
            ctx.print(closest)
    return summary
