"""A small third-party plugin: a platform that claims runs with SAMPLE_PLATFORM=1, a provider,
a judge (``ceiling``: fails any canary value above 0.5), and a notifier that appends every
decision's outcome to $SAMPLE_NOTIFY_FILE."""

from __future__ import annotations

import os

from releasegate.platform import CIContext, Platform
from releasegate.plugins import hookimpl


class SamplePlatform(Platform):
    name = "sample"

    def context(self) -> CIContext:
        return CIContext(platform="sample", sha="5a" * 20, ref="main", actor="sample-bot")


class ConstantProvider:
    """A provider written to the hook spec alone: ``cls(gate=..., session=..., sleep=...)``;
    every query answers ``$SAMPLE_CONSTANT`` (default 0.1)."""

    name = "constant"

    def __init__(self, gate, session=None, sleep=None):
        self.gate = gate
        self.value = float(os.environ.get("SAMPLE_CONSTANT", "0.1"))

    def query(self, query, at):
        return self.value

    def query_range(self, query, start, end, step):
        from releasegate.providers import Points

        count = int((end - start) // step) + 1
        return Points(tuple((start + i * step, self.value) for i in range(count)))


@hookimpl
def releasegate_platform(env, ledger):
    return SamplePlatform(ledger, dict(env)) if env.get("SAMPLE_PLATFORM") == "1" else None


@hookimpl
def releasegate_register_providers(registry):
    registry.add(ConstantProvider)


def ceiling(metric, data, interval):
    from releasegate.analysis import Measurement

    return [
        Measurement(
            o.time,
            "inconclusive" if o.canary is None else ("fail" if o.canary > 0.5 else "pass"),
            f"canary {o.canary} against the ceiling 0.5",
            {"value": o.canary or 0.0},
        )
        for o in data.observations
    ]


@hookimpl
def releasegate_register_judges(registry):
    registry.add(ceiling, "ceiling")


@hookimpl
def releasegate_notify(decision):
    path = os.environ.get("SAMPLE_NOTIFY_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{decision.kind} {decision.outcome}\n")
    if os.environ.get("SAMPLE_NOTIFY_FAIL"):
        raise RuntimeError("chat server unreachable")
