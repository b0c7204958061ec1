"""``releasegate-gitlab``: the one command every GitLab template runs (I/O edge).

It runs the ``releasegate`` command that ``RELEASEGATE_GITLAB_COMMAND`` names, every option
coming from the job's ``RELEASEGATE_*`` variables, and always leaves evidence: when the command
ends without publishing a decision (a usage error, GitLab or Prometheus unreachable, exit 2 or
4), it still writes the dotenv report (``RELEASEGATE_OUTCOME=error`` and the reason) and a
JUnit report with the error, so ``when: always`` jobs and the merge request see why. A ``cache``
job that fails falls back to read-only caching and passes with a warning.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO
from xml.etree import ElementTree as ET

from releasegate.adapters.gitlab.dotenv import dotenv_text

__all__ = ["COMMANDS", "main", "run"]

#: ``RELEASEGATE_GITLAB_COMMAND`` values (the analyze template's ``mode`` included).
COMMANDS = {
    "promote": "promote",
    "gate": "analyze",
    "analyze": "analyze",
    "watch": "watch",
    "canary": "canary",
    "drill": "drill",
    "record": "record",
    "cache": "cache",
    "check": "check",
}
_PREFIX = "releasegate: error: "
_NOT_GITLAB = (
    "releasegate: notice: GitLab CI not detected (GITLAB_CI is not 'true'): records "
    "go to the local ledger ({ledger}), not to GitLab, and no dotenv or JUnit "
    "report is written for GitLab"
)


#: What the cache job leaves when the plan fails: a hidden job with no cache, which jobs can
#: still ``extends:`` (nothing is read or written until the policy is fixed).
_READ_ONLY_CACHE = (
    "# releasegate cache: the plan failed; no cache (see the cache job's log)\n"
    ".releasegate-cache:\n  cache: []\n"
)


class _Tee:
    """stderr that also keeps the last line written, for the error evidence."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines += [line.strip() for line in text.splitlines() if line.strip()]
        del self.lines[:-50]
        return self.stream.write(text)

    @property
    def reason(self) -> str:
        """The error line, or the first problem of a policy error with its count."""
        errors = [line for line in self.lines if line.startswith(_PREFIX)]
        if errors:
            return errors[-1].removeprefix(_PREFIX)
        if not self.lines:
            return ""
        first, last = self.lines[0], self.lines[-1].removeprefix("releasegate: ")
        return first if first == self.lines[-1] else f"{first} ({last})"

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def _write(path: str, text: str) -> None:
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _junit(command: str, environment: str, message: str) -> str:
    suites = ET.Element("testsuites", name="releasegate", tests="1", failures="0", errors="1")
    name = f"releasegate {command}" + (f" {environment}" if environment else "")
    suite = ET.SubElement(suites, "testsuite", name=name, tests="1", failures="0", errors="1")
    case = ET.SubElement(
        suite, "testcase", name=f"{command} ran", classname=f"releasegate.{command}"
    )
    ET.SubElement(case, "error", message=message, type="error").text = message
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _published(path: str | None) -> dict[str, str]:
    """What this job's dotenv report holds so far (a rollback writes its target first)."""
    try:
        with open(str(path), encoding="utf-8") as handle:
            return dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
    except OSError:
        return {}


def _evidence(env: Mapping[str, str], command: str, code: int, message: str) -> None:
    # A command that failed after naming a rollback target keeps it beside the error.
    values = {
        **_published(env.get("RELEASEGATE_GITLAB_DOTENV")),
        "RELEASEGATE_OUTCOME": "error",
        "RELEASEGATE_REASON": message,
        "RELEASEGATE_KIND": command,
        "RELEASEGATE_EXIT_CODE": str(code),
    }
    if command == "cache":  # never write a cache on a plan that could not be made
        values["RELEASEGATE_CACHE_POLICY"] = "pull"
    environment = env.get("RELEASEGATE_ENVIRONMENT") or env.get("RELEASEGATE_TO") or ""
    try:
        if env.get("RELEASEGATE_GITLAB_DOTENV"):
            _write(env["RELEASEGATE_GITLAB_DOTENV"], dotenv_text(values))
        if env.get("RELEASEGATE_GITLAB_JUNIT"):
            _write(env["RELEASEGATE_GITLAB_JUNIT"], _junit(command, environment, message))
        if env.get("RELEASEGATE_GITLAB_REPORT"):
            _write(
                env["RELEASEGATE_GITLAB_REPORT"],
                f"## releasegate {command}: error (exit {code})\n\n{message}\n",
            )
    except OSError as exc:
        sys.stderr.write(f"releasegate: warning: cannot write the error evidence: {exc.strerror}\n")


def _template_inputs(command: str, env: dict[str, str]) -> None:
    """Map the inputs that are not one option each onto the CLI's variables."""
    if command == "promote" and env.get("RELEASEGATE_GITLAB_RECORD_DEPLOYMENT", "false") != "true":
        env["RELEASEGATE_DRY_RUN"] = "true"  # GitLab records the deploy job's own deployment
    if command == "canary":
        step = env.get("RELEASEGATE_STEP", "")
        if step in ("", "0"):
            env.pop("RELEASEGATE_STEP", None)  # 0: every step in this job
        elif step.isdigit() and int(step) > 1 and env.get("RELEASEGATE_LEDGER"):
            # A step's job starts from the state the previous step's job kept as an artifact.
            previous = os.path.join(".releasegate", f"step-{int(step) - 1}")
            target = os.path.dirname(env["RELEASEGATE_LEDGER"])
            if os.path.isdir(previous) and not os.path.exists(env["RELEASEGATE_LEDGER"]):
                shutil.copytree(previous, target, dirs_exist_ok=True)


def _duplicate_includes(env: Mapping[str, str]) -> list[str]:
    """Templates included twice under one job name, in the pipeline file and the repository
    files it includes; a pipeline file that is not YAML is one problem too."""
    import glob

    import yaml

    from releasegate.adapters.gitlab.includes import duplicate_jobs, load_pipeline

    root = os.path.realpath(env.get("CI_PROJECT_DIR") or os.getcwd())
    path = env.get("CI_CONFIG_PATH") or ".gitlab-ci.yml"

    def load(name: str) -> object:
        with open(os.path.join(root, name), encoding="utf-8") as handle:
            return load_pipeline(handle.read())

    def read(local: str) -> list[tuple[str, object]]:
        # include:local is relative to the repository root, with * and ** wildcards
        # (doc/ci/yaml/_index.md, include:local); a file that is missing or not YAML here is
        # GitLab's to refuse, not this check's.
        found = sorted(glob.glob(local.lstrip("/"), root_dir=root, recursive=True))
        out: list[tuple[str, object]] = []
        for name in found:
            if os.path.realpath(os.path.join(root, name)).startswith(root + os.sep):
                try:
                    out.append((name, load(name)))
                except (OSError, ValueError, yaml.YAMLError):
                    continue
        return out

    try:
        pipeline = load(path)
    except (OSError, ValueError):  # no readable file here (a remote config): nothing to check
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return [f"{path}: not valid YAML{where}; GitLab will refuse this pipeline too"]
    return duplicate_jobs(pipeline, read=read)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the job's command; returns its exit code (0 for a ``cache`` job that fell back)."""
    from releasegate.cli import main as releasegate

    environ = dict(os.environ if env is None else env)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        wanted = environ.get("RELEASEGATE_GITLAB_COMMAND", "")
        if wanted not in COMMANDS:
            sys.stderr.write(
                f"releasegate: error: RELEASEGATE_GITLAB_COMMAND={wanted!r}: expected one "
                f"of {', '.join(sorted(COMMANDS))}\n"
            )
            return 2
        args = [COMMANDS[wanted]]
    command = args[0]
    if command == "check":
        problems = _duplicate_includes(environ)
        if problems:
            for line in problems:
                sys.stderr.write(f"releasegate: error: {line}\n")
            return 2
    _template_inputs(command, environ)
    if environ.get("GITLAB_CI") != "true":
        sys.stderr.write(
            _NOT_GITLAB.format(ledger=environ.get("RELEASEGATE_LEDGER") or ".releasegate/ledger.db")
            + "\n"
        )
    dotenv = environ.get("RELEASEGATE_GITLAB_DOTENV")
    if dotenv and os.path.exists(dotenv):  # an earlier job's report, downloaded as an artifact
        os.remove(dotenv)
    tee = _Tee(sys.stderr)
    sys.stderr = tee
    cache_file = environ.get("RELEASEGATE_GITLAB_CACHE_FILE") if command == "cache" else None
    try:
        if cache_file:  # the includable cache: YAML is the command's output
            with open(cache_file, "w", encoding="utf-8") as out:
                code = releasegate(args, environ, stdout=out)
            if code == 0:
                with open(cache_file, encoding="utf-8") as written:
                    sys.stdout.write(written.read())
        else:
            code = releasegate(args, environ)
    finally:
        sys.stderr = tee.stream
    published = "RELEASEGATE_OUTCOME" in _published(dotenv)
    if code != 0 and not published:
        message = tee.reason or f"releasegate {command} exited {code}"
        _evidence(environ, command, code, message)
        if command == "cache":
            if cache_file:
                _write(cache_file, _READ_ONLY_CACHE)
            sys.stderr.write(
                "releasegate: warning: the cache plan failed; later jobs only read "
                "caches (RELEASEGATE_CACHE_POLICY=pull): fix releasegate.yml\n"
            )
            return 0
    if command == "record" and code == 0 and environ.get("RELEASEGATE_STATUS") == "failure":
        sys.stderr.write(
            "releasegate: the deployment was recorded as failed, so this deploy job "
            "fails too (GitLab sets the deployment's status from the job's)\n"
        )
        return 1
    return code


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
