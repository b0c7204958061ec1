"""``releasegate drift``: compare environments' configuration files (I/O edge).

Reads each environment's ``drift.files`` through :mod:`releasegate.configfiles`,
compares them with :mod:`releasegate.drift` and emits a ``drift`` Decision:
``clean`` (exit 0) or ``drift`` (exit 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from releasegate.cli.common import Context, env_default


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "drift",
        parents=parents,
        help="configuration drift between environments",
        description="Compare the configuration files the policy's drift.files name, for every "
        "pair of environments along the promotion path (or the two --env given). Differences "
        "under drift.allow paths are reported as allowed; secret values are never printed. "
        "Exit 0 clean, 1 unexpected drift, 2 usage or unreadable file.",
    )
    parser.add_argument(
        "--env",
        dest="environments",
        action="append",
        metavar="ENV",
        default=None,
        help="compare ENV with the environment before it, or give two --env to "
        "compare those (default: every pair along the promotion path) "
        "[RELEASEGATE_ENVIRONMENT]",
    )
    parser.set_defaults(handler=handle, environment_default=env_default(env, "environment"))


def handle(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.configfiles import drift_report
    from releasegate.drift import drift_decision, drift_pairs

    policy = ctx.policy
    names = args.environments
    if names is None and args.environment_default:
        names = [args.environment_default]
    reports = [
        drift_report(policy, left, right) for left, right in drift_pairs(policy, names or ())
    ]
    decision = drift_decision(
        reports, time=ctx.now(), policy_sha256=policy.sha256, policy_path=policy.path
    )
    return ctx.emit(decision)
