"""The gate judged interval by interval (``GateRun``): the same verdicts as ``evaluate_gate`` on
every prefix, a bounded state whatever the rollout's length, no recursion, runs in many threads
at once,
and a ``replay`` that prints each interval's line as it is decided."""

from __future__ import annotations

import gc
import math
import random
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from peers.cli import ConsoleScript
from releasegate.analysis import GateRun, MetricData, Observation, evaluate_gate
from releasegate.analysis import sequential as seq
from releasegate.analysis.verdict import GateVerdict
from releasegate.policy.model import Gate, Metric

ERRORS = Metric(name="err", query="q", count_query="c", judge="sequential", direction="increase")
KPI = Metric(name="kpi", query="q", count_query="c", judge="sequential", direction="decrease")
LATENCY = Metric(name="lat", query="q", judge="sequential", direction="increase", quantile=0.99)
SEQUENTIAL = Gate(name="g", provider="file", metrics=(ERRORS, KPI, LATENCY))
EVERY_JUDGE = Gate(
    name="all",
    provider="file",
    min_requests=500,
    metrics=(
        ERRORS,
        KPI,
        LATENCY,
        Metric(
            name="thr", query="q", judge="threshold", fail_if=(">", 0.05), aggregate=("mean", 180.0)
        ),
        Metric(name="held", query="q", judge="threshold", fail_if=(">", 0.03), hold_for=120.0),
        Metric(name="anom", query="q", judge="anomaly", sigma=3.0, history=3600.0),
        Metric(name="ratio", query="q", judge="ratio", max_ratio=1.5),
        Metric(name="cmp", query="q", judge="compare", lookback=6),
    ),
)


def _series(k: int, seed: int, regress_at: int | None = None) -> dict[str, MetricData]:
    """``k`` one-minute intervals of every metric of ``EVERY_JUDGE``, with gaps, the canary
    regressed from ``regress_at``, and an hour of pre-deploy history."""
    rng = random.Random(seed)
    names = ("err", "kpi", "lat", "thr", "held", "anom", "ratio", "cmp")
    data: dict[str, list[Observation]] = {name: [] for name in names}
    for i in range(k):
        t = 60.0 * (i + 1)
        worse = regress_at is not None and i >= regress_at
        n_c, n_b = float(rng.randint(50, 400)), float(rng.randint(2000, 6000))
        missing = rng.random() < 0.08
        e_c = sum(rng.random() < (0.03 if worse else 0.01) for _ in range(int(n_c)))
        e_b = round(n_b * 0.01 * math.exp(rng.gauss(0, 0.1)))
        rate_c = e_c / n_c
        data["err"].append(Observation(t, None if missing else rate_c, e_b / n_b, n_c, n_b))
        s_c, s_b = max(1.0, round(0.2 * n_c)), round(0.2 * n_b)
        conv = sum(rng.random() < (0.03 if worse else 0.05) for _ in range(int(s_c)))
        data["kpi"].append(Observation(t, conv / s_c, round(0.05 * s_b) / s_b, s_c, s_b))
        p99 = 100.0 * math.exp(rng.gauss(0, 0.15)) * (1.5 if worse else 1.0)
        data["lat"].append(Observation(t, p99, 100.0 * math.exp(rng.gauss(0, 0.05)), n_c, n_b))
        for name in ("thr", "held", "anom", "ratio", "cmp"):
            value = None if rng.random() < 0.05 else rate_c * (2.0 if worse else 1.0)
            data[name].append(Observation(t, value, e_b / n_b))
    history = tuple((-60.0 * j, 0.01 * math.exp(rng.gauss(0, 0.1))) for j in range(60, 0, -1))
    return {name: MetricData(name, history, tuple(obs)) for name, obs in data.items()}


def _summary(verdict: GateVerdict) -> tuple[object, ...]:
    return (
        verdict.outcome,
        verdict.reason,
        tuple(
            (m.metric, m.status, m.reason, tuple(sorted(m.statistic.items())), m.canary[-3:])
            for m in verdict.metrics
        ),
    )


@pytest.mark.parametrize(("seed", "regress_at"), [(1, None), (2, 12), (3, 0)])
def test_a_run_gives_every_interval_the_verdict_evaluate_gate_gives_its_prefix(
    seed: int, regress_at: int | None
) -> None:
    data = _series(40, seed, regress_at)
    run = GateRun(EVERY_JUDGE, data)
    for i in range(40):
        now = 60.0 * (i + 1)
        assert _summary(run.advance(now)) == _summary(evaluate_gate(EVERY_JUDGE, data, now=now)), i


def test_a_run_advanced_over_several_intervals_at_once_sums_the_combined_chart_by_interval() -> (
    None
):
    data = _series(40, 4, regress_at=5)
    stepwise, jumps = GateRun(SEQUENTIAL, data), GateRun(SEQUENTIAL, data)
    for i in range(40):
        last = stepwise.advance(60.0 * (i + 1))
    assert _summary(jumps.advance(60.0 * 13)) == _summary(
        evaluate_gate(SEQUENTIAL, data, now=60.0 * 13)
    )
    assert _summary(jumps.advance(60.0 * 40)) == _summary(last)


def _solved(pairs: list[tuple[float, float]]) -> float:
    """The rate over-dispersion M-estimate solved by bisection over every ``(d^2, v)`` pair,
    shrunk to the prior as the judge does."""
    prior = seq.TAU2_PRIOR["rate"]

    def score(t2: float) -> float:
        return sum(
            (min(d / (v + 2 * t2), seq.HUBER_C) - seq._HUBER_MEAN) / (v + 2 * prior)
            for d, v in pairs
        )

    estimate, lo, hi = 0.0, 0.0, 16.0
    if score(0.0) > 0:
        for _ in range(60):
            lo, hi = ((lo + hi) / 2, hi) if score((lo + hi) / 2) > 0 else (lo, (lo + hi) / 2)
        estimate = (lo + hi) / 2
    t_ref = max(estimate, prior)
    weight = sum((2 * t_ref / (v + 2 * t_ref)) ** 2 for _, v in pairs)
    return (seq.PRIOR_WEIGHT * prior + weight * estimate) / (seq.PRIOR_WEIGHT + weight)


def test_the_over_dispersion_sums_give_the_estimate_solved_over_all_differences() -> None:
    """The running sums on the ``tau2`` grid, read off by interpolation, agree with the
    M-estimate solved by bisection over every stored difference (what they replace)."""
    rng = np.random.default_rng(3)
    for sigma in (0.0, 0.1, 0.3):
        judge = seq.SequentialJudge(ERRORS)
        pairs = []
        prev = None
        for i in range(60):
            n_c, n_b = float(rng.integers(20, 3000)), 20000.0
            rate_c, rate_b = (
                0.02 * math.exp(rng.normal(0, sigma)),
                0.02 * math.exp(rng.normal(0, sigma)),
            )
            e_c, e_b = rng.binomial(int(n_c), rate_c), rng.binomial(int(n_b), rate_b)
            judge.step(Observation(60.0 * (i + 1), e_c / n_c, e_b / n_b, n_c, n_b))
            pi0 = n_c / (n_c + n_b)
            y = math.log((e_c + 0.5) / n_c) - math.log((e_b + 0.5) / n_b)
            v = 1.0 / ((e_c + e_b + 1.0) * pi0 * (1.0 - pi0))
            if prev is not None:
                pairs.append(((y - prev[0]) ** 2, v + prev[1]))
            prev = (y, v)
        assert seq._rate_tau2(judge.state) == pytest.approx(_solved(pairs), rel=0.01, abs=1e-4), (
            sigma
        )


def test_a_long_cold_series_is_judged_without_recursion() -> None:
    """The judges are loops: a 3,000-interval series (the cache of an earlier version recursed
    once per interval and hit Python's limit near 1,000) is judged within 60 frames of stack."""
    data = _series(3000, 5)
    limit = sys.getrecursionlimit()
    here = 0
    frame = sys._getframe()
    while frame is not None:
        here, frame = here + 1, frame.f_back
    sys.setrecursionlimit(here + 60)
    try:
        verdict = evaluate_gate(EVERY_JUDGE, data, now=60.0 * 3000)
    finally:
        sys.setrecursionlimit(limit)
    assert verdict.metrics[0].statistic["measurements"] == 3000.0


def _retained(intervals: int, data: dict[str, MetricData]) -> int:
    """Bytes the run and its last verdict hold after ``intervals`` intervals (the data they read
    is allocated before tracing starts)."""
    gc.collect()
    tracemalloc.start()
    try:
        run = GateRun(SEQUENTIAL, data)
        for i in range(intervals):
            verdict = run.advance(60.0 * (i + 1))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        del run, verdict
    finally:
        tracemalloc.stop()
    return held


def test_a_run_holds_the_same_memory_after_300_or_1500_intervals() -> None:
    """The judges keep running sums and windows, and a verdict the last ``SERIES_POINTS``
    values, so five times the intervals hold no more memory (within a generous factor)."""
    data = {
        name: MetricData(name, d.history, d.observations)
        for name, d in _series(1500, 6).items()
        if name in ("err", "kpi", "lat")
    }
    for d in data.values():  # the order-statistic moments of every count are cached beforehand
        for obs in d.observations:
            seq.moments(round(obs.canary_count or 1), 0.99)
            seq.moments(round(obs.baseline_count or 1), 0.99)
    short, long = _retained(300, data), _retained(1500, data)
    assert long < 1.5 * short, (short, long)


def test_concurrent_runs_over_the_same_data_are_safe_under_forced_thread_switches() -> None:
    """Eight threads judge the same gate and data at once, by runs and by ``evaluate_gate``,
    with the interpreter switching threads every microsecond: each gets the verdicts a lone
    run gets (nothing is global or cached, so nothing is shared but the read-only data)."""
    data = _series(60, 7, regress_at=30)
    expected = [
        _summary(v) for v in (GateRun(SEQUENTIAL, data).advance(60.0 * (i + 1)) for i in range(60))
    ]
    errors: list[BaseException] = []

    def by_run() -> None:
        try:
            run = GateRun(SEQUENTIAL, data)
            for i in range(60):
                assert _summary(run.advance(60.0 * (i + 1))) == expected[i], i
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def by_prefix() -> None:
        try:
            for i in range(0, 60, 7):
                assert (
                    _summary(evaluate_gate(SEQUENTIAL, data, now=60.0 * (i + 1))) == expected[i]
                ), i
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=by_run if k % 2 else by_prefix) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert not errors, errors


POLICY = """version: 1
gates:
  g:
    provider: file
    interval: 60s
    metrics:
      - name: err
        query: q
        count_query: c
        judge: sequential
        direction: increase
"""


def test_replay_prints_each_interval_as_it_is_decided(
    run_cli: ConsoleScript, tmp_path: Path
) -> None:
    """The first line arrives while the replay of 3,000 intervals is still running."""
    rows = ["time,metric,variant,value,count"]
    for i in range(3000):
        rows += [f"{60 * (i + 1)},err,canary,0.01,1000", f"{60 * (i + 1)},err,baseline,0.01,20000"]
    (tmp_path / "releasegate.yml").write_text(POLICY)
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    with run_cli.start("replay", "--gate", "g", "--metrics", "m.csv", cwd=tmp_path) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        running = proc.poll() is None
        proc.kill()
    assert first.startswith('{"t": 0, ')
    assert running
