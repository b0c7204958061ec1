"""Adaptive steps: how far a passing canary step advances, decided by a condition (pure).

A step's ``advance: {by, when, otherwise}`` says: advance by ``by`` percentage points
when ``when`` (a criteria expression over the metric values of the step's latest
interval) holds, else by ``otherwise``. The condition only chooses the pace: a false
condition, or one that cannot be evaluated for lack of data, takes the slow branch and
never rolls back; rolling back is the gates' job.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from releasegate.analysis.data import MetricData
from releasegate.criteria import CriteriaError, MissingName, parse
from releasegate.policy.model import Advance, CanaryStep

__all__ = ["Choice", "decide", "expand", "latest_values", "target_index", "value_name"]


def value_name(metric: str) -> str:
    """The name a metric goes by in a condition: dashes become underscores (``latency-p99``
    is ``latency_p99``)."""
    return metric.replace("-", "_")


def latest_values(data: Iterable[Mapping[str, MetricData]]) -> dict[str, float]:
    """The canary's value of every metric at its latest interval, by :func:`value_name`.

    :param data: each gate's collected data, metric name to :class:`MetricData`.
    A metric whose latest interval has no value (missing, NaN, infinite) is left out, so a
    condition reading it cannot hold.
    """
    out: dict[str, float] = {}
    for gate in data:
        for name, metric in gate.items():
            if not metric.observations or metric.error:
                continue
            value = metric.observations[-1].canary
            if value is not None and math.isfinite(value):
                out[value_name(name)] = value
    return out


@dataclass(frozen=True)
class Choice:
    """Which branch of an advance rule was taken, and why.

    :param branch: ``when`` (the condition held) or ``otherwise``.
    :param by: percentage points to advance.
    :param reason: one sentence naming the condition and the values it read.
    """

    branch: Literal["when", "otherwise"]
    by: float
    reason: str


def _shown(names: Iterable[str], values: Mapping[str, float]) -> str:
    return ", ".join(f"{n}={values[n]:g}" for n in sorted(names) if n in values)


def decide(rule: Advance, values: Mapping[str, float]) -> Choice:
    """The branch of ``rule`` for the latest interval's ``values``.

    Missing values (or a division by zero) take the ``otherwise`` branch: missing data
    only ever slows a rollout down.

    :raises releasegate.criteria.CriteriaError: when ``rule.when`` does not parse (``check``
        refuses such a policy first).
    """
    condition = parse(rule.when)
    try:
        held = condition.evaluate(values)
    except MissingName as exc:
        seen = _shown(condition.names, values)
        return Choice(
            "otherwise",
            rule.otherwise,
            f"advance +{rule.otherwise:g}: no value for {', '.join(exc.names)} in"
            f" `{condition.text}`" + (f" ({seen})" if seen else "") + ", so the slow branch",
        )
    except CriteriaError as exc:
        return Choice(
            "otherwise",
            rule.otherwise,
            f"advance +{rule.otherwise:g}: `{condition.text}` cannot be evaluated ({exc})"
            f" ({_shown(condition.names, values)}), so the slow branch",
        )
    seen = _shown(condition.names, values)
    if held:
        return Choice("when", rule.by, f"advance +{rule.by:g}: `{condition.text}` holds ({seen})")
    return Choice(
        "otherwise",
        rule.otherwise,
        f"advance +{rule.otherwise:g}: `{condition.text}` is false ({seen})",
    )


def _grid(rule: Advance) -> float:
    """The weight increment every reachable weight of ``rule`` is a multiple of."""
    return float(math.gcd(int(rule.by), int(rule.otherwise)))


def expand(steps: tuple[CanaryStep, ...]) -> tuple[CanaryStep, ...]:
    """The policy's steps with the weights an ``advance`` rule can reach filled in.

    A step with a rule repeats (same pause, gates and rule) every ``gcd(by, otherwise)``
    points up to the next listed step, so both branches land on a step: ``10 by 20 else 10``
    followed by ``100`` walks 10, 20, ... 90, 100. Each step keeps ``origin``, the index of
    the policy step it comes from.
    """
    out: list[CanaryStep] = []
    for index, step in enumerate(steps):
        step = replace(step, origin=index)
        out.append(step)
        if step.advance is None:
            continue
        ceiling = steps[index + 1].weight if index + 1 < len(steps) else 100.0
        grid = _grid(step.advance)
        weight = step.weight + grid
        while weight < ceiling:
            out.append(replace(step, weight=weight))
            weight += grid
    return tuple(out)


def target_index(steps: tuple[CanaryStep, ...], index: int, by: float) -> int:
    """The index of the step ``by`` points above step ``index``, never past the next step the
    policy lists (a listed step is never skipped) nor past the last one."""
    current = steps[index]
    want = current.weight + by
    target = index + 1
    while (
        target + 1 < len(steps)
        and steps[target].origin == current.origin
        and steps[target].weight < want
    ):
        target += 1
    return min(target, len(steps) - 1)
