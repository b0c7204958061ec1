"""``releasegate analyze`` in-process against a real Prometheus holding the sample rollout."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from providers.checkout_rollout import (
    ERROR_RATE,
    P99,
    REQUESTS,
    checkout_series,
    rollout_start,
    synth,
)


def policy(url: str, judge: str = "threshold") -> str:
    judged = {
        "threshold": (
            '        judge: threshold\n        fail_if: "> 0.05"\n',
            '        judge: threshold\n        fail_if: "> 0.4"\n',
        ),
        "sequential": ("        judge: sequential\n", "        judge: sequential\n"),
    }[judge]
    return (
        "version: 1\nservice: checkout\ngates:\n  canary-health:\n    provider: prometheus\n"
        f"    address: {url}\n    interval: 1m\n    retries: 0\n"
        "    variants: {canary: canary, baseline: stable}\n    metrics:\n"
        f"      - name: error-rate\n        query: '{ERROR_RATE}'\n        count_query: '{REQUESTS}'\n{judged[0]}"
        f"      - name: latency-p99\n        query: '{P99}'\n        count_query: '{REQUESTS}'\n{judged[1]}"
    )


@pytest.fixture
def rollout(prometheus, tmp_path, releasegate_clock):
    """``rollout(canary, judge)`` -> deploy time; writes the policy and sets the clock to the deploy."""

    def start(canary: str, judge: str = "threshold") -> float:
        begin = rollout_start()
        server = prometheus(checkout_series(begin, canary))
        (tmp_path / "releasegate.yml").write_text(policy(server.url, judge))
        deploy = begin + synth.HISTORY
        releasegate_clock.current = datetime.fromtimestamp(deploy, tz=timezone.utc)
        return deploy

    return start


@pytest.mark.parametrize(
    ("canary", "judge", "code", "outcome"),
    [
        ("healthy", "threshold", 0, "pass"),
        ("bad", "threshold", 1, "fail"),
        ("healthy", "sequential", 0, "pass"),
        ("bad", "sequential", 1, "fail"),
    ],
)
def test_analyze_decides_on_the_live_gate(
    rollout, releasegate_cli, releasegate_clock, tmp_path, canary, judge, code, outcome
) -> None:
    rollout(canary, judge)

    result = releasegate_cli(
        "analyze",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "canary-health",
        "--env",
        "production",
        "--duration",
        "10m",
        "--format",
        "json",
    )

    assert result.exit_code == code, result.stderr
    body = json.loads(result.stdout)
    assert body["outcome"] == outcome
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("analyze canary-health [") for line in lines)
    if outcome == "pass":
        assert len(lines) == 10 and releasegate_clock.sleeps == [60.0] * 10
    else:
        assert len(lines) < 10


def test_once_with_at_reviews_a_past_window(rollout, releasegate_cli, tmp_path) -> None:
    deploy = rollout("bad")

    result = releasegate_cli(
        "analyze",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "canary-health",
        "--once",
        "--deployed-at",
        str(int(deploy)),
        "--at",
        str(int(deploy + 900)),
    )

    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_server_that_is_down_is_exit_4_not_a_pass(
    rollout, releasegate_cli, tmp_path, prometheus
) -> None:
    rollout("healthy")
    prometheus.stop_all()

    result = releasegate_cli(
        "analyze",
        "-c",
        str(tmp_path / "releasegate.yml"),
        "--gate",
        "canary-health",
        "--once",
        "--format",
        "json",
    )

    assert result.exit_code == 4
    body = json.loads(result.stdout)
    assert body["outcome"] == "error"
    assert "the provider failed: prometheus http://127.0.0.1:" in body["reason"]


def test_an_unknown_gate_names_the_known_ones(rollout, releasegate_cli, tmp_path) -> None:
    rollout("healthy")

    result = releasegate_cli(
        "analyze", "-c", str(tmp_path / "releasegate.yml"), "--gate", "nope", "--once"
    )

    assert result.exit_code == 2
    assert (
        result.stderr
        == f"releasegate: error: --gate 'nope': no such gate in {tmp_path / 'releasegate.yml'} (gates: canary-health)\n"
    )


# -- canary and watch: the same gate driving a rollout ----------------------------------------

ROUTER = (
    "#!/usr/bin/env python3\nimport sys\n"
    "open(sys.argv[1], 'a').write(sys.argv[2] + ' ' + sys.argv[3] + '\\n')\n"
)


def rollout_policy(tmp_path, text: str) -> tuple[str, callable]:
    """Append environments to the written policy; returns its path and a reader of router calls."""
    script, calls = tmp_path / "router.py", tmp_path / "weights.txt"
    script.write_text(ROUTER)
    path = tmp_path / "releasegate.yml"
    path.write_text(
        path.read_text()
        + text.replace("ROUTER", f"python3 {script} {calls} {{service}} {{weight}}")
    )
    return str(path), lambda: calls.read_text().split() if calls.exists() else []


CANARY_ENV = """
environments:
  - name: production
    strategy:
      canary:
        steps:
          - {weight: 10, pause: 3m, gates: [canary-health]}
          - {weight: 50, pause: 3m, gates: [canary-health]}
        router:
          command: "ROUTER"
    rollback:
      window: 5m
      gates: [canary-health]
"""


def seed(tmp_path, deploy: float, *shas: str) -> None:
    from releasegate.ledger import Ledger

    with Ledger.open(tmp_path / "ledger.db") as ledger:
        for offset, sha in enumerate(shas):
            at = datetime.fromtimestamp(deploy - 3600 + offset * 60, tz=timezone.utc)
            done = ledger.record_deployment("production", sha, "promoting", at=at)
            ledger.update_deployment(done.id, "success", at=at)


def promoted(tmp_path, deploy: float, sha: str) -> None:
    """What ``releasegate promote --to production`` records for an allowed promotion of ``sha``."""
    from releasegate.ledger import Ledger
    from releasegate.records import ALLOWED

    with Ledger.open(tmp_path / "ledger.db") as ledger:
        at = datetime.fromtimestamp(deploy - 60, tz=timezone.utc)
        ledger.record_deployment("production", sha, "promoting", at=at, vouch=ALLOWED)


def deployments(tmp_path) -> list[tuple[str, str]]:
    from releasegate.ledger import Ledger

    with Ledger.open(tmp_path / "ledger.db") as ledger:
        return [(d.sha, d.status) for d in ledger.deployments("production")]


def test_canary_walks_every_step_through_the_router_and_promotes(
    rollout, releasegate_cli, tmp_path
) -> None:
    deploy = rollout("healthy")
    path, weights = rollout_policy(tmp_path, CANARY_ENV)
    seed(tmp_path, deploy, "old")
    promoted(tmp_path, deploy, "new")

    result = releasegate_cli(
        "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
    )

    assert result.exit_code == 0, result.stderr
    assert weights() == ["checkout", "10", "checkout", "50", "checkout", "100"]
    assert json.loads(result.stdout)["outcome"] == "promote"
    assert deployments(tmp_path)[0] == ("new", "success")


def test_canary_rolls_back_to_weight_0_and_names_the_target(
    rollout, releasegate_cli, tmp_path
) -> None:
    deploy = rollout("bad")
    path, weights = rollout_policy(tmp_path, CANARY_ENV)
    seed(tmp_path, deploy, "old")
    promoted(tmp_path, deploy, "new")

    result = releasegate_cli(
        "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json"
    )

    assert result.exit_code == 1, result.stderr
    assert weights() == ["checkout", "10", "checkout", "0"]
    body = json.loads(result.stdout)
    assert (body["outcome"], body["outputs"]["rollback-to"]) == ("rollback", "old")
    assert deployments(tmp_path)[0] == ("new", "rolled_back")
    again = releasegate_cli(
        "canary", "-c", path, "--env", "production", "--sha", "new", "--step", "2"
    )
    assert again.exit_code == 2
    assert "was rolled back" in again.stderr


def test_canary_one_step_per_job_resumes_from_the_ledger(
    rollout, releasegate_cli, tmp_path
) -> None:
    deploy = rollout("healthy")
    path, weights = rollout_policy(tmp_path, CANARY_ENV)
    seed(tmp_path, deploy, "old")
    promoted(tmp_path, deploy, "new")

    def run(*extra: str):  # type: ignore[no-untyped-def]
        return releasegate_cli(
            "canary", "-c", path, "--env", "production", "--sha", "new", "--format", "json", *extra
        )

    early = run("--step", "2")
    first = run("--step", "1")
    repeat = run("--step", "1")
    second = run("--step", "2")
    last = run("--step", "3")

    assert early.exit_code == 2 and "run --step 1 first" in early.stderr
    assert [json.loads(r.stdout)["outcome"] for r in (first, repeat, second, last)] == [
        "continue",
        "continue",
        "continue",
        "promote",
    ]
    assert json.loads(first.stdout)["outputs"]["next-weight"] == "50"
    assert weights() == ["checkout", "10", "checkout", "50", "checkout", "100"]


@pytest.mark.parametrize(
    ("canary", "code", "outcome", "status"),
    [("healthy", 0, "pass", "success"), ("bad", 1, "rollback", "rolled_back")],
)
def test_watch_marks_a_failing_deployment_rolled_back(
    rollout, releasegate_cli, tmp_path, canary, code, outcome, status
) -> None:
    deploy = rollout(canary)
    path, _ = rollout_policy(tmp_path, CANARY_ENV)
    seed(tmp_path, deploy, "old", "new")

    result = releasegate_cli("watch", "-c", path, "--env", "production", "--format", "json")

    assert result.exit_code == code, result.stderr
    body = json.loads(result.stdout)
    assert body["outcome"] == outcome
    assert deployments(tmp_path)[0] == ("new", status)
    assert body["outputs"].get("rollback-to") == ("old" if canary == "bad" else None)
