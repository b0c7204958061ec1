"""``releasegate record-check``: remember that a CI check passed or failed on a commit (I/O edge).

Where the CI system keeps check runs itself (GitHub, GitLab) a validation
with ``check: NAME`` reads them through the platform; locally and on Tekton
this command records them in the ledger.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from releasegate.cli.common import Context, env_default
from releasegate.errors import UsageError


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "record-check",
        parents=parents,
        help="record a CI check's result on a commit",
        description="Record that the check NAME passed or failed on SHA, for validations "
        "written as `check: NAME`.",
    )
    parser.add_argument("name", metavar="NAME", help="the check or job name, e.g. lint")
    parser.add_argument(
        "--sha",
        default=env_default(env, "sha"),
        help="commit (default: the CI commit, then git rev-parse HEAD) [RELEASEGATE_SHA]",
    )
    parser.add_argument(
        "--status",
        default=env_default(env, "status"),
        required=env_default(env, "status") is None,
        choices=("passed", "failed"),
        help="the check's result [RELEASEGATE_STATUS]",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.platform import require_sha

    name = args.name.strip()
    if not name:
        raise UsageError("record-check needs the check's NAME, e.g. releasegate record-check lint")
    sha = require_sha(ctx.ci, args.sha)
    run = ctx.ledger.record_check(sha, name, args.status, at=ctx.now())
    ctx.print(f"recorded check {run.name} {run.status} on {sha[:12]}")
    return 0
