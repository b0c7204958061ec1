"""Hook specifications: the whole plugin API of releasegate, one documented hook each.

Plugins implement these with ``@releasegate.plugins.hookimpl``. Built-in
providers, readers, routers and platforms are registered through the very same
hooks. The core never calls ``pm.hook`` directly; it goes through
:class:`releasegate.plugins.Hooks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.model import Decision
    from releasegate.platform import Platform
    from releasegate.plugins.registry import Registry

hookspec = pluggy.HookspecMarker("releasegate")

# --------------------------------------------------------------------------------------------
# Registration: plugins add classes to a registry by their ``name`` attribute.
# --------------------------------------------------------------------------------------------


@hookspec
def releasegate_register_providers(registry: Registry) -> None:
    """Add metric provider classes (``name`` such as ``prometheus``, ``file``, ``datadog``).

    A provider class is built as ``cls(gate=..., session=..., sleep=...)`` (the gate with
    ``--prometheus-url``/``--prometheus-token`` already applied; ``session`` is ``None`` when
    the provider should make its own) and answers ``query(query, at)`` and
    ``query_range(query, start, end, step)``; see :class:`releasegate.providers.MetricProvider`.
    Providers only measure: they never judge. The registry is the only source of providers,
    the built-in ``prometheus`` included.

    :param registry: call ``registry.add(ProviderClass)``; a second class with the same
        name from another plugin is an error naming both plugins.
    :return: nothing; not firstresult.
    """


@hookspec
def releasegate_register_readers(registry: Registry) -> None:
    """Add evidence reader classes (``name`` such as ``junit``, ``sarif``...).

    A reader (:class:`releasegate.evidence.EvidenceReader`) turns report files into an
    ``Evidence`` value with numeric facts (``tests.failed``, ``coverage``...) that
    validations and criteria read. A plugin may add kinds; the built-in kinds stay ours.

    :param registry: call ``registry.add(ReaderClass)``.
    :return: nothing; not firstresult.
    """


@hookspec
def releasegate_register_judges(registry: Registry) -> None:
    """Add judges (``threshold``, ``sequential``... or your own) for gate metrics.

    A judge (:class:`releasegate.plugins.interfaces.Judge`) is pure:
    ``judge(metric, data, interval) -> list[Measurement]``, one
    measurement (``pass``, ``fail``, ``inconclusive`` or ``error``, with a reason and its
    statistic) per observed interval of ``data`` (:class:`releasegate.analysis.MetricData`).
    The gate applies ``failure_limit`` and the other limits to them. A policy names a
    plugin's judge in ``judge:`` like a built-in one.

    :param registry: call ``registry.add(judge, "name")``.
    :return: nothing; not firstresult.
    """


@hookspec
def releasegate_register_routers(registry: Registry) -> None:
    """Add traffic router classes (``name`` such as ``command``, ``istio``) that set canary weights.

    A router class (:class:`releasegate.plugins.interfaces.TrafficRouter`) is built with
    ``cls.from_policy(router, values, run=...)`` and answers ``set_weight(weight) -> str``.

    :param registry: call ``registry.add(RouterClass)``.
    :return: nothing; not firstresult.
    """


# --------------------------------------------------------------------------------------------
# The CI platform: where context comes from and where decisions go.
# --------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def releasegate_platform(env: Mapping[str, str], ledger: Ledger) -> Platform | None:
    """Return the platform for this run, or ``None`` when it is not yours.

    GitHub Actions answers when ``GITHUB_ACTIONS=true``, GitLab when ``GITLAB_CI=true``,
    Tekton when ``RELEASEGATE_PLATFORM=tekton``; without an answer the local ledger platform is
    used.

    :param env: the process environment.
    :param ledger: the local ledger, for platforms that keep some records locally.
    :return: a :class:`releasegate.platform.Platform`, or ``None``. firstresult: the first
        non-``None`` answer wins (the last registered plugin is asked first).
    """


# --------------------------------------------------------------------------------------------
# Notification: after a decision, never able to change it.
# --------------------------------------------------------------------------------------------


@hookspec
def releasegate_notify(decision: Decision) -> Any:
    """Tell the outside world about a decision (chat, paging, audit log).

    Each notifier (:class:`releasegate.plugins.interfaces.Notifier`: this hook's
    implementation) runs on its own; an exception in one is reported as a warning and
    neither stops the others nor changes the decision or the exit code.

    :param decision: the final :class:`releasegate.model.Decision`.
    :return: ignored; not firstresult.
    """
