"""Built-in providers, readers, judges and routers are registered like any plugin's."""

from __future__ import annotations

from releasegate.analysis.gate import BUILTIN_JUDGES
from releasegate.plugins import Hooks
from releasegate.policy.model import JUDGES


def test_the_policy_knows_exactly_the_builtin_judges() -> None:
    assert tuple(BUILTIN_JUDGES) == JUDGES


def test_every_builtin_kind_is_registered() -> None:
    hooks = Hooks.load({"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert hooks.judges().names() == sorted(JUDGES)
    assert hooks.providers().names() == ["prometheus"]
    assert hooks.readers().names() == ["audit", "coverage", "junit", "sarif", "trivy"]
    assert hooks.routers().names() == ["argo-rollouts", "command", "gateway-api", "istio"]
    assert hooks.judges().owner("sequential") == "releasegate.judging"
