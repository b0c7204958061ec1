"""``releasegate cache`` run as CI runs it: the installed console script in a real git checkout."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

POLICY = """\
version: 1
service: checkout
cache:
  write_on: [main, "release/*", tags]
  dependencies: auto
  docker: {backend: gha, mode: max, size_estimate: 6GB}
  bazel: {remote_cache: "grpcs://cache.example.com", header_env: BAZEL_REMOTE_HEADER}
  kaniko: {repo: registry.example.com/checkout/cache, ttl: 168h}
  concurrency: {group: "deploy-{env}", max_parallel: 1}
"""
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "web").mkdir(parents=True)
    (root / "api").mkdir()
    (root / "releasegate.yml").write_text(POLICY)
    (root / "web" / "package-lock.json").write_text("{}\n")
    (root / "api" / "uv.lock").write_text("version = 1\n")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return root


def run(run_cli: Any, repo: Path, *args: str, **env: str) -> Any:
    return run_cli("cache", *args, cwd=repo, env={"GITHUB_EVENT_NAME": "", **env})


def test_json_plan_for_a_trusted_branch(run_cli: Any, repo: Path) -> None:
    code, out, err = run(
        run_cli, repo, "--target", "github", "--ref", "main", "--format", "json", "--explain"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["write"] is True and doc["rule"] == "main"
    assert [e["ecosystem"] for e in doc["entries"]] == ["npm", "uv"]
    assert doc["output"]["outputs"]["buildx-cache-to"] == "type=gha,mode=max,scope=checkout"
    assert any("10.0 GB" in w for w in doc["warnings"])
    assert "releasegate-linux-npm-" in " ".join(
        doc["explain"]
    ) and "web/package-lock.json" in " ".join(doc["explain"])
    assert "releasegate: warning: gha cache mode=max" in err


@pytest.mark.parametrize("ref", ["feature/x", "refs/pull/3/merge", "refs/tags/v1.0.0x y"])
def test_untrusted_refs_get_restore_only_github_outputs(run_cli: Any, repo: Path, ref: str) -> None:
    code, out, err = run(run_cli, repo, "--target", "github", "--ref", ref)
    assert code == 0, err
    assert "cache-action=actions/cache/restore\n" in out and "cache-save=false\n" in out
    assert "buildx-cache-to=\n" in out


def test_without_a_ref_a_workstation_reads_only(run_cli: Any, repo: Path) -> None:
    code, out, err = run(run_cli, repo, "--target", "bazel", "--explain")
    assert code == 0, err
    assert "build --remote_upload_local_results=false" in out.splitlines()
    assert "releasegate: explain: read-only: no CI platform detected" in err


def test_gitlab_yaml_is_an_includable_hidden_job(run_cli: Any, repo: Path) -> None:
    code, out, err = run(
        run_cli, repo, "--target", "gitlab", "--ref", "feature/x", "--format", "yaml"
    )
    assert code == 0, err
    job = yaml.safe_load(out)[".releasegate-cache"]
    assert {c["policy"] for c in job["cache"]} == {"pull"}
    assert "resource_group" not in job  # deploy-{env} with no --env: never a group named "{env}"
    code, out, err = run(
        run_cli,
        repo,
        "--target",
        "gitlab",
        "--ref",
        "feature/x",
        "--format",
        "yaml",
        "--env",
        "production",
    )
    assert code == 0, err
    assert yaml.safe_load(out)[".releasegate-cache"]["resource_group"] == "deploy-production"


def test_keys_match_across_clones_through_the_cli(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(repo), str(clone)], check=True, env={**os.environ, **GIT_ENV}
    )
    outputs = [
        run(run_cli, where, "--target", "env", "--ref", "main").stdout for where in (repo, clone)
    ]
    assert (
        outputs[0] == outputs[1] and "RELEASEGATE_CACHE_KEY=releasegate-linux-deps-" in outputs[0]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--target", "nope"],
            "releasegate cache: error: argument --target: invalid choice: 'nope'",
        ),
        (
            ["--target", "bazel", "--docker-cache-size", "12XB"],
            "releasegate: error: --docker-cache-size: expected a size such as 800MB or 3GB, got '12XB'",
        ),
        (
            ["--target", "github", "--format", "markdown"],
            "releasegate cache: error: argument --format",
        ),
        (
            ["--target", "github", "--root", "missing"],
            "releasegate: error: missing: not a directory",
        ),
        (
            ["--target", "github", "--directory", "nowhere"],
            "releasegate: error: --directory nowhere: no lockfile group",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    run_cli: Any, repo: Path, args: list[str], message: str
) -> None:
    code, out, err = run(run_cli, repo, *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(message), err
    assert out == ""


def test_a_missing_policy_section_is_a_usage_error(run_cli: Any, repo: Path) -> None:
    (repo / "releasegate.yml").write_text("version: 1\ncache:\n  write_on: [main]\n")
    code, _out, err = run(run_cli, repo, "--target", "kaniko")
    assert code == 2
    assert err == (
        "releasegate: error: --target kaniko: the policy has no cache.kaniko section; "
        "add one to releasegate.yml or choose another target\n"
    )


def test_policy_errors_point_at_the_cache_section(run_cli: Any, repo: Path) -> None:
    (repo / "releasegate.yml").write_text("version: 1\ncache:\n  write_on: [refs/heads/main]\n")
    code, _out, err = run(run_cli, repo, "--target", "github")
    assert code == 2
    assert "cache.write_on[0]" in err and "write 'main'" in err


@pytest.mark.parametrize("target", ["github", "gitlab", "tekton"])
def test_no_target_emits_a_group_still_naming_a_placeholder(
    run_cli: Any, repo: Path, target: str
) -> None:
    code, out, err = run(
        run_cli, repo, "--target", target, "--ref", "main", "--format", "json", "--explain"
    )
    assert code == 0, err
    assert "{env}" not in json.dumps(json.loads(out)["output"])  # no deploy-{env} in any form
    assert "deploy-{env}' names {env}, which this run cannot fill (pass --env)" in out + err

    code, out, err = run(
        run_cli,
        repo,
        "--target",
        target,
        "--ref",
        "main",
        "--format",
        "json",
        "--env",
        "review/feature-1",
        "--explain",
    )
    assert code == 0, err
    assert "deploy-review/feature-1" in out + err


@pytest.mark.parametrize(
    "value", ["x$CI_JOB_TOKEN", "a b", "/x", "x}{y", "x\ny", "x/", "${{ secrets.T }}"]
)
@pytest.mark.parametrize("target", ["github", "gitlab", "tekton"])
def test_an_environment_that_cannot_be_part_of_a_group_name_is_refused(
    run_cli: Any, repo: Path, target: str, value: str
) -> None:
    code, out, err = run(run_cli, repo, "--target", target, "--ref", "main", "--env", value)
    assert code == 2
    assert err == (
        f"releasegate: error: cache.concurrency.group: {{env}} = {value!r} cannot be part of a group"
        " name; a value there may hold only letters, digits and _ . - (and / between names)\n"
    )
    assert out == ""
