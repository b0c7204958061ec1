"""Building the plugin manager, explicitly and in order (I/O: imports plugins and entry points).

Order: hook specs, built-in plugins (a tuple of module names), third-party
plugins from the ``releasegate`` entry-point group (unless
``RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD`` is set), blocked names
(``RELEASEGATE_DISABLE_PLUGINS=a,b``), then ``check_pending``. Built-in plugins cannot be
blocked: the policy check, the decisions and every adapter rely on them alike, so blocking
one would make ``check`` and a live run disagree; naming one is a usage error.
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
    "releasegate.rollout.routers",
    "releasegate.adapters.tekton.plugin",
    "releasegate.adapters.gitlab.plugin",
    "releasegate.adapters.github_actions.plugin",
)


def blocked_plugins(env: Mapping[str, str]) -> list[str]:
    """The plugins ``RELEASEGATE_DISABLE_PLUGINS`` names (checked by every command up front).

    :raises UsageError: when it names a built-in plugin.
    """
    blocked = [
        name.strip()
        for name in env.get("RELEASEGATE_DISABLE_PLUGINS", "").split(",")
        if name.strip()
    ]
    builtin = [
        name for name in blocked if name in BUILTIN_PLUGINS or name.startswith("releasegate.")
    ]
    if builtin:
        raise UsageError(
            f"RELEASEGATE_DISABLE_PLUGINS: {', '.join(builtin)} is built in and cannot be "
            "blocked; block third-party plugins by their entry-point name (see "
            "`releasegate plugins`)"
        )
    return blocked


def build_manager(env: Mapping[str, str]) -> pluggy.PluginManager:
    """A ready plugin manager for this process environment."""
    pm = pluggy.PluginManager("releasegate")
    pm.add_hookspecs(hookspecs)
    for name in blocked_plugins(env):
        pm.set_blocked(name)
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        pm.register(module, name=module_name)
    if not env.get("RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD"):
        try:
            pm.load_setuptools_entrypoints("releasegate")
        except Exception as exc:  # a broken third-party plugin must not look like our bug
            raise UsageError(
                f"cannot load a plugin from the 'releasegate' entry points: {exc}"
            ) from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise UsageError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from exc
    return pm
