"""The sequential judge's likelihoods against scipy, its latency charts case by case, and the
gate's combined chart."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy import special as sp_special
from scipy import stats as sp

from releasegate.analysis import MetricData, Observation, evaluate_gate
from releasegate.analysis import sequential as seq
from releasegate.analysis.orderstat import moments
from releasegate.analysis.verdict import Measurement
from releasegate.policy.model import Gate, Metric

ERRORS = Metric(name="err", query="q", count_query="c", judge="sequential", direction="increase")
KPI = Metric(name="kpi", query="q", count_query="c", judge="sequential", direction="decrease")
LATENCY = Metric(name="lat", query="q", judge="sequential", direction="increase", quantile=0.99)


def _order_statistic_moments(n: int, q: float) -> tuple[float, float]:
    """Mean (less z_q) and variance of the nearest-rank q quantile of n standard normals, by
    scipy's quadrature of the order statistic's density."""
    k = max(1, math.ceil(q * n - 1e-9))
    logc = sp_special.gammaln(n + 1) - sp_special.gammaln(k) - sp_special.gammaln(n - k + 1)

    def pdf(z: float) -> float:
        return math.exp(
            logc + (k - 1) * sp.norm.logcdf(z) + (n - k) * sp.norm.logsf(z) + sp.norm.logpdf(z)
        )

    mean = integrate.quad(
        lambda z: z * pdf(z), -12, 12, limit=200, points=[sp.norm.ppf(k / (n + 1))]
    )[0]
    var = integrate.quad(lambda z: (z - mean) ** 2 * pdf(z), -12, 12, limit=200, points=[mean])[0]
    return mean - sp.norm.ppf(q), var


@pytest.mark.parametrize("n", [1, 2, 7, 50, 99, 100, 101, 250, 1000, 4000])
def test_order_statistic_moments_match_scipy_quadrature(n: int) -> None:
    bias, var = moments(n, 0.99)
    ref_bias, ref_var = _order_statistic_moments(n, 0.99)
    assert bias == pytest.approx(ref_bias, abs=1e-4)
    assert var == pytest.approx(ref_var, rel=1e-3, abs=1e-6)


@pytest.mark.parametrize("n", [5000, 20000, 100000])
def test_order_statistic_moments_beyond_the_exact_range_follow_the_delta_method(n: int) -> None:
    bias, var = moments(n, 0.99)
    ref_bias, ref_var = _order_statistic_moments(n, 0.99)
    assert bias == pytest.approx(ref_bias, abs=2e-3)
    assert var == pytest.approx(ref_var, rel=0.05)


@settings(max_examples=200, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(1e-3, 1.0))
def test_student_t_log_likelihood_ratio_matches_scipy(a: float, b: float, s2: float) -> None:
    assert seq.STUDENT_NU > 0
    ours = seq._residual_logpdf(a, s2) - seq._residual_logpdf(b, s2)
    scale = math.sqrt(seq.STUDENT_SCALE * s2)
    theirs = sp.t.logpdf(a, seq.STUDENT_NU, scale=scale) - sp.t.logpdf(
        b, seq.STUDENT_NU, scale=scale
    )
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2000), st.integers(1, 2000), st.integers(0, 30), st.integers(0, 30))
def test_rate_increments_are_deflated_conditional_binomial_ratios(
    n_c: int, n_b: int, e_c: int, e_b: int
) -> None:
    e_c, e_b = min(e_c, n_c), min(e_b, n_b)
    obs = Observation(60.0, e_c / n_c, e_b / n_b, float(n_c), float(n_b))
    for metric in (ERRORS, KPI):
        increments = seq._rate_step(
            seq._State(), metric, obs, seq.CAP_AT
        )  # the cap is CAP at this h
        assert isinstance(increments, dict)
        total, pi0 = e_c + e_b, n_c / (n_c + n_b)
        phi = 1.0 + seq.TAU2_PRIOR["rate"] * total * pi0 * (1 - pi0)
        for design in seq.RATE_DESIGNS[1 if metric is ERRORS else -1]:
            pi1 = design * pi0 / (design * pi0 + 1 - pi0)
            llr = (
                (sp.binom.logpmf(e_c, total, pi1) - sp.binom.logpmf(e_c, total, pi0)) / phi
                if total
                else 0.0
            )
            cap = seq.CAP["rate"]
            expected = max(-cap, llr if llr <= cap else cap + (llr - cap) / seq.SURGE_SLOPE)
            assert increments[f"x{design:g}"] == pytest.approx(expected, rel=1e-7, abs=1e-9)


def _latency(
    values: list[float], n_c: float = 500.0, n_b: float = 10000.0
) -> tuple[Observation, ...]:
    return tuple(Observation(60.0 * (i + 1), v, 100.0, n_c, n_b) for i, v in enumerate(values))


def _first_rollback(gate: Gate, data: dict[str, tuple[Observation, ...]]) -> int | None:
    series = {name: MetricData(name, (), obs) for name, obs in data.items()}
    times = sorted({o.time for obs in data.values() for o in obs})
    for i, now in enumerate(times):
        if evaluate_gate(gate, series, now=now).outcome == "rollback":
            return i
    return None


# One row per case: the canary's p99 (the baseline's is 100) and the first rollback interval.
@pytest.mark.parametrize(
    ("case", "canary", "expected"),
    [
        ("steady", [100.0] * 30, None),
        ("one spike x3", [100.0] * 10 + [300.0] + [100.0] * 19, None),
        ("two-interval spike x2", [100.0] * 10 + [200.0, 200.0] + [100.0] * 18, None),
        ("spikes far apart", ([100.0] * 9 + [250.0]) * 3, None),
        ("warm-up excess at the start", [180.0] + [100.0] * 29, None),
        # the warm-up intervals count what lies beyond x1.8 and x1.3: x2 adds a little, then a lot
        ("x2 from the start", [200.0] * 30, seq.WARMUP + seq.LEVEL_RUN - 2),
        ("x1.2 from the start", [120.0] * 30, seq.WARMUP + 5),
        ("x2 from interval 10", [100.0] * 10 + [200.0] * 20, 10 + seq.LEVEL_RUN - 1),
        ("x1.2 from interval 10", [100.0] * 10 + [120.0] * 20, 13),
        ("an improvement", [70.0] * 30, None),
    ],
)
def test_latency_charts(case: str, canary: list[float], expected: int | None) -> None:
    gate = Gate(name="g", provider="file", metrics=(LATENCY,))
    assert _first_rollback(gate, {"lat": _latency(canary)}) == expected, case


def _counts(
    rate_c: float, rate_b: float, n_c: float, n_b: float, k: int
) -> tuple[Observation, ...]:
    return tuple(
        Observation(60.0 * (i + 1), round(rate_c * n_c) / n_c, round(rate_b * n_b) / n_b, n_c, n_b)
        for i in range(k)
    )


def test_combined_chart_catches_several_small_regressions_that_no_metric_catches_alone() -> None:
    k = 22  # a +6 % latency shift without any noise reaches the level threshold alone after 23
    errors = _counts(0.0125, 0.01, 2000.0, 20000.0, k)  # x1.25: below every error design
    kpi = _counts(0.0475, 0.05, 400.0, 4000.0, k)  # -5 %
    latency = _latency([106.0] * k, 2000.0, 20000.0)  # +6 %
    data = {"err": errors, "kpi": kpi, "lat": latency}
    alone = [
        _first_rollback(Gate(name="g", provider="file", metrics=(m,)), {m.name: data[m.name]})
        for m in (ERRORS, KPI, LATENCY)
    ]
    assert alone == [None, None, None]
    gate = Gate(name="g", provider="file", metrics=(ERRORS, KPI, LATENCY))
    t = _first_rollback(gate, data)
    assert t is not None and t < k
    verdict = evaluate_gate(
        gate, {n: MetricData(n, (), o) for n, o in data.items()}, now=60.0 * (t + 1)
    )
    assert verdict.reason.startswith(
        "combined evidence of err, kpi, lat failed 1 > failure_limit 0: CUSUM "
    )


def test_combined_chart_is_causal() -> None:
    k = 40
    data = {
        "err": _counts(0.0125, 0.01, 2000.0, 20000.0, k),
        "kpi": _counts(0.0475, 0.05, 400.0, 4000.0, k),
        "lat": _latency([106.0] * k, 2000.0, 20000.0),
    }
    gate = Gate(name="g", provider="file", metrics=(ERRORS, KPI, LATENCY))
    full = {n: MetricData(n, (), o) for n, o in data.items()}
    for i in range(k):
        now = 60.0 * (i + 1)
        prefix = {n: MetricData(n, (), o[: i + 1]) for n, o in data.items()}
        assert (
            evaluate_gate(gate, prefix, now=now).outcome
            == evaluate_gate(gate, full, now=now).outcome
        )


@pytest.mark.parametrize(
    ("increments", "h", "expected"),
    [
        ([[1.0, 2.0], [1.0, 2.0]], 5.0, (6.0, 1)),
        ([[1.0, -5.0], [1.0, 2.0]], 5.0, (0.0, 0)),
        ([[3.0], []], 3.0, (3.0, 1)),
        ([[None, 4.0], [4.0, None]], 5.0, (8.0, 1)),
    ],
)
def test_combined_chart_sums_by_interval(
    increments: list[list[float | None]], h: float, expected: tuple[float, int]
) -> None:
    series = [
        [
            Measurement(60.0 * (i + 1), "pass", "", {} if v is None else {"llr combined": v})
            for i, v in enumerate(metric)
        ]
        for metric in increments
    ]
    assert seq.combined_chart(series, h) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=8))
def test_sprt_mixes_the_designs_likelihood_ratios_with_equal_weights(llrs: list[float]) -> None:
    expected = float(sp_special.logsumexp(llrs)) - math.log(len(llrs))
    assert seq._log_mean_exp(llrs) == pytest.approx(expected, rel=1e-9, abs=1e-9)


# One row per case: the canary's p99 from the first interval (the baseline's is 100), the first
# rollback interval, and the test that rolls back (the level charts' lower threshold lets the
# CUSUM come first from x1.2 up).
@pytest.mark.parametrize(
    ("canary", "expected", "by"),
    [
        (115.0, 8, "SPRT since the deploy"),
        (120.0, 7, "CUSUM"),
        (135.0, 5, "CUSUM"),
    ],
)
def test_from_deploy_sprt_catches_a_regression_present_from_the_start(
    canary: float, expected: int, by: str
) -> None:
    gate = Gate(name="g", provider="file", metrics=(LATENCY,))
    data = {"lat": _latency([canary] * 30)}
    assert _first_rollback(gate, data) == expected
    verdict = evaluate_gate(
        gate, {"lat": MetricData("lat", (), data["lat"])}, now=60.0 * (expected + 1)
    )
    assert verdict.reason.startswith(f"lat failed 1 > failure_limit 0: {by} ")


def test_from_deploy_sprt_threshold_follows_alpha() -> None:
    assert seq.sprt_threshold(0.01) == pytest.approx(math.log(seq.SPRT_METRICS / 0.01))
    assert seq.sprt_threshold(0.01) < seq.default_threshold(0.01)


# One row per case: the canary's error rate in interval 10 (1 % otherwise, as the baseline's) and
# the first rollback interval: an interval beyond about twice the threshold rolls back on its own.
@pytest.mark.parametrize(("burst", "expected"), [(0.03, None), (0.05, None), (0.07, 10), (0.2, 10)])
def test_one_crash_burst_rolls_back_only_when_overwhelming(
    burst: float, expected: int | None
) -> None:
    obs = tuple(
        Observation(60.0 * (i + 1), burst if i == 10 else 0.01, 0.01, 500.0, 10000.0)
        for i in range(30)
    )
    gate = Gate(name="g", provider="file", metrics=(ERRORS,))
    assert _first_rollback(gate, {"err": obs}) == expected


@pytest.mark.parametrize(("quantile", "worse"), [(0.99, True), (0.5, False), (None, False)])
def test_a_small_canary_is_judged_by_the_quantile_its_metric_measures(
    quantile: float | None, worse: bool
) -> None:
    """A canary of 20 requests whose value equals the baseline's (10,000 requests): for a p99
    that is a canary worse than the baseline (the p99 of 20 requests is their maximum, biased
    low), for a median or a mean it is no evidence either way."""
    metric = Metric(
        name="lat", query="q", judge="sequential", direction="increase", quantile=quantile
    )
    measured = seq.judge_sequential(
        metric, MetricData("lat", (), _latency([100.0] * 12, 20.0, 10000.0)), 60.0
    )
    evidence = measured[-1].statistic["llr x1.1"]
    assert (evidence > 0.1) is worse, evidence
    assert evidence > -1.0


def _noisy_rates(sigma: float, seed: int, step_at: int | None = None) -> tuple[Observation, ...]:
    """60 intervals of 2,000 canary and 20,000 baseline requests at a 2 % error rate, each
    group's rate times its own log-normal pod noise of sd ``sigma`` (``tau2 = 2 sigma^2``),
    the canary's x3 from ``step_at``."""
    rng = np.random.default_rng(seed)
    observations = []
    for i in range(60):
        shift = 3.0 if step_at is not None and i >= step_at else 1.0
        rate_c = 0.02 * math.exp(rng.normal(0.0, sigma)) * shift
        rate_b = 0.02 * math.exp(rng.normal(0.0, sigma))
        e_c, e_b = rng.binomial(2000, rate_c), rng.binomial(20000, rate_b)
        observations.append(Observation(60.0 * (i + 1), e_c / 2000, e_b / 20000, 2000.0, 20000.0))
    return tuple(observations)


def test_the_clipped_chi_square_mean_matches_scipy() -> None:
    expected, _ = integrate.quad(sp.chi2(1).sf, 0.0, seq.HUBER_C)
    assert seq._HUBER_MEAN == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("step_at", [None, 30])
@pytest.mark.parametrize("sigma", [0.2, 0.3])
def test_rate_over_dispersion_is_recovered_and_a_regression_step_does_not_inflate_it(
    sigma: float, step_at: int | None
) -> None:
    estimates = []
    for seed in range(5):
        judge = seq.SequentialJudge(ERRORS)
        for obs in _noisy_rates(sigma, seed, step_at):
            judge.step(obs)
        estimates.append(seq._rate_tau2(judge.state))
    truth = 2.0 * sigma * sigma
    assert 0.5 * truth < sorted(estimates)[2] < 1.5 * truth, estimates


def test_binomial_rates_keep_the_over_dispersion_near_zero() -> None:
    judge = seq.SequentialJudge(ERRORS)
    for obs in _noisy_rates(0.0, 1, step_at=30):
        judge.step(obs)
    assert seq._rate_tau2(judge.state) < 0.01
