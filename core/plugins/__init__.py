"""The plugin system: pluggy markers, the manager and the typed facade the core calls.

Plugin authors need only :data:`hookimpl` and the hook specs in
:mod:`releasegate.plugins.hookspecs`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from releasegate.plugins.registry import Registry

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.model import Decision
    from releasegate.platform import Platform

hookimpl = pluggy.HookimplMarker("releasegate")

__all__ = ["Hooks", "Registry", "hookimpl"]

_KINDS = ("providers", "readers", "judges", "routers")


class Hooks:
    """The typed facade over the plugin manager; the only way the core calls hooks."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._registries: dict[str, Registry] = {}

    @classmethod
    def load(cls, env: Mapping[str, str]) -> Hooks:
        from releasegate.plugins.manager import build_manager

        return cls(build_manager(env))

    def registry(self, kind: str) -> Registry:
        """The registry of ``kind`` (providers, readers, judges, routers), filled on first use."""
        if kind not in self._registries:
            registry = Registry(kind.rstrip("s"))
            caller = getattr(self.pm.hook, f"releasegate_register_{kind}")
            for impl in caller.get_hookimpls():
                registry.current_plugin = impl.plugin_name
                impl.function(registry=registry)
            self._registries[kind] = registry
        return self._registries[kind]

    def providers(self) -> Registry:
        return self.registry("providers")

    def readers(self) -> Registry:
        return self.registry("readers")

    def judges(self) -> Registry:
        return self.registry("judges")

    def routers(self) -> Registry:
        return self.registry("routers")

    def platform(self, env: Mapping[str, str], ledger: Ledger) -> Platform:
        """The first platform that claims this run, else the local ledger platform."""
        from releasegate.platform import LocalPlatform

        found = self.pm.hook.releasegate_platform(env=env, ledger=ledger)
        return found if found is not None else LocalPlatform(ledger, dict(env))

    def notify(self, decision: Decision) -> list[str]:
        """Run every notifier on its own; returns one warning per notifier that failed."""
        warnings = []
        for impl in self.pm.hook.releasegate_notify.get_hookimpls():
            try:
                impl.function(decision=decision)
            except Exception as exc:  # a notifier can never change a decision
                warnings.append(f"notifier {impl.plugin_name} failed: {exc}")
        return warnings

    def describe(self) -> list[dict[str, Any]]:
        """One entry per loaded plugin: name, version, hooks, and what it registered."""
        dists = {id(plugin): dist for plugin, dist in self.pm.list_plugin_distinfo()}
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            dist = dists.get(id(plugin))
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            registered = {
                kind: [
                    n for n in self.registry(kind).names() if self.registry(kind).owner(n) == name
                ]
                for kind in _KINDS
            }
            rows.append(
                {
                    "name": name,
                    "builtin": name.startswith("releasegate."),
                    "distribution": dist.project_name if dist else "releasegate",
                    "version": dist.version if dist else _own_version(),
                    "hooks": hooks,
                    "registers": {k: v for k, v in registered.items() if v},
                }
            )
        return rows


def _own_version() -> str:
    from releasegate import __version__

    return __version__


def plugin_versions(hooks: Hooks) -> list[str]:
    """``name version`` for each third-party plugin, for ``--version``."""
    return [
        f"{row['distribution']} {row['version']} ({row['name']})"
        for row in hooks.describe()
        if not row["builtin"]
    ]


def python_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))
