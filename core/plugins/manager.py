"""Building the plugin manager, explicitly and in order (I/O: imports plugins and entry points).

Order: hook specs, built-in plugins (a tuple of module names), third-party
plugins from the ``releasegate`` entry-point group (unless
``RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD`` is set), blocked names
(``RELEASEGATE_DISABLE_PLUGINS=a,b``), then ``check_pending``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import pluggy

from releasegate.errors import UsageError
from releasegate.plugins import hookspecs

#: Built-in plugins, registered exactly like third-party ones.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "releasegate.evidence.plugin",
    "releasegate.judging",
    "releasegate.providers.prometheus",
    "releasegate.routers",
    "releasegate.adapters.tekton.plugin",
    "releasegate.adapters.gitlab.plugin",
    "releasegate.adapters.github_actions.plugin",
)


def build_manager(env: Mapping[str, str]) -> pluggy.PluginManager:
    """A ready plugin manager for this process environment."""
    pm = pluggy.PluginManager("releasegate")
    pm.add_hookspecs(hookspecs)
    blocked = [name.strip() for name in env.get("RELEASEGATE_DISABLE_PLUGINS", "").split(",") if name.strip()]
    for name in blocked:
        pm.set_blocked(name)
    for module_name in BUILTIN_PLUGINS:
        if pm.is_blocked(module_name):
            continue
        module = importlib.import_module(module_name)
        pm.register(module, name=module_name)
    if not env.get("RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD"):
        try:
            pm.load_setuptools_entrypoints("releasegate")
        except Exception as exc:  # a broken third-party plugin must not look like our bug
            raise UsageError(f"cannot load a plugin from the 'releasegate' entry points: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise UsageError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from exc
    return pm
