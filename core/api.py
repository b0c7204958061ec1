"""The names plugin authors may rely on: stable within a major version (pure re-exports).

Import from here, not from the modules behind it: those may move between minor versions
(the rollout engine, for one, is moving into ``releasegate.rollout``), these names will not.
Removing or changing one of them is a major version; adding one is a minor version.

The typed interfaces say what each plugin kind must provide, and know nothing of pluggy:
:class:`MetricProvider`, :class:`EvidenceReader`, :class:`Judge`, :class:`TrafficRouter`,
:class:`Notifier` and :class:`Platform`. CONTRIBUTING.md documents every name here, and
``tests/plugins/test_api.py`` keeps this list, the hook specifications, the interfaces and
that page in step.
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
    LedgerError,
    PlatformError,
    PolicyError,
    ProviderError,
    ReleasegateError,
    UsageError,
)
from releasegate.evidence import EvidenceReader
from releasegate.evidence.model import Evidence, Finding
from releasegate.ledger import Ledger
from releasegate.model import Decision, Requirement, Subject
from releasegate.platform import CIContext, Platform
from releasegate.plugins import Registry, hookimpl
from releasegate.plugins.interfaces import Judge, Notifier, TrafficRouter
from releasegate.policy.model import Gate, Metric, Router
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
    "EvidenceReader",
    "Finding",
    "Gate",
    "Judge",
    "Ledger",
    "LedgerError",
    "Measurement",
    "Metric",
    "MetricData",
    "MetricProvider",
    "Notifier",
    "Observation",
    "Platform",
    "PlatformError",
    "Points",
    "PolicyError",
    "ProviderError",
    "Registry",
    "ReleasegateError",
    "Requirement",
    "Router",
    "Subject",
    "TrafficRouter",
    "UsageError",
    "__version__",
    "hookimpl",
]
