"""``releasegate plugins``: what is loaded, from where, and what each plugin registers."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from releasegate.cli.common import Context


def register(
    subparsers: Any, parents: list[argparse.ArgumentParser], env: Mapping[str, str]
) -> None:
    parser = subparsers.add_parser(
        "plugins",
        parents=parents,
        help="list loaded plugins",
        description="List built-in and third-party plugins, their versions, "
        "the hooks they implement and what they register.",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> int:
    rows = ctx.hooks.describe()
    if args.format == "json":
        ctx.print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        origin = "builtin" if row["builtin"] else f"{row['distribution']} {row['version']}"
        ctx.print(f"{row['name']}  ({origin})")
        for kind, names in row["registers"].items():
            ctx.print(f"    {kind}: {', '.join(names)}")
        ctx.print(f"    hooks: {', '.join(row['hooks']) or 'none'}")
    return 0
