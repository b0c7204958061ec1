"""Turning a gate and a metric provider into the judges' input, one interval at a time (I/O).

The query plan (which queries, with which placeholders, over which window) is pure and
tested on its own; :func:`collect` runs every query of the gate at once on a thread pool,
so a gate of twenty metrics takes about as long as its slowest query, and never longer
than its interval (queries still queued then are not run). A provider error
becomes the metric's ``error`` (missing data), never an exception out of here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from releasegate.analysis.data import MetricData, Observation
from releasegate.durations import format_duration
from releasegate.errors import ProviderError
from releasegate.placeholders import CONTEXTS, render_query
from releasegate.policy.model import Gate, Metric
from releasegate.providers import MetricProvider, Points
from releasegate.providers.bounded import interval_deadline

__all__ = [
    "PLACEHOLDERS",
    "Collected",
    "QuerySpec",
    "collect",
    "observation_grid",
    "plan_queries",
    "render_query",
]

#: The tokens a gate query may contain; each is replaced only as the whole ``{name}``.
PLACEHOLDERS = CONTEXTS["query"]
_MAX_POINTS = 10000
_MAX_WORKERS = 32
#: Judges that compare against the series' own history when there is no baseline.
_HISTORY_JUDGES = ("anomaly",)
_PRE_DEPLOY_JUDGES = ("ratio", "compare", "sequential")


def has_token(template: str, name: str) -> bool:
    """Whether ``template`` contains the whole token ``{name}``."""
    return "{" + name + "}" in template


@dataclass(frozen=True)
class QuerySpec:
    """One query to run for one metric.

    :param metric: the gate metric's name.
    :param role: ``canary``, ``baseline``, ``canary_count``, ``baseline_count`` or ``history``.
    :param query: the rendered PromQL.
    :param start: first grid time (unix seconds).
    :param end: last grid time (unix seconds).
    :param step: grid step in seconds (the gate interval).
    """

    metric: str
    role: str
    query: str
    start: float
    end: float
    step: float


def observation_grid(gate: Gate, deployed_at: float, now: float) -> tuple[float, float] | None:
    """The first and last observation times: whole intervals after ``deployed_at`` up to ``now``.

    ``None`` while not one interval has passed. A window longer than the provider can
    answer in one query keeps its most recent part.
    """
    step = gate.interval
    first = deployed_at + step
    if now < first:
        return None
    last = first + math.floor((now - first) / step + 1e-9) * step
    if (last - first) / step + 1 > _MAX_POINTS:
        first = last - (_MAX_POINTS - 1) * step
    return first, last


def _needs_history(metric: Metric, has_baseline: bool) -> bool:
    return metric.judge in _HISTORY_JUDGES or (
        not has_baseline and metric.judge in _PRE_DEPLOY_JUDGES
    )


def plan_queries(
    gate: Gate, *, service: str, env: str, deployed_at: float, now: float
) -> list[QuerySpec]:
    """Every query a gate needs at ``now`` for a rollout that started at ``deployed_at`` (pure).

    A query with ``{variant}`` runs once per variant of ``gate.variants`` (``canary`` and
    ``baseline``); one without runs once, as the canary (the whole service after a direct
    deploy). History before the deploy is queried for judges that need it, from the
    baseline variant when there is one.
    """
    values = {"service": service, "env": env, "interval": format_duration(gate.interval)}
    grid = observation_grid(gate, deployed_at, now)
    specs: list[QuerySpec] = []
    for metric in gate.metrics:
        variant = has_token(metric.query, "variant")
        roles: list[tuple[str, str, str | None]] = []  # (role, template, variant value)
        if variant:
            roles.append(("canary", metric.query, gate.variants.get("canary", "canary")))
            if "baseline" in gate.variants:
                roles.append(("baseline", metric.query, gate.variants["baseline"]))
        else:
            roles.append(("canary", metric.query, None))
        if metric.count_query:
            count_variant = has_token(metric.count_query, "variant")
            for role, _, value in list(roles):
                if role in ("canary", "baseline") and (count_variant or role == "canary"):
                    roles.append((f"{role}_count", metric.count_query, value))
        if grid is not None:
            for role, template, value in roles:
                rendered = render_query(
                    template, {**values, **({"variant": value} if value else {})}
                )
                specs.append(
                    QuerySpec(metric.name, role, rendered, grid[0], grid[1], gate.interval)
                )
        has_baseline = variant and "baseline" in gate.variants
        if _needs_history(metric, has_baseline) and metric.history > 0:
            value = gate.variants.get("baseline") if variant else None
            rendered = render_query(
                metric.query, {**values, **({"variant": value} if value else {})}
            )
            start = deployed_at - metric.history
            # Strictly before the deploy: a sample at the deploy instant may already be new.
            end = deployed_at - min(1.0, gate.interval / 2)
            specs.append(QuerySpec(metric.name, "history", rendered, start, end, gate.interval))
    return specs


@dataclass(frozen=True)
class Collected:
    """The judges' input for one interval, and what went wrong getting it.

    :param data: one :class:`MetricData` per gate metric, by name.
    :param provider_errors: messages of queries the provider could not answer.
    :param queries: the queries run, by ``(metric, role)``, for the decision's details.
    """

    data: dict[str, MetricData]
    provider_errors: tuple[str, ...]
    queries: dict[tuple[str, str], str]


def collect(
    gate: Gate,
    provider: MetricProvider,
    *,
    service: str,
    env: str,
    deployed_at: float,
    now: float,
    max_workers: int | None = None,
) -> Collected:
    """Run every query of ``gate`` concurrently and assemble one :class:`MetricData` per metric.

    :param gate: the gate to collect for.
    :param provider: the metrics backend.
    :param service: value of ``{service}``.
    :param env: value of ``{env}``.
    :param deployed_at: when the rollout (or this canary step) started, unix seconds.
    :param now: the evaluation time, unix seconds.
    :param max_workers: thread pool size; one thread per query up to 32 when ``None``.
    """
    specs = plan_queries(gate, service=service, env=env, deployed_at=deployed_at, now=now)
    answers: dict[tuple[str, str], Points | ProviderError] = {}
    if specs:
        workers = max_workers or min(_MAX_WORKERS, len(specs))
        # Every query of this interval, retries and queueing included, ends with the interval.
        until = time.monotonic() + gate.interval
        with ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="releasegate-query"
        ) as pool:
            futures = {
                (spec.metric, spec.role): pool.submit(_run, provider, spec, gate, until)
                for spec in specs
            }
            answers = {key: future.result() for key, future in futures.items()}
    errors = tuple(str(a) for a in answers.values() if isinstance(a, ProviderError))
    data = {metric.name: _metric_data(metric, answers) for metric in gate.metrics}
    return Collected(data, errors, {(s.metric, s.role): s.query for s in specs})


def _run(
    provider: MetricProvider, spec: QuerySpec, gate: Gate, until: float
) -> Points | ProviderError:
    if time.monotonic() >= until:  # queued behind queries that used up the interval
        return ProviderError(
            f"gate {gate.name}: query {spec.query!r} not run: the gate interval"
            f" ({format_duration(gate.interval)}) was spent waiting for the provider; fix the"
            " server or lengthen the interval"
        )
    try:
        with interval_deadline(until):
            return provider.query_range(spec.query, spec.start, spec.end, spec.step)
    except ProviderError as exc:
        return exc


def _values(answer: Points | ProviderError | None) -> dict[float, float | None]:
    if isinstance(answer, Points):
        return dict(answer.points)
    return {}


def _metric_data(
    metric: Metric, answers: Mapping[tuple[str, str], Points | ProviderError]
) -> MetricData:
    mine = {role: answer for (name, role), answer in answers.items() if name == metric.name}
    problems = [str(a) for a in mine.values() if isinstance(a, ProviderError)]
    for role, answer in mine.items():
        if isinstance(answer, Points) and answer.note and answer.present == 0 and role != "history":
            problems.append(f"{metric.name} {role}: {answer.note}")
    canary, baseline = _values(mine.get("canary")), _values(mine.get("baseline"))
    canary_n, baseline_n = _values(mine.get("canary_count")), _values(mine.get("baseline_count"))
    grid = mine.get("canary")
    times: Sequence[float] = [t for t, _ in grid.points] if isinstance(grid, Points) else []
    observations = tuple(
        Observation(
            time=t,
            canary=canary.get(t),
            baseline=baseline.get(t),
            canary_count=canary_n.get(t),
            baseline_count=baseline_n.get(t),
        )
        for t in times
    )
    history_answer = mine.get("history")
    history = history_answer.points if isinstance(history_answer, Points) else ()
    return MetricData(
        metric=metric.name,
        history=tuple(history),
        observations=observations,
        error=_first_of(problems),
    )


def _first_of(problems: Sequence[str]) -> str | None:
    """One problem to report for a metric: the first, and how many more there were."""
    if not problems:
        return None
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more of its queries)" if more else "")
