"""Decisions in GitHub's forms: $GITHUB_OUTPUT, the step summary, annotations, a check run."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from github_actions.payloads import AUTH, SHA
from releasegate.adapters.github_actions.launch import child_env, command_line, main
from releasegate.adapters.github_actions.publish import annotation_lines, command, output_lines
from releasegate.model import Decision, Requirement, Subject

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _decision(tmp_path: Path, failing: int = 1, outcome: str = "block") -> Decision:
    reqs = [
        Requirement(
            name=f"validation v{i}",
            status="fail",
            reason=f"v{i} failed: 50%, really",
            location=(10 + i, 7),
        )
        for i in range(failing)
    ]
    reqs.append(
        Requirement(name="criterion coverage >= 80", status="pass", reason="ok", location=(3, 9))
    )
    return Decision(
        kind="promotion",
        outcome=outcome,
        reason="1 requirement not met",
        subject=Subject(environment="production", sha=SHA),
        time=AT,
        requirements=tuple(reqs),
        policy_sha256="f" * 64,
        policy_path=str(tmp_path / "releasegate.yml"),
        outputs={"rollback-to": "b" * 40},
    )


def test_multiline_outputs_get_a_fresh_heredoc_delimiter():
    marks = (f"EOF{i}" for i in itertools.count())
    text = output_lines(
        {"outcome": "block", "reason": "line one\nEOF0\nline two"}, lambda: next(marks)
    )
    assert text == "outcome=block\nreason<<EOF1\nline one\nEOF0\nline two\nEOF1\n"


def test_commands_escape_their_message_and_properties():
    assert (
        command("error", "50% of\nit", file="a,b:c.yml", line=3)
        == "::error file=a%2Cb%3Ac.yml,line=3::50%25 of%0Ait"
    )


def test_at_most_ten_errors_and_a_notice_for_the_rest(tmp_path):
    lines = annotation_lines(_decision(tmp_path, failing=12), "releasegate.yml")
    assert len(lines) == 11
    assert lines[0] == (
        "::error title=releasegate%3A validation v0,file=releasegate.yml,line=10,col=7::"
        "v0 failed: 50%25, really"
    )
    assert (
        lines[-1]
        == "::notice title=releasegate::2 more requirement(s) not met: see the step summary"
    )


def test_publish_writes_outputs_summary_annotations_and_a_check_run(
    github_fake, github_env, make_platform, tmp_path
):
    github_fake.expect("POST", "/repos/acme/app/check-runs", headers=AUTH).respond(
        201, json={"id": 1}
    )
    env = github_env(github_fake, RELEASEGATE_OUTPUT=str(tmp_path / "report.json"))
    platform, out = make_platform(github_fake, env)

    platform.publish(_decision(tmp_path))

    assert out.getvalue().splitlines() == [
        "::error title=releasegate%3A validation v0,file=releasegate.yml,line=10,col=7::v0 failed: 50%25, really"
    ]
    written = (tmp_path / "output.txt").read_text()
    assert written.startswith(
        f"outcome=block\nreason=1 requirement not met\nreport={tmp_path / 'report.json'}\n"
        f"rollback-to={'b' * 40}\ndecision="
    )
    decision = json.loads(written.splitlines()[-1].removeprefix("decision="))
    assert (decision["outcome"], decision["requirements"][0]["line"]) == ("block", 10)
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### ❌ releasegate promotion: **block**")
    body = github_fake.requests[0].json
    assert body["output"]["annotations"] == [
        {
            "path": "releasegate.yml",
            "start_line": 10,
            "end_line": 10,
            "annotation_level": "failure",
            "title": "validation v0",
            "message": "v0 failed: 50%, really",
        }
    ]
    assert (body["name"], body["conclusion"], body["head_sha"]) == (
        "releasegate promotion (production)",
        "failure",
        SHA,
    )
    assert body["output"]["summary"] == summary


def test_a_token_that_may_not_create_check_runs_changes_nothing(
    github_fake, github_env, make_platform, tmp_path
):
    github_fake.expect("POST", "/repos/acme/app/check-runs").respond(
        403, json={"message": "Resource not accessible by integration"}
    )
    platform, out = make_platform(github_fake, github_env(github_fake))

    platform.publish(_decision(tmp_path, outcome="allow", failing=0))

    assert out.getvalue().startswith(
        "::notice title=releasegate::no check run: GitHub API POST "
        "/repos/acme/app/check-runs: 403 forbidden: the token lacks `checks: write`"
    )
    assert (tmp_path / "output.txt").read_text().startswith("outcome=allow\n")


def test_on_a_fork_pull_request_the_notice_does_not_ask_for_a_permission_it_cannot_have(
    github_fake, github_env, make_platform, tmp_path
):
    github_fake.expect("POST", "/repos/acme/app/check-runs").respond(
        403, json={"message": "Resource not accessible by integration"}
    )
    event = {
        "pull_request": {
            "number": 7,
            "head": {"sha": SHA, "ref": "fix", "repo": {"full_name": "mallory/app"}},
            "base": {"ref": "main", "repo": {"full_name": "acme/app"}},
        },
        "repository": {"default_branch": "main", "full_name": "acme/app"},
    }
    platform, out = make_platform(
        github_fake, github_env(github_fake, event=event, GITHUB_EVENT_NAME="pull_request")
    )

    platform.publish(_decision(tmp_path, outcome="allow", failing=0))

    assert out.getvalue().startswith(
        "::notice title=releasegate::no check run: a pull request from a fork "
        "gets a read-only token"
    )


def test_launch_maps_inputs_to_one_command_line():
    env = {
        "RELEASEGATE_COMMAND": "promote",
        "RELEASEGATE_ARGS": "--version '1.2 rc' --dry-run",
        "RELEASEGATE_ENVIRONMENT": "staging",
        "RELEASEGATE_SHA": "",
        "RUNNER_TEMP": "/tmp/rt",
    }
    assert command_line(env) == ["promote", "--version", "1.2 rc", "--dry-run"]
    child = child_env(env)
    assert "RELEASEGATE_SHA" not in child and child["RELEASEGATE_TO"] == "staging"
    assert child["RELEASEGATE_OUTPUT"].startswith("/tmp/rt/releasegate-")
    assert child["RELEASEGATE_LEDGER"] == "/tmp/rt/releasegate/ledger.db"  # never in the checkout


@pytest.mark.parametrize("command", ["promote", "analyze", "canary", "watch", "record", "drill"])
def test_the_sha_input_is_passed_as_sha_in_the_command_line(command):
    env = {
        "RELEASEGATE_COMMAND": command,
        "RELEASEGATE_ARGS": "--once",
        "RELEASEGATE_SHA": " " + "a" * 40,
    }
    assert command_line(env) == [command, "--once", "--sha", "a" * 40]
    # the same commit written in args as well is one commit, passed once
    for args in (f"--sha {'a' * 40}", f"--sha={'a' * 40}"):
        assert command_line({**env, "RELEASEGATE_ARGS": args}) == [command, *args.split(" ")]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"RELEASEGATE_COMMAND": "check", "RELEASEGATE_SHA": "a" * 40},
            "input sha: `check` is about no single commit; leave `sha` empty (it is used by promote, analyze, "
            "canary, watch, record, drill)",
        ),
        (
            {
                "RELEASEGATE_COMMAND": "promote",
                "RELEASEGATE_SHA": "a" * 40,
                "RELEASEGATE_ARGS": "--sha " + "b" * 40,
            },
            f"input sha: {'a' * 40!r} contradicts --sha {'b' * 40!r} in input args; give one of them",
        ),
    ],
)
def test_a_sha_input_the_command_cannot_use_is_refused(env, message):
    with pytest.raises(ValueError) as caught:
        command_line(env)
    assert str(caught.value) == message


def test_launch_masks_secrets_first_and_refuses_unknown_commands(capsys):
    import io

    out = io.StringIO()
    code = main(
        {
            "RELEASEGATE_COMMAND": "deploy; rm -rf /",
            "RELEASEGATE_GITHUB_TOKEN": "s3cret",
            "RELEASEGATE_PROMETHEUS_TOKEN": "p1\np2",
        },
        stdout=out,
    )
    assert code == 2
    message = (
        "input command: 'deploy; rm -rf /' is not one of "
        "check | plan | promote | analyze | canary | watch | cache | record | drift | drill"
    )
    assert out.getvalue() == (
        "::add-mask::s3cret\n::add-mask::p1\n::add-mask::p2\n"
        f"::error title=releasegate::{message}\n"
    )
    assert capsys.readouterr().err == f"releasegate: error: {message}\n"


def test_launch_suggests_the_command_meant():
    import io

    out = io.StringIO()
    assert main({"RELEASEGATE_COMMAND": "promot"}, stdout=out) == 2
    assert out.getvalue().endswith("| drift | drill; did you mean 'promote'?\n")


def test_launch_masks_the_password_of_the_prometheus_url():
    import io

    out = io.StringIO()
    main(
        {
            "RELEASEGATE_COMMAND": "nope",
            "RELEASEGATE_PROMETHEUS_URL": "https://admin:p%40ss@prom.example/x",
        },
        stdout=out,
    )
    # %25 is how the runner reads a literal % in a command (it unescapes the data)
    assert out.getvalue().startswith("::add-mask::p%2540ss\n::add-mask::p@ss\n")


def test_a_policy_typo_is_an_error_annotation_on_its_line(tmp_path, monkeypatch):
    import io

    (tmp_path / "releasegate.yml").write_text(
        "version: 1\nenvironments:\n  - name: staging\n    requires:\n      validatons: [x]\n"
    )
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = main({"RELEASEGATE_COMMAND": "check", "GITHUB_WORKSPACE": str(tmp_path)}, stdout=out)
    assert code == 2
    assert (
        "::error title=releasegate%3A policy,file=releasegate.yml,line=5,col=7::environments[0].requires"
        ".validatons: unknown key 'validatons'; did you mean 'validations'?"
    ) in out.getvalue()


def test_a_missing_input_is_named_as_the_actions_input(tmp_path, monkeypatch):
    import io

    (tmp_path / "releasegate.yml").write_text("version: 1\nenvironments:\n  - name: staging\n")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = main({"RELEASEGATE_COMMAND": "promote", "RUNNER_TEMP": str(tmp_path)}, stdout=out)
    assert code == 2
    assert (
        "::error title=releasegate::input `environment` is required for `promote`\n"
        in out.getvalue()
    )


def test_commands_without_a_decision_write_a_summary_too(tmp_path, monkeypatch):
    import io

    (tmp_path / "releasegate.yml").write_text("version: 1\nenvironments:\n  - name: staging\n")
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "summary.md"
    for name in ("check", "plan"):
        main(
            {"RELEASEGATE_COMMAND": name, "GITHUB_STEP_SUMMARY": str(summary)}, stdout=io.StringIO()
        )
    text = summary.read_text()
    assert text.startswith(
        "### releasegate check: ✅ done\n\n```text\nreleasegate.yml: valid (version 1;"
    )
    assert "### releasegate plan: ✅ done" in text


def test_a_failing_command_summary_says_so_and_keeps_workflow_commands_out(tmp_path, monkeypatch):
    import io

    (tmp_path / "releasegate.yml").write_text("version: 1\nenvironments:\n  - nme: staging\n")
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "summary.md"
    main(
        {
            "RELEASEGATE_COMMAND": "check",
            "GITHUB_STEP_SUMMARY": str(summary),
            "RELEASEGATE_GITHUB_TOKEN": "s3cret",
        },
        stdout=io.StringIO(),
    )
    text = summary.read_text()
    assert text.startswith("### releasegate check: ❌ usage or policy error")
    assert "::" not in text.replace("releasegate.yml:", "") and "s3cret" not in text


def test_summary_false_writes_none_for_any_command(tmp_path, monkeypatch):
    import io

    (tmp_path / "releasegate.yml").write_text("version: 1\nenvironments:\n  - name: staging\n")
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "summary.md"
    main(
        {
            "RELEASEGATE_COMMAND": "check",
            "GITHUB_STEP_SUMMARY": str(summary),
            "RELEASEGATE_GITHUB_SUMMARY": "false",
        },
        stdout=io.StringIO(),
    )
    assert not summary.exists()


@pytest.mark.parametrize(
    ("url", "masks"),
    [
        ("http://admin:p@ss@prom:9090", ["p@ss"]),
        ("http://admin:p%25ss@prom:9090", ["p%2525ss", "p%25ss"]),  # read back as p%25ss and p%ss
        ("http://admin:pa/ss@prom:9090", ["admin:pa/ss"]),  # the CLI refuses it; mask it all anyway
        ("http://prom:9090", []),
    ],
)
def test_launch_masks_the_password_as_the_cli_reads_it(url, masks):
    import io

    out = io.StringIO()
    main({"RELEASEGATE_COMMAND": "nope", "RELEASEGATE_PROMETHEUS_URL": url}, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:-1] == [f"::add-mask::{m}" for m in masks]
