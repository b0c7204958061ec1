"""Every plugin kind has a typed interface, checked when a plugin registers; the registry is
the only source of what the CLI uses, built-ins included."""

from __future__ import annotations

import pytest

from releasegate.analysis.gate import BUILTIN_JUDGES
from releasegate.errors import PolicyError, UsageError
from releasegate.plugins import Hooks, Registry
from releasegate.plugins.interfaces import Judge, TrafficRouter
from releasegate.policy.model import Router
from releasegate.rollout.argo import ArgoRolloutsRouter
from releasegate.rollout.routers import CommandRouter, router_for


class NoQuery:
    name = "broken"


@pytest.mark.parametrize(
    ("kind", "obj", "problem"),
    [
        (
            "provider",
            NoQuery,
            "provider 'broken' lacks query(query, at), query_range(query, start, end, step)",
        ),
        (
            "provider",
            NoQuery(),
            "provider 'broken' is not a class (a provider is registered as a class)",
        ),
        ("reader", NoQuery, "reader 'broken' lacks read(paths) -> Evidence"),
        (
            "router",
            NoQuery,
            "router 'broken' lacks from_policy(router, values, run=...), set_weight(weight) -> str",
        ),
        (
            "judge",
            "text",
            "judge 'broken' lacks judge(metric, data, interval) -> list[Measurement]",
        ),
    ],
)
def test_a_plugin_that_does_not_fit_its_interface_is_refused_naming_it(kind, obj, problem) -> None:
    registry = Registry(kind)
    registry.current_plugin = "acme"
    with pytest.raises(UsageError) as caught:
        registry.add(obj, "broken")
    assert str(caught.value) == f"plugin acme: {problem}; see releasegate.plugins.hookspecs"


def test_the_builtins_fit_their_interfaces() -> None:
    hooks = Hooks.load({"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert hooks.providers().names() == ["prometheus"]
    assert hooks.readers().names() == ["audit", "coverage", "junit", "sarif", "trivy"]
    assert all(isinstance(judge, Judge) for judge in BUILTIN_JUDGES.values())
    assert isinstance(CommandRouter("echo {weight}"), TrafficRouter)
    assert isinstance(ArgoRolloutsRouter({"name": "web"}), TrafficRouter)


def test_with_a_registry_only_what_it_lists_is_known() -> None:
    registry = Registry("router")
    with pytest.raises(PolicyError, match=r"unknown router 'argo-rollouts' \(known: \)"):
        router_for(Router(), {"service": "web"}, registry=registry)
    registry.add(CommandRouter)
    router = Router(kind="command", command="echo {weight}")
    assert isinstance(router_for(router, {"service": "web"}, registry=registry), CommandRouter)
