"""Small statistics for the judges, in plain Python: ranks, Mann-Whitney U, the
Hodges-Lehmann interval Kayenta uses, robust scale (pure).

Nothing here imports numpy or scipy, so a CI job never pays for installing
them; the tests check these functions against scipy on random inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()


def is_number(value: float | None) -> bool:
    """True when ``value`` is a finite float: ``None``, NaN and infinities are missing data."""
    return value is not None and math.isfinite(value)


def normal_sf(z: float) -> float:
    """Upper tail of the standard normal: P(Z > z)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def normal_ppf(p: float) -> float:
    """Quantile of the standard normal (``p`` in (0, 1))."""
    return _NORMAL.inv_cdf(p)


def ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Mid-ranks (1-based, ties averaged) and the sizes of the tie groups."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            result[order[k]] = rank
        ties.append(j - i + 1)
        i = j + 1
    return result, ties


@dataclass(frozen=True)
class MannWhitney:
    """The Mann-Whitney U test of ``x`` against ``y`` (normal approximation, tie and
    continuity corrected, as ``scipy.stats.mannwhitneyu(method="asymptotic")``).

    :param u: U statistic of ``x``.
    :param z: standardised U (continuity corrected towards the alternative's centre).
    :param p_greater: one-sided p-value for ``x`` stochastically greater than ``y``.
    :param p_less: one-sided p-value for ``x`` stochastically less than ``y``.
    :param p_two_sided: two-sided p-value.
    """

    u: float
    z: float
    p_greater: float
    p_less: float
    p_two_sided: float


def _tie_sigma(nx: int, ny: int, ties: Sequence[int]) -> float:
    n = nx + ny
    tie_term = sum(t**3 - t for t in ties) / (n * (n - 1)) if n > 1 else 0.0
    return math.sqrt(nx * ny / 12.0 * ((n + 1) - tie_term))


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """Mann-Whitney U of ``x`` against ``y``; both must be non-empty."""
    nx, ny = len(x), len(y)
    if not nx or not ny:
        raise ValueError("mann_whitney needs two non-empty samples")
    r, ties = ranks([*x, *y])
    u = sum(r[:nx]) - nx * (nx + 1) / 2.0
    mu = nx * ny / 2.0
    sigma = _tie_sigma(nx, ny, ties)
    if sigma == 0.0:
        return MannWhitney(u, 0.0, 1.0, 1.0, 1.0)
    p_greater = min(1.0, normal_sf((u - mu - 0.5) / sigma))
    p_less = min(1.0, normal_sf((mu - u - 0.5) / sigma))
    z = (u - mu - math.copysign(0.5, u - mu)) / sigma if u != mu else 0.0
    p_two = min(1.0, 2.0 * normal_sf((abs(u - mu) - 0.5) / sigma))
    return MannWhitney(u, z, p_greater, p_less, p_two)


def _wdiff(x: Sequence[float], y: Sequence[float], shift: float, zq: float) -> float:
    nx, ny = len(x), len(y)
    r, ties = ranks([*(v - shift for v in x), *y])
    dz = sum(r[:nx]) - nx * (nx + 1) / 2.0 - nx * ny / 2.0
    sigma = _tie_sigma(nx, ny, ties)
    if sigma == 0.0:  # every value tied at this shift: no evidence either way
        return -zq
    correction = math.copysign(0.5, dz) if dz else 0.0
    return (dz - correction) / sigma - zq


def _root(x: Sequence[float], y: Sequence[float], zq: float, lo: float, hi: float) -> float:
    f_lo, f_hi = _wdiff(x, y, lo, zq), _wdiff(x, y, hi, zq)
    if f_lo <= 0:
        return lo
    if f_hi >= 0:
        return hi
    tol = 1e-12 * max(1.0, abs(lo), abs(hi))
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if _wdiff(x, y, mid, zq) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= tol:
            break
    return (lo + hi) / 2.0


def location_shift(
    x: Sequence[float], y: Sequence[float], confidence: float = 0.98
) -> tuple[float, float, float]:
    """Hodges-Lehmann estimate of ``x - y`` and its two-sided confidence interval, computed
    as R's ``wilcox.test(conf.int=TRUE, exact=FALSE, correct=TRUE)`` and Kayenta do.

    :returns: ``(low, estimate, high)``.
    """
    lo, hi = min(x) - max(y), max(x) - min(y)
    zq = normal_ppf(1.0 - (1.0 - confidence) / 2.0)
    low = _root(x, y, zq, lo, hi)
    high = _root(x, y, -zq, lo, hi)
    estimate = _root(x, y, 0.0, lo, hi)
    return low, estimate, high


def robust_sd(values: Sequence[float]) -> float:
    """Scale from the median absolute deviation, consistent for the normal (1.4826 x MAD)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    median = _median(ordered)
    return 1.4826 * _median(sorted(abs(v - median) for v in ordered))


def _median(ordered: Sequence[float]) -> float:
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0
