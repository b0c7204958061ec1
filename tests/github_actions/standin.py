"""A GitHub REST stand-in with state: deployments, their statuses and check runs, paged as GitHub pages.

Where :class:`~peers.http_fake.HttpFake` answers expected requests one by one, this one
keeps records and answers every listing the way GitHub does, so a test can seed 200
deployments and count what the adapter reads. Every request is still validated against
GitHub's OpenAPI description (the ``github_openapi`` validator). The rules, each from
GitHub's description (``@octokit/openapi``, ``api.github.com.json``) or its docs:

- ``per_page`` defaults to 30, at most 100 (``components/parameters/per-page``: "The
  number of results per page (max 100)", ``default: 30``); ``page`` defaults to 1.
- The next, previous, first and last pages are named in a ``Link`` header with absolute
  URLs and ``rel="next"`` etc.; the last page has no ``next`` (docs: "Using pagination in
  the REST API").
- ``GET /repos/{owner}/{repo}/deployments`` filters by ``sha``, ``ref``, ``task`` and
  ``environment`` (operation ``repos/list-deployments``) and lists newest first.
- ``GET .../deployments/{id}/statuses`` lists a deployment's statuses newest first
  (``repos/list-deployment-statuses``).
- ``GET .../commits/{ref}/check-runs`` answers ``{"total_count", "check_runs"}``
  (``checks/list-for-ref``), filtered by ``check_name`` and ``status``.
- Every answer carries ``x-ratelimit-limit``/``-remaining``/``-reset``; an exhausted
  budget answers 403 with ``x-ratelimit-remaining: 0``, a secondary limit 403 with
  ``retry-after`` (docs: "Rate limits for the REST API").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from github_actions.payloads import REPO
from peers.http_fake import HttpFake, RecordedRequest, Reply

BASE = f"/repos/{REPO}"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
EPOCH = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubStandIn(HttpFake):
    """GitHub's deployments, deployment statuses, check runs and commit statuses of one repository."""

    def __init__(self, validators: Any = ()) -> None:
        super().__init__(validators)
        self.deployment_rows: list[dict[str, Any]] = []
        self.statuses: dict[int, list[dict[str, Any]]] = {}
        self.check_runs: list[dict[str, Any]] = []
        self.commit_status_rows: list[dict[str, Any]] = []
        self.check_run_posts: list[dict[str, Any]] = []
        #: Commit authors by sha: ``(login, name, email)``; unknown commits are 404 like GitHub's.
        self.commit_authors: dict[str, tuple[str | None, str, str]] = {}
        self.rate_remaining = 5000
        #: Called with each request before it is answered: lets a test change state over time.
        self.before: list[Any] = []
        #: Answers to serve before the next ones: ``("secondary", seconds)`` or ``("primary", reset)``.
        self.throttle: list[tuple[str, int]] = []

    # ---------------------------------------------------------------- seeding

    def add_deployment(
        self,
        sha: str,
        environment: str,
        state: str | None = "success",
        *,
        minutes: int = 0,
        payload: Any = None,
        log_url: str = "",
    ) -> dict[str, Any]:
        """A deployment ``minutes`` after the epoch with one status (``None``: no status)."""
        id_ = len(self.deployment_rows) + 1
        at = _iso(EPOCH + timedelta(minutes=minutes))
        url = f"{self.url}{BASE}/deployments/{id_}"
        row = {
            "id": id_,
            "node_id": f"D_{id_}",
            "url": url,
            "sha": sha,
            "ref": sha,
            "task": "deploy",
            "payload": payload if payload is not None else {},
            "environment": environment,
            "original_environment": environment,
            "description": None,
            "creator": {"login": "octocat", "id": 1, "type": "User"},
            "created_at": at,
            "updated_at": at,
            "statuses_url": f"{url}/statuses",
            "repository_url": f"{self.url}{BASE}",
            "production_environment": False,
            "transient_environment": False,
        }
        self.deployment_rows.append(row)
        self.statuses[id_] = []
        if state is not None:
            self._add_status(id_, state, at, description="", log_url=log_url)
        return row

    def _add_status(
        self,
        id_: int,
        state: str,
        at: str,
        *,
        description: str,
        log_url: str = "",
        environment_url: str = "",
    ) -> dict[str, Any]:
        status = {
            "id": 1000 + sum(map(len, self.statuses.values())),
            "state": state,
            "description": description,
            "created_at": at,
            "updated_at": at,
            "log_url": log_url,
            "target_url": log_url,
            "environment_url": environment_url,
            "environment": self.deployment_rows[id_ - 1]["environment"],
            "creator": {"login": "github-actions[bot]", "id": 2, "type": "Bot"},
        }
        self.statuses[id_].insert(0, status)  # newest first
        return status

    def add_check_run(
        self, sha: str, name: str, status: str = "completed", conclusion: str | None = "success"
    ) -> None:
        id_ = len(self.check_runs) + 1
        self.check_runs.append(
            {
                "id": id_,
                "name": name,
                "head_sha": sha,
                "status": status,
                "conclusion": conclusion,
                "started_at": _iso(EPOCH),
                "completed_at": _iso(EPOCH) if status == "completed" else None,
                "html_url": f"https://github.com/{REPO}/runs/{id_}",
            }
        )

    # ---------------------------------------------------------------- counting

    def reads(self, path_prefix: str = "") -> list[RecordedRequest]:
        """The ``GET`` requests received (under ``path_prefix``)."""
        return [r for r in self.requests if r.method == "GET" and r.path.startswith(path_prefix)]

    # ---------------------------------------------------------------- serving

    def handle(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            for validate in self.validators:
                try:
                    validate(request)
                except AssertionError as exc:
                    return self._fail(f"{request}: rejected: {exc}")
            if self.throttle:
                kind, value = self.throttle.pop(0)
                if kind == "secondary":
                    return Reply(
                        403,
                        {"message": "You have exceeded a secondary rate limit."},
                        headers={"retry-after": str(value)},
                    )
                return Reply(
                    403,
                    {"message": "API rate limit exceeded"},
                    headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(value)},
                )
            self.rate_remaining -= 1
            for hook in self.before:
                hook(request)
            reply = self._route(request)
            headers = {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": str(self.rate_remaining),
                "x-ratelimit-reset": "4102444800",
                **reply.headers,
            }
            return Reply(reply.status, reply.json, reply.body, headers)

    def _route(self, request: RecordedRequest) -> Reply:
        path, method, query = request.path, request.method, request.query
        if method == "GET" and path == BASE:
            # repos/get: a GITHUB_TOKEN's answer carries no ``permissions`` object
            return Reply(
                200,
                {
                    "id": 1,
                    "name": REPO.split("/")[1],
                    "full_name": REPO,
                    "owner": {"login": REPO.split("/")[0]},
                    "private": True,
                    "default_branch": "main",
                },
            )
        if method == "GET" and path == f"{BASE}/deployments":
            rows = [
                r
                for r in reversed(self.deployment_rows)
                if all(
                    r[key] == query[key][0]
                    for key in ("sha", "ref", "task", "environment")
                    if key in query
                )
            ]
            return self._page(request, rows)
        if method == "POST" and path == f"{BASE}/deployments":
            body = request.json
            row = self.add_deployment(
                body["ref"],
                body.get("environment", "production"),
                None,
                payload=body.get("payload"),
            )
            return Reply(201, row)
        match = re.fullmatch(rf"{BASE}/deployments/(\d+)(/statuses)?", path)
        if match and int(match.group(1)) <= len(self.deployment_rows):
            id_ = int(match.group(1))
            if match.group(2) is None and method == "GET":
                return Reply(200, self.deployment_rows[id_ - 1])
            if method == "GET":
                return self._page(request, self.statuses[id_])
            if method == "POST":
                body = request.json
                return Reply(
                    201,
                    self._add_status(
                        id_,
                        body["state"],
                        _iso(datetime.now(timezone.utc)),
                        description=body.get("description", ""),
                        log_url=body.get("log_url") or body.get("target_url", ""),
                        environment_url=body.get("environment_url", ""),
                    ),
                )
        match = re.fullmatch(rf"{BASE}/commits/([^/]+)/(check-runs|statuses)", path)
        if match and method == "GET":
            sha, what = match.groups()
            if what == "statuses":
                return self._page(request, [s for s in self.commit_status_rows if s["sha"] == sha])
            runs = [
                r
                for r in self.check_runs
                if r["head_sha"] == sha
                and all(
                    r[k] == query[q][0]
                    for q, k in (("check_name", "name"), ("status", "status"))
                    if q in query
                )
            ]
            reply = self._page(request, runs)
            return Reply(
                200, {"total_count": len(runs), "check_runs": reply.json}, headers=reply.headers
            )
        match = re.fullmatch(rf"{BASE}/commits/([^/]+)", path)
        if match and method == "GET":
            # repos/get-commit (https://docs.github.com/en/rest/commits/commits#get-a-commit):
            # ``author``/``committer`` are accounts (null when no account has the address),
            # ``commit.author``/``commit.committer`` what git recorded; 404 for an unknown commit
            sha = match.group(1)
            login, name, email = self.commit_authors.get(
                sha, ("octocat", "The Octocat", "octocat@example.com")
            )
            person = {"name": name, "email": email, "date": "2026-03-02T09:00:00Z"}
            account = {"login": login, "id": 1, "type": "User"} if login else None
            return Reply(
                200,
                {
                    "sha": sha,
                    "author": account,
                    "committer": account,
                    "commit": {"author": person, "committer": person, "message": "change"},
                },
            )
        if method == "POST" and path == f"{BASE}/check-runs":
            self.check_run_posts.append(request.json)
            return Reply(201, {"id": len(self.check_run_posts), **request.json})
        return self._fail(f"the stand-in does not serve {request}")

    def _page(self, request: RecordedRequest, rows: list[dict[str, Any]]) -> Reply:
        query = {k: v[0] for k, v in request.query.items()}
        per_page = min(int(query.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE)
        page = int(query.get("page", 1))
        last = max(1, -(-len(rows) // per_page))
        links = []

        def url(number: int) -> str:
            return f"{self.url}{request.path}?{urlencode({**query, 'page': str(number)})}"

        if page < last:
            links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
        headers = {"Link": ", ".join(links)} if links else {}
        return Reply(200, rows[(page - 1) * per_page : page * per_page], headers=headers)

    def verify(self) -> None:
        """Fail on a request the stand-in refused (unserved expectations do not apply here)."""
        with self._lock:
            problems = list(self.failures)
        if problems:
            raise AssertionError("GitHub stand-in: " + "\n  ".join(["", *problems]).lstrip())


@pytest.fixture
def github_standin(github_openapi: Any) -> Iterator[GitHubStandIn]:
    """A started :class:`GitHubStandIn` checked against GitHub's OpenAPI description."""
    standin = GitHubStandIn([github_openapi.validator_for()])
    standin.start()
    yield standin
    standin.stop()
    standin.verify()
