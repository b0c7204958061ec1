"""The Task's step: params from the environment in, one ``releasegate`` command run, results out (I/O).

Tekton sets every param, empty or not, so empty ones are dropped before the
CLI reads its ``RELEASEGATE_*`` defaults. The step always writes every declared
result and, unless ``fail-on`` names the outcome, succeeds: a usage or provider
error becomes outcome ``error`` with the message as ``reason``, so ``when``
guards and ``finally`` tasks can still read it.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from releasegate.adapters.tekton.plugin import REPORT_ENV, RESULTS, result_env, write_results
from releasegate.errors import EXIT_USAGE, ReleasegateError, UsageError
from releasegate.model import ANALYSIS_OUTCOMES, CANARY_OUTCOMES, PROMOTION_OUTCOMES

#: Variables the Task fills from params; an empty one means "not given".
PARAM_ENV: tuple[str, ...] = (
    "RELEASEGATE_COMMAND",
    "RELEASEGATE_ENVIRONMENT",
    "RELEASEGATE_CONFIG",
    "RELEASEGATE_SHA",
    "RELEASEGATE_REF",
    "RELEASEGATE_GATE",
    "RELEASEGATE_DURATION",
    "RELEASEGATE_PROMETHEUS_URL",
    "RELEASEGATE_ARGS",
    "RELEASEGATE_FAIL_ON",
)
#: Where reports go, relative to the source workspace.
REPORT_DIR = ".releasegate/tekton"
#: Every outcome the ``outcome`` result can hold, hence every name ``fail-on`` may list.
OUTCOMES: tuple[str, ...] = tuple(
    sorted(
        {*PROMOTION_OUTCOMES, *ANALYSIS_OUTCOMES, *CANARY_OUTCOMES, "clean", "drift", "ok", "error"}
    )
)


class _Tee(io.TextIOBase):
    """Passes text through to ``stream`` and keeps a copy for the report and the reason."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        self.stream.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(self.parts)


def command_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment the CLI runs with: empty params dropped, ledger, report and ``--to`` set."""
    out = {k: v for k, v in env.items() if not (k in PARAM_ENV and not v.strip())}
    for name in ("RELEASEGATE_COMMAND", "RELEASEGATE_ARGS", "RELEASEGATE_FAIL_ON"):
        out.pop(name, None)  # read here, not options of the CLI
    if env.get("RELEASEGATE_COMMAND", "").strip() == "cache":
        out.setdefault("RELEASEGATE_TARGET", "tekton")  # the kaniko/BuildKit flag results
    if "RELEASEGATE_ENVIRONMENT" in out:
        out.setdefault("RELEASEGATE_TO", out["RELEASEGATE_ENVIRONMENT"])  # promote's --to
    if "RELEASEGATE_PROMETHEUS_URL" in out:  # also for policies that write ${PROMETHEUS_URL}
        out.setdefault("PROMETHEUS_URL", out["RELEASEGATE_PROMETHEUS_URL"])
    if env.get("RELEASEGATE_TEKTON_LEDGER_BOUND") == "true":
        out["RELEASEGATE_LEDGER"] = str(Path(env["RELEASEGATE_TEKTON_LEDGER"]) / "ledger.db")
    source = env.get("RELEASEGATE_TEKTON_SOURCE")
    run_name = env.get("RELEASEGATE_TEKTON_RUN") or "releasegate"
    if source:
        try:
            (Path(source) / REPORT_DIR).mkdir(parents=True, exist_ok=True)
        except OSError:
            return out  # a read-only source: results only, no report to point at
        out["RELEASEGATE_OUTPUT"] = str(Path(source) / REPORT_DIR / f"{run_name}.json")
        out[REPORT_ENV] = f"{REPORT_DIR}/{run_name}.json"
    return out


def first_line(command: str, stdout: str, stderr: str, code: int) -> str:
    """The one line that says what happened: stdout's first on success, the error otherwise.

    Output that is a document rather than a sentence (``results:``, JSON) gives
    ``releasegate COMMAND finished`` instead; the report keeps the document.
    """
    lines = (stdout if code == 0 else stderr + "\n" + stdout).splitlines()
    for line in lines:
        line = line.strip()
        if line and not line.startswith("releasegate: warning:"):
            if code == 0 and (line.endswith(":") or line[0] in "{["):
                break
            return line.removeprefix("releasegate: error: ")
    if code == 0:
        return f"releasegate {command} finished"
    return f"releasegate {command} exited with code {code} and no message"


def command_line(env: Mapping[str, str]) -> list[str]:
    """``[command, *args]`` from the ``command`` and ``args`` params, split as a shell would."""
    command = env.get("RELEASEGATE_COMMAND", "").strip()
    if not command:
        raise UsageError("the command param is empty; give check, promote, analyze...")
    try:
        return [command, *shlex.split(env.get("RELEASEGATE_ARGS", ""))]
    except ValueError as exc:
        raise UsageError(f"the args param cannot be split like a shell would: {exc}") from None


def fail_on(env: Mapping[str, str]) -> set[str]:
    """The outcomes the ``fail-on`` param lists; a name no outcome has is a usage error.

    A misspelt name ("blok") would match nothing and let every TaskRun succeed.
    """
    listed = {o.strip() for o in env.get("RELEASEGATE_FAIL_ON", "").split(",") if o.strip()}
    unknown = sorted(listed.difference(OUTCOMES))
    if unknown:
        raise UsageError(
            f"the fail-on param names an unknown outcome {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(OUTCOMES)}"
        )
    return listed


def secrets(env: Mapping[str, str]) -> dict[str, str]:
    """The Prometheus token from the ``prometheus-auth`` workspace's ``token`` file, when bound."""
    if env.get("RELEASEGATE_TEKTON_AUTH_BOUND") != "true":
        return {}
    path = Path(env.get("RELEASEGATE_TEKTON_AUTH", "")) / "token"
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(
            f"the prometheus-auth workspace has no readable token file ({path}: {exc.strerror})"
        ) from None
    return {"RELEASEGATE_PROMETHEUS_TOKEN": token}


def run(env: Mapping[str, str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command of one TaskRun; returns the step's exit code (0 unless ``fail-on`` matches)."""
    from releasegate.cli import main

    out, err = _Tee(stdout or sys.stdout), _Tee(stderr or sys.stderr)
    child = command_env(env)
    failing = {"error"}  # a fail-on that cannot be read fails the step
    try:
        failing = fail_on(env)
        argv = command_line(env)
        child.update(secrets(env))
    except UsageError as exc:
        code = exc.exit_code
        err.write(f"releasegate: error: {exc}\n")
    else:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv, env=child)
            except SystemExit as exc:  # argparse's --help and usage errors
                code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
    pointer = _keep_log(child, out.text() + err.text())
    try:
        line = first_line(env.get("RELEASEGATE_COMMAND", "").strip(), out.text(), err.text(), code)
        outcome = _finish(child, code, line, pointer)
    except ReleasegateError as exc:
        err.write(f"releasegate: error: {exc}\n")
        return exc.exit_code
    if outcome in failing:
        err.write(
            f"releasegate: outcome {outcome} is in fail-on ({', '.join(sorted(failing))}): failing the step\n"
        )
        return code or 1
    return 0


def _keep_log(child: Mapping[str, str], text: str) -> str | None:
    """Write the command's whole output beside the JSON report; returns its workspace-relative path."""
    report = child.get("RELEASEGATE_OUTPUT")
    if not report:
        return None
    log = Path(report).with_suffix(".log")
    try:
        log.write_text(text, encoding="utf-8")
    except OSError:
        return None
    json_written = Path(report).is_file()
    return child[REPORT_ENV] if json_written else f"{REPORT_DIR}/{log.name}"


def _finish(child: Mapping[str, str], code: int, line: str, pointer: str | None) -> str:
    """Write what the command left unwritten (all of it, after an error); returns the outcome."""
    paths = {name: child.get(result_env(name)) for name in RESULTS}
    missing = {name for name, path in paths.items() if path and not Path(path).exists()}
    fallback = {"outcome": "ok" if code == 0 else "error", "reason": line}
    values = {name: fallback.get(name, "") for name in missing}
    write_results({**child, REPORT_ENV: pointer or ""}, values, fill=False)
    outcome_path = paths["outcome"]
    if outcome_path and Path(outcome_path).is_file():
        return Path(outcome_path).read_text(encoding="utf-8")
    return fallback["outcome"]
