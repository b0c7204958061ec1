"""The ``releasegate`` command line: argparse subcommands, one module each (I/O edge).

``main`` is the only place that turns errors into exit codes and one-line
messages; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from releasegate import __version__
from releasegate.errors import EXIT_PROVIDER, EXIT_USAGE, PolicyError, ReleasegateError

#: Command modules under ``releasegate.cli``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "check",
    "plan",
    "promote",
    "record",
    "record_check",
    "replay",
    "analyze",
    "canary",
    "watch",
    "cache",
    "drift",
    "drill",
    "plugins",
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``releasegate promote: error: ...``."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    from releasegate.cli.common import shared_parser

    parser = _Parser(prog="releasegate", description="Promotion rules, build-cache configuration "
                     "and rollback gates from one policy file, releasegate.yml.")
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parents = [shared_parser(env)]
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"releasegate.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"releasegate.cli.{name}":
                continue  # not part of this build
            raise
        module.register(subparsers, parents, env)
    return parser


def _version_text(env: Mapping[str, str]) -> str:
    import pluggy

    from releasegate.plugins import Hooks, plugin_versions, python_version

    lines = [f"releasegate {__version__} (pluggy {pluggy.__version__}, Python {python_version()})"]
    lines += [f"  plugin {row}" for row in plugin_versions(Hooks.load(env))]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None, **context: Any) -> int:
    """Run one command; returns the exit code (0 pass, 1 blocked, 2 usage, 3 inconclusive, 4 failure)."""
    from releasegate.cli.common import Context

    environ = dict(os.environ if env is None else env)
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list or bool(environ.get("RELEASEGATE_DEBUG"))
    ctx = None
    try:
        parser = build_parser(environ)
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help, or a usage error already printed in one line
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if args.version:
            print(_version_text(environ))
            return 0
        if not args.command:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        ctx = Context(args, environ, **context)
        return int(args.handler(args, ctx))
    except PolicyError as exc:
        for line in exc.problems:
            sys.stderr.write(line + "\n")
        sys.stderr.write(f"releasegate: {len(exc.problems)} problem(s) in the policy\n")
        return exc.exit_code
    except ReleasegateError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"releasegate: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("releasegate: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line, never a pass
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"releasegate: internal error: {type(exc).__name__}: {exc} "
                         "(run with --debug for the traceback)\n")
        return EXIT_PROVIDER
    finally:
        if ctx is not None:
            ctx.close()


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
