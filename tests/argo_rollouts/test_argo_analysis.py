"""releasegate as Argo Rollouts' analysis: the samples against Argo's CRD schemas, and the
job metric's container run as Kubernetes would run it, against a real Prometheus.

The schemas are the CRDs' ``openAPIV3Schema`` (``../shared/schemas/argo-rollouts/``).
A CRD schema lets unknown fields through and the API server then drops them silently
(structural pruning), so a misspelt field would vanish; the tests close every object
that does not say ``x-kubernetes-preserve-unknown-fields``, as ``kubectl apply
--validate=strict`` would refuse the field.

The container run: the image's entrypoint (``ENTRYPOINT`` of the Dockerfile) with the
template's ``args`` and ``env`` after Argo's ``{{args.NAME}}`` substitution with the
Rollout step's args, the ConfigMap mounted where the template mounts it, the
``emptyDir`` as the working directory. The installed CLI plays the image here; the slow
image test runs the same command inside the built image.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from providers.checkout_rollout import checkout_series, synth

from peers.locate import ROOT, VENV_BIN, require_bin

SAMPLES = ROOT / "examples" / "argo-rollouts"
TEMPLATE = SAMPLES / "analysistemplate.yaml"
ROLLOUT = SAMPLES / "rollout-analysis.yaml"
DOCKERFILE = ROOT / "adapters" / "tekton" / "Dockerfile"
#: The shared folder sits beside the main checkout; a worktree sits one level deeper.
SHARED = next(
    (d / "shared" for d in (ROOT.parent, ROOT.parent.parent) if (d / "shared").is_dir()),
    ROOT.parent / "shared",
)
SCHEMAS = Path(os.environ.get("RELEASEGATE_ARGO_SCHEMAS", SHARED / "schemas/argo-rollouts"))


def _documents(path: Path) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(path.read_text()) if d}


def _strict(schema: Any) -> Any:
    """``schema`` with every object closed unless it preserves unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


def _validate(document: dict[str, Any], name: str) -> list[str]:
    path = SCHEMAS / name
    if not path.is_file():
        pytest.fail(
            f"Argo Rollouts schema missing: {path} (the shared schemas folder)", pytrace=False
        )
    schema = _strict(json.loads(path.read_text()))
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def _container(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    (metric,) = template["spec"]["metrics"]
    pod = metric["provider"]["job"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return container, pod


def _analysis_steps(rollout: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s["analysis"] for s in rollout["spec"]["strategy"]["canary"]["steps"] if "analysis" in s
    ]


def test_the_samples_validate_against_the_argo_rollouts_schemas() -> None:
    template = _documents(TEMPLATE)["AnalysisTemplate"]
    rollout = _documents(ROLLOUT)["Rollout"]

    assert template["apiVersion"] == rollout["apiVersion"] == "argoproj.io/v1alpha1"
    assert _validate(template, "v1alpha1_AnalysisTemplate.json") == []
    assert _validate(rollout, "v1alpha1_Rollout.json") == []


def test_a_misspelt_field_is_refused_not_pruned() -> None:
    template = copy.deepcopy(_documents(TEMPLATE)["AnalysisTemplate"])
    template["spec"]["metrics"][0]["failurelimit"] = 0
    _container(template)[0]["arg"] = ["analyze"]

    errors = _validate(template, "v1alpha1_AnalysisTemplate.json")

    assert any("'failurelimit' was unexpected" in e for e in errors), errors
    assert any("'arg' was unexpected" in e for e in errors), errors


def test_the_job_fails_closed_and_the_rollout_passes_every_template_arg() -> None:
    template = _documents(TEMPLATE)["AnalysisTemplate"]
    rollout = _documents(ROLLOUT)["Rollout"]
    (metric,) = template["spec"]["metrics"]
    job = metric["provider"]["job"]["spec"]
    container, pod = _container(template)

    # one failed measurement fails the run, and a failed gate is never retried into a pass
    assert metric["failureLimit"] == 0 and job["backoffLimit"] == 0
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert container["args"][:1] == ["analyze"] and "--once" in container["args"]
    assert "command" not in container  # the image's entrypoint runs
    used = set(re.findall(r"\{\{args\.([a-z-]+)\}\}", json.dumps(container)))
    declared = {a["name"]: a for a in template["spec"]["args"]}
    assert used == set(declared)
    steps = _analysis_steps(rollout)
    assert len(steps) == 2
    for step in steps:
        assert [t["templateName"] for t in step["templates"]] == [template["metadata"]["name"]]
        given = {a["name"] for a in step["args"]}
        # Argo refuses a run whose template arg has neither a value nor one given
        assert {n for n, a in declared.items() if "value" not in a} <= given <= set(declared)
    # the track labels the gate's queries select on
    canary = rollout["spec"]["strategy"]["canary"]
    assert canary["canaryMetadata"]["labels"]["track"] == "canary"
    assert canary["stableMetadata"]["labels"]["track"] == "stable"


def _entrypoint() -> list[str]:
    """The image's ENTRYPOINT, read from the Dockerfile (exec form)."""
    lines = [ln for ln in DOCKERFILE.read_text().splitlines() if ln.startswith("ENTRYPOINT ")]
    return list(json.loads(lines[-1].removeprefix("ENTRYPOINT ")))


def job_command(
    template: dict[str, Any], args: dict[str, str], mounts: dict[str, Path]
) -> tuple[list[str], dict[str, str]]:
    """The job container's argv and env after Argo's ``{{args.x}}`` substitution.

    :param args: the AnalysisRun's args (the template's values, overridden by the step's).
    :param mounts: where each volume's ``mountPath`` is on this host.
    """
    container, _ = _container(template)
    values = {a["name"]: a["value"] for a in template["spec"]["args"] if "value" in a}
    values.update(args)

    def fill(text: str) -> str:
        text = re.sub(r"\{\{args\.([a-z-]+)\}\}", lambda m: values[m.group(1)], text)
        for mount, host in mounts.items():
            if text == mount or text.startswith(mount + "/"):
                text = str(host) + text[len(mount) :]
        return text

    argv = _entrypoint() + [fill(a) for a in container.get("args", [])]
    env = {e["name"]: fill(e["value"]) for e in container.get("env", []) if "value" in e}
    return argv, env


def _run_job(
    template: dict[str, Any], configmap: dict[str, Any], args: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    container, pod = _container(template)
    mounts: dict[str, Path] = {}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in container["volumeMounts"]:
        host = tmp_path / mount["name"]
        host.mkdir()
        source = volumes[mount["name"]]
        if "configMap" in source:
            assert source["configMap"]["name"] == configmap["metadata"]["name"]
            for key, text in configmap["data"].items():
                (host / key).write_text(text)
        mounts[mount["mountPath"]] = host
    argv, env = job_command(template, args, mounts)
    binary = require_bin(argv[0], "venv: pip install -e '.[test]'", where=VENV_BIN)
    return subprocess.run(
        [str(binary), *argv[1:]],
        cwd=mounts["/workspace"],  # the image's WORKDIR, an emptyDir in the pod
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def live_rollout_start() -> float:
    """A start such that the canary began ten minutes ago and serves past now."""
    return (int(time.time()) // 60) * 60 - synth.HISTORY - 600


@pytest.mark.peer("prometheus")
@pytest.mark.parametrize(("canary", "code"), [("healthy", 0), ("bad", 1)])
def test_the_job_container_against_a_real_prometheus(
    prometheus: Any, tmp_path: Path, canary: str, code: int
) -> None:
    server = prometheus(checkout_series(live_rollout_start(), canary))
    documents = _documents(TEMPLATE)
    (step, _) = _analysis_steps(_documents(ROLLOUT)["Rollout"])
    args = {a["name"]: a["value"] for a in step["args"]}
    args["prometheus-url"] = server.url  # the step's in-cluster address, here on loopback

    done = _run_job(documents["AnalysisTemplate"], documents["ConfigMap"], args, tmp_path)

    assert done.returncode == code, done.stdout + done.stderr
    verdict = "PASS" if code == 0 else "FAIL"
    assert done.stdout.startswith(f"{verdict} analysis (gate=canary-health): ")
    assert "error-rate" in done.stdout and "Traceback" not in done.stderr


def test_without_a_prometheus_the_job_fails_it_never_passes(tmp_path: Path) -> None:
    documents = _documents(TEMPLATE)

    done = _run_job(
        documents["AnalysisTemplate"], documents["ConfigMap"],
        {"gate": "canary-health", "prometheus-url": "http://127.0.0.1:9"}, tmp_path,
    )  # fmt: skip

    assert done.returncode == 4, done.stdout + done.stderr  # a Failed measurement
    assert "the provider failed" in done.stdout + done.stderr
