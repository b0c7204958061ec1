"""The run's context from GITHUB_* variables and the event payload."""

from __future__ import annotations

import pytest

from releasegate.adapters.github_actions.context import ci_context, run_info
from releasegate.errors import PlatformError

BASE_ENV = {
    "GITHUB_REPOSITORY": "acme/app",
    "GITHUB_SHA": "m" * 40,
    "GITHUB_RUN_ID": "7",
    "GITHUB_REF_NAME": "main",
    "GITHUB_REF_TYPE": "branch",
    "GITHUB_ACTOR": "octocat",
}


def _pr(head_repo: str | None) -> dict[str, object]:
    head: dict[str, object] = {"sha": "h" * 40, "ref": "feature"}
    head["repo"] = {"full_name": head_repo} if head_repo else None
    return {
        "pull_request": {"head": head, "base": {"repo": {"full_name": "acme/app"}}},
        "repository": {"default_branch": "main"},
    }


def test_push_context_is_the_pushed_commit_on_its_branch():
    env = {**BASE_ENV, "GITHUB_EVENT_NAME": "push", "GITHUB_REF_PROTECTED": "true"}
    ctx = ci_context(env, {"repository": {"default_branch": "main"}})
    assert (ctx.platform, ctx.sha, ctx.ref, ctx.ref_type, ctx.default_branch) == (
        "github",
        "m" * 40,
        "main",
        "branch",
        "main",
    )
    assert (ctx.pull_request, ctx.fork, ctx.protected, ctx.actor) == (False, False, True, "octocat")
    assert ctx.run_url == "https://github.com/acme/app/actions/runs/7"


@pytest.mark.parametrize(
    ("head_repo", "fork"), [("acme/app", False), ("mallory/app", True), (None, True)]
)
def test_pull_request_decides_about_the_head_commit_and_knows_forks(head_repo, fork):
    env = {
        **BASE_ENV,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REF_NAME": "12/merge",
        "GITHUB_HEAD_REF": "feature",
    }
    ctx = ci_context(env, _pr(head_repo))
    assert (ctx.sha, ctx.ref, ctx.pull_request, ctx.fork) == ("h" * 40, "feature", True, fork)


def test_a_tag_push_is_a_tag():
    env = {
        **BASE_ENV,
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF_NAME": "v1.2.0",
        "GITHUB_REF_TYPE": "tag",
    }
    ctx = ci_context(env, {})
    assert (ctx.ref, ctx.ref_type, ctx.default_branch, ctx.protected) == (
        "v1.2.0",
        "tag",
        None,
        None,
    )


def test_enterprise_server_api_url_is_kept():
    info = run_info({**BASE_ENV, "GITHUB_API_URL": "https://ghe.example.com/api/v3/"})
    assert (info.api_url, info.run_id, info.repository) == (
        "https://ghe.example.com/api/v3",
        7,
        "acme/app",
    )


def test_outside_a_real_run_the_repository_is_required():
    with pytest.raises(PlatformError, match="GITHUB_REPOSITORY is not set to owner/name"):
        run_info({"GITHUB_ACTIONS": "true"})
