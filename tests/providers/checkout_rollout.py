"""The sample ``checkout`` rollout of ``examples/metrics/synth.py``, for provider and CLI tests.

Pure: loads the generator module and turns its output into the shared fixture's series.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

from peers.openmetrics import Series

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "metrics"


def _load_synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("checkout_synth", EXAMPLES / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _load_synth()


def rollout_start() -> float:
    """A whole minute such that the sample rollout (history + canary) ends two minutes ago."""
    return (int(time.time()) // 60) * 60 - synth.HISTORY - synth.CANARY - 120


def checkout_series(start: float, canary: str) -> list[Series]:
    """The sample rollout as the shared fixture's series."""
    return [
        Series(name, labels, samples, kind)
        for name, kind, labels, samples in synth.series(start, canary)
    ]


ERROR_RATE = (
    'sum(rate(http_requests_total{service="{service}",track="{variant}",code=~"5.."}[{interval}]))'
    ' / sum(rate(http_requests_total{service="{service}",track="{variant}"}[{interval}]))'
)
REQUESTS = 'sum(increase(http_requests_total{service="{service}",track="{variant}"}[{interval}]))'
P99 = 'max(http_request_latency_p99_seconds{service="{service}",track="{variant}"})'


class FakeClock:
    """An injected clock and sleep: ``sleep`` moves time on and remembers how long."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
