"""``releasegate record``, ``approve`` and ``history``: the ledger by hand (I/O edge)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from releasegate.cli.common import Context, add_env_option, env_default
from releasegate.errors import RefusedError, UsageError


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    record = subparsers.add_parser(
        "record",
        parents=parents,
        help="record a deployment's outcome",
        description="Record that SHA was deployed to ENV with STATUS; "
        "a 'promoting' deployment of the same SHA is updated in place. "
        "'promoting' and 'success' need an allowed promotion of SHA into "
        "ENV on file (exit 1 otherwise), unless --force gives a reason.",
    )
    add_env_option(record, env, required=True)
    record.add_argument(
        "--sha", default=env_default(env, "sha"), help="commit (default: the CI commit)"
    )
    record.add_argument("--version", dest="artifact_version", default=env_default(env, "version"))
    record.add_argument("--digest", default=env_default(env, "digest"), help="image digest")
    record.add_argument(
        "--status",
        required=env_default(env, "status") is None,
        default=env_default(env, "status"),
        choices=("promoting", "success", "failure", "rolled_back"),
    )
    record.add_argument(
        "--force",
        default=env_default(env, "force"),
        metavar="REASON",
        help="record a promoting/success deployment that no allowed promotion "
        "started, for this reason; every later decision relying on it shows it "
        "[RELEASEGATE_FORCE]",
    )
    record.set_defaults(handler=handle_record)

    approve = subparsers.add_parser(
        "approve",
        parents=parents,
        help="record an approval",
        description="Record NAME's approval of SHA for ENV.",
    )
    add_env_option(approve, env, required=True)
    approve.add_argument("--sha", default=env_default(env, "sha"))
    approve.add_argument(
        "--by",
        required=env_default(env, "by") is None,
        default=env_default(env, "by"),
        metavar="NAME",
        help="who approves",
    )
    approve.set_defaults(handler=handle_approve)

    history = subparsers.add_parser(
        "history",
        parents=parents,
        help="list recorded deployments",
        description="List deployments, newest first.",
    )
    add_env_option(history, env, required=False)
    history.add_argument(
        "--limit",
        type=int,
        default=env_default(env, "limit", 50),
        help="how many deployments (default 50) [RELEASEGATE_LIMIT]",
    )
    history.set_defaults(handler=handle_history)


def _sha(args: argparse.Namespace, ctx: Context) -> str:
    from releasegate.platform import require_sha

    return require_sha(ctx.ci, args.sha)


#: Statuses that can let a commit on downstream, so need an allowed promotion or --force.
VOUCHING = ("promoting", "success")


def handle_record(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.records import FORCED

    if args.force is not None and not args.force.strip():
        raise UsageError('--force needs a reason, e.g. --force "deployed by hand during INC-123"')
    sha = _sha(args, ctx)
    history = ctx.platform.deployments(args.environment)
    in_progress = next((d for d in history if d.sha == sha and d.status == "promoting"), None)
    vouch = None
    if args.status in VOUCHING:
        allowed = next(
            (d for d in history if d.sha == sha and d.status in VOUCHING and d.vouched), None
        )
        if args.force is not None:
            vouch = f"{FORCED}{args.force.strip()}"
        elif allowed is None:
            raise RefusedError(
                f"no allowed promotion of {sha[:12]} into {args.environment} is on file, so it cannot "
                f"be recorded as {args.status}: run `releasegate promote --to {args.environment}` first, "
                "or give --force REASON (shown in every decision that relies on this record)"
            )
        else:
            in_progress = allowed if allowed.status == "promoting" else in_progress
    if in_progress and args.status != "promoting" and (vouch is None or in_progress.vouched):
        deployment = ctx.platform.finish_deployment(in_progress, args.status)
    elif in_progress and args.status != "promoting":
        deployment = ctx.platform.finish_deployment(in_progress, args.status, vouch=vouch)
    else:
        deployment = ctx.platform.start_deployment(
            args.environment,
            sha,
            version=args.artifact_version,
            digest=args.digest,
            actor=ctx.ci.actor,
            vouch=vouch,
        )
        if args.status != "promoting":
            deployment = ctx.platform.finish_deployment(deployment, args.status)
    forced = f" FORCED: {args.force.strip()}" if vouch else ""
    ctx.print(
        f"recorded {args.environment} {sha[:12]} {deployment.status} (deployment {deployment.id})"
        f"{forced}"
    )
    return 0


def handle_approve(args: argparse.Namespace, ctx: Context) -> int:
    sha = _sha(args, ctx)
    if not args.by.strip():
        raise UsageError("--by must name who approves")
    ctx.ledger.approve(args.environment, sha, args.by.strip(), at=ctx.now())
    ctx.print(f"recorded approval of {sha[:12]} for {args.environment} by {args.by.strip()}")
    return 0


def handle_history(args: argparse.Namespace, ctx: Context) -> int:
    rows = (
        ctx.platform.deployments(args.environment) if args.environment else ctx.ledger.deployments()
    )
    rows = rows[: args.limit]
    if args.format == "json":
        ctx.print(
            json.dumps(
                [
                    {
                        "id": d.id,
                        "environment": d.environment,
                        "sha": d.sha,
                        "version": d.version,
                        "digest": d.digest,
                        "status": d.status,
                        "actor": d.actor,
                        "created_at": d.created_at.isoformat(),
                        "updated_at": d.updated_at.isoformat(),
                    }
                    for d in rows
                ],
                indent=2,
            )
        )
        return 0
    if not rows:
        ctx.print("no deployments recorded")
        return 0
    for d in rows:
        ctx.print(
            f"{d.updated_at.isoformat(timespec='seconds')}  {d.environment:<12} {d.sha[:12]}  "
            f"{d.status:<11} {d.version or ''}"
        )
    return 0
