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

    def apply(self, gate: Gate) -> Gate:
        """``gate`` with these settings in place of its own, so a provider built as the hook
        spec says, ``cls(gate=..., session=..., sleep=...)``, sees them."""
        from dataclasses import replace

        return replace(
            gate,
            address=self.address or gate.address,
            bearer_token=self.bearer_token or gate.bearer_token,
        )


@runtime_checkable
class MetricProvider(Protocol):
    """What the analysis loop needs from a metrics backend.

    Implementations are classes with a ``name`` (the gate's ``provider:`` value), built as
    ``cls(gate=..., session=..., sleep=...)``: the gate (command-line overrides already
    applied), an HTTP session or ``None`` to make their own, and the sleep between
    retries, so tests can hand them a local server and a fake clock.
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


def provider_class(gate: Gate, registry: Any = None) -> type:
    """Return the provider class for ``gate.provider``.

    :param gate: the gate whose ``provider:`` names the class.
    :param registry: the plugin registry of providers (``releasegate.plugins.Registry``), the
        only source of providers, built-in ones included; without one, only the built-in
        Prometheus provider is known (library use).
    :raises releasegate.errors.PolicyError: when no provider has that name.
    """
    if registry is None:
        from releasegate.providers.prometheus import PrometheusProvider

        known: dict[str, Any] = {PrometheusProvider.name: PrometheusProvider}
    else:
        known = {name: registry.get(name) for name in registry.names()}
    if gate.provider in known:
        return known[gate.provider]  # type: ignore[no-any-return]
    raise PolicyError(
        [
            f"gates.{gate.name}.provider: unknown metric provider {gate.provider!r}"
            f" (known: {', '.join(sorted(known)) or 'none'}); install the plugin that provides it "
            "or fix the name"
        ]
    )
