"""Merge request approvals of the commit being promoted, read where GitLab allows it (I/O).

Which merge request: in a merge request pipeline ``CI_MERGE_REQUEST_IID``; in a branch pipeline
(the default branch after merge) the merged merge request of the commit, from
``GET /projects/:id/repository/commits/:sha/merge_requests`` (allowed to ``CI_JOB_TOKEN``,
doc/ci/jobs/ci_job_token.md). Its approvals come from
``GET /projects/:id/merge_requests/:iid/approvals``, which the job token cannot read (not in
that list): it needs ``RELEASEGATE_GITLAB_TOKEN``. GitLab passes a *protected* variable only to
pipelines of protected branches and tags (doc/ci/variables/_index.md, "Protect a CI/CD
variable"), so a merge request pipeline of an unprotected branch never has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from releasegate.adapters.gitlab.api import JOB_TOKEN, PRIVATE_TOKEN, GitlabApi
from releasegate.errors import PlatformError
from releasegate.records import VOUCHED, Approval

__all__ = ["change_authors", "merge_request_approvals", "merge_request_pipeline"]

_READ = "the read_api scope and the Reporter role"


def merge_request_pipeline(env: Mapping[str, str]) -> bool:
    """A pipeline of proposed code: a merge request's, or an external (GitHub) pull request's.

    Pipelines for external pull requests (doc/ci/ci_cd_for_external_repos) carry
    ``CI_EXTERNAL_PULL_REQUEST_IID`` and ``CI_PIPELINE_SOURCE=external_pull_request_event``,
    never ``CI_MERGE_REQUEST_IID`` (doc/ci/variables/predefined_variables.md).
    """
    return bool(
        env.get("CI_MERGE_REQUEST_IID")
        or env.get("CI_EXTERNAL_PULL_REQUEST_IID")
        or env.get("CI_PIPELINE_SOURCE") in ("merge_request_event", "external_pull_request_event")
    )


def _time(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _missing_token(env: Mapping[str, str]) -> PlatformError:
    if env.get("CI_MERGE_REQUEST_IID") and env.get("CI_COMMIT_REF_PROTECTED") != "true":
        where = (
            f"this merge request pipeline runs for the unprotected branch "
            f"{env.get('CI_MERGE_REQUEST_SOURCE_BRANCH_NAME') or env.get('CI_COMMIT_REF_NAME') or '?'}"
            f", and GitLab passes protected variables such as {PRIVATE_TOKEN} only to "
            "protected branches and tags: run the promote job in the default-branch "
            "pipeline after merge, where the merge request's approvals are read too"
        )
    else:
        where = (
            f"set {PRIVATE_TOKEN} (read_api scope, Reporter role) as a masked, protected "
            "variable and run the job on a protected branch or tag"
        )
    return PlatformError(
        f"merge-request-approvals needs {PRIVATE_TOKEN} to read merge request "
        f"approvals ({JOB_TOKEN} cannot): {where}"
    )


def _merged_iid(api: GitlabApi, sha: str) -> int | None:
    rows: list[dict[str, Any]] = api.call(
        f"list the merge requests of {sha[:12]}",
        _READ,
        lambda c: list(api.project(c).commits.get(sha, lazy=True).merge_requests(get_all=True)),
    )
    for row in rows:
        if row.get("state") == "merged" and sha in (
            row.get("merge_commit_sha"),
            row.get("squash_commit_sha"),
            row.get("sha"),
        ):
            return int(row["iid"])
    return None


def merge_request_approvals(
    api: GitlabApi, env: Mapping[str, str], environment: str, sha: str
) -> list[Approval]:
    """The approvals of the merge request that brought ``sha``, as ``Approval`` records.

    :raises PlatformError: when ``RELEASEGATE_GITLAB_TOKEN`` is not set (one line saying why it
        is missing and where the approvals can be read instead), or GitLab refuses.
    """
    if not api.has_private_token:
        raise _missing_token(env)
    iid = (
        int(env["CI_MERGE_REQUEST_IID"])
        if env.get("CI_MERGE_REQUEST_IID")
        else _merged_iid(api, sha)
    )
    if iid is None:
        return []
    state: dict[str, Any] = api.call(
        f"read the approvals of merge request !{iid}",
        _READ,
        lambda c: api.project(c).mergerequests.get(iid, lazy=True).approvals.get().asdict(),
        private=True,
    )
    when = _time(state.get("updated_at"))
    return [
        Approval(environment, sha, item["user"]["username"], when, VOUCHED)
        for item in state.get("approved_by") or []
        if (item.get("user") or {}).get("username")
    ]


def change_authors(api: GitlabApi, env: Mapping[str, str], sha: str) -> dict[str, str]:
    """The commit's author (``CI_COMMIT_AUTHOR``, "Name <email>", for the pipeline's commit);
    with ``RELEASEGATE_GITLAB_TOKEN`` also its author and committer from the API, and in a
    merge request pipeline the merge request's author and its commits' authors."""
    found: dict[str, str] = {}
    if sha == env.get("CI_COMMIT_SHA") and env.get("CI_COMMIT_AUTHOR"):
        name, _, rest = env["CI_COMMIT_AUTHOR"].partition("<")
        for value in (name.strip(), rest.rstrip(">").strip()):
            if value:
                found[value] = "commit author"
    if not api.has_private_token:
        return found
    # https://docs.gitlab.com/api/commits/#get-a-single-commit
    commit = api.call(
        f"read commit {sha[:12]}",
        _READ,
        lambda c: api.project(c).commits.get(sha).asdict(),
        private=True,
    )
    people = [commit]
    iid = env.get("CI_MERGE_REQUEST_IID")
    if iid:
        # https://docs.gitlab.com/api/merge_requests/#get-single-mr and
        # https://docs.gitlab.com/api/merge_requests/#get-single-merge-request-commits
        def read(c: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            request = api.project(c).mergerequests.get(iid)
            return request.asdict(), [x.asdict() for x in request.commits()]

        request, commits = api.call(
            f"read merge request !{iid} and its commits", _READ, read, private=True
        )
        author = (request.get("author") or {}).get("username")
        if author:
            found.setdefault(str(author), "merge request author")
        people += commits
    for item in people:
        for key, role in (("author", "commit author"), ("committer", "committer")):
            for field in ("name", "email"):
                value = item.get(f"{key}_{field}")
                if value:
                    found.setdefault(str(value), role)
    return found
