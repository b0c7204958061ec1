"""The Task's image built for real from ``adapters/tekton/Dockerfile``, then run as uid 65532.

No registry is reachable, so the base is a Debian bookworm root made by debootstrap
and passed as ``BASE_IMAGE`` (PEERS.md). The base root and the buildah storage are
kept under ``.cache/tekton/`` so that a second run only builds our layers. The image
is unpacked with umoci and run with ``chroot`` as the non-root user: ``--version``,
``check`` of the example policy, and the Task's own step through the TaskRun harness.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from argo_rollouts import test_argo_analysis as argo
from argo_rollouts.test_argo_analysis import live_rollout_start
from providers.checkout_rollout import checkout_series
from tekton_harness import CHROOT, TaskRunHarness, copy_tree, harness_root

import releasegate
from peers.locate import CACHE, ROOT
from peers.runners import BuildahTools, run

pytestmark = [pytest.mark.slow, pytest.mark.peer("buildah")]

DOCKERFILE = ROOT / "adapters" / "tekton" / "Dockerfile"
TASK_FILE = ROOT / "adapters" / "tekton" / "releasegate.yaml"
EXAMPLE = ROOT / "examples" / "checkout"
GITLAB_TEMPLATES = ROOT / "adapters" / "gitlab" / "templates"
CACHE_DIR = CACHE / "tekton"
PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
#: This machine reaches PyPI through a proxy whose CA only the host trusts; the stand-in base
#: trusts what the host trusts, as a base image built here would.
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
USER = 65532


@dataclass(frozen=True)
class Built:
    """The built image: its OCI config and the unpacked root file system."""

    config: dict[str, object]
    rootfs: Path


def _buildah(tools: BuildahTools) -> list[str]:
    storage = CACHE_DIR / "containers"
    return [
        str(tools.buildah),
        "--root",
        str(storage / "storage"),
        "--runroot",
        str(storage / "run"),
        "--storage-driver",
        "vfs",
    ]


def _ok(cmd: list[str], timeout: float = 600) -> str:
    result = run(list(cmd), timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def _base_rootfs(tools: BuildahTools) -> Path:
    """A debootstrap bookworm root with Python, made once and kept under ``.cache/tekton``."""
    target, stamp = CACHE_DIR / "base-rootfs", CACHE_DIR / "base-rootfs.stamp"
    want = f"bookworm minbase {PACKAGES}"
    if target.is_dir() and stamp.is_file() and stamp.read_text().strip() == want:
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = CACHE_DIR / f"base-rootfs.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    _ok(
        [
            str(tools.debootstrap),
            "--variant=minbase",
            f"--include={PACKAGES}",
            "bookworm",
            str(work),
        ],
        timeout=900,
    )
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    stamp.write_text(want + "\n")
    return target


def _base_image(tools: BuildahTools) -> str:
    """``localhost/releasegate-base:<tag>`` in the cached storage, imported from the root once."""
    rootfs = _base_rootfs(tools)
    digest = hashlib.sha256(
        (CACHE_DIR / "base-rootfs.stamp").read_bytes() + HOST_CA.read_bytes()
    ).hexdigest()
    name = f"localhost/releasegate-base:{digest[:16]}"
    buildah = _buildah(tools)
    if run([*buildah, "images", "--quiet", name]).returncode == 0:
        return name
    ctr = _ok([*buildah, "from", "scratch"]).strip()
    try:
        _ok([*buildah, "copy", ctr, f"{rootfs}/", "/"])
        _ok([*buildah, "copy", ctr, str(HOST_CA), str(HOST_CA)])
        env = f"PIP_CERT={HOST_CA}"
        _ok([*buildah, "config", "--env", env, "--env", f"SSL_CERT_FILE={HOST_CA}", ctr])
        _ok([*buildah, "commit", "--quiet", "--format", "oci", ctr, name])
    finally:
        run([*buildah, "rm", ctr])
    return name


@pytest.fixture(scope="module")
def built(buildah: BuildahTools) -> Iterator[Built]:
    """The image built from the repository root with the debootstrap base, unpacked."""
    if os.geteuid() != 0:
        pytest.fail("the image test needs root (buildah vfs, umoci unpack, chroot)", pytrace=False)
    base = _base_image(buildah)
    tag = f"localhost/releasegate:test-{os.getpid()}"
    storage = _buildah(buildah)
    _ok(
        [
            *storage, "bud", "--isolation", "chroot", "--pull=never",
            "--build-arg", f"BASE_IMAGE={base}", "--format", "oci",
            "-f", str(DOCKERFILE), "-t", tag, str(ROOT),
        ],
        timeout=900,
    )  # fmt: skip
    for work in harness_root():
        try:
            layout = f"oci:{work / 'oci'}:test"
            _ok([*storage, "push", "--quiet", tag, layout])
            config = json.loads(_ok([str(buildah.skopeo), "inspect", "--config", layout]))
            _ok(
                [
                    str(buildah.umoci),
                    "unpack",
                    "--image",
                    f"{work / 'oci'}:test",
                    str(work / "bundle"),
                ]
            )
            yield Built(config=config["config"], rootfs=work / "bundle" / "rootfs")
        finally:
            run([*storage, "rmi", tag])


def _inside(
    built: Built, *cmd: str, cwd: str = "/", env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run ``cmd`` in the image as its user, with the image's environment, as a runtime would."""
    chroot = [CHROOT, f"--userspec={USER}:{USER}", str(built.rootfs)]
    image_env = [str(item) for item in built.config["Env"]]  # type: ignore[attr-defined]
    extra = [f"{k}={v}" for k, v in (env or {}).items()]
    result = run(
        [*chroot, "/usr/bin/env", "-i", "-C", cwd, *image_env, "HOME=/tmp", *extra, *cmd],
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def test_image_config_is_non_root_with_the_cli_as_entrypoint(built: Built) -> None:
    assert built.config["User"] == f"{USER}:{USER}"
    assert built.config["Entrypoint"] == ["releasegate"]
    assert "PATH=/opt/releasegate/bin:" in " ".join(built.config["Env"])  # type: ignore[arg-type]


def test_image_holds_the_installed_wheel_and_no_build_leftovers(built: Built) -> None:
    assert not (built.rootfs / "src").exists()
    assert not (built.rootfs / "wheels").exists()
    assert not (built.rootfs / "opt/releasegate/bin/pip").exists()
    site = next((built.rootfs / "opt/releasegate/lib").glob("python3*/site-packages"))
    assert (site / "releasegate/adapters/tekton/releasegate.yaml").is_file()
    size = sum(
        f.stat().st_size for f in (built.rootfs / "opt/releasegate").rglob("*") if f.is_file()
    )
    # releasegate[all]: PyGithub brings cryptography and PyNaCl, about 20 MB of the venv
    assert size < 80 * 1024 * 1024


def test_version_and_check_run_as_the_non_root_user(built: Built) -> None:
    code, out = _inside(built, "releasegate", "--version")
    assert code == 0, out
    # the tag a release gives the image is this version: releasegate.IMAGE:__version__
    assert out.startswith(f"releasegate {releasegate.__version__} (pluggy ")

    example = built.rootfs / "tmp" / "checkout"
    shutil.copytree(EXAMPLE, example)
    code, out = _inside(built, "releasegate", "check", cwd="/tmp/checkout")
    assert code == 0, out
    assert out.startswith(
        "releasegate.yml: valid (version 1; dev -> staging -> production; 6 validations, 2 gates)"
    )


def test_the_image_holds_releasegate_all(built: Built) -> None:
    """One image for Tekton, Argo Rollouts and GitLab: python-gitlab and PyGithub are in it."""
    code, out = _inside(
        built, "python3", "-c",
        "import gitlab, github, releasegate.adapters.gitlab.plugin; print(gitlab.__version__)",
    )  # fmt: skip
    assert code == 0, out
    assert re.fullmatch(r"\d+\.\d+\.\d+\n", out), out


def test_the_gitlab_job_command_runs_in_the_image_its_templates_name(built: Built) -> None:
    """The GitLab templates run ``releasegate-gitlab`` in this image, tagged with the component's
    version: the command is on PATH, answers the version the tag names, and reaches python-gitlab
    (a GitLab that does not answer is exit 4 with its evidence, not a missing module)."""
    for template in sorted(GITLAB_TEMPLATES.glob("*.yml")):
        spec = yaml.safe_load(template.read_text().split("\n---\n")[0])["spec"]
        assert (
            spec["inputs"]["image"]["default"] == f"{releasegate.IMAGE}:{releasegate.__version__}"
        )
    code, out = _inside(built, "/bin/sh", "-c", "releasegate-gitlab --version")
    assert code == 0, out
    assert out.startswith(f"releasegate {releasegate.__version__} (pluggy ")

    work = built.rootfs / "tmp" / "gitlab"
    shutil.copytree(EXAMPLE, work)
    os.chown(work, USER, USER)
    job = {  # a promote job's variables, as the template and the runner set them
        "GITLAB_CI": "true",
        "CI_SERVER_URL": "http://127.0.0.1:9",
        "CI_API_V4_URL": "http://127.0.0.1:9/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_PATH": "acme/app",
        "CI_COMMIT_SHA": "a" * 40,
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_REF_PROTECTED": "true",
        "CI_DEFAULT_BRANCH": "main",
        "CI_JOB_TOKEN": "token",
        "RELEASEGATE_GITLAB_COMMAND": "promote",
        "RELEASEGATE_TO": "staging",
        "RELEASEGATE_GITLAB_DOTENV": "releasegate.env",
        "RELEASEGATE_GITLAB_JUNIT": "releasegate-junit.xml",
    }
    code, out = _inside(built, "/bin/sh", "-c", "releasegate-gitlab", cwd="/tmp/gitlab", env=job)
    assert code == 4, out
    assert "not installed" not in out and "ModuleNotFoundError" not in out, out
    assert "Traceback" not in out and "127.0.0.1:9" in out, out
    dotenv = (work / "releasegate.env").read_text()
    assert "RELEASEGATE_OUTCOME=error" in dotenv and "RELEASEGATE_EXIT_CODE=4" in dotenv, dotenv


@pytest.mark.peer("prometheus")
@pytest.mark.parametrize(("canary", "expected"), [("healthy", 0), ("bad", 1)])
def test_the_argo_analysis_job_runs_one_gate_in_the_image(
    built: Built, prometheus: Any, canary: str, expected: int
) -> None:
    """The AnalysisTemplate's container, as the pod runs it: entrypoint, args, env, mounts."""
    server = prometheus(checkout_series(live_rollout_start(), canary))
    documents = argo._documents(argo.TEMPLATE)
    work = built.rootfs / "tmp" / f"argo-{canary}"
    policy, workspace = work / "policy", work / "workspace"
    for directory in (policy, workspace):
        directory.mkdir(parents=True)
        os.chown(directory, USER, USER)
    for key, text in documents["ConfigMap"]["data"].items():
        (policy / key).write_text(text)
    inside = {
        "/etc/releasegate-policy": f"/tmp/argo-{canary}/policy",
        "/workspace": f"/tmp/argo-{canary}/workspace",
    }
    argv, env = argo.job_command(
        documents["AnalysisTemplate"],
        {"gate": "canary-health", "prometheus-url": server.url},
        {k: Path(v) for k, v in inside.items()},
    )

    code, out = _inside(built, *argv, cwd=inside["/workspace"], env=env)

    assert code == expected, out
    assert out.startswith(("PASS" if expected == 0 else "FAIL") + " analysis (gate=canary-health)")


def test_the_task_step_runs_in_the_image(built: Built) -> None:
    root = built.rootfs / "tmp" / "taskruns"
    root.mkdir(mode=0o755)
    harness = TaskRunHarness(TASK_FILE, Path("/opt/releasegate/bin"), root, chroot=built.rootfs)
    source = copy_tree(EXAMPLE, harness)

    result = harness.run({"command": "check"}, {"source": source})

    assert result.succeeded, result.stderr
    assert result.results["outcome"] == "ok"
    assert result.results["reason"].startswith("releasegate.yml: valid (version 1;")
    report = source / ".releasegate" / "tekton" / "releasegate-run-1.log"
    assert report.stat().st_uid == USER
    step = yaml.safe_load(TASK_FILE.read_text())["spec"]["stepTemplate"]["securityContext"]
    assert step["runAsUser"] == USER
