"""Everything the README and the docs promise about the command line, checked against the code
and exercised: every option of every command (its flag and its ``RELEASEGATE_*`` default),
every option the documents mention, every outcome and every exit code."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest

from releasegate.cli import COMMANDS, build_parser
from releasegate.cli.common import command_parser
from releasegate.errors import EXIT_BLOCKED, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_PROVIDER, EXIT_USAGE
from releasegate.outcomes import OUTCOMES, exit_code

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))


def _options() -> list[tuple[str, argparse.Action]]:
    found = []
    for command in COMMANDS:
        sub = command_parser(build_parser({}, command), argparse.Namespace(command=command))
        assert sub is not None
        found += [
            (command, action)
            for action in sub._actions
            if action.option_strings and action.dest != "help"
        ]
    return found


#: Options that exist only to be refused with a pointer elsewhere (a token on argv is visible
#: in ``ps``: RELEASEGATE_PROMETHEUS_TOKEN or --prometheus-token-file instead).
REFUSED_ON_ARGV = {"--prometheus-token"}
OPTIONS = [(c, a) for c, a in _options() if not set(a.option_strings) & REFUSED_ON_ARGV]


def _variable(command: str, action: argparse.Action) -> str:
    flag = max(action.option_strings, key=len)
    if flag == "--env":
        return "RELEASEGATE_ENVIRONMENT"
    return "RELEASEGATE_" + flag.lstrip("-").upper().replace("-", "_")


def _sample(action: argparse.Action) -> str:
    if action.nargs == 0:
        return "true"
    if action.choices:
        return str(list(action.choices)[-1])
    return "2" if action.type is int else "some-value"


def _positionals(command: str) -> list[str]:
    sub = command_parser(build_parser({}, command), argparse.Namespace(command=command))
    assert sub is not None
    return [
        "lint" for a in sub._actions if not a.option_strings and a.dest != "help" and a.required
    ]


@pytest.mark.parametrize(
    ("command", "action"),
    OPTIONS,
    ids=[f"{c} {max(a.option_strings, key=len)}" for c, a in OPTIONS],
)
def test_every_option_takes_its_flag_and_its_environment_default(
    command: str, action: argparse.Action
) -> None:
    flag, value = max(action.option_strings, key=len), _sample(action)
    variable = _variable(command, action)
    others = [a for c, a in OPTIONS if c == command and a.required and a is not action]
    others_env = {_variable(command, a): _sample(a) for a in others}
    base = (
        [command]
        + _positionals(command)
        + [arg for a in others for arg in (max(a.option_strings, key=len), _sample(a))]
    )
    given = vars(
        build_parser({}, command).parse_args(
            base + ([flag] if action.nargs == 0 else [flag, value])
        )
    )
    env_args = vars(
        build_parser({variable: value, **others_env}, command).parse_args(
            [command] + _positionals(command)
        )
    )
    if command == "drift" and flag == "--env":  # several --env; the variable names one
        assert (given["environments"], env_args["environment_default"]) == ([value], value)
        return
    assert given[action.dest] == env_args[action.dest], f"{variable} is not the default of {flag}"
    assert given[action.dest] not in (None, False, [])
    # an empty variable is unset: the option's own default, or "required" again
    empty_parser = build_parser({variable: "", **others_env}, command)
    if action.required:
        with pytest.raises(SystemExit):
            empty_parser.parse_args([command] + _positionals(command))
    else:
        empty = vars(empty_parser.parse_args([command] + _positionals(command)))
        assert empty[action.dest] == action.default


def test_every_option_the_documents_mention_exists() -> None:
    known = (
        {flag for _, action in OPTIONS for flag in action.option_strings}
        | {"--version", "--help"}
        | REFUSED_ON_ARGV
    )
    mentioned = set(re.findall(r"`(?:releasegate [^`]*?)?(--[a-z][a-z0-9-]*)", DOCS))
    # options of other tools the documents show (pip, git, docker, adapters' own inputs)
    foreign = {
        "--no-push-cache",
        "--cache-from",
        "--cache-to",
        "--mount",
        "--remote_cache",
        "--disk_cache",
        "--remote_header",
        "--build-arg",
        "--cache-repo",
        "--cache-ttl",
        "--cache",
        "--no-deps",
        "--end-of-options",
        "--cache-copy-layers",
        "--export-cache",
        "--disk",
        "--remote",  # --disk_cache, --remote_cache (bazel), cut at the underscore
        "--half",
        "--sweep",  # bench scripts' own options
        "--namespace",
        "--context",
        "--kubeconfig",
    }  # the Argo Rollouts kubectl plugin's
    unknown = sorted(mentioned - known - foreign)
    assert unknown == [], f"documented but no command has them: {unknown}"


def test_the_readme_outcome_table_is_the_code_table() -> None:
    rows = re.findall(r"^\| `([a-z]+)` \| [^|]+ \| (yes|no) \| (\d) \|$", README, re.M)
    assert [name for name, _, _ in rows] == list(OUTCOMES)
    for name, good, code in rows:
        assert (OUTCOMES[name].good, OUTCOMES[name].exit_code) == (good == "yes", int(code))


def test_the_readme_exit_codes_are_the_code_exit_codes() -> None:
    sentence = re.search(
        r"Exit codes are the same for every command: (.*?)prevented a decision", README, re.S
    )
    assert sentence is not None
    text = " ".join(sentence.group(1).split())
    assert text.startswith(
        f"**{EXIT_OK}** allowed/passed, **{EXIT_BLOCKED}** blocked/failed/rolled back, "
        f"**{EXIT_USAGE}** usage or policy error, **{EXIT_INCONCLUSIVE}** inconclusive, "
        f"**{EXIT_PROVIDER}** a platform or provider failure"
    )


# -- each outcome and exit code from a real command ---------------------------------------

CSV_HEADER = "time,metric,variant,value,count\n"
GATES = """\
version: 1
environments: [{name: dev}]
gates:
  errors:
    provider: file
    interval: 1m
    on_inconclusive: pause   # missing data holds (3); under the default fail it rolls back
    metrics: [{name: error-rate, query: errors, judge: threshold, fail_if: "> 0.05"}]
  down:
    provider: prometheus
    address: http://127.0.0.1:9
    interval: 1m
    retries: 0
    timeout: 1s
    metrics: [{name: error-rate, query: errors, judge: threshold, fail_if: "> 0.05"}]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "checkout", tmp_path / "checkout")
    (tmp_path / "gates.yml").write_text(GATES)
    monkeypatch.chdir(tmp_path / "checkout")
    return tmp_path


def _csv(project: Path, values: list[str]) -> str:
    path = project / "m.csv"
    path.write_text(
        CSV_HEADER
        + "".join(
            f"{1767225600 + 60 * i},error-rate,canary,{v},100\n" for i, v in enumerate(values)
        )
    )
    return str(path)


def test_each_outcome_and_exit_code_from_a_real_command(releasegate_cli, project: Path) -> None:
    import json

    sha = "9" * 40
    seen: dict[str, int] = {}

    def run(*argv: str) -> None:
        result = releasegate_cli(*argv, "--format", "json")
        assert result.stdout.startswith("{"), (argv, result.stdout, result.stderr)
        outcome = json.loads(result.stdout)["outcome"]
        assert result.exit_code == exit_code(outcome), (outcome, result.stderr)
        seen[outcome] = result.exit_code

    run("promote", "--to", "production", "--sha", sha, "--dry-run")  # block
    run(
        "promote", "--to", "dev", "-c", str(project / "gates.yml"), "--sha", sha, "--dry-run"
    )  # allow
    run("drift")  # drift
    clean = project / "clean"
    clean.mkdir()
    (clean / "a.yaml").write_text("replicas: 2\n")
    (clean / "b.yaml").write_text("replicas: 2\n")
    (clean / "releasegate.yml").write_text(
        "version: 1\nenvironments: [{name: a}, {name: b}]\ndrift: {files: {a: a.yaml, b: b.yaml}}\n"
    )
    run("drift", "-c", str(clean / "releasegate.yml"))  # clean
    run("drill", "--env", "staging")  # fail
    run("analyze", "-c", str(project / "gates.yml"), "--gate", "down", "--once")  # error
    for values in (
        ["0.01", "0.01"],
        ["0.01", "0.2"],
        ["0.01", ""],
    ):  # promote, rollback, inconclusive
        run(
            "replay",
            "-c",
            str(project / "gates.yml"),
            "--gate",
            "errors",
            "--metrics",
            _csv(project, values),
        )
    assert seen == {
        "block": 1,
        "allow": 0,
        "drift": 1,
        "clean": 0,
        "fail": 1,
        "error": 4,
        "promote": 0,
        "rollback": 1,
        "inconclusive": 3,
    }
    usage = releasegate_cli("promote", "--to", "production", "--fail-on", "typo")
    assert usage.exit_code == EXIT_USAGE
    # pass and continue come from live gates and canary steps: tests/cli/test_analyze.py and
    # tests/test_canary.py run them against the real Prometheus; their codes are the table's
    assert (exit_code("pass"), exit_code("continue")) == (EXIT_OK, EXIT_OK)
