"""Traffic routers: the argv each builds, and real runs of a stand-in ``kubectl`` script."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from functools import partial

import pytest

from releasegate.errors import PlatformError, PolicyError
from releasegate.policy.model import Router
from releasegate.rollout.routers import CommandRouter, GatewayApiRouter, IstioRouter, router_for

VALUES = {"service": "checkout", "env": "production"}


@pytest.fixture
def kubectl(tmp_path):
    """A ``kubectl`` on a private PATH that writes its arguments, one per line, to a file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    log = tmp_path / "calls.jsonl"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "if 'fail' in sys.argv: sys.stderr.write('error: rollout not found\\n'); sys.exit(3)\n"
        "print('rollout weight set')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    run = partial(subprocess.run, env=env)

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return run, calls


@pytest.mark.parametrize(
    ("router", "weight", "argv"),
    [
        (Router(), 5, ["kubectl", "argo", "rollouts", "promote", "checkout"]),
        (Router(), 0, ["kubectl", "argo", "rollouts", "abort", "checkout"]),
        (
            Router(
                kind="argo-rollouts",
                options={"name": "web-{service}", "namespace": "shop", "context": "prod"},
            ),
            0,
            [
                "kubectl",
                "argo",
                "rollouts",
                "abort",
                "web-checkout",
                "--namespace",
                "shop",
                "--context",
                "prod",
            ],
        ),
        (
            Router(kind="command", command="rollout-cli weight {service} {weight} -n 'shop {env}'"),
            25,
            ["rollout-cli", "weight", "checkout", "25", "-n", "shop production"],
        ),
        (
            Router(
                kind="command",
                command="deploy --canary={weight} --stable={stable_weight} --odd={other}",
            ),
            30,
            ["deploy", "--canary=30", "--stable=70", "--odd={other}"],
        ),
        (
            Router(kind="istio", options={"name": "{service}", "namespace": "shop"}),
            5,
            [
                "kubectl",
                "--namespace",
                "shop",
                "patch",
                "virtualservice",
                "checkout",
                "--type=json",
                "-p",
                '[{"op":"replace","path":"/spec/http/0/route/0/weight","value":95},'
                '{"op":"replace","path":"/spec/http/0/route/1/weight","value":5}]',
            ],
        ),
        (
            Router(
                kind="gateway-api",
                options={
                    "name": "web",
                    "rule": "2",
                    "stable": "1",
                    "canary": "0",
                    "context": "prod",
                },
            ),
            100,
            [
                "kubectl",
                "--context",
                "prod",
                "patch",
                "httproute",
                "web",
                "--type=json",
                "-p",
                '[{"op":"replace","path":"/spec/rules/2/backendRefs/1/weight","value":0},'
                '{"op":"replace","path":"/spec/rules/2/backendRefs/0/weight","value":100}]',
            ],
        ),
    ],
)
def test_each_router_builds_its_command(router, weight, argv) -> None:
    assert router_for(router, VALUES).argv(weight) == argv


def test_a_value_with_spaces_and_shell_characters_stays_one_argument() -> None:
    router = CommandRouter(
        "rollout-cli weight {service} {weight}", values={"service": "a b; rm -rf /", "env": "e"}
    )

    assert router.argv(5)[-2:] == ["a b; rm -rf /", "5"]


def test_the_command_really_runs_without_a_shell(kubectl) -> None:
    run, calls = kubectl
    router = router_for(Router(kind="istio", options={"name": "checkout"}), VALUES, run=run)

    assert router.set_weight(25).strip() == "rollout weight set"
    assert calls() == [router.argv(25)[1:]]


def test_a_failing_command_is_a_platform_error_with_its_stderr(kubectl) -> None:
    run, _ = kubectl
    router = CommandRouter("kubectl argo rollouts set weight fail {weight}", VALUES, run=run)

    with pytest.raises(PlatformError) as caught:
        router.set_weight(5)

    assert str(caught.value) == (
        "router set weight 5: kubectl argo rollouts set weight fail 5 exited 3: error: rollout not found"
    )


def test_a_missing_executable_is_a_clear_error() -> None:
    router = CommandRouter("releasegate-no-such-kubectl set {weight}", VALUES)

    with pytest.raises(PlatformError) as caught:
        router.set_weight(5)

    assert str(caught.value) == (
        "router set weight 5: executable 'releasegate-no-such-kubectl' not found on PATH;"
        " install it or change strategy.canary.router in the policy"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: CommandRouter("kubectl 'unbalanced"),
            "strategy.canary.router.command: No closing quotation; check the quotes",
        ),
        (lambda: CommandRouter("  "), "strategy.canary.router.command is empty; give a command"),
        (
            lambda: IstioRouter({}),
            "strategy.canary.router (istio): set options.name to the virtualservice to patch",
        ),
        (
            lambda: GatewayApiRouter({"name": "x"}).argv(12.5),
            "canary weight 12.5: weights are whole percentages from 0 to 100",
        ),
        (
            lambda: CommandRouter("rollout-cli {weight}").argv(120),
            "canary weight 120: weights are whole percentages from 0 to 100",
        ),
        (
            lambda: router_for(Router(kind="linkerd"), VALUES),
            "strategy.canary.router.kind: unknown router 'linkerd' (known: argo-rollouts, command, gateway-api, istio)",
        ),
        (
            lambda: router_for(Router(kind="command"), VALUES),
            "strategy.canary.router: a command router needs 'command:' (e.g. rollout-cli weight {service} {weight})",
        ),
        (
            lambda: router_for(Router(options={"wait": "soon"}), VALUES),
            "strategy.canary.router.options.wait: expected a duration such as 30s, 5m, 1h30m or 2d, got 'soon'",
        ),
    ],
)
def test_policy_mistakes_are_policy_errors(make, message) -> None:
    with pytest.raises(PolicyError) as caught:
        make()

    assert caught.value.problems == [message]
