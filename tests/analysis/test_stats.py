"""The plain-Python statistics against scipy on random inputs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sp

from releasegate.analysis.stats import location_shift, mann_whitney, normal_ppf, normal_sf, ranks

samples = st.lists(st.integers(min_value=0, max_value=30).map(float), min_size=2, max_size=25)


@settings(max_examples=200, deadline=None)
@given(samples, samples)
def test_mann_whitney_matches_scipy(x: list[float], y: list[float]) -> None:
    if len(set(x + y)) == 1:
        return
    ours = mann_whitney(x, y)
    for alternative, p in (
        ("greater", ours.p_greater),
        ("less", ours.p_less),
        ("two-sided", ours.p_two_sided),
    ):
        ref = sp.mannwhitneyu(
            x, y, alternative=alternative, method="asymptotic", use_continuity=True
        )
        assert ours.u == pytest.approx(ref.statistic)
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30))
def test_ranks_match_scipy(values: list[float]) -> None:
    assert ranks(values)[0] == pytest.approx(list(sp.rankdata(values)))


@pytest.mark.parametrize("p", [1e-6, 0.01, 0.025, 0.5, 0.9, 0.99])
def test_normal_matches_scipy(p: float) -> None:
    assert normal_ppf(p) == pytest.approx(sp.norm.ppf(p), rel=1e-9)
    assert normal_sf(normal_ppf(p)) == pytest.approx(1 - p, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=3, max_size=15, unique=True),
    st.lists(st.floats(0, 100), min_size=3, max_size=15, unique=True),
)
def test_hodges_lehmann_interval_brackets_the_median_shift(x: list[float], y: list[float]) -> None:
    low, estimate, high = location_shift(x, y, 0.98)
    shifts = sorted(a - b for a in x for b in y)
    median = (shifts[(len(shifts) - 1) // 2] + shifts[len(shifts) // 2]) / 2
    assert low <= estimate <= high
    assert low - 1e-6 <= median <= high + 1e-6
    # the estimate is the median of pairwise differences up to the continuity step
    assert shifts[0] - 1e-9 <= estimate <= shifts[-1] + 1e-9


def test_hodges_lehmann_estimate_is_the_median_pairwise_difference() -> None:
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    low, estimate, high = location_shift(x, y, 0.95)
    assert low < 0 < estimate < high
    assert math.isclose(estimate, 0.56, abs_tol=1e-6)
