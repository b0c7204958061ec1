"""The action's entry point: inputs (as ``RELEASEGATE_*`` variables) to one CLI run (I/O edge).

``action.yml`` maps every input to a variable and never splices one into script text;
this turns them into a command line. An empty input means "not given", so empty
variables are dropped before the CLI reads its defaults, and ``args`` is split like a
shell would split it, without a shell.
"""

from __future__ import annotations

import os
import shlex
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import TextIO

from releasegate.adapters.github_actions.context import token
from releasegate.adapters.github_actions.publish import mask_commands

#: The commands the action's ``command`` input accepts.
COMMANDS = ("check", "plan", "promote", "analyze", "canary", "watch", "cache", "record", "drift", "drill")
#: Inputs that are secrets: masked before anything else is printed.
SECRETS = ("RELEASEGATE_GITHUB_TOKEN", "RELEASEGATE_PROMETHEUS_TOKEN", "GITHUB_TOKEN")


def command_line(env: Mapping[str, str]) -> list[str]:
    """``[command, *args]`` from ``RELEASEGATE_COMMAND`` and ``RELEASEGATE_ARGS``.

    :raises ValueError: with a one-line message for an unknown command or unbalanced quotes.
    """
    name = env.get("RELEASEGATE_COMMAND", "").strip()
    if name not in COMMANDS:
        raise ValueError(f"input command: {name!r} is not one of {' | '.join(COMMANDS)}")
    try:
        extra = shlex.split(env.get("RELEASEGATE_ARGS", ""))
    except ValueError as exc:
        raise ValueError(f"input args: {exc}") from None
    return [name, *extra]


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The CLI's environment: empty inputs dropped, ``environment`` also as ``--to``, a report
    path, the local ledger under ``$RUNNER_TEMP`` (GitHub keeps the records; nothing lands in
    the checkout), and ``cache`` rendering for GitHub unless ``--target`` says otherwise."""
    out = {k: v for k, v in env.items() if not (k.startswith("RELEASEGATE_") and not v.strip())}
    if "RELEASEGATE_ENVIRONMENT" in out:
        out.setdefault("RELEASEGATE_TO", out["RELEASEGATE_ENVIRONMENT"])
    if out.get("RELEASEGATE_COMMAND") == "cache":
        out.setdefault("RELEASEGATE_TARGET", "github")
    folder = out.get("RUNNER_TEMP") or "."
    if "RELEASEGATE_OUTPUT" not in out:
        out["RELEASEGATE_OUTPUT"] = os.path.join(folder, f"releasegate-{uuid.uuid4().hex[:12]}.json")
    if "RELEASEGATE_LEDGER" not in out and out.get("RUNNER_TEMP"):
        out["RELEASEGATE_LEDGER"] = os.path.join(folder, "releasegate", "ledger.db")
    return out


def main(env: Mapping[str, str] | None = None, stdout: TextIO | None = None,
         argv: Sequence[str] | None = None) -> int:
    """Mask the secrets, then run the CLI with the inputs; returns its exit code."""
    from releasegate.cli import main as cli_main
    from releasegate.errors import EXIT_USAGE

    environ = dict(os.environ if env is None else env)
    out = stdout or sys.stdout
    secrets = [environ.get(name) for name in SECRETS] + [token(environ)]
    for line in dict.fromkeys(mask_commands(secrets)):
        out.write(line + "\n")
    out.flush()
    try:
        args = list(argv) if argv is not None else command_line(environ)
    except ValueError as exc:
        sys.stderr.write(f"releasegate: error: {exc}\n")
        return EXIT_USAGE
    return cli_main(args, env=child_env(environ))
