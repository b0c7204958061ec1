"""Renderers: GitLab's schema accepts the cache list, fallback keys are keys a writer pushes,
a read-only .bazelrc uploads nothing, and the other targets' forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from releasegate.cache import build_plan, render
from releasegate.cache.ecosystems import LockGroup
from releasegate.cache.plan import select_groups
from releasegate.cache.render_ci import github_output_file
from releasegate.cache.tools import gha_quota_warning, go_duration, parse_size, plan_buildkit
from releasegate.cache.trust import Trust
from releasegate.errors import UsageError
from releasegate.policy.model import BazelCache, Cache, Concurrency, DependencyCache, DockerCache

WRITE = Trust(True, "branch main matches write_on entry 'main'", "main")
READ = Trust(False, "pull requests read only (write_on does not list pull_requests)")


def groups(count: int) -> tuple[list[LockGroup], dict[str, str]]:
    names = ["npm", "uv", "go", "cargo", "maven", "composer"][:count]
    found = [LockGroup(eco, ".", (f"{eco}/lock",)) for eco in names]
    return found, {g.lockfiles[0]: f"{i:064x}" for i, g in enumerate(found)}


def gitlab(trust: Trust, count: int = 2, **cache: Any) -> dict[str, Any]:
    found, digests = groups(count)
    plan = build_plan(Cache(**cache), found, digests, os_name="linux", trust=trust)
    return yaml.safe_load(render(plan, "gitlab").text)


@pytest.mark.parametrize("trust", [WRITE, READ], ids=["writes", "read-only"])
@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_gitlab_cache_list_is_valid_for_gitlab(
    tmp_path: Path, check_jsonschema: Any, trust: Trust, count: int
) -> None:
    document = gitlab(trust, count, concurrency=Concurrency("deploy-{env}"))
    job = document[".releasegate-cache"]
    pipeline = {
        **document,
        "build": {
            "extends": ".releasegate-cache",
            "script": ["make"],
            "cache": job["cache"],
            "variables": job.get("variables", {}),
        },
    }
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    result = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", ci)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(job["cache"]) <= 4


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_every_gitlab_fallback_key_is_pushed_by_a_trusted_job(count: int) -> None:
    written = {
        c["key"]
        for c in gitlab(WRITE, count)[".releasegate-cache"]["cache"]
        if c["policy"] in ("push", "pull-push")
    }
    for document in (gitlab(WRITE, count), gitlab(READ, count)):
        for cache in document[".releasegate-cache"]["cache"]:
            assert set(cache.get("fallback_keys", [])) <= written
            assert "$" not in cache["key"] and "/" not in cache["key"]  # literal, computed here


def test_gitlab_refuses_more_caches_than_a_job_holds() -> None:
    with pytest.raises(UsageError, match="GitLab allows 4 per job"):
        gitlab(READ, 5)


def test_gitlab_moves_tool_caches_into_the_project() -> None:
    job = gitlab(READ, 2)[".releasegate-cache"]
    assert job["variables"] == {
        "UV_CACHE_DIR": "$CI_PROJECT_DIR/.cache/uv",
        "npm_config_cache": "$CI_PROJECT_DIR/.cache/npm",
    }
    assert [c["paths"] for c in job["cache"]] == [[".cache/npm"], [".cache/uv"]]


@pytest.mark.parametrize(("trust", "upload"), [(WRITE, "true"), (READ, "false")])
def test_bazelrc(trust: Trust, upload: str) -> None:
    bazel = BazelCache(
        remote_cache="grpcs://cache.example.com",
        instance_name="ci",
        disk_cache="/tmp/bd",
        header_env="BAZEL_REMOTE_HEADER",
    )
    text = render(
        build_plan(Cache(bazel=bazel), [], {}, os_name="linux", trust=trust), "bazel"
    ).text
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [
        "build --remote_cache=grpcs://cache.example.com",
        "build --remote_instance_name=ci",
        "build --disk_cache=/tmp/bd",
        f"build --remote_upload_local_results={upload}",
    ]
    assert '--remote_header="${BAZEL_REMOTE_HEADER}"' in text  # named, never a value


@pytest.mark.parametrize(
    ("docker", "write", "cache_from", "cache_to"),
    [
        (
            DockerCache(
                "registry", ref="ghcr.io/a/cache", mode="max", options={"image-manifest": "true"}
            ),
            True,
            ("type=registry,ref=ghcr.io/a/cache",),
            ("type=registry,ref=ghcr.io/a/cache,mode=max,image-manifest=true",),
        ),
        (
            DockerCache("gha", mode="min"),
            True,
            ("type=gha,scope=app",),
            ("type=gha,mode=min,scope=app",),
        ),
        (DockerCache("gha", scope="img"), False, ("type=gha,scope=img",), ()),
        (
            DockerCache("local", ref="/tmp/c"),
            True,
            ("type=local,src=/tmp/c",),
            ("type=local,dest=/tmp/c-new,mode=min",),
        ),
        (
            DockerCache("s3", ref="app", options={"bucket": "b", "region": "r"}),
            True,
            ("type=s3,name=app,bucket=b,region=r",),
            ("type=s3,mode=min,name=app,bucket=b,region=r",),
        ),
        (
            DockerCache("inline", ref="ghcr.io/a/app:main"),
            True,
            ("type=registry,ref=ghcr.io/a/app:main",),
            ("type=inline",),
        ),
    ],
)
def test_buildkit_values(
    docker: DockerCache, write: bool, cache_from: tuple[str, ...], cache_to: tuple[str, ...]
) -> None:
    plan = plan_buildkit(docker, write=write, default_scope="app")
    assert (plan.cache_from, plan.cache_to) == (cache_from, cache_to)


@pytest.mark.parametrize(
    ("mode", "size", "warns"),
    [("max", "6GB", True), ("max", "5GB", False), ("min", "9GB", False), ("max", None, False)],
)
def test_gha_quota_warning(mode: str, size: str | None, warns: bool) -> None:
    assert (gha_quota_warning(mode, parse_size(size) if size else None) is not None) is warns


def test_measured_size_wins_over_the_estimate() -> None:
    docker = DockerCache("gha", mode="max", size_estimate=1e9)
    assert plan_buildkit(docker, write=True, default_scope="a", measured_size=7e9).warnings
    assert not plan_buildkit(docker, write=True, default_scope="a").warnings


@pytest.mark.parametrize(
    ("text", "size"), [("800MB", 8e8), ("3GB", 3e9), ("1.5GiB", 1.5 * 2**30), ("42", 42.0)]
)
def test_parse_size(text: str, size: float) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("seconds", "text"), [(168 * 3600, "168h"), (90, "90s")])
def test_kaniko_ttl_is_a_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_github_output_file_uses_heredocs_for_lists() -> None:
    text = github_output_file({"a": "1", "b": "x\ny"})
    lines = text.splitlines()
    assert lines[0] == "a=1" and lines[1].startswith("b<<RELEASEGATE_") and lines[2:4] == ["x", "y"]
    assert lines[4] == lines[1].split("<<")[1]


def test_listed_dependencies_use_their_globs_and_paths() -> None:
    cache = Cache(
        dependencies=(
            DependencyCache("npm", ("**/package-lock.json",), ("~/.npm", ".next/cache")),
            DependencyCache("pip", ("requirements/*.txt",)),
        )
    )
    found, warnings = select_groups(
        cache, ["package-lock.json", "web/package-lock.json", "x/requirements.txt"]
    )
    assert found == [
        LockGroup(
            "npm", ".", ("package-lock.json", "web/package-lock.json"), ("~/.npm", ".next/cache")
        )
    ]
    assert warnings == [
        "cache.dependencies[1]: no file matches requirements/*.txt; no pip cache "
        "(fix the glob or remove the entry)"
    ]


def test_per_directory_entries_cache_their_own_directories() -> None:
    found = [
        LockGroup("npm", "web", ("web/package-lock.json",)),
        LockGroup("go", "svc", ("svc/go.sum",)),
    ]
    plan = build_plan(
        Cache(per_directory=True),
        found,
        {"web/package-lock.json": "1" * 64, "svc/go.sum": "2" * 64},
        os_name="macos",
        trust=READ,
    )
    assert [(e.key.rsplit("-", 1)[0], e.paths) for e in plan.entries] == [
        ("releasegate-macos-npm-web", ("web/node_modules",)),
        ("releasegate-macos-go-svc", ("~/go/pkg/mod", "~/Library/Caches/go-build")),
    ]
    assert plan.combined is not None and plan.combined.key.startswith("releasegate-macos-deps-")
