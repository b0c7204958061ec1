"""The typed interfaces of every plugin kind, which know nothing of pluggy (pure).

Providers and evidence readers have theirs beside their built-ins
(:class:`releasegate.providers.MetricProvider`, :class:`releasegate.evidence.EvidenceReader`);
judges, traffic routers and notifiers are defined here. A registry checks what a plugin
adds against its kind's interface, so a plugin that does not fit fails when it registers,
naming itself, instead of in the middle of a rollout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from releasegate.analysis.data import MetricData
    from releasegate.analysis.verdict import Measurement
    from releasegate.model import Decision
    from releasegate.policy.model import Metric, Router

__all__ = ["REQUIRED", "Judge", "Notifier", "TrafficRouter", "conformance_problem"]


@runtime_checkable
class Judge(Protocol):
    """Judges one metric: one measurement per observed interval of ``data`` (pure)."""

    def __call__(self, metric: Metric, data: MetricData, interval: float) -> list[Measurement]: ...


@runtime_checkable
class TrafficRouter(Protocol):
    """Sets the share of traffic a canary gets; a class with a ``name`` (the policy's
    ``router.kind``)."""

    name: str

    @classmethod
    def from_policy(
        cls, router: Router, values: Mapping[str, str], *, run: Any = ...
    ) -> TrafficRouter:
        """Build from the policy's ``strategy.canary.router`` and ``service``/``env`` values."""
        ...

    def set_weight(self, weight: float) -> str:
        """Send ``weight`` percent of traffic to the canary; returns what was done.

        :raises releasegate.errors.PlatformError: when the weight could not be set.
        """
        ...


class Notifier(Protocol):
    """The ``releasegate_notify`` hook: told every final decision, never able to change it."""

    def __call__(self, decision: Decision) -> object: ...


#: What a registered object of each kind must have: ``(attribute, what it is for)``.
REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "provider": (
        ("query", "query(query, at)"),
        ("query_range", "query_range(query, start, end, step)"),
    ),
    "reader": (("read", "read(paths) -> Evidence"),),
    "judge": (("__call__", "judge(metric, data, interval) -> list[Measurement]"),),
    "router": (
        ("from_policy", "from_policy(router, values, run=...)"),
        ("set_weight", "set_weight(weight) -> str"),
    ),
}


def conformance_problem(kind: str, obj: object) -> str | None:
    """Why ``obj`` does not fit the interface of ``kind``, or ``None`` when it does."""
    missing = [
        what
        for attribute, what in REQUIRED.get(kind, ())
        if not callable(getattr(obj, attribute, None))
    ]
    if kind in ("provider", "reader", "router") and not isinstance(obj, type):
        return f"is not a class (a {kind} is registered as a class)"
    return f"lacks {', '.join(missing)}" if missing else None
