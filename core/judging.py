"""The built-in judges, registered through the same hook as a third-party judge (plugin edge).

The judges themselves are pure functions in :mod:`releasegate.analysis`; this module
only hands them to the plugin registry, so ``releasegate plugins`` lists them and a
plugin's judge is looked up the same way.
"""

from __future__ import annotations

from releasegate.analysis.gate import BUILTIN_JUDGES
from releasegate.plugins import Registry, hookimpl


@hookimpl
def releasegate_register_judges(registry: Registry) -> None:
    for name, judge in BUILTIN_JUDGES.items():
        registry.add(judge, name)
