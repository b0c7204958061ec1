"""GitHub-shaped payloads and constants shared by the adapter's tests (pure)."""

from __future__ import annotations

from typing import Any

from peers.http_fake import HttpFake

REPO = "acme/app"
TOKEN = "ghs_test0123456789"
SHA = "a" * 40
OTHER_SHA = "b" * 40
RUN_ID = 4242
#: Headers every request of the adapter carries.
AUTH = {"authorization": f"token {TOKEN}", "x-github-api-version": "2022-11-28"}


def deployment_json(
    fake: HttpFake,
    id_: int,
    sha: str = SHA,
    environment: str = "staging",
    created: str = "2026-03-02T10:00:00Z",
    payload: Any = None,
) -> dict[str, Any]:
    """A deployment as GitHub returns it (``url`` points back at the fake)."""
    url = f"{fake.url}/repos/{REPO}/deployments/{id_}"
    return {
        "id": id_,
        "node_id": f"D_{id_}",
        "url": url,
        "sha": sha,
        "ref": sha,
        "task": "deploy",
        "payload": payload if payload is not None else {},
        "environment": environment,
        "description": None,
        "creator": {"login": "octocat", "id": 1, "type": "User"},
        "created_at": created,
        "updated_at": created,
        "statuses_url": f"{url}/statuses",
        "repository_url": f"{fake.url}/repos/{REPO}",
        "production_environment": False,
        "transient_environment": False,
    }


def status_json(
    state: str,
    created: str = "2026-03-02T10:05:00Z",
    description: str = "",
    log_url: str = "",
    id_: int = 1,
) -> dict[str, Any]:
    """A deployment status as GitHub returns it."""
    return {
        "id": id_,
        "state": state,
        "description": description,
        "created_at": created,
        "updated_at": created,
        "log_url": log_url,
        "target_url": log_url,
        "environment": "staging",
        "creator": {"login": "github-actions[bot]", "id": 2, "type": "Bot"},
    }
