"""The ``argo-rollouts`` router against a stand-in ``kubectl`` that has exactly the Argo
Rollouts plugin's verbs and flags (``kubectl_standin.py``, each rule citing the plugin's
source), and the sample Rollout against the policy beside it and Argo's CRD schema."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_rollouts.test_argo_analysis import SAMPLES, _validate
from releasegate.canary import plan
from releasegate.errors import PlatformError
from releasegate.policy import load_policy
from releasegate.policy.model import Router
from releasegate.rollout.argo import ArgoRolloutsRouter, parse_get, rollout_steps
from releasegate.routers import CommandRouter, router_for

STANDIN = Path(__file__).with_name("kubectl_standin.py")
POLICY = SAMPLES / "releasegate.yml"
ROLLOUT = SAMPLES / "rollout-releasegate.yaml"
VALUES = {"service": "checkout", "env": "production"}


def _rollout() -> dict[str, Any]:
    return yaml.safe_load(ROLLOUT.read_text())


@dataclass
class Cluster:
    """The stand-in's PATH, its recorded calls and its Rollout."""

    bin_dir: Path
    log: Path
    state_file: Path
    run: Callable[..., subprocess.CompletedProcess[str]]

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
            "ARGO_STANDIN_LOG": str(self.log),
            "ARGO_STANDIN_STATE": str(self.state_file),
        }

    def calls(self) -> list[list[str]]:
        return (
            [json.loads(line) for line in self.log.read_text().splitlines()]
            if self.log.exists()
            else []
        )

    def verbs(self) -> list[str]:
        return [" ".join(c[2:4] if c[2] == "get" else c[2:3]) for c in self.calls()]

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())


def make_cluster(tmp_path: Path, steps: list[dict[str, Any]], **state: Any) -> Cluster:
    """A ``kubectl`` on a private PATH holding Rollout ``checkout`` in namespace ``shop``,
    deployed and paused at its first pause, as the controller leaves a new revision."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shutil.copy(STANDIN, bin_dir / "kubectl")
    (bin_dir / "kubectl").chmod((bin_dir / "kubectl").stat().st_mode | stat.S_IXUSR)
    first_pause = next(i for i, s in enumerate(steps) if "pause" in s)
    state_file = tmp_path / "rollout.json"
    state_file.write_text(
        json.dumps(
            {
                "name": "checkout",
                "namespace": "shop",
                "steps": steps,
                "index": first_pause,
                "aborted": False,
                **state,
            }
        )
    )
    cluster = Cluster(bin_dir, tmp_path / "calls.jsonl", state_file, subprocess.run)
    cluster.run = partial(subprocess.run, env={**os.environ, **cluster.env})
    return cluster


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return make_cluster(tmp_path, _rollout()["spec"]["strategy"]["canary"]["steps"])


def _router(cluster: Cluster, **kw: Any) -> ArgoRolloutsRouter:
    return ArgoRolloutsRouter({"name": "checkout", "namespace": "shop"}, run=cluster.run, **kw)


def test_the_sample_rollout_is_valid_for_argos_schema() -> None:
    rollout = _rollout()
    assert (rollout["apiVersion"], rollout["kind"]) == ("argoproj.io/v1alpha1", "Rollout")
    assert _validate({"spec": rollout["spec"]}, "v1alpha1_Rollout.json") == []


def test_the_sample_rollout_pauses_at_every_weight_the_policy_can_reach() -> None:
    canary = load_policy(POLICY, {}).environment("production").canary
    assert canary is not None and canary.router == Router(
        kind="argo-rollouts", options={"name": "{service}", "namespace": "shop"}
    )

    assert _rollout()["spec"]["strategy"]["canary"]["steps"] == rollout_steps(plan(canary))
    assert _rollout()["metadata"]["name"] == "checkout"


def test_promote_walks_the_rollout_from_pause_to_pause(cluster: Cluster) -> None:
    router = _router(cluster)

    assert router.set_weight(10) == "rollout 'checkout' paused at 10% (step 1/18)"  # already there
    assert cluster.verbs() == ["get rollout"]
    assert router.set_weight(30) == (
        "rollout 'checkout' promoted; rollout 'checkout' promoted;"
        " rollout 'checkout' paused at 30% (step 5/18)"
    )
    assert router.set_weight(100).endswith("rollout 'checkout' Healthy at 100%")

    assert cluster.calls()[:3] == [
        ["argo", "rollouts", "get", "rollout", "checkout", "--no-color", "--namespace", "shop"],
        ["argo", "rollouts", "get", "rollout", "checkout", "--no-color", "--namespace", "shop"],
        ["argo", "rollouts", "promote", "checkout", "--namespace", "shop"],
    ]
    assert cluster.verbs().count("promote") == 2 + 7  # 10 -> 30, then 30 -> 100
    assert cluster.state()["index"] == 18


def test_a_slow_controller_gets_one_promote_per_step(tmp_path: Path) -> None:
    cluster = make_cluster(tmp_path, _rollout()["spec"]["strategy"]["canary"]["steps"], slow=3)
    sleeps: list[float] = []
    router = _router(cluster, sleep=sleeps.append, clock=lambda: float(len(sleeps)))

    router.set_weight(30)

    assert cluster.verbs().count("promote") == 2
    assert sleeps == [5.0] * 6  # three Progressing reads after each promote


def test_a_rollout_that_never_gets_there_is_a_platform_error(tmp_path: Path) -> None:
    cluster = make_cluster(tmp_path, _rollout()["spec"]["strategy"]["canary"]["steps"], slow=1000)
    sleeps: list[float] = []
    router = ArgoRolloutsRouter(
        {"name": "checkout", "namespace": "shop", "wait": "30s", "poll": "10s"},
        run=cluster.run,
        sleep=sleeps.append,
        clock=lambda: 10.0 * len(sleeps),
    )

    with pytest.raises(PlatformError) as caught:
        router.set_weight(20)

    assert str(caught.value) == (
        "argo-rollouts: Rollout checkout did not reach 20% within 30s (last:"
        " Progressing more replicas need to be updated)"
    )
    assert cluster.verbs().count("promote") == 1


def test_weight_zero_aborts_and_the_rollout_is_then_degraded(cluster: Cluster) -> None:
    router = _router(cluster)

    assert router.set_weight(0) == "rollout 'checkout' aborted\n"
    assert cluster.calls()[-1] == ["argo", "rollouts", "abort", "checkout", "--namespace", "shop"]
    with pytest.raises(PlatformError) as caught:
        router.set_weight(20)
    assert str(caught.value) == (
        "argo-rollouts: Rollout checkout is Degraded (RolloutAborted: Rollout aborted"
        " update to revision 2); it cannot go to 20%"
    )


def test_a_rollout_whose_steps_do_not_match_the_policy_is_not_pushed_on(tmp_path: Path) -> None:
    cluster = make_cluster(
        tmp_path, [{"setWeight": 25}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}]
    )

    with pytest.raises(PlatformError) as caught:
        _router(cluster).set_weight(10)

    assert str(caught.value) == (
        "argo-rollouts: Rollout checkout is paused at 25%, past the policy's 10%; its"
        " steps do not match the policy (see `releasegate plan`)"
    )
    assert "promote" not in cluster.verbs()


def test_a_wrong_namespace_is_the_plugins_not_found(cluster: Cluster) -> None:
    router = ArgoRolloutsRouter({"name": "checkout", "namespace": "default"}, run=cluster.run)

    with pytest.raises(PlatformError) as caught:
        router.set_weight(10)

    assert str(caught.value) == (
        "argo-rollouts get: kubectl argo rollouts get rollout checkout --no-color"
        ' --namespace default exited 1: Error: rollouts.argoproj.io "checkout" not found'
    )


@pytest.mark.parametrize(
    ("argv", "code", "err"),
    [
        # The old default: the plugin has only `set image`, so `set` prints its usage.
        (
            ["argo", "rollouts", "set", "weight", "checkout", "5"],
            1,
            "Usage:\n  kubectl-argo-rollouts set COMMAND",
        ),
        (
            ["argo", "rollouts", "get", "rollout", "checkout", "-o", "json", "-n", "shop"],
            1,
            "Error: unknown shorthand flag: 'o' in -o",
        ),
        (
            ["argo", "rollouts", "status", "checkout", "--output=json", "-n", "shop"],
            1,
            "Error: unknown flag: --output",
        ),
        (
            ["argo", "rollouts", "weight", "checkout"],
            1,
            'Error: unknown command "weight" for "kubectl-argo-rollouts"',
        ),
        (["rollouts", "promote", "checkout"], 1, 'error: unknown command "rollouts" for "kubectl"'),
        (
            ["argo", "rollouts", "status", "checkout", "--watch=maybe", "-n", "shop"],
            1,
            'Error: invalid argument "maybe" for "--watch" flag',
        ),
    ],
)
def test_the_standin_refuses_what_the_plugin_refuses(cluster: Cluster, argv, code, err) -> None:
    done = cluster.run(["kubectl", *argv], capture_output=True, text=True, check=False)

    assert (done.returncode, done.stderr.startswith(err)) == (code, True), done.stderr


def test_status_reads_as_the_plugin_prints_it(cluster: Cluster) -> None:
    status = ["kubectl", "argo", "rollouts", "status", "checkout", "--watch=false", "-n", "shop"]
    assert (
        cluster.run(status, capture_output=True, text=True).stdout == "Paused - CanaryPauseStep\n"
    )
    cluster.run(
        ["kubectl", "argo", "rollouts", "abort", "checkout", "-n", "shop"], capture_output=True
    )
    done = cluster.run(status, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (
        1,
        "Error: The rollout is in a degraded state with message: RolloutAborted: Rollout aborted update to"
        " revision 2\n",
    )


def test_the_old_default_command_fails_against_the_real_verbs(cluster: Cluster) -> None:
    router = CommandRouter(
        "kubectl argo rollouts set weight {service} {weight}", VALUES, run=cluster.run
    )

    with pytest.raises(
        PlatformError, match=r"set weight checkout 5 exited 1: .*Available Commands: image Update"
    ):
        router.set_weight(5)


def test_the_policy_default_is_this_router(cluster: Cluster) -> None:
    router = router_for(None, VALUES, run=cluster.run)

    assert isinstance(router, ArgoRolloutsRouter)
    assert router.argv(0) == ["kubectl", "argo", "rollouts", "abort", "checkout"]


@pytest.mark.parametrize(
    ("text", "status", "step", "weight"),
    [
        (
            "Name:            checkout\nStatus:          ॥ Paused\nMessage:         CanaryPauseStep\n"
            "Strategy:        Canary\n  Step:          1/18\n  SetWeight:     10\n",
            "Paused",
            "1/18",
            10.0,
        ),
        (
            "Status:          ✔ Healthy\n  Step:          18/18\n  SetWeight:     100\n",
            "Healthy",
            "18/18",
            100.0,
        ),
        ("Status:          ◌ Progressing\n  SetWeight:     \n", "Progressing", "", None),
    ],
)
def test_parse_get(text, status, step, weight) -> None:
    view = parse_get(text)
    assert (view.status, view.step, view.weight) == (status, step, weight)


def test_parse_get_without_a_status_is_an_error() -> None:
    with pytest.raises(PlatformError, match="cannot read the Rollout's status from: nothing here"):
        parse_get("nothing here")
