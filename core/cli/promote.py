"""``releasegate promote``: decide whether a build may enter an environment (I/O edge).

Gathers what the pure rules need (reports named by the policy's validations,
deployments, approvals and checks from the platform, team members, the time),
calls :func:`releasegate.promotion.evaluate_promotion`, emits the decision,
and, unless ``--dry-run``, records an allowed promotion as ``promoting``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from releasegate.cli.common import Context, env_default, env_flag
from releasegate.errors import EvidenceError, PlatformError, UsageError


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "promote",
        parents=parents,
        help="decide whether a build may enter an environment",
        description="Evaluate every requirement of ENV for a commit and print the decision; "
        "exit 0 when allowed, 1 when blocked. Without --dry-run an allowed promotion is "
        "recorded as 'promoting'; mark its end with `releasegate record`.",
    )
    target = env_default(env, "to") or env_default(env, "environment")
    parser.add_argument(
        "--to",
        dest="environment",
        default=target,
        required=target is None,
        metavar="ENV",
        help="target environment [RELEASEGATE_TO, else RELEASEGATE_ENVIRONMENT]",
    )
    parser.add_argument(
        "--sha",
        default=env_default(env, "sha"),
        help="commit (default: the CI commit, then git rev-parse HEAD) [RELEASEGATE_SHA]",
    )
    parser.add_argument(
        "--version",
        dest="artifact_version",
        default=env_default(env, "version"),
        help="artifact version [RELEASEGATE_VERSION]",
    )
    parser.add_argument(
        "--digest",
        default=env_default(env, "digest"),
        help="image digest, sha256:... [RELEASEGATE_DIGEST]",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=env_flag(env, "dry_run"),
        help="decide and print, record nothing [RELEASEGATE_DRY_RUN]",
    )
    parser.add_argument(
        "--break-glass",
        default=env_default(env, "break_glass"),
        metavar="REASON",
        help="promote through a window or freeze, for this reason [RELEASEGATE_BREAK_GLASS]",
    )
    parser.add_argument(
        "--author",
        default=env_default(env, "author"),
        metavar="NAME",
        help="one more author of the change, who cannot approve it (the commit's author and "
        "committer, the pull/merge request's author and who triggered the run are "
        "excluded anyway) [RELEASEGATE_AUTHOR]",
    )
    parser.add_argument(
        "--at",
        default=env_default(env, "at"),
        metavar="TIME",
        help="with --dry-run only: decide as of this ISO time [RELEASEGATE_AT]",
    )
    parser.add_argument(
        "--wait-for-checks",
        default=env_default(env, "wait_for_checks"),
        metavar="DURATION",
        help="wait this long for `check:` validations whose check is still running "
        "(a validation's own `wait:` may be longer) [RELEASEGATE_WAIT_FOR_CHECKS]",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.evidence import read_validation
    from releasegate.model import Subject
    from releasegate.platform import require_sha
    from releasegate.promotion import evaluate_promotion, teams_of
    from releasegate.records import ALLOWED

    policy = ctx.policy
    env = ctx.environment(args.environment, "--to")
    if args.break_glass is not None and not args.break_glass.strip():
        raise UsageError('--break-glass needs a reason, e.g. --break-glass "hotfix for INC-123"')
    now = _now(args, ctx)
    sha = require_sha(ctx.ci, args.sha)
    subject = Subject(
        environment=env.name, sha=sha, version=args.artifact_version, digest=args.digest
    )
    platform = ctx.platform

    base = Path(policy.path).resolve().parent
    readers = _readers(ctx)
    evidence: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in env.requires.validations:
        validation = policy.validations.get(name)
        if validation is None or validation.kind == "check":
            continue
        try:
            found = read_validation(validation, base, readers)
        except EvidenceError as exc:
            errors[name] = str(exc)
            continue
        if found is not None:
            evidence[name] = found

    sources = [env.name]
    if env.requires.from_env:
        sources.append(env.requires.from_env)
    if env.requires.soak and not env.requires.from_env:
        previous = policy.previous(env.name)
        if previous:
            sources.append(previous.name)
    actor = ctx.ci.actor
    drift = _drift(policy, env) if env.requires.drift else None
    try:
        history = {name: platform.deployments(name) for name in dict.fromkeys(sources)}
        teams = {team: platform.team_members(team) for team in teams_of(policy, env.requires)}
        approvals = platform.approvals(env.name, sha) if env.requires.approvals else []
        checks = _checks(args, ctx, policy, env, sha) if _needs_checks(policy, env) else []
        excluded = platform.change_authors(sha) if env.requires.approvals else {}
    except PlatformError as exc:
        _platform_failed(
            ctx, subject, now, exc, "read the deployments, approvals and checks", "no decision"
        )
        raise
    decision = evaluate_promotion(
        policy,
        env.name,
        subject,
        evidence=evidence,
        evidence_errors=errors,
        history=history,
        approvals=approvals,
        checks=checks,
        now=now,
        author=args.author,
        break_glass=args.break_glass,
        actor=actor,
        teams=teams,
        drift=drift,
        excluded=excluded,
    )
    if decision.outcome == "allow" and not args.dry_run:
        try:
            deployment = platform.start_deployment(
                env.name,
                sha,
                version=args.artifact_version,
                digest=args.digest,
                production=env.production,
                actor=actor,
                vouch=ALLOWED,
            )
        except PlatformError as exc:
            # Allowed by the policy but not recorded: nothing may deploy unrecorded, so this is
            # an error, published so that outputs and summary say why.
            _platform_failed(
                ctx,
                subject,
                now,
                exc,
                "record the promotion",
                "allowed by the policy, but the promotion could not be recorded",
                decision.requirements,
            )
            raise
        decision = decision.with_outputs(deployment=str(deployment.id))
    return ctx.emit(decision)


def _platform_failed(
    ctx: Context,
    subject: Any,
    now: datetime,
    exc: PlatformError,
    step: str,
    reason: str,
    requirements: tuple[Any, ...] = (),
) -> None:
    """Emit the ``error`` decision of a promotion the CI platform kept from being decided or
    recorded; the caller re-raises, so the run ends as the platform error (exit 4) it is."""
    from releasegate.model import Decision, Requirement

    failed = Requirement(
        name=step, status="error", reason=str(exc), expected="an answer from the CI platform"
    )
    decision = Decision(
        kind="promotion",
        outcome="error",
        reason=f"{reason}: {exc}",
        subject=subject,
        time=now,
        requirements=(*requirements, failed),
        policy_sha256=ctx.policy.sha256,
        policy_path=ctx.policy.path,
        outputs={"outcome": "error", "environment": subject.environment, "sha": subject.sha},
    )
    try:
        ctx.emit(decision)
    except PlatformError:
        pass  # publishing needs the platform that just failed; the first error is the one to tell


def _now(args: argparse.Namespace, ctx: Context) -> datetime:
    if not args.at:
        return ctx.now()
    if not args.dry_run:
        raise UsageError("--at decides as of another time and is allowed only with --dry-run")
    from releasegate.instants import parse_instant

    try:
        return parse_instant(args.at)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None


def _drift(policy: Any, env: Any) -> Any:
    """``requires: {drift: clean}``: compare ENV's configuration with the environment before it."""
    from releasegate.configfiles import drift_report
    from releasegate.drift import DriftReport

    source = policy.previous(env.name)
    if source is None:
        return DriftReport(
            left="(none)",
            right=env.name,
            error=f"{env.name} requires drift clean but no environment comes before it",
        )
    return drift_report(policy, source.name, env.name, capture=True)


def _readers(ctx: Context) -> dict[str, Any]:
    """The registered readers: the registry is the only source, built-in kinds included (a
    plugin may add kinds, not replace ours: the registry refuses a second ``junit``)."""
    registry = ctx.hooks.readers()
    return {name: registry.get(name) for name in registry.names()}


#: Seconds between two looks at checks still running.
POLL_SECONDS = 10.0


def _checks(args: argparse.Namespace, ctx: Context, policy: Any, env: Any, sha: str) -> list[Any]:
    """The platform's checks of ``sha``; while a required check is still running and its wait
    (the validation's ``wait:``, or ``--wait-for-checks``) lasts, look again, saying so."""
    import time

    from releasegate.durations import DurationError, format_duration, parse_duration
    from releasegate.promotion.validations import check_runs_named

    try:
        given = parse_duration(args.wait_for_checks) if args.wait_for_checks else 0.0
    except DurationError as exc:
        raise UsageError(f"--wait-for-checks {args.wait_for_checks}: {exc}") from None
    waits = {
        v.source: max(v.wait, given)
        for v in (policy.validations.get(n) for n in env.requires.validations)
        if v is not None and v.kind == "check"
    }
    started = time.monotonic()
    while True:
        checks = ctx.platform.checks(sha)
        elapsed = time.monotonic() - started
        running = sorted(
            name
            for name, wait in waits.items()
            if elapsed < wait
            and (runs := check_runs_named(name, checks))
            and max(runs, key=lambda c: c.created_at).status == "running"
        )
        if not running:
            return checks
        left = max(waits[name] for name in running) - elapsed
        sys.stderr.write(
            f"promote {env.name}: waiting for {', '.join(running)} (still running; "
            f"{format_duration(max(left, 0.0))} left)\n"
        )
        sys.stderr.flush()
        time.sleep(max(0.0, min(POLL_SECONDS, left)))


def _needs_checks(policy: Any, env: Any) -> bool:
    """Whether a validation of ``env`` is a CI check (only then is the platform asked for jobs)."""
    return any(
        getattr(policy.validations.get(name), "kind", None) == "check"
        for name in env.requires.validations
    )
