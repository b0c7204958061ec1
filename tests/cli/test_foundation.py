"""The CLI's contract: exit codes, one-line errors without tracebacks, formats, ledger commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "checkout"
SHA = "c0ffee" + "0" * 34


def test_check_accepts_the_example(releasegate_cli) -> None:
    result = releasegate_cli("check", "-c", str(EXAMPLE / "releasegate.yml"))
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"{EXAMPLE / 'releasegate.yml'}: valid (version 1; dev -> staging -> production; "
        "6 validations, 2 gates)"
    )


def test_check_json(releasegate_cli) -> None:
    result = releasegate_cli("check", "-c", str(EXAMPLE / "releasegate.yml"), "--format", "json")
    body = json.loads(result.stdout)
    assert (body["valid"], body["environments"], len(body["sha256"])) == (
        True,
        ["dev", "staging", "production"],
        64,
    )


def test_check_reports_every_problem_and_exits_2(releasegate_cli, tmp_path: Path) -> None:
    bad = tmp_path / "releasegate.yml"
    bad.write_text(
        "version: 1\nenvironments:\n  - name: dev\n  - name: dev\n    requires: {from: prod}\n"
    )
    result = releasegate_cli("check", "-c", str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:4:5: environments[1].name: duplicate environment 'dev' (also environments[0])",
        f"{bad}:5:16: environments[1].requires.from: unknown environment 'prod'",
        "releasegate: 2 problem(s) in the policy",
    ]


def test_plan_text_json_markdown(releasegate_cli) -> None:
    policy = str(EXAMPLE / "releasegate.yml")
    text = releasegate_cli("plan", "-c", policy).stdout
    assert "Promotion path: dev -> staging -> production" in text
    assert "  canary: 5% for 30m [canary-health] -> 25% for 1h [canary-health] -> 100%" in text
    assert "  - 1 approval from release-leads, not by the author, valid 1d" in text
    plan = json.loads(releasegate_cli("plan", "-c", policy, "--format", "json").stdout)
    assert plan["path"] == ["dev", "staging", "production"]
    assert plan["environments"][2]["canary"][0] == {
        "weight": 5,
        "pause": "30m",
        "gates": ["canary-health"],
    }
    markdown = releasegate_cli("plan", "-c", policy, "--format", "markdown").stdout
    assert "| `production` |" in markdown and "5% for 30m [canary-health] → 25% for 1h" in markdown


def test_record_approve_history(releasegate_cli) -> None:
    assert (
        releasegate_cli(
            "record",
            "--env",
            "staging",
            "--sha",
            SHA,
            "--status",
            "promoting",
            "--force",
            "deployed by hand",
        ).exit_code
        == 0
    )
    result = releasegate_cli(
        "record", "--env", "staging", "--sha", SHA, "--status", "success", "--version", "1.4.0"
    )
    assert result.stdout == f"recorded staging {SHA[:12]} success (deployment 1)\n"
    assert (
        releasegate_cli("approve", "--env", "production", "--sha", SHA, "--by", "alice").exit_code
        == 0
    )
    history = json.loads(releasegate_cli("history", "--format", "json").stdout)
    assert [(h["environment"], h["sha"], h["status"]) for h in history] == [
        ("staging", SHA, "success")
    ]
    text = releasegate_cli("history", "--env", "staging").stdout
    assert f"staging      {SHA[:12]}  success" in text


def test_environment_options_take_their_environment_defaults(releasegate_cli) -> None:
    result = releasegate_cli(
        "record",
        "--status",
        "failure",
        env={"RELEASEGATE_ENVIRONMENT": "dev", "RELEASEGATE_SHA": SHA},
    )
    assert result.exit_code == 0 and result.stdout.startswith(f"recorded dev {SHA[:12]}")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["promote"], 2, "releasegate promote: error: the following arguments are required: --to"),
        (
            ["record", "--env", "dev", "--sha", SHA, "--status", "done"],
            2,
            "releasegate record: error: argument --status: invalid choice: 'done'",
        ),
        (
            ["nosuchcommand"],
            2,
            "releasegate: error: argument COMMAND: invalid choice: 'nosuchcommand'",
        ),
        (
            ["check", "-c", "/nonexistent/releasegate.yml"],
            2,
            "releasegate: error: /nonexistent/releasegate.yml: policy file not found",
        ),
        (
            ["history", "--ledger", "/proc/version/ledger.db"],
            4,
            "releasegate: error: /proc/version/ledger.db: cannot open the ledger",
        ),
    ],
)
def test_errors_are_one_line_with_the_right_exit_code(releasegate_cli, args, code, message) -> None:
    result = releasegate_cli(*args)
    assert result.exit_code == code
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_no_traceback_from_the_real_console_script(run_cli, tmp_path: Path) -> None:
    (tmp_path / "releasegate.yml").write_text("version: [\n")
    done = run_cli("check", cwd=tmp_path)
    assert done.code == 2
    assert done.stderr.splitlines()[0].startswith("releasegate.yml:2:1: invalid YAML:")
    assert "Traceback" not in done.stderr


def test_version_lists_pluggy_and_python(run_cli) -> None:
    done = run_cli("--version")
    assert done.code == 0
    assert done.stdout.startswith("releasegate 0.1.0 (pluggy ")


def test_local_commands_do_not_import_platform_or_http_libraries(run_cli) -> None:
    """The console script as users start it, with Python's import log on stderr: it names every
    module the process imported, or tried to, from its first line on."""
    code, _, err = run_cli(
        "check",
        "-q",
        "-c",
        EXAMPLE / "releasegate.yml",
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in err.splitlines()
        if line.startswith("import time:")
    }
    heavy = sorted(imported & {"requests", "urllib3", "github", "gitlab", "scipy", "numpy"})
    assert (code, heavy) == (0, []), err[-2000:]


def test_fail_on_chooses_which_outcomes_fail(releasegate_cli) -> None:
    from argparse import Namespace
    from datetime import datetime, timezone

    from releasegate.cli.common import Context
    from releasegate.model import Decision, Subject

    block = Decision(
        kind="promotion",
        outcome="block",
        reason="r",
        subject=Subject(),
        time=datetime.now(timezone.utc),
    )
    assert Context(Namespace(fail_on=None), {}).exit_code(block) == 1
    assert Context(Namespace(fail_on="fail,rollback"), {}).exit_code(block) == 0
    assert Context(Namespace(fail_on="block"), {}).exit_code(block) == 1
