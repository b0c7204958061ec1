"""Moments of a nearest-rank sample quantile of normal data (pure, cached).

The nearest-rank ``q`` quantile of ``n`` draws is the order statistic ``Z_(k:n)`` with
``k = ceil(q*n)``; for a log-normal latency its log is ``mu + sigma * Z_(k:n)``. This module
gives ``E[Z_(k:n)] - z_q`` (the bias of the sample quantile) and ``Var[Z_(k:n)]``, by
quadrature of the order statistic's density on a fixed grid up to ``EXACT_MAX`` requests and
by the delta method (with its second-order mean term) beyond.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_ND = NormalDist()
_STEP = 0.01
_GRID = [-5.0 + _STEP * i for i in range(1301)]  # -5 .. 8
_LOG_PHI = [math.log(max(1e-300, 0.5 * math.erfc(-z / math.sqrt(2.0)))) for z in _GRID]
_LOG_SF = [math.log(max(1e-300, 0.5 * math.erfc(z / math.sqrt(2.0)))) for z in _GRID]
_LOG_PDF = [-0.5 * z * z - 0.5 * math.log(2.0 * math.pi) for z in _GRID]
EXACT_MAX = 4000


def _rank(n: int, q: float) -> int:
    return max(1, min(n, math.ceil(q * n - 1e-9)))


@lru_cache(maxsize=8192)
def moments(n: int, q: float = 0.99) -> tuple[float, float]:
    """``(E[Z_(k:n)] - z_q, Var[Z_(k:n)])`` for ``n >= 1`` requests."""
    n = max(1, int(n))
    k = _rank(n, q)
    zq = _ND.inv_cdf(q)
    if n > EXACT_MAX:
        p = k / (n + 1.0)
        z = _ND.inv_cdf(p)
        d = _ND.pdf(z)
        var = p * (1.0 - p) / ((n + 2.0) * d * d)
        return z + 0.5 * var * z - zq, var
    logc = math.lgamma(n + 1.0) - math.lgamma(k) - math.lgamma(n - k + 1.0)
    logs = [
        logc + (k - 1) * a + (n - k) * b + c
        for a, b, c in zip(_LOG_PHI, _LOG_SF, _LOG_PDF, strict=True)
    ]
    top = max(logs)
    w = [math.exp(v - top) for v in logs]
    s0 = sum(w)
    mean = sum(wi * z for wi, z in zip(w, _GRID, strict=True)) / s0
    var = sum(wi * (z - mean) ** 2 for wi, z in zip(w, _GRID, strict=True)) / s0
    return mean - zq, var
