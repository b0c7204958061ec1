"""GitLab REST API v4 response bodies, shaped on GitLab's API documentation (pure data).

Each builder returns one object as the documentation's examples show it
(deployments, deployment approvals, pipelines, jobs, merge request approvals,
group members), with only the fields a test varies as parameters.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "PROJECT",
    "SHA",
    "SHA_OLD",
    "deployment",
    "job",
    "member",
    "mr_approvals",
    "pipeline",
    "user",
]

#: The project gitlab-ci-local and the tests use (``CI_PROJECT_ID``).
PROJECT = "1217"
SHA = "99d03678b90d914dbb1b109132516d71a4a03ea8"
SHA_OLD = "a91957a858320c0e17f3a0eca7cfacbff50ea29a"
WEB = "https://gitlab.example.com/acme/app"


def user(username: str, user_id: int = 1) -> dict[str, Any]:
    """A user as embedded in other objects (``UserBasic``)."""
    return {
        "id": user_id,
        "username": username,
        "name": username.title(),
        "state": "active",
        "avatar_url": None,
        "web_url": f"https://gitlab.example.com/{username}",
    }


def pipeline(pipeline_id: int, sha: str = SHA, status: str = "success") -> dict[str, Any]:
    """An item of ``GET /projects/:id/pipelines``."""
    return {
        "id": pipeline_id,
        "iid": pipeline_id - 40,
        "project_id": int(PROJECT),
        "sha": sha,
        "ref": "main",
        "status": status,
        "source": "push",
        "created_at": "2026-03-02T10:00:00.000Z",
        "updated_at": "2026-03-02T10:05:00.000Z",
        "web_url": f"{WEB}/-/pipelines/{pipeline_id}",
    }


def job(
    job_id: int,
    name: str,
    status: str,
    *,
    sha: str = SHA,
    pipeline_id: int = 47,
    finished_at: str | None = "2026-03-02T10:04:00.000Z",
    stage: str = "test",
) -> dict[str, Any]:
    """A job as ``GET /projects/:id/pipelines/:pipeline_id/jobs`` and the retry endpoint answer."""
    return {
        "id": job_id,
        "name": name,
        "status": status,
        "stage": stage,
        "ref": "main",
        "tag": False,
        "coverage": None,
        "allow_failure": False,
        "created_at": "2026-03-02T10:00:00.000Z",
        "started_at": "2026-03-02T10:01:00.000Z",
        "finished_at": finished_at,
        "duration": 180.0,
        "user": user("alice"),
        "commit": {"id": sha, "short_id": sha[:8], "title": "Change", "author_name": "Alice"},
        "pipeline": {
            "id": pipeline_id,
            "project_id": int(PROJECT),
            "ref": "main",
            "sha": sha,
            "status": "success",
        },
        "web_url": f"{WEB}/-/jobs/{job_id}",
        "artifacts": [],
        "runner": None,
    }


def deployment(
    deployment_id: int,
    status: str,
    *,
    sha: str = SHA,
    environment: str = "production",
    job_id: int | None = None,
    username: str = "alice",
    tag: bool = False,
    ref: str = "main",
    approvals: list[dict[str, Any]] | None = None,
    created_at: str = "2026-03-01T09:00:00.000Z",
    updated_at: str = "2026-03-01T09:05:00.000Z",
    job_name: str | None = None,
) -> dict[str, Any]:
    """A deployment as listed or fetched; ``approvals`` (Premium) only on the single GET;
    its job is ``deploy-<environment>`` unless ``job_name`` says otherwise."""
    body: dict[str, Any] = {
        "id": deployment_id,
        "iid": deployment_id - 40,
        "ref": ref,
        "sha": sha,
        "status": status,
        "created_at": created_at,
        "updated_at": updated_at,
        "user": user(username),
        "environment": {"id": 9, "name": environment, "external_url": None},
        "deployable": None,
    }
    if job_id is not None:
        body["deployable"] = job(
            job_id, job_name or f"deploy-{environment}", status, sha=sha, stage="deploy"
        )
        body["deployable"]["tag"] = tag
    if approvals is not None:
        body["pending_approval_count"] = 0
        body["approvals"] = approvals
    return body


def approval(
    username: str, status: str = "approved", created_at: str = "2026-03-02T08:00:00.000Z"
) -> dict[str, Any]:
    """One entry of a deployment's ``approvals`` (GitLab Premium)."""
    return {
        "user": user(username),
        "status": status,
        "created_at": created_at,
        "comment": "Looks good to me",
    }


def mr_approvals(iid: int, approvers: list[str]) -> dict[str, Any]:
    """``GET /projects/:id/merge_requests/:iid/approvals``."""
    return {
        "id": 5,
        "iid": iid,
        "project_id": int(PROJECT),
        "title": "Change",
        "state": "opened",
        "created_at": "2026-03-01T08:00:00.000Z",
        "updated_at": "2026-03-02T09:00:00.000Z",
        "merge_status": "can_be_merged",
        "approvals_required": 1,
        "approvals_left": 0,
        "approved_by": [{"user": user(name)} for name in approvers],
    }


def member(username: str, access_level: int = 30) -> dict[str, Any]:
    """An item of ``GET /groups/:id/members/all``."""
    return {
        **user(username),
        "access_level": access_level,
        "expires_at": None,
        "created_at": "2025-01-01T00:00:00.000Z",
    }
