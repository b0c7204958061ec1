"""Built-in plugin registering the evidence readers, the same way a third party would (I/O)."""

from __future__ import annotations

from releasegate.evidence import READERS
from releasegate.plugins import Registry, hookimpl


@hookimpl
def releasegate_register_readers(registry: Registry) -> None:
    """Register the JUnit, coverage, SARIF, Trivy and audit readers."""
    for reader in READERS.values():
        registry.add(reader)
