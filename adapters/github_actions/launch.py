"""The action's entry point: inputs (as ``RELEASEGATE_*`` variables) to one CLI run (I/O edge).

``action.yml`` maps every input to a variable and never splices one into script text;
this turns them into a command line. An empty input means "not given", so empty
variables are dropped before the CLI reads its defaults, and ``args`` is split like a
shell would split it, without a shell.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shlex
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import TextIO
from urllib.parse import unquote

from releasegate.adapters.github_actions.context import token
from releasegate.adapters.github_actions.publish import append_file, command, mask_commands
from releasegate.redaction import userinfo

#: The commands the action's ``command`` input accepts.
COMMANDS = (
    "check",
    "plan",
    "promote",
    "analyze",
    "canary",
    "watch",
    "cache",
    "record",
    "drift",
    "drill",
)
#: The commands that decide about one commit: they take ``--sha``, which the ``sha`` input sets.
SHA_COMMANDS = ("promote", "analyze", "canary", "watch", "record", "drill")
#: Inputs that are secrets: masked before anything else is printed.
SECRETS = ("RELEASEGATE_GITHUB_TOKEN", "RELEASEGATE_PROMETHEUS_TOKEN", "GITHUB_TOKEN")


def url_secrets(url: str) -> list[str]:
    """The password of a URL's userinfo (``https://user:PASS@host``), as written and decoded,
    for ``::add-mask::``: GitHub then hides it in every later line of the job's log. It is
    read as the CLI reads it (:func:`releasegate.redaction.userinfo`: the host follows the
    last ``@``); an address the CLI refuses masks everything between ``://`` and that ``@``."""
    url = url.strip()
    try:
        found = userinfo(url)
    except ValueError:
        scheme, _, rest = url.partition("://")
        info = rest.rpartition("@")[0]
        return [info, unquote(info)] if info else []
    if found is None or not found[2]:
        return []
    return list(dict.fromkeys([found[2], unquote(found[2])]))


def command_line(env: Mapping[str, str]) -> list[str]:
    """``[command, *args]`` from ``RELEASEGATE_COMMAND``, ``RELEASEGATE_ARGS`` and the ``sha``
    input (``RELEASEGATE_SHA``) as ``--sha``, so the command line says which commit it is about.

    :raises ValueError: with a one-line message for an unknown command, unbalanced quotes, or a
        ``sha`` input the command cannot use or that ``args`` contradicts.
    """
    name = env.get("RELEASEGATE_COMMAND", "").strip()
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"input command: {name!r} is not one of {' | '.join(COMMANDS)}{hint}")
    try:
        extra = shlex.split(env.get("RELEASEGATE_ARGS", ""))
    except ValueError as exc:
        raise ValueError(f"input args: {exc}") from None
    sha = env.get("RELEASEGATE_SHA", "").strip()
    if not sha:
        return [name, *extra]
    if name not in SHA_COMMANDS:
        raise ValueError(
            f"input sha: `{name}` is about no single commit; leave `sha` empty "
            f"(it is used by {', '.join(SHA_COMMANDS)})"
        )
    given = [extra[i + 1] for i, arg in enumerate(extra[:-1]) if arg == "--sha"]
    given += [arg.split("=", 1)[1] for arg in extra if arg.startswith("--sha=")]
    if any(value != sha for value in given):
        raise ValueError(
            f"input sha: {sha!r} contradicts --sha {given[0]!r} in input args; give one of them"
        )
    return [name, *extra] if given else [name, *extra, "--sha", sha]


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
        out["RELEASEGATE_OUTPUT"] = os.path.join(
            folder, f"releasegate-{uuid.uuid4().hex[:12]}.json"
        )
    if "RELEASEGATE_LEDGER" not in out and out.get("RUNNER_TEMP"):
        out["RELEASEGATE_LEDGER"] = os.path.join(folder, "releasegate", "ledger.db")
    return out


def main(
    env: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """Mask the secrets, then run the CLI with the inputs; returns its exit code."""
    from releasegate.cli import main as cli_main
    from releasegate.errors import EXIT_PROVIDER, EXIT_USAGE

    environ = dict(os.environ if env is None else env)
    out = stdout or sys.stdout
    secrets = [environ.get(name) for name in SECRETS] + [token(environ)]
    secrets += url_secrets(environ.get("RELEASEGATE_PROMETHEUS_URL", ""))
    for line in dict.fromkeys(mask_commands(secrets)):
        out.write(line + "\n")
    out.flush()
    try:
        args = list(argv) if argv is not None else command_line(environ)
    except ValueError as exc:
        sys.stderr.write(f"releasegate: error: {exc}\n")
        out.write(command("error", str(exc), title="releasegate") + "\n")
        return EXIT_USAGE
    summary = environ.get("GITHUB_STEP_SUMMARY", "")
    before = _size(summary)
    tee, said = _Tee(sys.stderr), _Tee(sys.stdout)
    sys.stderr, sys.stdout = tee, said
    try:
        code = cli_main(args, env=child_env(environ))
    finally:
        sys.stderr, sys.stdout = tee.stream, said.stream
    if code in (EXIT_USAGE, EXIT_PROVIDER):
        for line in error_annotations(tee.text(), args[0], environ.get("GITHUB_WORKSPACE")):
            out.write(line + "\n")
        out.flush()
    wanted = environ.get("RELEASEGATE_GITHUB_SUMMARY", "true").strip().lower() not in (
        "0",
        "false",
        "no",
    )
    if summary and wanted and _size(summary) == before:  # the command published no decision
        append_file(
            summary, command_summary(args[0], code, said.text() + tee.text()), "GITHUB_STEP_SUMMARY"
        )
    return code


def _size(path: str) -> int:
    try:
        return os.path.getsize(path) if path else -1
    except OSError:
        return -1


#: What a command's exit code means, for the summary of a command without a decision.
EXIT_MEANING = {
    0: "✅ done",
    1: "❌ failed",
    2: "❌ usage or policy error",
    3: "⚠️ inconclusive",
    4: "❌ platform or provider error",
}


def command_summary(name: str, code: int, text: str, limit: int = 60_000) -> str:
    """A step summary for a command that publishes no decision (``check``, ``plan``, ``cache``,
    ``record``, and any command stopped by an error): its outcome and what it printed."""
    shown = "\n".join(line for line in text.splitlines() if not line.startswith("::"))
    if len(shown) > limit:
        shown = shown[:limit] + "\n… (cut; the job log has everything)"
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", shown)), default=0))
    meaning = EXIT_MEANING.get(code, f"exit {code}")
    return f"### releasegate {name}: {meaning}\n\n{fence}text\n{shown}\n{fence}\n"


class _Tee(io.TextIOBase):
    """Passes writes through to ``stream`` and keeps them (the CLI's error lines)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def text(self) -> str:
        return "".join(self.parts)


#: CLI options and the action inputs that set them, for messages in the action's words.
INPUT_OF = {
    "--to": "environment",
    "--env": "environment",
    "--gate": "gate",
    "--duration": "duration",
    "--sha": "sha",
    "--prometheus-url": "prometheus-url",
    "--prometheus-token": "prometheus-token",
    "--config": "config",
    "-c": "config",
    "--fail-on": "fail-on",
}
_POLICY_LINE = re.compile(
    r"^(?P<file>[^:\n]+\.ya?ml):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<message>.+)$"
)
_ERROR_LINE = re.compile(
    r"^releasegate(?: [a-z-]+)?: error: (?P<message>.+?)(?: \(see releasegate[^)]*\))?$"
)


def in_action_words(message: str, command_name: str) -> str:
    """A CLI message with its options named as the action's inputs."""
    required = re.fullmatch(r"the following arguments are required: (.+)", message)
    if required:
        flags = [f.strip() for f in required.group(1).split(",")]
        names = [
            f"input `{INPUT_OF[f]}`" if f in INPUT_OF else f"`{f}` in input `args`" for f in flags
        ]
        return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} required for `{command_name}`"
    for flag in sorted(INPUT_OF, key=len, reverse=True):
        message = re.sub(
            rf"(?<![\w-]){re.escape(flag)}(?![\w-])", f"input `{INPUT_OF[flag]}`", message
        )
    return message


def error_annotations(stderr: str, command_name: str, workspace: str | None) -> list[str]:
    """``::error`` lines for what the CLI said on stderr: policy problems on their file and
    line, usage and platform errors in the action's input names."""
    lines = []
    for raw in stderr.splitlines():
        policy = _POLICY_LINE.match(raw)
        if policy:
            file = policy.group("file")
            if workspace and os.path.isabs(file):
                file = os.path.relpath(file, workspace)
            lines.append(
                command(
                    "error",
                    policy.group("message"),
                    title="releasegate: policy",
                    file=file.replace(os.sep, "/"),
                    line=policy.group("line"),
                    col=policy.group("col"),
                )
            )
            continue
        error = _ERROR_LINE.match(raw)
        if error:
            lines.append(
                command(
                    "error",
                    in_action_words(error.group("message"), command_name),
                    title="releasegate",
                )
            )
    return lines
