"""The policy's ``advance:`` rules and router kinds: what ``check`` accepts and refuses, and
what ``plan`` shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasegate.errors import PolicyError
from releasegate.policy import parse_policy
from releasegate.policy.model import Advance

POLICY = """\
version: 1
service: checkout
environments:
  - name: production
    strategy:
      canary:
        steps:
          - weight: 10
            pause: 5m
            gates: [canary-health]
            advance: {ADVANCE}
          - weight: 100
gates:
  canary-health:
    provider: prometheus
    address: http://127.0.0.1:9090
    interval: 1m
    metrics:
      - {name: latency-p99, query: "max(p99)", judge: threshold, fail_if: "> 2"}
      - {name: rps, query: "sum(rps)", judge: threshold, fail_if: "< 1"}
"""
CLASSIC = '{by: 20, when: "latency_p99 < 0.5 and rps > 1000", otherwise: 10}'


def _parse(advance: str, text: str = POLICY) -> object:
    return parse_policy(text.replace("{ADVANCE}", advance).encode(), "releasegate.yml", {})


def test_the_classic_rule_loads() -> None:
    policy = _parse(CLASSIC)

    step = policy.environments[0].canary.steps[0]
    assert step.advance == Advance(by=20, when="latency_p99 < 0.5 and rps > 1000", otherwise=10)


@pytest.mark.parametrize(
    ("advance", "text", "problem"),
    [
        (
            '{by: 20, when: "latency_p95 < 0.5", otherwise: 10}',
            POLICY,
            "releasegate.yml:11:31: environments[0].strategy.canary.steps[0].advance.when: no metric 'latency_p95'"
            " among the step's gates; did you mean 'latency_p99'? (known: latency_p99, rps; dashes in metric"
            " names are underscores)",
        ),
        (
            '{by: 20, when: "latency-p99 < 0.5", otherwise: 10}',
            POLICY,
            "releasegate.yml:11:31: environments[0].strategy.canary.steps[0].advance.when: condition"
            " 'latency-p99 < 0.5': names are identifiers: 'latency-p99' would be read as latency - p99;"
            " write latency_p99 (a validation's facts are under its"
            " name with dashes as underscores), or put spaces around '-' to subtract",
        ),
        ('{by: 20, when: "rps > 1000"}', POLICY, "advance: missing required key 'otherwise'"),
        ('{by: 0, when: "rps > 1000", otherwise: 10}', POLICY, "advance.by"),
        (
            '{by: 20, when: "rps > 1000", otherwise: 10}',
            POLICY.replace("gates: [canary-health]", "gates: []"),
            "an advance rule reads the step's gate metrics; give the step gates",
        ),
    ],
)
def test_bad_rules_are_refused_where_they_are(advance: str, text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        _parse(advance, text)

    assert any(problem in line for line in caught.value.problems), caught.value.problems


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "releasegate.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("kind", "hint"),
    [("argo", ""), ("linkerd", ""), ("Argo-Rollouts", "; did you mean 'argo-rollouts'?")],
)
def test_check_refuses_a_router_kind_that_does_not_exist(
    tmp_path: Path, run_cli, kind: str, hint: str
) -> None:
    router = f"        router: {{kind: {kind}}}\n        steps:"
    text = POLICY.replace("{ADVANCE}", CLASSIC).replace("        steps:", router)
    code, out, err = run_cli("--config", _write(tmp_path, text), "check")

    assert code == 2, out
    assert err.splitlines()[0] == (
        f"{tmp_path / 'releasegate.yml'}: environments[0].strategy.canary.router.kind: unknown router {kind!r}{hint}"
        " (known: argo-rollouts, command, gateway-api, istio)"
    )


def test_plan_shows_the_rule_and_the_rollout_steps(tmp_path: Path, run_cli) -> None:
    path = _write(tmp_path, POLICY.replace("{ADVANCE}", CLASSIC))

    code, out, _ = run_cli("--config", path, "plan")
    assert code == 0
    assert (
        "  canary: 10% for 5m [canary-health] then +20 when latency_p99 < 0.5 and rps > 1000, else +10"
        " -> 100%"
    ) in out.splitlines()
    assert (
        "  router: argo-rollouts: Rollout checkout (promote to advance, abort to roll back)" in out
    )

    code, out, _ = run_cli("--config", path, "--format", "json", "plan")
    env = json.loads(out)["environments"][0]
    assert env["canary"][0]["advance"] == {
        "by": 20,
        "when": "latency_p99 < 0.5 and rps > 1000",
        "otherwise": 10,
    }
    assert env["rollout_steps"][:4] == [
        {"setWeight": 10},
        {"pause": {}},
        {"setWeight": 20},
        {"pause": {}},
    ]
    assert len(env["rollout_steps"]) == 18
