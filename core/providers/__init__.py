"""Metric providers: the interface every provider implements, and finding one for a gate.

Providers only measure (I/O); judging lives in :mod:`releasegate.analysis`. A provider
answers PromQL-like queries with points on a time grid, where a point it cannot vouch
for (no sample, NaN, an infinity, an ambiguous answer) is ``None``: missing, never a pass.
Transport and server failures raise :class:`releasegate.errors.ProviderError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from releasegate.errors import PolicyError

if TYPE_CHECKING:
    from releasegate.policy.model import Gate

__all__ = [
    "MetricProvider",
    "Points",
    "ProviderOverrides",
    "provider_class",
]

#: ``(unix_seconds, value or None)`` pairs in ascending time order.
PointList = tuple[tuple[float, "float | None"], ...]


@dataclass(frozen=True)
class Points:
    """A provider's answer to one query over a time grid.

    :param points: one ``(unix_seconds, value)`` pair per grid time, ``None`` where missing.
    :param note: why values are missing when the whole answer is unusable (for example
        ``"3 series where one was expected"``), else ``None``.
    """

    points: PointList
    note: str | None = None

    @property
    def present(self) -> int:
        """How many points carry a value."""
        return sum(1 for _, value in self.points if value is not None)


@dataclass(frozen=True)
class ProviderOverrides:
    """Settings given on the command line (or ``RELEASEGATE_*``) that win over the gate's.

    :param address: base URL of the metrics server.
    :param bearer_token: token sent as ``Authorization: Bearer``.
    """

    address: str | None = None
    bearer_token: str | None = None


@runtime_checkable
class MetricProvider(Protocol):
    """What the analysis loop needs from a metrics backend.

    Implementations are classes with a ``name`` (the gate's ``provider:`` value), built as
    ``cls(gate, session=..., sleep=..., overrides=...)``: they receive their HTTP session
    and settings in their constructor so tests can hand them a local server.
    """

    name: str

    def query(self, query: str, at: float) -> float | None:
        """Evaluate ``query`` at ``at`` (unix seconds); ``None`` when the value is missing.

        :raises releasegate.errors.ProviderError: when the server cannot answer.
        """
        ...

    def query_range(self, query: str, start: float, end: float, step: float) -> Points:
        """Evaluate ``query`` at ``start, start + step, ... <= end``; one point per grid time.

        :raises releasegate.errors.ProviderError: when the server cannot answer.
        """
        ...


def _builtins() -> dict[str, type]:
    from releasegate.providers.prometheus import PrometheusProvider

    return {PrometheusProvider.name: PrometheusProvider}


def provider_class(gate: Gate, registry: Any = None) -> type:
    """Return the provider class for ``gate.provider``.

    :param gate: the gate whose ``provider:`` names the class.
    :param registry: the plugin registry of providers (``releasegate.plugins.Registry``);
        the builtins are found even when it does not list them.
    :raises releasegate.errors.PolicyError: when no provider has that name.
    """
    if registry is not None and gate.provider in registry:
        return registry.get(gate.provider)  # type: ignore[no-any-return]
    known = _builtins()
    if gate.provider in known:
        return known[gate.provider]
    names = sorted({*known, *(registry.names() if registry is not None else [])})
    raise PolicyError(
        [
            f"gates.{gate.name}.provider: unknown metric provider {gate.provider!r}"
            f" (known: {', '.join(names)}); install the plugin that provides it or fix the name"
        ]
    )
