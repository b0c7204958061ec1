"""The contract every command keeps: outcomes and exit codes from one table, options that mean
what they say, bad input refused before any write, records that cannot bypass the chain, and
four eyes that exclude the change's authors."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from releasegate.errors import UsageError
from releasegate.outcomes import OUTCOMES, exit_code, is_good, parse_fail_on

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "checkout"
SHA = "d" * 40
TABLES = ("deployments", "approvals", "checks", "decisions", "state")


def writes(ledger: Path) -> dict[str, int]:
    """Rows per table of the ledger (none when it does not exist)."""
    if not ledger.exists():
        return {}
    with sqlite3.connect(ledger) as db:
        return {
            t: n for t in TABLES if (n := db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        }


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "checkout")
    monkeypatch.chdir(tmp_path / "checkout")
    return tmp_path / "checkout"


# -- one outcome table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "code", "good"),
    [
        ("allow", 0, True),
        ("block", 1, False),
        ("pass", 0, True),
        ("fail", 1, False),
        ("inconclusive", 3, False),
        ("continue", 0, True),
        ("promote", 0, True),
        ("rollback", 1, False),
        ("clean", 0, True),
        ("drift", 1, False),
        ("error", 4, False),
    ],
)
def test_every_outcome_has_one_exit_code(outcome: str, code: int, good: bool) -> None:
    assert (exit_code(outcome), is_good(outcome)) == (code, good)
    assert exit_code(outcome, parse_fail_on("none")) == (4 if outcome == "error" else 0)
    assert exit_code(outcome, parse_fail_on(outcome)) == (4 if outcome == "error" else 1)


def test_the_table_lists_every_outcome_once() -> None:
    assert list(OUTCOMES) == [
        "allow",
        "block",
        "pass",
        "fail",
        "inconclusive",
        "continue",
        "promote",
        "rollback",
        "clean",
        "drift",
        "error",
    ]
    assert exit_code("no-such-outcome") == 1 and not is_good("no-such-outcome")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("none", frozenset()),
        ("block,fail", frozenset({"block", "fail"})),
        (" block , rollback ", frozenset({"block", "rollback"})),
    ],
)
def test_fail_on_values(text: str | None, expected: frozenset[str] | None) -> None:
    assert parse_fail_on(text) == expected


@pytest.mark.parametrize("text", ["blok", "block,,fail", "none,block", "BLOCK"])
def test_an_unknown_fail_on_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--fail-on"):
        parse_fail_on(text)


def test_fail_on_typo_is_exit_2_naming_the_known_outcomes(releasegate_cli, checkout: Path) -> None:
    result = releasegate_cli("promote", "--to", "production", "--sha", SHA, "--fail-on", "blok")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "releasegate: error: --fail-on 'blok': unknown outcome 'blok'; known: allow, "
        "block, pass, fail, inconclusive, continue, promote, rollback, clean, drift, "
        "error, or none\n"
    )
    assert writes(checkout.parent / "ledger.db") == {}


@pytest.mark.parametrize(("fail_on", "code"), [("", 1), ("none", 0), ("fail", 0), ("block", 1)])
def test_fail_on_decides_the_exit_code_of_a_block(
    releasegate_cli, checkout: Path, fail_on: str, code: int
) -> None:
    result = releasegate_cli(
        "promote",
        "--to",
        "production",
        "--sha",
        SHA,
        "--dry-run",
        env={"RELEASEGATE_FAIL_ON": fail_on},
    )
    assert (result.exit_code, result.stdout.split()[0]) == (code, "BLOCK")


# -- options that mean what they say ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "dry"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_boolean_variables(releasegate_cli, checkout: Path, value: str, dry: bool) -> None:
    releasegate_cli("record-check", "lint", "--sha", SHA, "--status", "passed")
    result = releasegate_cli(
        "promote", "--to", "dev", "--sha", SHA, env={"RELEASEGATE_DRY_RUN": value}
    )
    assert result.exit_code == 0, result.stderr
    assert ("deployment" in result.stdout) is not dry


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "RELEASEGATE_DRY_RUN",
            "maybe",
            "RELEASEGATE_DRY_RUN='maybe': not a boolean; use one of 1, true, yes, "
            "on or 0, false, no, off",
        ),
        ("RELEASEGATE_DEBUG", "2", "RELEASEGATE_DEBUG='2': not a boolean"),
        (
            "RELEASEGATE_FORMAT",
            "xml",
            "RELEASEGATE_FORMAT='xml' (default of --format): invalid choice; "
            "choose from text, json, markdown, junit",
        ),
    ],
)
def test_a_bad_variable_is_exit_2_before_anything_is_recorded(
    releasegate_cli, checkout: Path, variable: str, value: str, message: str
) -> None:
    releasegate_cli("record-check", "lint", "--sha", SHA, "--status", "passed")
    result = releasegate_cli("promote", "--to", "dev", "--sha", SHA, env={variable: value})
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert writes(checkout.parent / "ledger.db") == {"checks": 1}


def test_an_empty_variable_is_unset(releasegate_cli, checkout: Path) -> None:
    result = releasegate_cli("check", env={"RELEASEGATE_FORMAT": "", "RELEASEGATE_CONFIG": " "})
    assert result.exit_code == 0 and ": valid (version 1;" in result.stdout


def test_shared_options_work_before_and_after_the_command(releasegate_cli, tmp_path: Path) -> None:
    policy = str(EXAMPLE / "releasegate.yml")
    before = releasegate_cli("-c", policy, "--format", "json", "check")
    after = releasegate_cli("check", "-c", policy, "--format", "json")
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout and before.stdout.startswith("{")
    both = releasegate_cli("--format", "json", "check", "-c", policy, "--format", "text")
    assert both.stdout.startswith(policy)  # after the command wins


def test_promote_reads_the_environment_variable(releasegate_cli, checkout: Path) -> None:
    result = releasegate_cli(
        "promote", "--sha", SHA, "--dry-run", env={"RELEASEGATE_ENVIRONMENT": "production"}
    )
    assert result.exit_code == 1 and "into production" in result.stdout


@pytest.mark.parametrize(
    "at", ["nan", "inf", "-inf", "1e400", "١٧٦٧٢٢٥٦٠٠", "yesterday", "2026-13-01T00:00:00Z"]
)
def test_a_time_that_is_no_time_is_a_usage_error(releasegate_cli, checkout: Path, at: str) -> None:
    result = releasegate_cli("analyze", "--gate", "service-health", "--once", f"--at={at}")
    assert result.exit_code == 2, result.stderr
    assert (
        result.stderr.startswith("releasegate: error: --at: ")
        and "internal error" not in result.stderr
    )
    dry = releasegate_cli("promote", "--to", "dev", "--sha", SHA, "--dry-run", f"--at={at}")
    assert dry.exit_code == 2 and dry.stderr.startswith("releasegate: error: --at: ")


def test_one_time_rule_everywhere() -> None:
    from releasegate.instants import parse_instant

    assert parse_instant("1767225600").isoformat() == "2026-01-01T00:00:00+00:00"
    assert parse_instant("2026-01-01T00:00:00Z") == parse_instant("2026-01-01T00:00:00")
    assert parse_instant("2026-01-01T01:00:00+01:00") == parse_instant("1767225600")


# -- every input checked before any write --------------------------------------------------

BAD_INPUTS = {
    "format from the environment": (["--fail-on", "block"], {"RELEASEGATE_FORMAT": "xml"}),
    "fail-on typo": (["--fail-on", "blok"], {}),
    "fail-on from the environment": ([], {"RELEASEGATE_FAIL_ON": "rollbak"}),
    "output into a missing directory": (["--output", "/nonexistent/dir/decision.json"], {}),
    "debug that is no boolean": ([], {"RELEASEGATE_DEBUG": "sure"}),
}
COMMANDS = {
    "promote": ["promote", "--to", "dev", "--sha", SHA],
    "record": ["record", "--env", "dev", "--sha", SHA, "--status", "failure"],
    "approve": ["approve", "--env", "production", "--sha", SHA, "--by", "bob"],
    "record-check": ["record-check", "lint", "--sha", SHA, "--status", "passed"],
    "analyze": ["analyze", "--gate", "service-health", "--once"],
    "canary": ["canary", "--env", "production", "--sha", SHA],
    "watch": ["watch", "--env", "production", "--sha", SHA, "--window", "1m"],
    "drill": ["drill", "--env", "production"],
    "drift": ["drift"],
}


@pytest.mark.parametrize("bad", list(BAD_INPUTS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_input_writes_nothing(releasegate_cli, checkout: Path, command: str, bad: str) -> None:
    extra, env = BAD_INPUTS[bad]
    result = releasegate_cli(
        *COMMANDS[command], *extra, env={**env, "PROMETHEUS_URL": "http://127.0.0.1:9"}
    )
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert writes(checkout.parent / "ledger.db") == {}


@pytest.mark.parametrize(
    "argv",
    [
        ["promote", "--to", "prod", "--sha", SHA],
        ["promote", "--to", "dev", "--sha", SHA, "--at", "2026-01-01T00:00:00Z"],
        ["promote", "--to", "dev", "--sha", SHA, "--break-glass", " "],
        ["record", "--env", "dev", "--sha", SHA, "--status", "success", "--force", ""],
        ["record", "--env", "dev", "--sha", SHA, "--status", "done"],
        ["approve", "--env", "production", "--sha", SHA, "--by", " "],
        ["record-check", "lint", "--sha", SHA, "--status", "ok"],
        ["analyze", "--gate", "service-health", "--duration", "soon"],
        ["analyze", "--gate", "no-such-gate", "--once"],
        ["canary", "--env", "production", "--sha", SHA, "--step", "two"],
        ["canary", "--env", "staging", "--sha", SHA],
        ["watch", "--env", "production", "--sha", SHA, "--window", "²m"],
        ["drill", "--env", "production", "--execute"],
        ["drill", "--env", "prod"],
    ],
    ids=" ".join,
)
def test_a_commands_own_bad_input_writes_nothing(
    releasegate_cli, checkout: Path, argv: list[str]
) -> None:
    result = releasegate_cli(*argv, env={"PROMETHEUS_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert writes(checkout.parent / "ledger.db") == {}


# -- records cannot bypass the chain -------------------------------------------------------


def test_a_success_no_promotion_allowed_is_refused(releasegate_cli, checkout: Path) -> None:
    result = releasegate_cli("record", "--env", "staging", "--sha", SHA, "--status", "success")
    assert result.exit_code == 1
    assert result.stderr == (
        f"releasegate: error: no allowed promotion of {SHA[:12]} into staging is on "
        "file, so it cannot be recorded as success: run `releasegate promote --to "
        "staging` first, or give --force REASON (shown in every decision that relies "
        "on this record)\n"
    )
    promoting = releasegate_cli("record", "--env", "staging", "--sha", SHA, "--status", "promoting")
    assert promoting.exit_code == 1
    assert writes(checkout.parent / "ledger.db") == {}


def test_a_forced_record_is_shown_in_every_decision_that_relies_on_it(
    releasegate_cli, checkout: Path
) -> None:
    forced = releasegate_cli(
        "record",
        "--env",
        "staging",
        "--sha",
        SHA,
        "--status",
        "success",
        "--force",
        "hotfix deployed by hand, INC-7",
    )
    assert forced.exit_code == 0 and forced.stdout.endswith(
        "FORCED: hotfix deployed by hand, INC-7\n"
    )
    decision = releasegate_cli(
        "promote", "--to", "production", "--sha", SHA, "--dry-run", "--format", "json"
    )
    assert "(FORCED record: hotfix deployed by hand, INC-7)" in decision.stdout
    assert '"forced": "hotfix deployed by hand, INC-7"' in decision.stdout
    assert (
        releasegate_cli(
            "record", "--env", "staging", "--sha", SHA, "--status", "success", "--force", " "
        ).exit_code
        == 2
    )


def test_only_an_allowed_promotion_vouches_downstream(releasegate_cli, checkout: Path) -> None:
    releasegate_cli("record-check", "lint", "--sha", SHA, "--status", "passed")
    assert releasegate_cli("promote", "--to", "dev", "--sha", SHA).exit_code == 0
    assert (
        releasegate_cli("record", "--env", "dev", "--sha", SHA, "--status", "success").exit_code
        == 0
    )
    staging = releasegate_cli("promote", "--to", "staging", "--sha", SHA, "--dry-run")
    assert "PASS from dev" in staging.stdout and "FORCED" not in staging.stdout


def test_a_deployment_recorded_outside_the_gate_vouches_for_nothing(
    releasegate_cli, checkout: Path
) -> None:
    from releasegate.ledger import Ledger

    with Ledger.open(
        checkout.parent / "ledger.db"
    ) as ledger:  # as an older releasegate or a script wrote it
        from datetime import datetime, timezone

        ledger.record_deployment("staging", SHA, "success", at=datetime.now(timezone.utc))
    decision = releasegate_cli("promote", "--to", "production", "--sha", SHA, "--dry-run")
    assert "was recorded as succeeded in staging outside the gate" in decision.stdout


# -- four eyes -----------------------------------------------------------------------------


def _commit_as(repo: Path, author: str, committer: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author}@example.com",
        "GIT_COMMITTER_NAME": committer,
        "GIT_COMMITTER_EMAIL": f"{committer}@example.com",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "change"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_commit_author_committer_and_trigger_cannot_approve(
    releasegate_cli, checkout: Path
) -> None:
    sha = _commit_as(checkout, "alice", "bob")
    for who in ("alice", "bob@example.com", "zoe", "carol"):
        releasegate_cli("approve", "--env", "production", "--sha", sha, "--by", who)
    decision = releasegate_cli(
        "promote",
        "--to",
        "production",
        "--sha",
        sha,
        "--dry-run",
        "--format",
        "json",
        env={"USER": "zoe"},
    )
    import json

    body = json.loads(decision.stdout)
    (rule,) = [r for r in body["requirements"] if r["name"] == "approvals release-leads"]
    assert rule["status"] == "fail"
    assert "alice cannot approve their own change (alice: commit author)" in rule["reason"]
    assert (
        "bob@example.com cannot approve their own change (bob@example.com: committer)"
        in rule["reason"]
    )
    assert "zoe cannot approve their own change (zoe: triggered this run)" in rule["reason"]
    assert rule["details"]["excluded"]["alice"] == "alice: commit author"


def test_the_readme_fail_on_example_is_what_the_cli_prints(releasegate_cli, checkout: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```console\n$ releasegate promote --to production --fail-on blok\n", 1)[1]
    expected = block.split("```", 1)[0]
    result = releasegate_cli("promote", "--to", "production", "--fail-on", "blok")
    assert result.stderr == expected


# -- approvals the ledger holds are self-asserted ------------------------------------------


def test_approvals_from_platform_cannot_be_met_by_the_ledger(
    releasegate_cli, checkout: Path
) -> None:
    policy = (checkout / "releasegate.yml").read_text()
    (checkout / "releasegate.yml").write_text(
        policy.replace(
            "      allow_self_approval: false\n",
            "      allow_self_approval: false\n      approvals_from: platform\n",
        )
    )
    assert releasegate_cli("check").exit_code == 0
    releasegate_cli("approve", "--env", "production", "--sha", SHA, "--by", "bob")
    decision = releasegate_cli("promote", "--to", "production", "--sha", SHA, "--dry-run")
    assert (
        "bob's approval is self-asserted in the local ledger; approvals_from: platform counts only "
        "approvals the platform vouches for"
    ) in decision.stdout
    (checkout / "releasegate.yml").write_text(
        policy.replace(
            "      allow_self_approval: false\n",
            "      allow_self_approval: false\n      approvals_from: plaform\n",
        )
    )
    bad = releasegate_cli("check")
    assert bad.exit_code == 2 and "approvals_from" in bad.stderr


def test_a_ledger_approval_is_shown_as_self_asserted(releasegate_cli, checkout: Path) -> None:
    releasegate_cli("approve", "--env", "production", "--sha", SHA, "--by", "bob")
    decision = releasegate_cli("promote", "--to", "production", "--sha", SHA, "--dry-run")
    assert "SELF-ASSERTED: bob only in the local ledger" in decision.stdout
