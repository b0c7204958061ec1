"""``releasegate check``: validate the policy; exit 0 when valid, 2 with every problem otherwise."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from releasegate.cli.common import Context, env_flag


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "check",
        parents=parents,
        help="validate the policy file",
        description="Validate releasegate.yml against the schema and its "
        "cross-references; print every problem as file:line:col.",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=env_flag(env, "quiet"),
        help="print nothing when valid [RELEASEGATE_QUIET]",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    policy = ctx.policy
    _check_routers(policy, ctx)
    notes = _notes(policy)
    if args.format == "json":
        import json

        ctx.print(
            json.dumps(
                {
                    "valid": True,
                    "path": policy.path,
                    "sha256": policy.sha256,
                    "environments": [e.name for e in policy.environments],
                    "gates": sorted(policy.gates),
                    "notes": notes,
                },
                indent=2,
            )
        )
    elif not args.quiet:
        envs = " -> ".join(e.name for e in policy.environments) or "no environments"
        ctx.print(
            f"{policy.path}: valid (version {policy.version}; {envs}; "
            f"{len(policy.validations)} validations, {len(policy.gates)} gates)"
        )
        for note in notes:
            ctx.print(f"{policy.path}: note: {note}")
    return 0


def _check_routers(policy: Any, ctx: Context) -> None:
    """A router kind no plugin provides would only fail when ``canary`` runs: refuse it now."""
    from releasegate.errors import PolicyError
    from releasegate.policy.schema import did_you_mean

    known = sorted(ctx.hooks.routers().names())
    problems = [
        f"{policy.path}: environments[{i}].strategy.canary.router.kind: unknown router"
        f" {env.canary.router.kind!r}{did_you_mean(env.canary.router.kind, known)} (known: {', '.join(known)})"
        for i, env in enumerate(policy.environments)
        if env.canary and env.canary.router and env.canary.router.kind not in known
    ]
    if problems:
        raise PolicyError(problems)


def _notes(policy: Any) -> list[str]:
    """Advice that is not an error."""
    notes = []
    cache = policy.cache
    if cache and cache.kaniko and not cache.kaniko.fork:
        notes.append(
            "kaniko's upstream repository (GoogleContainerTools/kaniko) is archived "
            "(June 2025); the same cache flags, including --no-push-cache for read-only "
            "refs, work with its maintained forks (set cache.kaniko.fork)"
        )
    if cache and cache.docker and cache.docker.backend == "gha":
        from releasegate.cache.tools import gha_quota_warning

        warning = gha_quota_warning(cache.docker.mode, cache.docker.size_estimate)
        if warning:
            notes.append(f"cache.docker: {warning}")
    return notes
