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

#: Every command: its module under ``releasegate.cli`` and its one-line help. Only the
#: module of the command being run is imported, so a command pays only for what it uses.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "validate the policy file"),
    "plan": ("plan", "show the promotion path and its rules"),
    "promote": ("promote", "decide whether a build may enter an environment"),
    "record": ("record", "record a deployment's outcome"),
    "approve": ("record", "record an approval"),
    "history": ("record", "list recorded deployments"),
    "record-check": ("record_check", "record a CI check's result on a commit"),
    "replay": ("replay", "run a gate over recorded metrics"),
    "analyze": ("analyze", "run a metric gate live"),
    "canary": ("canary", "drive a canary rollout step by step"),
    "watch": ("watch", "watch an environment's rollback gates after rollout"),
    "cache": ("cache", "print build-cache configuration for a CI system or tool"),
    "drift": ("drift", "configuration drift between environments"),
    "drill": ("drill", "rehearse a rollback without touching traffic"),
    "plugins": ("plugins", "list loaded plugins"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``releasegate promote: error: ...``."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {_line(message)} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser(env: Mapping[str, str], command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that command's module is imported and registered in
    full, the others are listed by name and help."""
    from releasegate.cli.common import shared_parser

    parser = _Parser(
        prog="releasegate",
        description="Promotion rules, build-cache configuration "
        "and rollback gates from one policy file, releasegate.yml.",
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    for action in shared_parser(env)._actions:
        if action.option_strings and action.dest != "help":
            # the same options before the command name, kept apart and merged in _merge_shared
            kwargs: dict[str, Any] = {
                "dest": PRE + action.dest,
                "default": argparse.SUPPRESS,
                "help": argparse.SUPPRESS,
            }
            if action.nargs == 0:
                kwargs["action"] = "store_true"
            else:
                kwargs.update(metavar=action.metavar, choices=action.choices)
            parser.add_argument(*action.option_strings, **kwargs)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parents = [shared_parser(env)]
    wanted = COMMANDS[command][0] if command in COMMANDS else None
    registered: set[str] = set()
    for name, (module_name, help_text) in COMMANDS.items():
        if wanted is not None and module_name != wanted:
            subparsers.add_parser(name, help=help_text, add_help=False)
        elif name not in registered:
            before = set(subparsers.choices)
            importlib.import_module(f"releasegate.cli.{module_name}").register(
                subparsers, parents, env
            )
            registered |= set(subparsers.choices) - before
    return parser


#: Prefix of the destinations of shared options given before the command name.
PRE = "before_command_"


def _merge_shared(
    parser: argparse.ArgumentParser, args: argparse.Namespace, args_list: Sequence[str]
) -> None:
    """Shared options given before the command count as if given after it; when an option is
    given on both sides, the one after the command wins."""
    from releasegate.cli.common import shared_parser

    after = list(args_list)[list(args_list).index(args.command) + 1 :]
    flags = {action.dest: action.option_strings for action in shared_parser({})._actions}
    for name in [key for key in vars(args) if key.startswith(PRE)]:
        dest = name[len(PRE) :]
        value = getattr(args, name)
        delattr(args, name)
        given_after = any(
            arg == flag or arg.startswith(flag + "=")
            for arg in after
            for flag in flags.get(dest, ())
            if flag.startswith("--")
        ) or any(
            arg.startswith(flag)
            for arg in after
            for flag in flags.get(dest, ())
            if not flag.startswith("--")
        )
        if not given_after:
            setattr(args, dest, value)


def command_of(args_list: Sequence[str]) -> str | None:
    """The command name among the arguments, skipping shared options and their values."""
    from releasegate.cli.common import SHARED_VALUE_OPTIONS

    skip = False
    for arg in args_list:
        if skip:
            skip = False
        elif arg in SHARED_VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _version_text(env: Mapping[str, str]) -> str:
    import pluggy

    from releasegate.plugins import Hooks, plugin_versions, python_version

    lines = [f"releasegate {__version__} (pluggy {pluggy.__version__}, Python {python_version()})"]
    lines += [f"  plugin {row}" for row in plugin_versions(Hooks.load(env))]
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None, **context: Any
) -> int:
    """Run one command; returns the exit code (0 pass, 1 blocked, 2 usage, 3 inconclusive, 4 failure)."""
    from releasegate.cli.common import TRUE_WORDS, Context, validate_shared

    environ = dict(os.environ if env is None else env)
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = (
        "--debug" in args_list or environ.get("RELEASEGATE_DEBUG", "").strip().lower() in TRUE_WORDS
    )
    ctx = None
    try:
        parser = build_parser(environ, command_of(args_list))
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
        _merge_shared(parser, args, args_list)
        validate_shared(parser, args, environ)
        ctx = Context(args, environ, **context)
        return int(args.handler(args, ctx))
    except PolicyError as exc:
        for line in exc.problems:
            sys.stderr.write(_line(line) + "\n")
        sys.stderr.write(f"releasegate: {len(exc.problems)} problem(s) in the policy\n")
        return exc.exit_code
    except ReleasegateError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"releasegate: error: {_line(exc)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("releasegate: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line, never a pass
        if debug:
            traceback.print_exc()
        sys.stderr.write(
            f"releasegate: internal error: {type(exc).__name__}: {_line(exc)} "
            "(run with --debug for the traceback)\n"
        )
        return EXIT_PROVIDER
    finally:
        if ctx is not None:
            ctx.close()


def _line(text: object) -> str:
    """An error message as one inert line with secrets redacted (it may quote a URL or a report)."""
    from releasegate.redaction import redact
    from releasegate.render.sanitize import one_line

    return one_line(redact(str(text)))


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
