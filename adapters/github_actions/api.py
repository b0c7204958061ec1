"""GitHub's REST API through PyGithub: deployments, statuses, checks, run approvals (I/O).

PyGithub is imported here, lazily, on the first call: local commands never pay for it.
Every call goes through :meth:`GitHubAPI.call`, which turns PyGithub's and the HTTP
library's exceptions into one-line :class:`PlatformError` messages (exit 4): 401, 403
with the permission the job lacks, 404, the rate limit with its reset time, and 5xx
after retries. Only idempotent requests are retried; a retried ``POST`` could create a
second deployment.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from releasegate import __version__
from releasegate.errors import PlatformError

if TYPE_CHECKING:
    from github.Repository import Repository

T = TypeVar("T")

#: The REST API version we speak; GitHub Enterprise Server knows it too.
API_VERSION = "2022-11-28"
RETRIED_STATUSES = (500, 502, 503, 504)
RETRIED_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


class GitHubAPI:
    """One repository's API, with retries and error translation.

    :param token: the installation or personal token.
    :param repository: ``owner/name``.
    :param base_url: REST base URL (``https://api.github.com``, or a GHES ``/api/v3`` URL).
    :param retries: extra attempts of idempotent requests after a 5xx or a lost connection.
    :param backoff: urllib3's backoff factor between those attempts, in seconds.
    :param now: the clock, for "resets in N min".
    :param max_wait: the longest rate-limit wait, in seconds, before failing instead.
    :param sleep: how to wait (tests record instead); ``say``: where the wait is announced.
    """

    def __init__(
        self,
        token: str,
        repository: str,
        *,
        base_url: str,
        retries: int = 3,
        backoff: float = 1.0,
        timeout: int = 20,
        per_page: int = 100,
        now: Callable[[], datetime] | None = None,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.token = token
        self.repository = repository
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.per_page = per_page
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.max_wait = max_wait
        self.sleep = sleep or time.sleep
        self.say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        #: ``GET`` requests answered so far (paged reads).
        self.reads = 0
        self._exhausted_until: float | None = None

    @cached_property
    def client(self) -> Any:
        """The ``github.Github`` client, built (and PyGithub imported) on first use."""
        try:
            import github
            from urllib3.util.retry import Retry
        except ImportError as exc:  # pragma: no cover - the action installs the extra
            raise PlatformError(
                "the GitHub adapter needs PyGithub: pip install 'releasegate[github]'"
            ) from exc
        retry = Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            status_forcelist=RETRIED_STATUSES,
            allowed_methods=RETRIED_METHODS,
            backoff_factor=self.backoff,
            raise_on_status=False,
        )
        return github.Github(
            auth=github.Auth.Token(self.token),
            base_url=self.base_url,
            timeout=self.timeout,
            per_page=self.per_page,
            retry=retry,
            user_agent=f"releasegate/{__version__}",
            lazy=True,
            api_version=API_VERSION,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )

    @cached_property
    def repo(self) -> Repository:
        """The repository, lazily (no request until something is read from it)."""
        repo: Repository = self.client.get_repo(self.repository)
        return repo

    @property
    def prefix(self) -> str:
        return f"/repos/{self.repository}"

    def call(self, what: str, permission: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (which talks to the API) and translate its failures.

        :param what: method and path for messages, e.g. ``GET /repos/o/r/deployments``.
        :param permission: the job permission the call needs, e.g. ``deployments: write``.
        :raises PlatformError: for every API or network failure.
        """
        import github
        import requests

        try:
            return fn()
        except github.GithubException as exc:
            raise PlatformError(
                self._message(what, permission, exc.status, exc.data, exc.headers or {})
            ) from exc
        except requests.RequestException as exc:
            raise PlatformError(
                f"GitHub API {what}: cannot reach {self.base_url} after "
                f"{self.retries} retries: {type(exc).__name__}"
            ) from exc

    def _message(
        self, what: str, permission: str, status: int, data: Any, headers: Mapping[str, str]
    ) -> str:
        headers = {k.lower(): str(v) for k, v in headers.items()}
        text = str(data.get("message", "")) if isinstance(data, Mapping) else str(data or "")
        detail = f" ({text})" if text else ""
        if status in (403, 429) and (
            headers.get("x-ratelimit-remaining") == "0" or "rate limit" in text.lower()
        ):
            return f"GitHub API {what}: rate limit exceeded; {self._reset(headers)}{detail}"
        if status == 401:
            return (
                f"GitHub API {what}: 401 bad credentials: check the github-token input "
                f"(an expired or revoked token){detail}"
            )
        if status == 403:
            needed = (
                headers.get("x-accepted-github-permissions", "").replace("=", ": ") or permission
            )
            return (
                f"GitHub API {what}: 403 forbidden: the token lacks `{needed}`; add it to the "
                f"job's `permissions:` block{detail}"
            )
        if status == 404:
            return (
                f"GitHub API {what}: 404 not found: check the repository and ids, and that the "
                f"token can see them (`{permission}`){detail}"
            )
        if status >= 500:
            return f"GitHub API {what}: {status} server error after {self.retries} retries{detail}"
        return f"GitHub API {what}: HTTP {status}{detail}"

    def _reset(self, headers: Mapping[str, str]) -> str:
        if headers.get("retry-after", "").isdigit():
            return f"retry after {headers['retry-after']} s"
        reset = headers.get("x-ratelimit-reset", "")
        if not reset.isdigit():
            return "GitHub gave no reset time"
        at = datetime.fromtimestamp(int(reset), timezone.utc)
        minutes = max(0, round((at - self.now()).total_seconds() / 60))
        return f"it resets at {at.strftime('%Y-%m-%dT%H:%M:%SZ')} (in {minutes} min)"

    # ---------------------------------------------------------------- paged reads

    def get_pages(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        max_pages: int | None = None,
        items: Callable[[Any], list[Any]] = list,
    ) -> Iterator[Any]:
        """Every item of a listing, page after page, following GitHub's ``Link: rel="next"``.

        Pagination is GitHub's: the next page is the URL the ``Link`` header names, never a
        page number made up here. A rate limit is waited out (see :meth:`get`).

        :param max_pages: stop after this many pages (``None``: all of them).
        :param items: the page's items from its JSON (lists, or ``{"check_runs": [...]}``).
        """
        url: str | None = f"{self.base_url}{path}"
        query: dict[str, str] | None = dict(params)
        pages = 0
        while url and (max_pages is None or pages < max_pages):
            headers, data = self.get(url, query, what=f"GET {path}")
            pages += 1
            yield from items(data)
            url, query = _next_link(headers.get("link", "")), None

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None,
        *,
        what: str,
        permission: str = "deployments: read",
    ) -> tuple[dict[str, str], Any]:
        """One ``GET``: waits out a rate limit GitHub announces (``x-ratelimit-remaining: 0``
        until ``x-ratelimit-reset``, or ``retry-after``), saying so, once per request, when the
        wait is at most :attr:`max_wait` seconds; longer waits fail with the reset time."""
        import github

        for attempt in (1, 2):
            if self._exhausted_until is not None:
                self._wait(
                    self._exhausted_until - self.now().timestamp(), "the rate limit is used up"
                )
                self._exhausted_until = None
            try:
                headers, data = self.call(
                    what,
                    permission,
                    lambda: self.client.requester.requestJsonAndCheck(
                        "GET", url, parameters=dict(params) if params else None
                    ),
                )
            except PlatformError as exc:
                cause = exc.__cause__
                if attempt == 1 and isinstance(cause, github.GithubException):
                    delay = self._limited_for(cause.status, cause.headers or {})
                    if delay is not None and delay <= self.max_wait:
                        self._wait(delay, f"GitHub answered {cause.status} (rate limit)")
                        continue
                raise
            low = {k.lower(): str(v) for k, v in (headers or {}).items()}
            self.reads += 1
            if (
                low.get("x-ratelimit-remaining") == "0"
                and low.get("x-ratelimit-reset", "").isdigit()
            ):
                self._exhausted_until = float(low["x-ratelimit-reset"])
            return low, data
        raise AssertionError("unreachable")  # pragma: no cover

    def _limited_for(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Seconds GitHub asks us to wait, when this answer is a rate limit; else ``None``."""
        low = {k.lower(): str(v) for k, v in headers.items()}
        if status not in (403, 429):
            return None
        if low.get("retry-after", "").isdigit():
            return float(low["retry-after"])
        if low.get("x-ratelimit-remaining") == "0" and low.get("x-ratelimit-reset", "").isdigit():
            return max(0.0, float(low["x-ratelimit-reset"]) - self.now().timestamp())
        return None

    def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, seconds)
        if seconds > self.max_wait:
            raise PlatformError(
                f"GitHub API: {why}; it resets in {seconds:.0f} s, longer than the "
                f"{self.max_wait:.0f} s releasegate waits"
            )
        self.say(f"releasegate: {why}: waiting {seconds:.0f} s before the next GitHub API request")
        self.sleep(seconds)

    def list_deployments(
        self, environment: str, *, sha: str | None = None, max_pages: int | None = None
    ) -> list[dict[str, Any]]:
        """Deployments of ``environment`` (of ``sha`` only, when given), newest first, without
        statuses: 100 a page (GitHub's default is 30), the ``environment``/``sha`` filters
        applied by GitHub."""
        params = {"environment": environment, "per_page": str(self.per_page)}
        if sha:
            params["sha"] = sha
        return [
            _deployment_data(row)
            for row in self.get_pages(f"{self.prefix}/deployments", params, max_pages=max_pages)
        ]

    def newest_status(self, deployment_id: int) -> dict[str, Any] | None:
        """The newest status of a deployment (GitHub lists them newest first): one request."""
        path = f"{self.prefix}/deployments/{deployment_id}/statuses"
        _, data = self.get(f"{self.base_url}{path}", {"per_page": "1"}, what=f"GET {path}")
        rows = list(data or [])
        return _status_data(rows[0]) if rows else None

    def statuses(self, deployment_id: int) -> list[dict[str, Any]]:
        """A deployment's newest 100 statuses, newest first: one request."""
        path = f"{self.prefix}/deployments/{deployment_id}/statuses"
        return [_status_data(row) for row in self.get_pages(path, {"per_page": "100"}, max_pages=1)]

    # ---------------------------------------------------------------- reads

    def deployments(self, environment: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` deployments of ``environment``, newest first, each with its newest status.

        :returns: dicts of ``id sha environment created_at payload creator`` and ``status``
            (``state description created_at url``, or ``None`` when it has none).
        """

        def read() -> list[dict[str, Any]]:
            found = []
            for deployment in self.repo.get_deployments(environment=environment):
                found.append(_deployment(deployment, next(iter(deployment.get_statuses()), None)))
                if len(found) >= limit:
                    break
            return found

        return self.call(f"GET {self.prefix}/deployments", "deployments: read", read)

    def check_runs(self, sha: str) -> list[dict[str, Any]]:
        """The latest check run of each name on ``sha``: ``name status conclusion at url``."""
        commit = self.repo.get_commit(sha)
        return self.call(
            f"GET {self.prefix}/commits/{sha}/check-runs",
            "checks: read",
            lambda: [
                {
                    "name": run.name,
                    "status": run.status,
                    "conclusion": run.conclusion,
                    "at": run.completed_at or run.started_at,
                    "url": run.html_url,
                }
                for run in commit.get_check_runs()
            ],
        )

    def commit_statuses(self, sha: str) -> list[dict[str, Any]]:
        """Every commit status of ``sha``, newest first: ``context state at url``."""
        from github.CommitStatus import CommitStatus
        from github.PaginatedList import PaginatedList

        # PyGithub's Commit.get_statuses uses the legacy /statuses/{sha} path, which
        # GitHub's description no longer lists for reads; this is the documented one.
        path = f"{self.prefix}/commits/{sha}/statuses"
        statuses = PaginatedList(
            CommitStatus, self.client.requester, f"{self.base_url}{path}", None
        )
        return self.call(
            f"GET {path}",
            "statuses: read",
            lambda: [
                {
                    "context": status.context,
                    "state": status.state,
                    "at": status.updated_at or status.created_at,
                    "url": status.target_url,
                }
                for status in statuses
            ],
        )

    def run_approvals(self, run_id: int) -> list[dict[str, Any]]:
        """The environment reviews of a workflow run (PyGithub has no wrapper for them)."""
        path = f"{self.prefix}/actions/runs/{run_id}/approvals"

        def read() -> list[dict[str, Any]]:
            _, data = self.client.requester.requestJsonAndCheck("GET", f"{self.base_url}{path}")
            return list(data or [])

        return self.call(f"GET {path}", "actions: read", read)

    def commit_authors(self, sha: str) -> list[tuple[str, str]]:
        """``(who, role)`` of a commit: the GitHub logins of its author and committer when GitHub
        links them to accounts, and the names and e-mail addresses git recorded.

        ``GET /repos/{owner}/{repo}/commits/{ref}``
        (https://docs.github.com/en/rest/commits/commits#get-a-commit).
        """
        path = f"{self.prefix}/commits/{sha}"

        def read() -> list[tuple[str, str]]:
            _, data = self.client.requester.requestJsonAndCheck("GET", f"{self.base_url}{path}")
            return _people(data or {})

        return self.call(f"GET {path}", "contents: read", read)

    def pull_request_commit_authors(self, number: int) -> list[tuple[str, str]]:
        """``(who, role)`` of every commit of a pull request (GitHub lists up to 250).

        ``GET /repos/{owner}/{repo}/pulls/{pull_number}/commits``
        (https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request).
        """
        path = f"{self.prefix}/pulls/{number}/commits"

        def read() -> list[tuple[str, str]]:
            _, data = self.client.requester.requestJsonAndCheck(
                "GET", f"{self.base_url}{path}", parameters={"per_page": 100}
            )
            return [person for commit in data or [] for person in _people(commit)]

        return self.call(f"GET {path}", "pull-requests: read", read)

    def run_started_at(self, run_id: int) -> datetime:
        """When the workflow run (this attempt) started."""
        path = f"{self.prefix}/actions/runs/{run_id}"
        started = self.call(
            f"GET {path}",
            "actions: read",
            lambda: (lambda run: run.run_started_at or run.created_at)(
                self.repo.get_workflow_run(run_id)
            ),
        )
        return _aware(started)

    def team_members(self, org: str, slug: str) -> list[str]:
        """Logins of a team's members."""
        path = f"/orgs/{org}/teams/{slug}/members"

        def read() -> list[str]:
            team = self.client.get_organization(org).get_team_by_slug(slug)
            return [member.login for member in team.get_members()]

        return self.call(f"GET {path}", "members: read (a token with read:org)", read)

    # ---------------------------------------------------------------- writes

    def create_deployment(
        self,
        sha: str,
        environment: str,
        *,
        production: bool,
        description: str,
        payload: Mapping[str, Any],
    ) -> dict[str, Any]:
        """A deployment that only records: never merges, never waits for status contexts."""
        return self.call(
            f"POST {self.prefix}/deployments",
            "deployments: write",
            lambda: _deployment(
                self.repo.create_deployment(
                    ref=sha,
                    task="deploy",
                    auto_merge=False,
                    required_contexts=[],
                    payload=dict(payload),
                    environment=environment,
                    description=description[:140],
                    production_environment=production,
                ),
                None,
            ),
        )

    def create_status(
        self,
        deployment_id: int,
        state: str,
        *,
        description: str,
        target_url: str | None,
        environment: str,
        environment_url: str | None = None,
    ) -> dict[str, Any]:
        """Add a status (``in_progress``, ``success``, ``failure``, ``inactive``) to a deployment."""
        deployment = self.repo.get_deployment(deployment_id)
        extra: dict[str, Any] = {"target_url": target_url} if target_url else {}
        if environment_url:
            extra["environment_url"] = environment_url
        return self.call(
            f"POST {self.prefix}/deployments/{deployment_id}/statuses",
            "deployments: write",
            lambda: _status(
                deployment.create_status(
                    state, description=description[:140], environment=environment, **extra
                )
            ),
        )

    def create_check_run(
        self,
        name: str,
        sha: str,
        *,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Iterable[Mapping[str, Any]],
        details_url: str | None,
    ) -> None:
        """A completed check run carrying the decision (at most 50 annotations per request)."""
        output: dict[str, Any] = {
            "title": title[:255],
            "summary": summary[:65535],
            "annotations": [dict(a) for a in annotations][:50],
        }
        extra: dict[str, Any] = {"details_url": details_url} if details_url else {}
        self.call(
            f"POST {self.prefix}/check-runs",
            "checks: write",
            lambda: self.repo.create_check_run(
                name=name,
                head_sha=sha,
                status="completed",
                conclusion=conclusion,
                output=output,
                **extra,
            ),
        )


def _people(commit: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Author and committer of a commit object of the REST API, by login, name and address."""
    found: list[tuple[str, str]] = []
    git = commit.get("commit") if isinstance(commit.get("commit"), Mapping) else {}
    for key, role in (("author", "commit author"), ("committer", "committer")):
        account = commit.get(key)
        if isinstance(account, Mapping) and account.get("login"):
            found.append((str(account["login"]), role))
        recorded = git.get(key) if isinstance(git, Mapping) else None
        if isinstance(recorded, Mapping):
            found += [(str(recorded[f]), role) for f in ("name", "email") if recorded.get(f)]
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _status(status: Any) -> dict[str, Any]:
    return {
        "state": status.state,
        "description": status.description or "",
        "created_at": _aware(status.created_at),
        "url": status.log_url or status.target_url or None,
    }


def _deployment(deployment: Any, status: Any | None) -> dict[str, Any]:
    """A deployment as plain data, read inside :meth:`GitHubAPI.call` (attributes may fetch)."""
    return {
        "id": int(deployment.id),
        "sha": deployment.sha,
        "environment": deployment.environment,
        "created_at": _aware(deployment.created_at),
        "payload": deployment.payload,
        "creator": deployment.creator.login if deployment.creator else None,
        "status": None if status is None else _status(status),
    }


def _next_link(link: str) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, or ``None`` on the last page."""
    for part in link.split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None


def _when(text: Any) -> datetime:
    return _aware(datetime.fromisoformat(str(text).replace("Z", "+00:00")))


def _status_data(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "state": row.get("state"),
        "description": row.get("description") or "",
        "created_at": _when(row["created_at"]),
        "url": row.get("log_url") or row.get("target_url") or None,
        "environment_url": row.get("environment_url") or None,
    }


def _deployment_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """A listed deployment (JSON) as the plain data :func:`_deployment` makes, without a status."""
    creator = row.get("creator")
    return {
        "id": int(row["id"]),
        "sha": row["sha"],
        "environment": row.get("environment"),
        "created_at": _when(row["created_at"]),
        "payload": row.get("payload"),
        "creator": creator.get("login") if isinstance(creator, Mapping) else None,
        "status": None,
    }
