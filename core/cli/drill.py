"""``releasegate drill``: rehearse a rollback of an environment without touching traffic (I/O edge).

Builds the drill's collaborators (the platform, each gate's provider, ``shutil.which``
over this run's PATH, ``subprocess.run``, the router factory), runs the checks of
:mod:`releasegate.rollout.drill` and emits a ``drill`` Decision: ``pass`` (exit 0) or ``fail`` (1).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from releasegate.cli.analyze import add_provider_options, build_provider
from releasegate.cli.common import Context, add_env_option, env_default, env_flag
from releasegate.errors import UsageError


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "drill",
        parents=parents,
        help="rehearse a rollback without touching traffic",
        description="Check that a rollback of ENV would work now: a rollback target naming an "
        "artifact, every gate answering for each selector, the router and rollback commands "
        "present (their command lines shown), and the platform token's access. One line per "
        "check; exit 0 when all pass, 1 otherwise.",
    )
    add_env_option(parser, env, required=True)
    parser.add_argument(
        "--execute",
        action="store_true",
        default=env_flag(env, "execute"),
        help="also run the router and rollback commands against --target [RELEASEGATE_EXECUTE]",
    )
    parser.add_argument(
        "--target",
        default=env_default(env, "target"),
        metavar="NAME",
        help="the test target --execute runs the commands against: it replaces "
        "{service} (or a patch router's resource name) [RELEASEGATE_TARGET]",
    )
    add_provider_options(parser, env)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    from releasegate.rollout.drill import DrillTools, drill_decision, run_drill
    from releasegate.rollout.routers import router_for

    policy = ctx.policy
    environment = ctx.environment(args.environment)
    if args.execute and not (args.target or "").strip():
        raise UsageError(
            "--execute needs --target NAME: a test target to run the commands "
            "against, never the live service"
        )
    path = ctx.env.get("PATH")
    tools = DrillTools(
        platform=ctx.platform,
        provider=lambda gate: build_provider(gate, args, ctx),
        which=lambda name: shutil.which(name, path=path),
        run=subprocess.run,
        router=lambda router, values: router_for(router, values, registry=ctx.hooks.routers()),
    )
    requirements, target = run_drill(
        policy,
        environment,
        tools,
        now=ctx.now().timestamp(),
        service=args.service or policy.service or "",
        target=args.target if args.execute else None,
    )
    decision = drill_decision(
        environment, requirements, time=ctx.now(), policy=policy, target=target
    )
    return ctx.emit(decision)
