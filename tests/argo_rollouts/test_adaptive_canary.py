"""The classic adaptive rule end to end: ``releasegate canary`` against a real Prometheus
scraping a live exporter, driving a Rollout through the stand-in Argo Rollouts plugin.

Fast p99 under high traffic walks 10 -> 30 -> 50 -> 70 -> 90 -> 100 (a promote per
Rollout step); a slow p99 or low traffic walks +10 and still promotes: the condition never
rolls back. A gate that fails does, through ``abort``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argo_rollouts.test_argo_router import _rollout, make_cluster

POLICY = """\
version: 1
service: checkout
environments:
  - name: production
    strategy:
      canary:
        router: {kind: argo-rollouts, options: {namespace: shop, poll: 100ms}}
        steps:
          - weight: 10
            pause: 2s
            gates: [canary-health]
            advance: {by: 20, when: "latency_p99 < 0.5 and rps > 1000", otherwise: 10}
          - weight: 100
gates:
  canary-health:
    provider: prometheus
    address: ${PROMETHEUS_URL}
    interval: 1s
    on_inconclusive: fail
    metrics:
      - name: latency-p99
        query: max(checkout_latency_p99{service="{service}",track="canary"})
        judge: threshold
        fail_if: "> 2"
      - name: rps
        query: sum(checkout_rps{service="{service}",track="canary"})
        judge: threshold
        fail_if: "< 1"
"""
SHA = "a" * 40


@pytest.fixture
def canary(tmp_path: Path, prometheus, metrics_exporter, run_cli):
    """Runs ``releasegate canary`` with the exporter's canary at ``p99`` seconds and ``rps``."""

    def run(p99: float, rps: float) -> tuple[int, dict, str, list[str]]:
        labels = {"service": "checkout", "track": "canary"}
        metrics_exporter.set("checkout_latency_p99", p99, labels)
        metrics_exporter.set("checkout_rps", rps, labels)
        server = prometheus(scrape=[metrics_exporter.target])
        metrics_exporter.wait_for_scrapes(2)
        cluster = make_cluster(tmp_path, _rollout()["spec"]["strategy"]["canary"]["steps"])
        (tmp_path / "releasegate.yml").write_text(POLICY)
        # A canary needs an allowed promotion of the commit into the environment first.
        promoted = run_cli(
            "promote",
            "--to",
            "production",
            "--sha",
            SHA,
            cwd=tmp_path,
            env={"PROMETHEUS_URL": server.url},
        )
        assert promoted[0] == 0, promoted[2]
        code, out, err = run_cli(
            "canary",
            "--env",
            "production",
            "--sha",
            SHA,
            "--format",
            "json",
            cwd=tmp_path,
            env={**cluster.env, "PROMETHEUS_URL": server.url},
            timeout=240,
        )
        return code, json.loads(out) if out.strip() else {}, err, cluster.verbs()

    return run


def _weights(err: str) -> list[str]:
    return [line.split("weight ")[-1] for line in err.splitlines() if ": weight " in line]


def test_fast_and_busy_advances_by_20(canary) -> None:
    code, decision, err, verbs = canary(p99=0.21, rps=1500)

    assert code == 0, err
    assert decision["outcome"] == "promote"
    assert _weights(err) == ["10%", "30%", "50%", "70%", "90%", "100%"]
    assert (
        verbs.count("promote") == 9 and "abort" not in verbs
    )  # one per Rollout step, to completion
    assert (
        "advance +20: `latency_p99 < 0.5 and rps > 1000` holds (latency_p99=0.21, rps=1500)" in err
    )
    assert decision["outputs"]["advances"].startswith(
        "10%: advance +20: `latency_p99 < 0.5 and rps > 1000` holds (latency_p99=0.21, rps=1500); 30%: "
    )


@pytest.mark.parametrize(("p99", "rps"), [(0.9, 1500), (0.21, 200)])
def test_slow_or_quiet_advances_by_10_and_never_rolls_back(canary, p99, rps) -> None:
    code, decision, err, verbs = canary(p99=p99, rps=rps)

    assert code == 0, err
    assert decision["outcome"] == "promote"
    assert _weights(err) == [f"{w}%" for w in range(10, 101, 10)]
    assert "abort" not in verbs
    assert (
        f"advance +10: `latency_p99 < 0.5 and rps > 1000` is false (latency_p99={p99:g}, rps={rps:g})"
        in err
    )


def test_a_failing_gate_still_rolls_back_through_abort(canary) -> None:
    code, decision, err, verbs = canary(p99=3.0, rps=1500)

    assert code == 1, err
    assert decision["outcome"] == "rollback"
    assert verbs[-1] == "abort" and "promote" not in verbs
