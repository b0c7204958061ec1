"""The names plugin authors may rely on: stable within a major version (pure re-exports).

Import from here, not from the modules behind it: those may move between minor versions,
these names will not. CONTRIBUTING.md documents each of them, and ``tests/plugins/test_api.py``
keeps this list, the hook specifications and that page in step.
"""

from __future__ import annotations

from releasegate import __version__
from releasegate.analysis.data import MetricData, Observation
from releasegate.analysis.verdict import Measurement
from releasegate.errors import (
    EXIT_BLOCKED,
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_PROVIDER,
    EXIT_USAGE,
    EvidenceError,
    PlatformError,
    PolicyError,
    ProviderError,
    ReleasegateError,
    UsageError,
)
from releasegate.evidence.model import Evidence, Finding
from releasegate.ledger import Ledger
from releasegate.model import Decision, Requirement, Subject
from releasegate.platform import CIContext, Platform
from releasegate.plugins import Registry, hookimpl
from releasegate.policy.model import Gate, Metric
from releasegate.providers import MetricProvider, Points

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_INCONCLUSIVE",
    "EXIT_OK",
    "EXIT_PROVIDER",
    "EXIT_USAGE",
    "CIContext",
    "Decision",
    "Evidence",
    "EvidenceError",
    "Finding",
    "Gate",
    "Ledger",
    "Measurement",
    "Metric",
    "MetricData",
    "MetricProvider",
    "Observation",
    "Platform",
    "PlatformError",
    "Points",
    "PolicyError",
    "ProviderError",
    "Registry",
    "ReleasegateError",
    "Requirement",
    "Subject",
    "UsageError",
    "__version__",
    "hookimpl",
]
