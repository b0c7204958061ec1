"""Trust: who may write caches. The rule that must never break is property-tested over every
target and ref shape: a run that may not write gets read-only output everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.cache import TARGETS, build_plan, render
from releasegate.cache.ecosystems import LockGroup
from releasegate.cache.trust import Ref, Trust, branch_matches, decide, parse_ref
from releasegate.policy.model import BazelCache, Cache, Concurrency, DockerCache, KanikoCache


@pytest.mark.parametrize(
    ("text", "context_ref", "context_kind", "expected"),
    [
        ("main", None, None, Ref("main", "branch")),
        ("refs/heads/release/1.2", None, None, Ref("release/1.2", "branch")),
        ("refs/tags/v1.2.0", None, None, Ref("v1.2.0", "tag")),
        ("v1.2.0", "v1.2.0", "tag", Ref("v1.2.0", "tag")),
        ("v1.2.0", "main", "branch", Ref("v1.2.0", "branch")),
        ("refs/pull/7/merge", None, None, Ref("refs/pull/7/merge", "pull")),
        ("refs/merge-requests/3/head", None, None, Ref("refs/merge-requests/3/head", "pull")),
        ("refs/remotes/origin/main", None, None, Ref("refs/remotes/origin/main", "unknown")),
        ("HEAD", None, None, Ref("HEAD", "unknown")),
        ("", None, None, Ref(None, "unknown")),
        (None, None, None, Ref(None, "unknown")),
        (
            "main\nbuild --remote_upload_local_results=true",
            None,
            None,
            Ref("main?build?--remote_upload_local_results=true", "unknown"),
        ),
        ("a..b", None, None, Ref("a?b", "unknown")),
        ("refs/heads/", None, None, Ref("refs/heads?", "unknown")),
    ],
)
def test_parse_ref(
    text: str | None, context_ref: str | None, context_kind: str | None, expected: Ref
) -> None:
    assert parse_ref(text, context_ref, context_kind) == expected


@pytest.mark.parametrize(
    ("pattern", "branch", "matches"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("main", "xmain", False),
        ("release/*", "release/1.2", True),
        ("release/*", "release/1/2", False),
        ("release/**", "release/1/2", True),
        ("**/hotfix", "hotfix", True),
        ("v?", "v1", True),
        ("v?", "v10", False),
        ("rel.ease", "relXease", False),
    ],
)
def test_branch_globs(pattern: str, branch: str, matches: bool) -> None:
    assert branch_matches(pattern, branch) is matches


WRITE_ON = ("main", "release/*", "tags")


@pytest.mark.parametrize(
    ("write_on", "ref", "facts", "write", "reason"),
    [
        (WRITE_ON, "main", {}, True, "branch main matches write_on entry 'main'"),
        (
            WRITE_ON,
            "release/2.0",
            {},
            True,
            "branch release/2.0 matches write_on entry 'release/*'",
        ),
        (WRITE_ON, "refs/tags/v1", {}, True, "tag v1 is allowed by write_on: tags"),
        (
            WRITE_ON,
            "feature/x",
            {},
            False,
            "branch feature/x matches no write_on entry (main, release/*, tags), so it reads only",
        ),
        (
            ("main",),
            "refs/tags/v1",
            {},
            False,
            "tag v1 reads only (write_on: main does not list tags)",
        ),
        (
            WRITE_ON,
            "main",
            {"pull_request": True},
            False,
            "pull requests read only (write_on does not list pull_requests)",
        ),
        (
            WRITE_ON,
            "refs/pull/4/merge",
            {},
            False,
            "pull requests read only (write_on does not list pull_requests)",
        ),
        (
            ("pull_requests",),
            "feature",
            {"pull_request": True},
            True,
            "a same-repository pull request, allowed by write_on: pull_requests",
        ),
        (
            ("pull_requests", "main"),
            "main",
            {"pull_request": True, "fork": True},
            False,
            "a pull request from a fork never writes caches",
        ),
        (
            ("default",),
            "trunk",
            {"default_branch": "trunk"},
            True,
            "branch trunk is the default branch (write_on: default)",
        ),
        (
            ("default",),
            "trunk",
            {},
            False,
            "branch trunk matches no write_on entry (default); the default branch is unknown, so it reads only",
        ),
        (
            WRITE_ON,
            "main",
            {"trigger": "pull_request_target"},
            False,
            "a pull_request_target run acts for untrusted code with the default branch's cache scope, so it reads only",
        ),
        (
            WRITE_ON,
            "main",
            {"workstation": True},
            False,
            "no CI platform detected, and a workstation reads only (pass --ref to judge a ref)",
        ),
        (
            WRITE_ON,
            None,
            {},
            False,
            "the ref is not a known branch or tag, so it reads only (pass --ref refs/heads/NAME or refs/tags/NAME)",
        ),
    ],
)
def test_decide(
    write_on: tuple[str, ...], ref: str | None, facts: dict[str, Any], write: bool, reason: str
) -> None:
    trust = decide(write_on, parse_ref(ref), **facts)
    assert (trust.write, trust.reason) == (write, reason)


# -- the property: read-only means read-only in every target ------------------------------------

CACHE_SECTIONS = {
    "docker": DockerCache(backend="registry", ref="ghcr.io/acme/app/cache", mode="max"),
    "kaniko": KanikoCache(repo="registry.example.com/app/cache", ttl=168 * 3600.0),
    "bazel": BazelCache(
        remote_cache="grpcs://cache.example.com",
        disk_cache="~/.cache/bazel-disk",
        header_env="BAZEL_REMOTE_HEADER",
    ),
    "concurrency": Concurrency(group="deploy-{env}"),
}
GROUPS = [
    LockGroup("npm", "web", ("web/package-lock.json",)),
    LockGroup("uv", "api", ("api/uv.lock",)),
]
DIGESTS = {"web/package-lock.json": "a" * 64, "api/uv.lock": "b" * 64}
BRANCHES = st.sampled_from(
    [
        "main",
        "trunk",
        "release/1.0",
        "release/1/2",
        "feature/x",
        "hotfix/**",
        "v1.0",
        "",
        "HEAD",
        "main\nbuild --x",
        "ma in",
    ]
)
REFS = st.one_of(
    st.none(),
    BRANCHES,
    BRANCHES.map(lambda b: f"refs/heads/{b}"),
    BRANCHES.map(lambda b: f"refs/tags/{b}"),
    st.integers(1, 999).map(lambda n: f"refs/pull/{n}/merge"),
    st.integers(1, 999).map(lambda n: f"refs/merge-requests/{n}/head"),
    st.text(max_size=20),
)
ENTRIES = st.lists(
    st.sampled_from(["main", "release/*", "default", "tags", "pull_requests", "feature/**"]),
    max_size=4,
    unique=True,
)


def assert_read_only(target: str, text: str, data: dict[str, Any]) -> None:
    if target == "github":
        outputs = data["outputs"]
        assert outputs["cache-save"] == "false" and outputs["cache-restore-only"] == "true"
        assert outputs["buildx-cache-to"] == ""
        assert all(step["uses"].startswith("actions/cache/restore@") for step in data["steps"])
    elif target == "gitlab":
        caches = data[".releasegate-cache"]["cache"]
        assert caches and all(c["policy"] == "pull" for c in caches)
        assert all("unprotect" not in c for c in caches)
    elif target == "tekton":
        assert data["workspace"]["readOnly"] is True
        assert "--export-cache" not in data["buildkit-args"]
        assert "--no-push-cache" in data["kaniko-args"]
    elif target == "bazel":
        assert "--remote_upload_local_results=false" in text
        assert "--remote_upload_local_results=true" not in text
    elif target == "buildkit":
        assert "--cache-to" not in text and "--cache-from" in text
    elif target == "kaniko":
        assert "--no-push-cache" in text.splitlines()
    elif target == "env":
        assert "RELEASEGATE_CACHE_SAVE=false" in text
        assert "--cache-to" not in text and "--no-push-cache" in text
        assert "--remote_upload_local_results=false" in text


def assert_writes(target: str, text: str, data: dict[str, Any]) -> None:
    if target == "github":
        assert data["outputs"]["cache-save"] == "true" and data["outputs"]["buildx-cache-to"]
    elif target == "gitlab":
        assert {c["policy"] for c in data[".releasegate-cache"]["cache"]} == {"pull-push", "push"}
    elif target == "tekton":
        assert data["workspace"]["readOnly"] is False and "--export-cache" in data["buildkit-args"]
    elif target == "bazel":
        assert "--remote_upload_local_results=true" in text
    elif target == "buildkit":
        assert "--cache-to" in text
    elif target in ("kaniko", "env"):
        assert "--no-push-cache" not in text


def expected_write(
    write_on: list[str], ref: Ref, pull_request: bool, fork: bool, default_branch: str | None
) -> bool:
    """An independent statement of the rule."""
    if fork:
        return False
    if pull_request or ref.kind == "pull":
        return "pull_requests" in write_on
    if ref.kind == "tag":
        return "tags" in write_on
    if ref.kind != "branch" or not ref.name:
        return False
    name = ref.name
    return (
        ("main" in write_on and name == "main")
        or ("release/*" in write_on and name.startswith("release/") and "/" not in name[8:])
        or ("feature/**" in write_on and name.startswith("feature/"))
        or ("default" in write_on and default_branch is not None and name == default_branch)
    )


@settings(max_examples=300, deadline=None)
@given(
    write_on=ENTRIES,
    ref_text=REFS,
    pull_request=st.booleans(),
    fork=st.booleans(),
    default_branch=st.sampled_from([None, "main", "trunk"]),
    per_directory=st.booleans(),
)
def test_read_only_everywhere_unless_trusted(
    write_on: list[str],
    ref_text: str | None,
    pull_request: bool,
    fork: bool,
    default_branch: str | None,
    per_directory: bool,
) -> None:
    ref = parse_ref(ref_text)
    trust = decide(
        write_on, ref, pull_request=pull_request, fork=fork, default_branch=default_branch
    )
    assert trust.write is expected_write(write_on, ref, pull_request, fork, default_branch), (
        trust.reason
    )
    if fork:
        assert not trust.write
    cache = Cache(write_on=tuple(write_on), per_directory=per_directory, **CACHE_SECTIONS)  # type: ignore[arg-type]
    plan = build_plan(cache, GROUPS, DIGESTS, os_name="linux", trust=trust, service="app")
    for target in TARGETS:
        rendered = render(plan, target)
        (assert_writes if trust.write else assert_read_only)(target, rendered.text, rendered.data)


def test_a_trusted_plan_is_not_read_only_by_accident() -> None:
    cache = Cache(write_on=("main",), **CACHE_SECTIONS)  # type: ignore[arg-type]
    plan = build_plan(cache, GROUPS, DIGESTS, os_name="linux", trust=Trust(True, "test", "main"))
    for target in TARGETS:
        rendered = render(plan, target)
        assert_writes(target, rendered.text, rendered.data)
        with pytest.raises(AssertionError):
            assert_read_only(target, rendered.text, rendered.data)
