"""The Task run for real, one TaskRun at a time: results files, reports, the ledger workspace.

The harness substitutes params, results paths, workspaces and context as Tekton
does and runs the step's script by its shebang; the project's venv plays the image.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from providers.checkout_rollout import ERROR_RATE, REQUESTS, checkout_series, rollout_start, synth
from tekton_harness import TaskRunError, TaskRunHarness, _read_results

from peers.locate import ROOT
from releasegate.adapters.tekton.plugin import LIMITS, result_env, write_results

RESULTS = [
    "outcome", "reason", "next-weight", "rollback-to",
    "cache-key", "cache-restore-keys", "cache-save", "kaniko-args", "buildkit-args",
    "rollback-steps", "rollback-left", "forced",
]  # fmt: skip
#: What a command other than cache leaves in the flag lists: no cache, never a write.
NO_CACHE = {"kaniko-args": ["--cache=false"], "buildkit-args": ["--no-cache"]}
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"


def _promote(taskrun: TaskRunHarness, source: Path, ledger: Path, env: str, **params: str):
    return taskrun.run(
        {"command": "promote", "environment": env, "sha": SHA, **params},
        {"source": source, "ledger": ledger},
    )


def test_check_of_the_example_policy_writes_every_result(
    taskrun: TaskRunHarness, checkout_source: Path
) -> None:
    run = taskrun.run({"command": "check"}, {"source": checkout_source})

    assert run.succeeded, run.stderr
    assert list(run.results) == RESULTS
    assert run.results["outcome"] == "ok"
    assert run.results["reason"] == (
        "releasegate.yml: valid (version 1; dev -> staging -> production; 6 validations, 2 gates)"
    )
    assert [run.results[name] for name in RESULTS[2:7]] == ["", "", "", "", ""]
    assert [run.results[name] for name in RESULTS[9:]] == ["", "", ""]
    assert {name: run.results[name] for name in NO_CACHE} == NO_CACHE
    log = checkout_source / ".releasegate/tekton/releasegate-run-1.log"
    assert "releasegate.yml: valid" in log.read_text()


def test_plan_succeeds_with_outcome_ok(taskrun: TaskRunHarness, checkout_source: Path) -> None:
    run = taskrun.run({"command": "plan"}, {"source": checkout_source})

    assert run.succeeded, run.stderr
    assert run.results["outcome"] == "ok"
    assert run.results["reason"]
    assert "production" in run.stdout


def test_promote_allows_staging_and_blocks_production_across_taskruns(
    taskrun: TaskRunHarness, checkout_source: Path, ledger_workspace: Path
) -> None:
    record = taskrun.run(
        {
            "command": "record",
            "environment": "dev",
            "sha": SHA,
            "args": "--status success --force 'deployed before the gate'",
        },
        {"source": checkout_source, "ledger": ledger_workspace},
    )
    staging = _promote(taskrun, checkout_source, ledger_workspace, "staging")
    production = _promote(taskrun, checkout_source, ledger_workspace, "production")

    assert record.results["outcome"] == "ok", record.stderr
    assert record.results["reason"] == (
        "recorded dev 3f786850e387 success (deployment 1) FORCED: deployed before the gate"
    )
    assert staging.succeeded and production.succeeded
    assert staging.results["outcome"] == "allow", staging.stderr
    assert staging.results["reason"] == "allowed 3f786850e387 into staging: all 4 requirements met"
    assert production.results["outcome"] == "block"
    # The deploy window (Mon-Fri 09:00-16:00 Europe/Berlin) depends on when the test runs, so
    # the count is pinned on the other requirements and the window is read from the report.
    assert re.match(
        r"blocked 3f786850e387 into production: \d+ of 10 requirements not met:",
        production.results["reason"],
    )
    # The ledger lives in its workspace, not in the checkout, and the JSON report is kept.
    assert (ledger_workspace / "ledger.db").is_file()
    assert not (checkout_source / ".releasegate/ledger.db").exists()
    report = json.loads(
        (checkout_source / ".releasegate/tekton/releasegate-run-3.json").read_text()
    )
    assert report["outcome"] == "block"
    assert report["subject"]["sha"] == SHA
    failed = {r["name"] for r in report["requirements"] if r["status"] != "pass"}
    assert len(failed - {"deploy window"}) == 6, failed


def test_without_the_ledger_workspace_upstream_history_is_missing(
    taskrun: TaskRunHarness, checkout_source: Path
) -> None:
    run = taskrun.run(
        {"command": "promote", "environment": "staging", "sha": SHA}, {"source": checkout_source}
    )

    assert run.succeeded
    assert run.results["outcome"] == "block"
    assert (checkout_source / ".releasegate/ledger.db").is_file()


def test_fail_on_fails_the_taskrun_but_keeps_the_results(
    taskrun: TaskRunHarness, checkout_source: Path, ledger_workspace: Path
) -> None:
    run = _promote(taskrun, checkout_source, ledger_workspace, "production", **{"fail-on": "block"})

    assert not run.succeeded
    assert run.exit_code == 1
    assert run.results["outcome"] == "block"
    assert "outcome block is in fail-on (block): failing the step" in run.stderr


def test_fail_on_other_outcomes_lets_a_block_pass(
    taskrun: TaskRunHarness, checkout_source: Path, ledger_workspace: Path
) -> None:
    run = _promote(taskrun, checkout_source, ledger_workspace, "production", **{"fail-on": "error"})

    assert run.succeeded
    assert run.results["outcome"] == "block"


@pytest.mark.parametrize("fail_on", ["blok", "block,eror", "BLOCK"])
def test_a_misspelt_fail_on_fails_the_taskrun_before_the_command_runs(
    taskrun: TaskRunHarness, checkout_source: Path, ledger_workspace: Path, fail_on: str
) -> None:
    # "blok" used to match nothing, so a blocked promotion's TaskRun succeeded
    run = _promote(taskrun, checkout_source, ledger_workspace, "dev", **{"fail-on": fail_on})

    assert not run.succeeded
    assert run.exit_code == 2
    assert run.results["outcome"] == "error"
    assert "the fail-on param names an unknown outcome" in run.results["reason"]
    assert (
        "known: allow, block, clean, continue, drift, error, fail, inconclusive, ok, pass, promote, "
        "rollback" in run.results["reason"]
    )
    assert not (ledger_workspace / "ledger.db").exists()  # nothing ran, nothing recorded


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"command": "check", "config": "missing.yml"}, "missing.yml: policy file not found"),
        (
            {"command": "check", "args": "--format 'json"},
            "the args param cannot be split like a shell would: No closing quotation",
        ),
        (
            {"command": " "},
            "the command param is empty; give check, promote, analyze...",
        ),
        (
            {"command": "promote"},
            "the following arguments are required: --to (see releasegate promote --help)",
        ),
    ],
)
def test_an_error_fails_the_taskrun_with_every_result_written(
    taskrun: TaskRunHarness, checkout_source: Path, params: dict[str, str], reason: str
) -> None:
    run = taskrun.run(params, {"source": checkout_source})
    relaxed = taskrun.run({**params, "fail-on": ""}, {"source": checkout_source})

    # fail-on defaults to "error": a command that could not decide never passes silently
    assert not run.succeeded
    assert run.exit_code == 2
    assert "outcome error is in fail-on (error): failing the step" in run.stderr
    for done in (run, relaxed):
        assert done.results["outcome"] == "error"
        assert done.results["reason"].endswith(reason)
        assert list(done.results) == RESULTS
    # an empty fail-on lets `when` and `finally` read the error instead
    assert relaxed.succeeded, relaxed.stderr


def test_fail_on_error_fails_with_the_usage_exit_code(
    taskrun: TaskRunHarness, checkout_source: Path
) -> None:
    run = taskrun.run({"command": "check", "config": "missing.yml"}, {"source": checkout_source})

    assert not run.succeeded
    assert run.exit_code == 2
    assert run.results["outcome"] == "error"


def test_a_policy_problem_names_its_line(taskrun: TaskRunHarness, checkout_source: Path) -> None:
    policy = checkout_source / "releasegate.yml"
    policy.write_text(policy.read_text().replace("min_tests: 20", "min_test: 20"))

    run = taskrun.run({"command": "check", "fail-on": ""}, {"source": checkout_source})

    assert run.results["outcome"] == "error"
    assert run.results["reason"] == (
        "releasegate.yml:14:5: validations.integration-tests.min_test: unknown key 'min_test';"
        " did you mean 'min_tests'?"
    )


def test_a_long_reason_is_cut_and_points_to_the_report(
    taskrun: TaskRunHarness, checkout_source: Path
) -> None:
    run = taskrun.run(
        {"command": "check", "args": "--bogus " + "é" * 3000, "fail-on": ""},
        {"source": checkout_source},
    )

    reason = run.results["reason"]
    assert run.results["outcome"] == "error"
    assert len(reason.encode("utf-8")) <= 1024
    assert reason.endswith("… (full report: .releasegate/tekton/releasegate-run-1.log)")
    log = checkout_source / ".releasegate/tekton/releasegate-run-1.log"
    assert "é" * 3000 in log.read_text(encoding="utf-8")
    assert len(run.termination_message.encode("utf-8")) < 4096


def test_the_harness_refuses_what_tekton_would(
    taskrun: TaskRunHarness, checkout_source: Path
) -> None:
    with pytest.raises(TaskRunError, match="params not declared by the Task: enviroment"):
        taskrun.run({"enviroment": "dev"}, {"source": checkout_source})
    with pytest.raises(TaskRunError, match="workspace source is required"):
        taskrun.run({"command": "check"}, {})


def _gate_policy(source: Path) -> None:
    """A policy whose gate points nowhere: only the prometheus-url param can reach the server."""
    (source / "releasegate.yml").write_text(
        "version: 1\nservice: checkout\ngates:\n  canary-health:\n    provider: prometheus\n"
        "    address: http://127.0.0.1:9\n    interval: 1m\n    retries: 0\n"
        "    variants: {canary: canary, baseline: stable}\n    metrics:\n"
        f"      - name: error-rate\n        query: '{ERROR_RATE}'\n        count_query: '{REQUESTS}'\n"
        '        judge: threshold\n        fail_if: "> 0.05"\n'
    )


@pytest.mark.peer("prometheus")
@pytest.mark.parametrize(("canary", "outcome"), [("healthy", "pass"), ("bad", "fail")])
def test_analyze_against_a_real_prometheus(
    taskrun: TaskRunHarness, prometheus, tmp_path: Path, canary: str, outcome: str
) -> None:
    begin = rollout_start()
    server = prometheus(checkout_series(begin, canary))
    deploy = int(begin + synth.HISTORY)
    source = taskrun.workspace("source")
    _gate_policy(source)

    run = taskrun.run(
        {
            "command": "analyze",
            "gate": "canary-health",
            "environment": "production",
            "sha": SHA,
            "prometheus-url": server.url,
            "args": f"--once --deployed-at {deploy} --at {deploy + 900}",
        },
        {"source": source},
    )

    assert run.succeeded, run.stderr
    assert run.results["outcome"] == outcome, run.results["reason"]
    report = json.loads((source / ".releasegate/tekton/releasegate-run-1.json").read_text())
    assert report["subject"]["gate"] == "canary-health"
    assert report["outcome"] == outcome


def test_a_provider_that_is_down_is_an_error_and_fail_on_can_stop_it(
    taskrun: TaskRunHarness,
) -> None:
    source = taskrun.workspace("source")
    _gate_policy(source)
    params = {"command": "analyze", "gate": "canary-health", "args": "--once"}

    relaxed = taskrun.run({**params, "fail-on": ""}, {"source": source})
    default = taskrun.run(params, {"source": source})  # fail-on: error, the Task's default
    strict = taskrun.run({**params, "fail-on": "fail,inconclusive,error"}, {"source": source})

    assert relaxed.succeeded
    assert relaxed.results["outcome"] == "error"
    assert "the provider failed: prometheus http://127.0.0.1:9" in relaxed.results["reason"]
    assert not default.succeeded and default.exit_code == 4  # no decision: the run stops there
    assert default.results["outcome"] == "error"
    assert not strict.succeeded
    assert strict.exit_code == 4
    assert strict.results["outcome"] == "error"


def test_the_prometheus_token_comes_from_its_workspace_only(taskrun: TaskRunHarness) -> None:
    source = taskrun.workspace("source")
    _gate_policy(source)
    auth = taskrun.workspace("auth")
    params = {"command": "analyze", "gate": "canary-health", "args": "--once", "fail-on": ""}

    missing = taskrun.run(params, {"source": source, "prometheus-auth": auth})

    assert missing.results["outcome"] == "error"
    assert missing.results["reason"].startswith(
        "the prometheus-auth workspace has no readable token file ("
    )
    (auth / "token").write_text("s3cret\n")
    found = taskrun.run(params, {"source": source, "prometheus-auth": auth})
    assert found.results["outcome"] == "error"
    assert "s3cret" not in found.stdout + found.stderr + json.dumps(found.results)


def test_cache_publishes_its_key_as_a_result(
    taskrun: TaskRunHarness, checkout_source: Path
) -> None:
    (checkout_source / "requirements.txt").write_text("pluggy==1.5.0\n")

    run = taskrun.run({"command": "cache", "sha": SHA, "ref": "main"}, {"source": checkout_source})

    # no --target needed: the Task renders the tekton target
    assert run.succeeded, run.stderr
    assert run.results["outcome"] == "ok"
    assert run.results["reason"] == "releasegate cache finished"
    assert run.results["cache-key"].startswith("releasegate-linux-pip-")
    assert run.results["cache-restore-keys"] == "releasegate-linux-pip-"
    assert run.results["cache-save"] == "true"
    assert "cache-key: " + run.results["cache-key"] in run.stdout


def test_drill_rehearses_a_rollback_through_the_task(
    taskrun: TaskRunHarness, checkout_source: Path, ledger_workspace: Path
) -> None:
    workspaces = {"source": checkout_source, "ledger": ledger_workspace}
    for sha, version in (("a" * 40, "1.0.0"), (SHA, "1.1.0")):
        taskrun.run(
            {
                "command": "record",
                "environment": "staging",
                "sha": sha,
                "args": f"--status success --version {version} --force seeded",
            },
            workspaces,
        )

    ready = taskrun.run({"command": "drill", "environment": "staging"}, workspaces)
    alone = taskrun.run({"command": "drill", "environment": "staging"}, {"source": checkout_source})

    assert ready.succeeded and alone.succeeded
    assert ready.results["outcome"] == "pass", ready.stdout + ready.stderr
    assert ready.results["rollback-to"] == "a" * 40
    assert alone.results["outcome"] == "fail"
    assert "rollback target" in alone.results["reason"]


def test_every_result_at_its_limit_fits_the_termination_message(tmp_path: Path) -> None:
    """Results share the container's 4 KB termination message (pkg/termination/write.go)."""
    spec = yaml.safe_load((ROOT / "adapters/tekton/releasegate.yaml").read_text())["spec"]
    env = {result_env(name): str(tmp_path / name) for name in RESULTS}
    long = "x > y & " * 1000  # what Go's json.Marshal escapes most
    flags = ["--cache-repo=" + "r" * (LIMITS["kaniko-args"] - 25)]
    write_results(
        env, {**dict.fromkeys(RESULTS, long), "kaniko-args": flags, "buildkit-args": flags}
    )

    results, message = _read_results(spec, tmp_path)

    assert results["kaniko-args"] == flags
    assert len(message.encode("utf-8")) < 4096


CANARY_POLICY = """\
version: 1
service: checkout
environments:
  - name: production
    strategy:
      canary:
        router: {kind: command, command: "true {weight}"}
        steps:
          - weight: 10
          - weight: 50
"""


def test_a_canary_resumes_from_the_ledger_workspace_on_one_deployment(
    taskrun: TaskRunHarness, ledger_workspace: Path
) -> None:
    """One TaskRun per step, sharing the ledger workspace: each resumes where the last stopped,
    on the deployment the promotion recorded, never a second one."""
    source = taskrun.workspace("source")
    (source / "releasegate.yml").write_text(CANARY_POLICY)
    assert _promote(taskrun, source, ledger_workspace, "production").results["outcome"] == "allow"

    def step(number: int):  # type: ignore[no-untyped-def]
        return taskrun.run(
            {
                "command": "canary",
                "environment": "production",
                "sha": SHA,
                "args": f"--step {number}",
            },
            {"source": source, "ledger": ledger_workspace},
        )

    first, second, third = step(1), step(2), step(3)

    assert [r.results["outcome"] for r in (first, second, third)] == [
        "continue",
        "continue",
        "promote",
    ]
    assert second.results["next-weight"] == "100"
    from releasegate.ledger import Ledger

    with Ledger.open(ledger_workspace / "ledger.db") as ledger:
        assert [(d.sha, d.status) for d in ledger.deployments("production")] == [(SHA, "success")]


def test_a_forced_canary_says_so_in_its_forced_result(
    taskrun: TaskRunHarness, ledger_workspace: Path
) -> None:
    """A canary of a commit with no allowed promotion runs only with ``--force``, and the
    reason reaches the Pipeline as the ``forced`` result, run after run."""
    source = taskrun.workspace("source")
    (source / "releasegate.yml").write_text(CANARY_POLICY)

    def step(args: str):  # type: ignore[no-untyped-def]
        return taskrun.run(
            {"command": "canary", "environment": "production", "sha": SHA, "args": args},
            {"source": source, "ledger": ledger_workspace},
        )

    refused = step("--step 1")
    forced = step("--step 1 --force 'INC-7 hotfix'")

    assert refused.results["outcome"] == "error" and refused.results["forced"] == ""
    assert "no allowed promotion" in refused.results["reason"]
    assert forced.results["outcome"] == "continue", forced.results["reason"]
    assert forced.results["forced"] == "INC-7 hotfix"
    assert forced.results["rollback-steps"] == "" and forced.results["rollback-left"] == ""
