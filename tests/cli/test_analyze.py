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
    assert body["outcome"] == "inconclusive"
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
