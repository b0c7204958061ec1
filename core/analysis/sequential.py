"""The sequential judge: CUSUM charts on baseline-conditioned likelihood ratios (pure).

Each interval adds the log-likelihood ratio of "the canary is worse by a design
effect" against "the canary is the same as the baseline" to a Page CUSUM chart,
``S = max(0, S + l)``, one chart per design of a grid over the regressions worth
a rollback (a discretised GLR over the effect size), and the metric fails when a
chart reaches the threshold ``h``. Comparing with the baseline of the same
interval cancels everything that hits both versions (load, diurnal trends,
shared incidents):

* ``rate`` metrics (errors/requests, conversions/sessions): given the interval's
  total events ``E``, the canary's share is binomial with ``pi0 = n_c/(n_c+n_b)``
  under "same rate" and ``pi1 = r*n_c/(r*n_c+n_b)`` under "rate x r". The
  increments are deflated by the over-dispersion ``phi = 1 + tau2*E*pi0*(1-pi0)``
  (quasi-likelihood), with ``tau2`` the extra variance of the log rate ratio
  estimated online from successive differences (robust to the level shift a
  regression causes), each standardised by its own sampling variance (a clipped
  M-estimator, :func:`_rate_tau2`). A mixture chart keeps evidence across intermittent bursts.
* ``level`` metrics (latency quantiles): ``y = log(canary/baseline)`` of a sample
  quantile (the metric's ``quantile``, e.g. a p99) of ``n_c`` and ``n_b`` requests has the
  order-statistic bias and variance of a log-normal latency, with the per-request spread
  and the pod noise estimated per rollout from successive differences (:mod:`orderstat`);
  a level without a quantile (a mean) has no bias and a spread of ``sigma^2/n``; the
  residual is a Student-t
  (heavy tails for one-off spikes), a run of evidence longer than a few intervals pays a
  log(window) penalty, and the warm-up intervals after the deploy and after each
  traffic-share increase add only the evidence of a level beyond the warm-up excess.

Beside the CUSUM, a mixture SPRT over the same designs runs from the deploy and
is never restarted: by Ville's inequality it needs no allowance for the horizon,
so a regression present from the first interval is caught with less evidence.

Every step also hands the gate a small-effect increment for its combined chart
(:func:`combined_chart`). Over a rollout of ``T`` intervals the false-alarm
probability of a chart is about ``T*exp(-h)`` (Lorden); the default ``h`` follows
from the metric's ``alpha`` and a horizon ``T`` (shorter for the level charts).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from releasegate.analysis.data import MetricData, Observation
from releasegate.analysis.orderstat import moments
from releasegate.analysis.stats import is_number
from releasegate.analysis.verdict import Measurement
from releasegate.policy.model import Metric, sequential_kind

#: Rollout length (intervals) the rate charts' and the combined chart's default threshold is set
#: for: h = log(HORIZON / alpha). Lorden's bound ``T*exp(-h)`` is conservative for these charts
#: (bounded increments, overlapping designs); with the over-dispersion estimate counting each
#: difference by its information and the combined chart's increments bounded per metric, 30
#: intervals hold the healthy peaks where 50 did before (6 of 480 dev rollouts within 0.9 of it).
HORIZON = 30.0
#: The level charts' horizon: their calibrated order-statistic model with Student-t tails keeps
#: healthy peaks further below the threshold, so a shorter one keeps the same false rollbacks.
LEVEL_HORIZON = 20.0
#: Designs (rate multipliers) of the rate charts, for a bad increase and a bad decrease: a
#: coarse grid (a discretised GLR) over the regressions worth a rollback, errors x1.5 to x10
#: and a KPI down 5 % to 50 %; neighbours are about a factor 3 (or 2.5) apart.
RATE_DESIGNS = {1: (1.5, 3.0, 10.0), -1: (0.95, 0.8, 0.5)}
#: Design (multiplier, share of intervals) of the intermittent-fault mixture chart.
BURST_DESIGN = (10.0, 0.3)
#: Designs (multipliers) of the level charts: the latency regressions worth catching, from
#: +10 % (the edge of the indifference zone's complement) to x2, a grid of a discretised GLR.
LEVEL_DESIGNS = (1.1, 1.2, 1.35, 1.6, 2.0)
#: The spread of a one-off spike (GC pause, cold cache) on the log scale (x1.3..x3: sd log 3).
SPIKE_SD = math.log(3.0)
#: Prior over-dispersion (variance of the log ratio) and its weight in intervals.
TAU2_PRIOR = {"rate": 0.02, "level": 0.01}
PRIOR_WEIGHT = 5.0
#: Evidence one interval adds in full, in nats, so an ordinary noisy interval cannot trigger.
CAP = {"rate": 6.0}
#: The threshold the cap is set for (log(50 / 0.01)): the cap scales with a chart's threshold, so
#: one interval rolls back on its own at about twice the threshold whatever the horizon.
CAP_AT = math.log(50.0 / 0.01)
#: Evidence beyond the cap counts at a quarter, so one interval rolls back on its own only with
#: 6 + 4 x 2.5 = 16 nats, about twice the threshold (the most any healthy dev rollout showed in
#: one interval is 14): a crash burst of +10 percentage points carries 50 to 800.
SURGE_SLOPE = 4.0
#: Designs of the combined chart, which sums one small-effect increment of every metric of
#: a gate: the smallest regressions worth a rollback (errors x1.5, KPI -5 %, latency +10 %).
COMBINED_RATE_DESIGN = {1: 1.5, -1: 0.95}
COMBINED_LEVEL_DESIGN = 1.1
#: Fewest consecutive bad intervals that may roll back a level chart: a GC pause or a cold
#: cache can lift one group's p99 for up to two intervals, so one interval adds at most h/3.
LEVEL_RUN = 3
#: Intervals without level evidence after the deploy, and after a traffic-share increase.
WARMUP = 2
SHARE_STEP = 1.5
#: The largest warm-up excess of the canary's level in those intervals (x1.8 in the first
#: interval after the deploy, x1.3 in the second, x1.4 after a traffic-share increase): a
#: warm-up interval adds the evidence of what lies beyond it, never less than nothing.
WARMUP_EXCESS = (1.8, 1.3)
STEP_EXCESS = 1.4
#: The from-deploy test beside the CUSUM: a mixture SPRT over a metric's designs (the log of
#: the mean of their likelihood ratios), started at the deploy and never restarted. It is a
#: test martingale, so by Ville's inequality it rejects at ``log(SPRT_METRICS / alpha)`` with
#: probability at most ``alpha / SPRT_METRICS`` over any horizon: no ``log(horizon)`` to pay
#: for regressions present from the first interval (most of them), and alpha split over a
#: gate's usual three metrics (errors, latency, a KPI). Each interval adds at most
#: ``1 / SPRT_RUN`` of its threshold (the CUSUM's rule: two intervals for a rate, three for
#: a level), so no single interval rolls back through it.
SPRT = True
SPRT_METRICS = 3.0
SPRT_RUN = {"rate": 2, "level": 3}
#: A level chart's evidence over a long run is overstated: a p99 ratio drifts slowly with the
#: background (incidents, diurnal residue), which successive differences do not see. So a run
#: of ``m`` intervals needs ``LEVEL_PENALTY * log(m / LEVEL_PENALTY_FROM)`` nats more than ``h``
#: once it is longer than ``LEVEL_PENALTY_FROM`` intervals (a GLR over onsets with a
#: log(window) penalty); runs longer than ``LEVEL_WINDOW`` pay the penalty of that length.
LEVEL_PENALTY = 1.0
LEVEL_PENALTY_FROM = 5
LEVEL_WINDOW = 20
#: The key of the increment each step hands to the gate's combined chart.
COMBINED = "combined"


def default_threshold(alpha: float, kind: str = "rate") -> float:
    """The CUSUM threshold of a ``kind`` metric for a false-rollback probability ``alpha``
    over a rollout."""
    return math.log((LEVEL_HORIZON if kind == "level" else HORIZON) / alpha)


def metric_kind(metric: Metric) -> str:
    """``rate`` or ``level``: the metric's own ``kind``, or from whether it has a count."""
    return sequential_kind(metric.kind, metric.count_query)


#: Clip of the standardised squared successive differences in the rate over-dispersion
#: estimate (a Huber-type M-estimator): a step of the log ratio, the jump a regression makes,
#: counts as a ``chi-square(1)`` value of at most 4 (its 95th percentile), not its size.
HUBER_C = 4.0
#: E[min(X, HUBER_C)] for X ~ chi-square(1): the integral of its survival function up to c.
_HUBER_MEAN = (
    sum(math.erfc(math.sqrt((i + 0.5) * HUBER_C / 800.0)) for i in range(400)) * HUBER_C / 400.0
)
#: The values of ``tau2`` the rate over-dispersion estimate keeps its running sums at: 0, then
#: 1e-4 to 10 in steps of x1.2 (a log-ratio sd of 0.01 to 3). Between two of them the estimate
#: interpolates, so each interval costs a fixed number of steps whatever the rollout's length.
RATE_TAU2_GRID = (0.0, *(1e-4 * 1.2**k for k in range(64)))


class _Dispersion:
    """Running sums of the rate over-dispersion M-estimate at every ``RATE_TAU2_GRID`` value.

    ``score[k]`` is ``sum w (min(d^2 / (v + 2 t_k), c) - E min(chi2_1, c))`` over the
    successive differences so far and ``info[k]`` their information ``sum (2 t_k / (v +
    2 t_k))^2``; both are sums, so a new difference updates them in place and the estimate
    (the root of ``score``) is read off by interpolation, not re-solved over all past data."""

    __slots__ = ("score", "info", "n")

    def __init__(self) -> None:
        self.score = [0.0] * len(RATE_TAU2_GRID)
        self.info = [0.0] * len(RATE_TAU2_GRID)
        self.n = 0

    def add(self, d: float, v: float, prior: float) -> None:
        w = 1.0 / (v + 2.0 * prior)
        score, info = self.score, self.info
        for k, t2 in enumerate(RATE_TAU2_GRID):
            s = v + 2.0 * t2
            score[k] += w * (min(d / s, HUBER_C) - _HUBER_MEAN)
            info[k] += (2.0 * t2 / s) ** 2
        self.n += 1

    def root(self) -> float:
        """The ``tau2`` where the score crosses 0 (0 if it never is positive)."""
        score = self.score
        if score[0] <= 0.0:
            return 0.0
        for k in range(1, len(score)):
            if score[k] <= 0.0:
                lo, hi = RATE_TAU2_GRID[k - 1], RATE_TAU2_GRID[k]
                return lo + (hi - lo) * score[k - 1] / (score[k - 1] - score[k])
        return RATE_TAU2_GRID[-1]

    def information(self, t2: float) -> float:
        """``sum (2 t2 / (v + 2 t2))^2``, interpolated between the grid values."""
        grid = RATE_TAU2_GRID
        if t2 >= grid[-1]:
            return self.info[-1]
        k = bisect.bisect_right(grid, t2)
        lo, hi = grid[k - 1], grid[k]
        share = (t2 - lo) / (hi - lo)
        return self.info[k - 1] + share * (self.info[k] - self.info[k - 1])


@dataclass
class _State:
    """The running charts of one metric: a fixed number of numbers, whatever the rollout's
    length (the level charts keep the last ``LEVEL_WINDOW`` intervals' increments)."""

    charts: dict[str, float] = field(default_factory=dict)
    dispersion: _Dispersion = field(default_factory=_Dispersion)
    prev: tuple[float, float] | None = None
    share: float | None = None
    seen: int = 0
    grace: int | None = None
    allowance: list[float] = field(default_factory=list)
    peak: float = 0.0
    sprt: dict[str, float] = field(default_factory=dict)
    grid: list[float] = field(default_factory=list)
    last: tuple[float, float, float] | None = None
    window: deque[dict[str, float]] = field(default_factory=deque)


def _rate_tau2(state: _State) -> float:
    """The over-dispersion ``tau2`` of the log rate ratio (the variance the two groups' own
    pod-to-pod noise adds), shrunk to the prior by the differences' information.

    Successive differences ``d`` of the log ratio are robust to the level shift a regression
    causes; each has its own sampling variance ``v`` (two intervals' ``1/(E pi0 (1-pi0))``, the
    variance of the log ratio given the interval's total events under "same rate", which unlike
    the observed counts does not move with the difference itself), so the estimate solves
    ``sum w (min(d^2 / (v + 2 tau2), c) - E min(chi2_1, c)) = 0`` with the information weights
    ``w = 1 / (v + 2 prior)``: low-count intervals, whose differences are sampling noise, weigh
    little, and one large step counts no more than an ordinary tail value. The sums are kept
    on a grid of ``tau2`` (:class:`_Dispersion`), so this costs the same at every interval."""
    prior = TAU2_PRIOR["rate"]
    if not state.dispersion.n:
        return prior
    estimate = state.dispersion.root()
    # Shrunk to the prior by the differences' information, each ``(2t / (v + 2t))^2`` of a
    # noise-free one (``t`` the estimate or the prior if larger), not by their number: a
    # low-count interval's difference is sampling noise and says nothing about ``tau2``, so a
    # run of them must not pull the estimate from the prior towards 0.
    weight = state.dispersion.information(max(estimate, prior))
    return (PRIOR_WEIGHT * prior + weight * estimate) / (PRIOR_WEIGHT + weight)


def _track(state: _State, y: float, v: float) -> None:
    if state.prev is not None:
        state.dispersion.add((y - state.prev[0]) ** 2, v + state.prev[1], TAU2_PRIOR["rate"])
    state.prev = (y, v)


def _cusum(state: _State, increments: dict[str, float]) -> None:
    for name, inc in increments.items():
        state.charts[name] = max(0.0, state.charts.get(name, 0.0) + inc)


def _penalty(m: int) -> float:
    return LEVEL_PENALTY * max(0.0, math.log(m / LEVEL_PENALTY_FROM))


def _penalised(state: _State, increments: dict[str, float]) -> tuple[str, float]:
    """The level charts' largest evidence net of the window penalty: over the runs of the last
    ``LEVEL_WINDOW`` intervals, and the CUSUM (any longer run) at the penalty of that length."""
    state.window.append(increments)
    if len(state.window) > LEVEL_WINDOW:
        state.window.popleft()
    penalties = [_penalty(m) for m in range(1, len(state.window) + 1)]
    far = _penalty(LEVEL_WINDOW)
    best, name = 0.0, "-"
    for design, chart in state.charts.items():
        if chart - far > best:
            best, name = chart - far, design
        total = 0.0
        for penalty, inc in zip(penalties, reversed(state.window), strict=False):
            total += inc.get(design, 0.0)
            if total - penalty > best:
                best, name = total - penalty, design
    return name, best


def sprt_threshold(alpha: float) -> float:
    """The from-deploy mixture SPRT's threshold for a false-rollback probability ``alpha``."""
    return math.log(SPRT_METRICS / alpha)


def _log_mean_exp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values) / len(values))


def _signs(direction: str) -> tuple[int, ...]:
    return {"increase": (1,), "decrease": (-1,)}.get(direction, (1, -1))


def _rate_step(state: _State, metric: Metric, obs: Observation, h: float) -> dict[str, float] | str:
    if not (is_number(obs.canary_count) and is_number(obs.baseline_count)):
        return "no request counts for this interval (set count_query)"
    n_c, n_b = float(obs.canary_count), float(obs.baseline_count)  # type: ignore[arg-type]
    if n_c <= 0 or n_b <= 0:
        return "no canary or baseline traffic in this interval"
    e_c = max(0.0, round(float(obs.canary) * n_c))  # type: ignore[arg-type]
    e_b = max(0.0, round(float(obs.baseline) * n_b))  # type: ignore[arg-type]
    total = e_c + e_b
    pi0 = n_c / (n_c + n_b)
    tau2 = _rate_tau2(state)
    phi = 1.0 + tau2 * total * pi0 * (1.0 - pi0)
    y = math.log((e_c + 0.5) / n_c) - math.log((e_b + 0.5) / n_b)
    _track(state, y, 1.0 / ((total + 1.0) * pi0 * (1.0 - pi0)))
    cap = CAP["rate"] * h / CAP_AT

    def bound(x: float) -> float:
        return max(-cap, x if x <= cap else cap + (x - cap) / SURGE_SLOPE)

    def llr(r: float) -> float:
        pi1 = r * pi0 / (r * pi0 + 1.0 - pi0)
        return (e_c * math.log(pi1 / pi0) + e_b * math.log((1.0 - pi1) / (1.0 - pi0))) / phi

    increments: dict[str, float] = {}
    for sign in _signs(metric.direction):
        for design in RATE_DESIGNS[sign]:
            increments[f"x{design:g}"] = bound(llr(design))
        if sign > 0:
            r, q = BURST_DESIGN
            burst = math.log1p(q * math.expm1(min(llr(r), 50.0)))
            increments[f"burst x{r:g}"] = bound(burst)
    increments[COMBINED] = max(
        max(-cap, min(cap, llr(COMBINED_RATE_DESIGN[sign]))) for sign in _signs(metric.direction)
    )
    return increments


#: The level model of a latency quantile ``q``: ``log value = mu + sigma * Z_(k:n) + pod noise``,
#: with ``Z_(k:n)``, ``k = ceil(q*n)``, the order statistic of ``n`` standard normals (a sample
#: quantile; its bias below z_q and its variance from :mod:`orderstat`: for a p99 up to -1.2
#: sigma and 1 sigma^2 for a few requests, and a sawtooth at n = 99 / 100 where the p99 stops
#: being the maximum; a Prometheus histogram_quantile interpolates within a bucket, which this
#: approximates), ``sigma`` the per-request
#: log-sd of the service and ``tau2`` the pod-to-pod variance of the log ratio. Both are unknown
#: and estimated per rollout on a grid from the successive differences of the log ratio (robust
#: to the level shift a regression causes; a share ``DIFF_SPIKE`` of them may be spoilt by a
#: spike), with a prior of ``PRIOR_WEIGHT`` pseudo-differences at ``TAU2_PRIOR["level"]`` and a
#: flat one over ``SIGMA_GRID``. Under "no regression" an interval's log ratio is then normal
#: with mean ``E[sigma]*(m_c - m_b)`` and variance ``E[sigma^2]*(v_c + v_b) + Var[sigma]*(m_c -
#: m_b)^2 + E[tau2]`` (the uncertainty of sigma widens the variance where the bias is large),
#: and the residual about that mean is a Student-t (:func:`_residual_logpdf`).
SIGMA_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TAU2_GRID = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16)
DIFF_SPIKE = 0.35


def _grid_prior() -> list[float]:
    w, t0 = PRIOR_WEIGHT, TAU2_PRIOR["level"]
    return [-0.5 * w * (math.log(t2) + t0 / t2) for _ in SIGMA_GRID for t2 in TAU2_GRID]


def _grid_update(state: _State, y: float, d: float, v: float) -> None:
    """Add the log-likelihood of the latest successive difference to every (sigma, tau2) cell."""
    if not state.grid:
        state.grid = _grid_prior()
    if state.last is not None:
        y0, d0, v0 = state.last
        diff, dd, vv = y - y0, d - d0, v + v0
        i = 0
        for sigma in SIGMA_GRID:
            x = diff - sigma * dd
            for t2 in TAU2_GRID:
                s2 = sigma * sigma * vv + 2.0 * t2
                wide = s2 + 2.0 * SPIKE_SD * SPIKE_SD
                core = (1.0 - DIFF_SPIKE) * math.exp(-x * x / (2.0 * s2)) / math.sqrt(s2)
                spike = DIFF_SPIKE * math.exp(-x * x / (2.0 * wide)) / math.sqrt(wide)
                state.grid[i] += math.log(core + spike)
                i += 1
    state.last = (y, d, v)


def _grid_null(state: _State, d: float, v: float) -> tuple[float, float]:
    """Mean and variance of the log ratio under "no regression" for bias ``d`` and order-statistic
    variance ``v`` (in units of sigma and sigma^2), over the posterior of (sigma, tau2)."""
    top = max(state.grid)
    ws = [math.exp(g - top) for g in state.grid]
    total = sum(ws)
    e_s = e_s2 = e_t2 = 0.0
    i = 0
    for sigma in SIGMA_GRID:
        for t2 in TAU2_GRID:
            w = ws[i] / total
            e_s += w * sigma
            e_s2 += w * sigma * sigma
            e_t2 += w * t2
            i += 1
    return e_s * d, e_s2 * v + (e_s2 - e_s * e_s) * d * d + e_t2


def _level_step(state: _State, metric: Metric, obs: Observation) -> dict[str, float] | str:
    c, b = float(obs.canary), float(obs.baseline)  # type: ignore[arg-type]
    if c <= 0 or b <= 0:
        return "a non-positive value cannot be compared on a log scale"
    y = math.log(c / b)
    d = v = 0.0
    if is_number(obs.canary_count) and is_number(obs.baseline_count):
        n_c, n_b = float(obs.canary_count), float(obs.baseline_count)  # type: ignore[arg-type]
        if n_c <= 0 or n_b <= 0:
            return "no canary or baseline traffic in this interval"
        if metric.quantile is not None:
            (m_c, v_c), (m_b, v_b) = (
                moments(round(n_c), metric.quantile),
                moments(round(n_b), metric.quantile),
            )
            d, v = m_c - m_b, v_c + v_b
        else:  # a mean-like level: no small-sample bias, a spread of sigma^2 / n
            d, v = 0.0, 1.0 / n_c + 1.0 / n_b
        share = n_c / (n_c + n_b)
        if state.share is not None and share > SHARE_STEP * state.share:
            state.grace = max(state.grace or 0, 1)
            state.allowance = [
                max(STEP_EXCESS, state.allowance[0]) if state.allowance else STEP_EXCESS
            ]
        state.share = share if state.share is None else max(share, state.share)
    _grid_update(state, y, d, v)
    bias, s2 = _grid_null(state, d, v)
    y -= bias
    if state.grace is None:
        state.grace = WARMUP
        state.allowance = list(WARMUP_EXCESS[:WARMUP])
    if state.grace > 0:
        state.grace -= 1
        excess = state.allowance.pop(0) if state.allowance else None
        if excess is None or metric.direction == "decrease":
            return {}
        beyond = y - math.log(excess)
        null = _residual_logpdf(beyond, s2)
        return {
            f"x{ratio:.3g}": max(0.0, _residual_logpdf(beyond - math.log(ratio), s2) - null)
            for ratio in LEVEL_DESIGNS
        }
    null = _residual_logpdf(y, s2)
    increments: dict[str, float] = {}
    for sign in _signs(metric.direction):
        for ratio in LEVEL_DESIGNS:
            mu = sign * math.log(ratio)
            increments[f"x{math.exp(mu):.3g}"] = _residual_logpdf(y - mu, s2) - null
    increments[COMBINED] = max(
        _residual_logpdf(y - sign * math.log(COMBINED_LEVEL_DESIGN), s2) - null
        for sign in _signs(metric.direction)
    )
    return increments


def _residual_logpdf(x: float, s2: float) -> float:
    """Log density of a level residual: a Student-t with ``STUDENT_NU`` degrees of freedom
    and scale ``STUDENT_SCALE * s2`` (heavy tails for one-off spikes: GC pauses, cold
    caches). Its likelihood ratio redescends, so a spike far beyond a design adds less
    evidence than one at the design; ``LEVEL_RUN`` still bounds one interval's evidence."""
    t2 = STUDENT_SCALE * s2
    return -0.5 * math.log(t2) - (STUDENT_NU + 1.0) / 2.0 * math.log1p(x * x / (STUDENT_NU * t2))


#: Level residuals as a Student-t (degrees of freedom, scale over the modelled variance):
#: four degrees of freedom, so a single GC-like spike (x1.3-3) is a tail event, not a shift.
STUDENT_NU = 4.0
STUDENT_SCALE = 0.8


def _step(state: _State, metric: Metric, kind: str, h: float, obs: Observation) -> Measurement:
    if not (is_number(obs.canary) and is_number(obs.baseline)):
        side = "canary" if not is_number(obs.canary) else "baseline"
        return Measurement(
            obs.time, "inconclusive", f"no {side} value for this interval, no evidence taken"
        )
    result = (
        _rate_step(state, metric, obs, h) if kind == "rate" else _level_step(state, metric, obs)
    )
    if isinstance(result, str):
        return Measurement(obs.time, "inconclusive", result)
    if kind == "level":
        result = {k: min(v, h / LEVEL_RUN) for k, v in result.items()}
    combined = result.pop(COMBINED, None)
    if combined is not None:
        # One metric's interval adds at most 1/SPRT_RUN of its threshold to the combined chart
        # (the level charts' rule already): the chart is for several metrics a little worse at
        # once, and one metric's outlier is its own chart's to judge.
        combined = min(combined, h / SPRT_RUN[kind])
    state.seen += 1
    _cusum(state, result)
    if kind == "level" and LEVEL_PENALTY:
        name, value = _penalised(state, result)
    else:
        name, value = (
            max(state.charts.items(), key=lambda item: item[1]) if state.charts else ("-", 0.0)
        )
    state.peak = max(state.peak, value)
    stat: dict[str, float | str] = {
        "cusum": round(value, 6),
        "threshold": round(h, 6),
        "design": name,
    }
    stat.update({f"llr {k}": round(v, 6) for k, v in result.items()})
    if combined is not None:
        stat["llr combined"] = combined
    if SPRT and result:
        h_s = h * sprt_threshold(metric.alpha) / default_threshold(metric.alpha, kind)
        for k, v in result.items():
            state.sprt[k] = state.sprt.get(k, 0.0) + min(v, h_s / SPRT_RUN[kind])
        sprt = _log_mean_exp(list(state.sprt.values()))
        stat["sprt"] = round(sprt, 6)
        stat["sprt threshold"] = round(h_s, 6)
        if sprt >= h_s and value < h:
            reason = (
                f"SPRT since the deploy {sprt:.2f} >= {h_s:.2f}:"
                " the canary has been worse than the baseline from the start"
            )
            return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
    if kind == "level" and not result:
        return Measurement(
            obs.time,
            "pass",
            "warm-up interval after a traffic increase, no latency evidence taken",
            stat,
            obs.canary_count,
        )
    if value >= h:
        reason = (
            f"CUSUM {value:.2f} >= {h:.2f}: the canary is worse than the baseline (design {name})"
        )
        return Measurement(obs.time, "fail", reason, stat, obs.canary_count)
    reason = f"CUSUM {value:.2f} < {h:.2f} (design {name})"
    return Measurement(obs.time, "pass", reason, stat, obs.canary_count)


class SequentialJudge:
    """One metric's sequential judge, fed one interval at a time: each :meth:`step` costs a
    fixed number of operations and the state holds a fixed number of values, whatever the
    rollout's length. It is not shared: every gate run (and every call of
    :func:`judge_sequential`) builds its own."""

    def __init__(self, metric: Metric) -> None:
        self.metric = metric
        self.kind = metric_kind(metric)
        self.h = (
            metric.threshold
            if metric.threshold is not None
            else default_threshold(metric.alpha, self.kind)
        )
        self.state = _State()

    def step(self, obs: Observation) -> Measurement:
        """The measurement of the next interval."""
        return _step(self.state, self.metric, self.kind, self.h, obs)


def judge_sequential(metric: Metric, data: MetricData, interval: float) -> list[Measurement]:
    """One measurement per interval: ``fail`` once a chart reaches the threshold, ``pass``
    while the charts stay below it, ``inconclusive`` when the interval has no usable data.

    Deterministic and pure, linear in the series' length (:class:`SequentialJudge` step by
    step); a live loop or a replay that judges interval by interval holds a
    :class:`SequentialJudge` instead (``releasegate.analysis.gate.GateRun`` does).
    """
    judge = SequentialJudge(metric)
    return [judge.step(obs) for obs in data.observations]


def combined_chart(series: Sequence[Sequence[Measurement]], h: float) -> tuple[float, int]:
    """The gate's combined CUSUM over the sum, per interval, of every metric's small-effect
    increment (``llr combined``): several metrics each a little worse add up to evidence
    that none of them holds alone.

    :returns: the chart's latest value and how many intervals it stood at ``h`` or above.
    """
    by_time: dict[float, float] = {}
    for measurements in series:
        for m in measurements:
            inc = m.statistic.get("llr combined")
            if isinstance(inc, float):
                by_time[m.time] = by_time.get(m.time, 0.0) + inc
    value, alarms = 0.0, 0
    for t in sorted(by_time):
        value = max(0.0, value + by_time[t])
        alarms += value >= h
    return value, alarms


def chart_values(measurements: Sequence[Measurement]) -> list[float]:
    """The CUSUM value after each measured interval (for explanations and tuning)."""
    return [float(m.statistic.get("cusum", 0.0)) for m in measurements]
