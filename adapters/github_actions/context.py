"""What a GitHub Actions run is about, read from ``GITHUB_*`` variables and the event payload (I/O).

On ``pull_request`` events ``GITHUB_SHA`` is a merge commit GitHub made; the build
under review is the pull request's head, so that SHA is used. A pull request whose
head lives in another repository is a fork: never trusted to write caches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from releasegate.errors import PlatformError
from releasegate.platform import CIContext

#: Events whose run builds a pull request.
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target", "pull_request_review"})
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class RunInfo:
    """What the API side needs besides the :class:`CIContext`.

    :param repository: ``owner/name``.
    :param api_url: REST base URL (``https://HOST/api/v3`` on GitHub Enterprise Server).
    :param run_id: ``GITHUB_RUN_ID``, for run approvals and for finding this run's own deployment.
    """

    repository: str
    api_url: str
    run_id: int | None
    workspace: str | None


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The webhook payload at ``GITHUB_EVENT_PATH``, or ``{}`` when there is none.

    :raises PlatformError: when the file exists but is not a JSON object.
    """
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            payload = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PlatformError(
            f"GITHUB_EVENT_PATH {path}: cannot read the event payload: {exc}"
        ) from exc
    if not isinstance(payload, dict):
        raise PlatformError(f"GITHUB_EVENT_PATH {path}: the event payload is not a JSON object")
    return payload


def _get(payload: Mapping[str, Any], *keys: str) -> Any:
    node: Any = payload
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def ci_context(env: Mapping[str, str], event: Mapping[str, Any]) -> CIContext:
    """The :class:`CIContext` of this run.

    :param env: the step's environment.
    :param event: the event payload (see :func:`read_event`).
    """
    event_name = env.get("GITHUB_EVENT_NAME", "")
    pull_request = event_name in PULL_REQUEST_EVENTS and isinstance(
        event.get("pull_request"), Mapping
    )
    sha = env.get("GITHUB_SHA") or None
    ref = env.get("GITHUB_REF_NAME") or None
    ref_type = env.get("GITHUB_REF_TYPE") or None
    fork = False
    if pull_request:
        sha = _get(event, "pull_request", "head", "sha") or sha
        ref = env.get("GITHUB_HEAD_REF") or _get(event, "pull_request", "head", "ref") or ref
        ref_type = "branch"
        head_repo = _get(event, "pull_request", "head", "repo", "full_name")
        base_repo = _get(event, "pull_request", "base", "repo", "full_name") or env.get(
            "GITHUB_REPOSITORY"
        )
        # A deleted fork has no head repository: still not ours.
        fork = head_repo is None or head_repo != base_repo
    server = (env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    repository = env.get("GITHUB_REPOSITORY") or None
    run_id = env.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    protected = env.get("GITHUB_REF_PROTECTED")
    return CIContext(
        platform="github",
        sha=sha,
        ref=ref,
        ref_type=ref_type,
        default_branch=_get(event, "repository", "default_branch"),
        actor=env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR") or None,
        repository=repository,
        pull_request=pull_request,
        fork=fork,
        protected=None if protected is None else protected == "true",
        run_url=run_url,
        server_url=server,
    )


def run_info(env: Mapping[str, str]) -> RunInfo:
    """Repository, API URL and run id of this run.

    :raises PlatformError: when ``GITHUB_REPOSITORY`` is not set (not a real Actions run).
    """
    repository = env.get("GITHUB_REPOSITORY", "")
    if "/" not in repository:
        raise PlatformError(
            "GITHUB_REPOSITORY is not set to owner/name: run inside GitHub Actions, "
            "or unset GITHUB_ACTIONS to use the local ledger"
        )
    run_id = env.get("GITHUB_RUN_ID", "")
    return RunInfo(
        repository=repository,
        api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        run_id=int(run_id) if run_id.isdigit() else None,
        workspace=env.get("GITHUB_WORKSPACE") or None,
    )


def token(env: Mapping[str, str]) -> str | None:
    """The API token: the action's ``github-token`` input, else ``GITHUB_TOKEN``."""
    return env.get("RELEASEGATE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or None
