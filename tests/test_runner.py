"""The live analysis loop on a real Prometheus holding the sample rollout, with an injected
clock and sleep so fifteen minutes of analysis run in well under a second."""

from __future__ import annotations

import pytest
from providers.checkout_rollout import (
    ERROR_RATE,
    P99,
    REQUESTS,
    FakeClock,
    checkout_series,
    rollout_start,
    synth,
)

from releasegate.model import Subject
from releasegate.policy.model import Gate, Metric
from releasegate.providers.prometheus import PrometheusProvider, PrometheusSettings
from releasegate.rollout.runner import analysis_decision, run_analysis

THRESHOLD_GATE = Gate(
    name="canary-health",
    provider="prometheus",
    interval=60.0,
    metrics=(
        Metric("error-rate", ERROR_RATE, "threshold", count_query=REQUESTS, fail_if=(">", 0.05)),
        Metric("latency-p99", P99, "threshold", fail_if=(">", 0.4)),
    ),
)
SEQUENTIAL_GATE = Gate(
    name="canary-health",
    provider="prometheus",
    interval=60.0,
    min_requests=200,
    metrics=(
        Metric("error-rate", ERROR_RATE, "sequential", count_query=REQUESTS),
        Metric("latency-p99", P99, "sequential", count_query=REQUESTS),
    ),
)


@pytest.fixture
def rollout(prometheus):
    def start(canary: str):
        begin = rollout_start()
        server = prometheus(checkout_series(begin, canary))
        return server, begin + synth.HISTORY

    return start


def run(server, deploy, gate, clock, lines, **options):
    provider = PrometheusProvider(
        settings=PrometheusSettings(server.url, retries=0), sleep=clock.sleep
    )
    return run_analysis(
        gate,
        provider,
        service="checkout",
        env="production",
        deployed_at=deploy,
        duration=options.pop("duration", 900.0),
        clock=clock,
        sleep=clock.sleep,
        progress=lines.append,
        **options,
    )


@pytest.mark.parametrize("gate", [THRESHOLD_GATE, SEQUENTIAL_GATE], ids=["threshold", "sequential"])
def test_a_healthy_canary_passes_after_every_interval_of_the_duration(rollout, gate) -> None:
    server, deploy = rollout("healthy")
    clock, lines = FakeClock(deploy), []

    result = run(server, deploy, gate, clock, lines)

    assert result.outcome == "pass", lines
    assert clock.sleeps == [60.0] * 15
    assert len(lines) == 15
    assert lines[0].startswith("analyze canary-health [1/15] ")
    assert all("\n" not in line for line in lines)
    assert result.provider_failure is None


@pytest.mark.parametrize("gate", [THRESHOLD_GATE, SEQUENTIAL_GATE], ids=["threshold", "sequential"])
def test_a_bad_canary_fails_at_the_first_conclusive_interval(rollout, gate) -> None:
    server, deploy = rollout("bad")
    clock, lines = FakeClock(deploy), []

    result = run(server, deploy, gate, clock, lines)

    assert result.outcome == "fail"
    assert result.verdict.outcome == "rollback"
    assert len(lines) < 15
    assert " rollback: " in lines[-1]
    decision = analysis_decision(
        result, subject=Subject(environment="production", gate="canary-health"), time=None
    )  # type: ignore[arg-type]
    assert (decision.outcome, decision.exit_code) == ("fail", 1)
    # The sequential gate may roll back on its combined chart first: then that row explains it.
    names = {r.name for r in decision.requirements}
    assert names - {"metric combined"} == {"metric error-rate", "metric latency-p99"}
    assert any(r.status == "fail" for r in decision.requirements)


def test_a_server_stopped_mid_analysis_is_a_provider_failure_never_a_pass(rollout) -> None:
    server, deploy = rollout("healthy")
    clock, lines = FakeClock(deploy), []
    original = clock.sleep

    def sleep_then_stop(seconds: float) -> None:
        if len(lines) == 3:
            server.stop()
        original(seconds)

    clock.sleep = sleep_then_stop  # type: ignore[method-assign]

    result = run(server, deploy, THRESHOLD_GATE, clock, lines)

    assert result.outcome == "inconclusive"
    assert result.provider_failure is not None and "cannot connect" in result.provider_failure
    assert len(lines) == 3 + THRESHOLD_GATE.error_limit + 1
    assert "provider error: prometheus " in lines[-1] and "Connection refused" in lines[-1]
    decision = analysis_decision(result, subject=Subject(), time=None)  # type: ignore[arg-type]
    assert decision.outcome == "error"  # no decision: exit 4, never a pass
    assert decision.reason.startswith(
        "gate canary-health: no decision, the provider failed: prometheus "
    )
    assert decision.requirements[-1].status == "error"


def test_once_evaluates_now_without_sleeping(rollout) -> None:
    server, deploy = rollout("bad")
    clock, lines = FakeClock(deploy + 600), []

    result = run(server, deploy, THRESHOLD_GATE, clock, lines, once=True)

    assert clock.sleeps == []
    assert len(lines) == 1 and lines[0].startswith("analyze canary-health [1/1] ")
    assert result.outcome == "fail"


def test_a_one_off_review_counts_the_intervals_it_judged_not_the_one_evaluation(rollout) -> None:
    server, deploy = rollout("healthy")
    clock, lines = FakeClock(deploy + 600), []

    result = run(server, deploy, THRESHOLD_GATE, clock, lines, once=True)
    decision = analysis_decision(result, subject=Subject(), time=None)  # type: ignore[arg-type]

    assert len(result.intervals) == 1
    assert decision.outputs["intervals"] == "10"  # ten minutes of one-minute intervals


def test_before_the_first_interval_the_loop_waits_for_it(rollout) -> None:
    server, deploy = rollout("healthy")
    clock, lines = FakeClock(deploy + 15), []

    run(server, deploy, THRESHOLD_GATE, clock, lines, duration=120.0)

    assert clock.sleeps == [45.0, 60.0, 15.0]
