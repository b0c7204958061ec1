"""What every command shares: options with environment defaults, and the run Context (I/O edge).

The Context loads the policy, ledger, plugins and platform lazily, so a command
pays only for what it uses, and ``emit`` is the one way a Decision leaves the
process (stdout in the chosen format, the ledger, the platform, notifiers).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from releasegate.errors import UsageError

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.model import Decision
    from releasegate.platform import CIContext, Platform
    from releasegate.plugins import Hooks
    from releasegate.policy.model import Environment, Policy

FORMATS = ("text", "json", "markdown", "junit")
#: Commands that only read the ledger: they open it read-only (a read-only mount works).
READ_ONLY = frozenset({"history"})

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
#: Shared options that take a value (used to find the command name among the arguments).
SHARED_VALUE_OPTIONS = ("-c", "--config", "--ledger", "--format", "--output", "--fail-on")


def env_name(option: str) -> str:
    """``RELEASEGATE_<OPTION>``, dashes become underscores."""
    return "RELEASEGATE_" + option.upper().replace("-", "_")


def env_default(env: Mapping[str, str], option: str, default: Any = None) -> Any:
    """The ``RELEASEGATE_<OPTION>`` default of ``--option`` (dashes become underscores); an empty
    or blank variable is unset, so a CI template may map every input, empty ones included."""
    value = env.get(env_name(option))
    if value is None or not value.strip():
        return default
    return value


def env_flag(env: Mapping[str, str], option: str) -> bool:
    """A boolean ``RELEASEGATE_<OPTION>``: 1/true/yes/on or 0/false/no/off; empty is unset (false).

    :raises UsageError: for any other value, naming the variable.
    """
    value = env_default(env, option)
    if value is None:
        return False
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UsageError(
        f"{env_name(option)}={value!r}: not a boolean; use one of "
        f"{', '.join(TRUE_WORDS)} or {', '.join(FALSE_WORDS)}"
    )


def shared_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    """Options every command takes (also accepted before the command name)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "-c",
        "--config",
        default=env_default(env, "config"),
        metavar="PATH",
        help="policy file (default: releasegate.yml or .releasegate.yml here)",
    )
    parser.add_argument(
        "--ledger",
        default=env_default(env, "ledger", ".releasegate/ledger.db"),
        metavar="PATH",
        help="local ledger (default: .releasegate/ledger.db)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=env_default(env, "format", "text"),
        help="output format (default: text)",
    )
    parser.add_argument(
        "--output",
        default=env_default(env, "output"),
        metavar="FILE",
        help="also write the decision as JSON to FILE",
    )
    parser.add_argument(
        "--fail-on",
        default=env_default(env, "fail_on"),
        metavar="OUTCOMES",
        help="comma-separated outcomes that make the exit code 1 (e.g. block,fail,"
        "rollback), others exit 0; 'none' for no outcome; error always exits 4. "
        "Default: the exit code of each outcome",
    )
    parser.add_argument(
        "--debug", action="store_true", default=env_flag(env, "debug"), help="show tracebacks"
    )
    return parser


def add_env_option(
    parser: argparse.ArgumentParser,
    env: Mapping[str, str],
    *,
    required: bool,
    flags: tuple[str, ...] = ("--env",),
    help: str = "environment name",
) -> None:
    default = env_default(env, "environment") or env_default(env, "env")
    parser.add_argument(
        *flags,
        dest="environment",
        default=default,
        required=required and default is None,
        metavar="ENV",
        help=help,
    )


class Context:
    """Everything a command handler needs, built on first use.

    :param clock: returns the current aware UTC time (injected in tests).
    :param sleep: waits a number of seconds (injected in tests).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        env: Mapping[str, str],
        *,
        clock: Any = None,
        sleep: Any = None,
        stdout: Any = None,
    ) -> None:
        self.args = args
        self.env = dict(env)
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self.sleep = sleep or time.sleep
        self.stdout = stdout or sys.stdout
        self._ledger: Ledger | None = None

    def now(self) -> datetime:
        return self._clock()

    @cached_property
    def policy(self) -> Policy:
        from releasegate.policy import load_policy

        return load_policy(self.args.config, self.env, judges=lambda: self.hooks.judges().names())

    def environment(self, name: str, flag: str = "--env") -> Environment:
        """The policy's environment ``name``; a one-line usage error naming the known ones."""
        from releasegate.policy.schema import did_you_mean

        policy = self.policy
        try:
            return policy.environment(name)
        except KeyError:
            known = [e.name for e in policy.environments]
            raise UsageError(
                f"{flag} {name}: no such environment in {policy.path}; known: "
                f"{', '.join(known) or 'none'}{did_you_mean(name, known)}"
            ) from None

    def judges(self) -> dict[str, Any]:
        """Every registered judge by name, built-in and from plugins."""
        registry = self.hooks.judges()
        return {name: registry.get(name) for name in registry.names()}

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from releasegate.ledger import Ledger

            self._ledger = Ledger.open(
                self.args.ledger, read_only=getattr(self.args, "command", None) in READ_ONLY
            )
        return self._ledger

    @cached_property
    def hooks(self) -> Hooks:
        from releasegate.plugins import Hooks

        return Hooks.load(self.env)

    @cached_property
    def platform(self) -> Platform:
        return self.hooks.platform(self.env, self.ledger)

    @cached_property
    def ci(self) -> CIContext:
        return self.platform.context()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()

    def print(self, text: str = "") -> None:
        from releasegate.redaction import redact

        text = redact(text)
        self.stdout.write(text if text.endswith("\n") else text + "\n")
        self.stdout.flush()

    def emit(self, decision: Decision, *, record: bool = True) -> int:
        """Render ``decision`` to stdout, keep it, publish it, notify; return its exit code.

        Every channel gets the decision with report text made inert and secrets redacted.
        """
        from releasegate.redaction import redacted
        from releasegate.render import render
        from releasegate.render.jsonfmt import decision_to_dict
        from releasegate.render.sanitize import sanitize

        # Redacted before sanitising too: a secret holding a tab or a control character would
        # no longer match once made one inert line.
        decision = redacted(sanitize(redacted(decision)))

        self.print(render(decision, self.args.format, color=_color(self.stdout, self.env)))
        body = decision_to_dict(decision)
        if self.args.output:
            from releasegate.render.jsonfmt import render_json

            try:
                with open(self.args.output, "w", encoding="utf-8") as handle:
                    handle.write(render_json(decision))
            except OSError as exc:
                raise UsageError(
                    f"{self.args.output}: cannot write the decision: {exc.strerror}"
                ) from exc
        if record:
            self.ledger.record_decision(
                decision.kind,
                decision.outcome,
                body,
                at=decision.time,
                environment=decision.subject.environment,
                sha=decision.subject.sha,
            )
        self.platform.publish(decision)
        for warning in self.hooks.notify(decision):
            sys.stderr.write(f"releasegate: warning: {_line(warning)}\n")
        return self.exit_code(decision)

    def exit_code(self, decision: Decision) -> int:
        """The decision's exit code, or with ``--fail-on``: 1 for the listed outcomes, else 0
        (see :func:`releasegate.outcomes.exit_code`)."""
        from releasegate.outcomes import exit_code, parse_fail_on

        return exit_code(decision.outcome, parse_fail_on(getattr(self.args, "fail_on", None)))


def validate_shared(
    parser: argparse.ArgumentParser, args: argparse.Namespace, env: Mapping[str, str]
) -> None:
    """Check what argparse leaves unchecked, before any command runs (so before any side effect):
    environment defaults against the option's ``choices``, ``--fail-on``,
    ``RELEASEGATE_DISABLE_PLUGINS``, and that ``--output`` can be written.

    :raises UsageError: one line naming the option or variable.
    """
    from releasegate.outcomes import parse_fail_on

    for action in _command_actions(parser, args):
        value = getattr(args, action.dest, None)
        if action.choices is not None and value is not None and value not in action.choices:
            # argparse checked the command line; an invalid value here came from the environment
            option = action.option_strings[-1] if action.option_strings else action.dest
            raise UsageError(
                f"{env_name(option.lstrip('-'))}={value!r} (default of {option}): "
                f"invalid choice; choose from {', '.join(map(str, action.choices))}"
            )
    from releasegate.plugins.manager import blocked_plugins

    blocked_plugins(env)
    parse_fail_on(getattr(args, "fail_on", None), "--fail-on")
    output = getattr(args, "output", None)
    if output:
        import os

        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK) or os.path.isdir(output):
            raise UsageError(
                f"--output {output}: cannot write there (no such writable directory "
                f"{folder}, or it is a directory)"
            )


def command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser | None:
    """The subparser of the command in ``args`` (argparse keeps no public handle on it)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, "command", None):
            found = action.choices.get(args.command)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def _command_actions(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> list[argparse.Action]:
    sub = command_parser(parser, args)
    return list(parser._actions) + (list(sub._actions) if sub is not None else [])


def _line(text: object) -> str:
    """A message for stderr: one inert line, secrets redacted."""
    from releasegate.redaction import redact
    from releasegate.render.sanitize import one_line

    return one_line(redact(str(text)))


def _color(stream: Any, env: Mapping[str, str]) -> bool:
    if env.get("NO_COLOR") or env.get("CI"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and env.get("TERM") != "dumb"
