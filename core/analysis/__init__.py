"""Rollback-gate analysis: judges over metric observations and the gate verdict (pure).

Providers measure, this package decides: nothing here reads the environment,
files, network or clock.
"""

from __future__ import annotations

from releasegate.analysis.data import MetricData, Observation
from releasegate.analysis.gate import GateRun, evaluate_gate, evaluate_metric
from releasegate.analysis.verdict import GateVerdict, Measurement, MetricVerdict, conclude

__all__ = [
    "GateRun",
    "GateVerdict",
    "Measurement",
    "MetricData",
    "MetricVerdict",
    "Observation",
    "conclude",
    "evaluate_gate",
    "evaluate_metric",
]
