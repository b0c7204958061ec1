"""GitLab's REST API through python-gitlab, with the token rules and one-line errors (I/O).

python-gitlab is imported here, on first use, never when the plugin module is
loaded: local commands must not pay for it. Every call names what it does and
the permission it needs, so a 401/403 says which token (``CI_JOB_TOKEN`` or
``RELEASEGATE_GITLAB_TOKEN``) lacks which permission. 5xx answers and broken
connections are retried; what still fails is a :class:`PlatformError` (exit 4).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from releasegate.errors import PlatformError

if TYPE_CHECKING:
    import gitlab

__all__ = ["JOB_TOKEN", "PRIVATE_TOKEN", "GitlabApi"]

T = TypeVar("T")

JOB_TOKEN = "CI_JOB_TOKEN"
PRIVATE_TOKEN = "RELEASEGATE_GITLAB_TOKEN"
_SET_IT = (
    f"set {PRIVATE_TOKEN} (a project or group access token) as a masked, protected CI/CD variable"
)


def _python_gitlab(what: str) -> Any:
    """python-gitlab, or one line saying how to install it (the ``gitlab`` extra)."""
    try:
        import gitlab
    except ImportError as exc:
        raise PlatformError(
            f"cannot {what}: python-gitlab is not installed; install releasegate[gitlab] "
            "(the component's image has it)"
        ) from exc
    return gitlab


class GitlabApi:
    """A python-gitlab client for the project of this CI job.

    :param env: the process environment (``CI_SERVER_URL``, ``CI_PROJECT_ID``, the tokens).
    :param sleep: waits between attempts (injected in tests).
    :param attempts: tries per call when GitLab answers 5xx or the connection breaks.
    :param timeout: seconds per HTTP request.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
        timeout: float = 30.0,
    ) -> None:
        self.url = (env.get("CI_SERVER_URL") or "").rstrip("/")
        self.project_id = env.get("CI_PROJECT_ID") or env.get("CI_PROJECT_PATH") or ""
        self._job_token = env.get(JOB_TOKEN) or None
        self._private_token = env.get(PRIVATE_TOKEN) or None
        self.sleep = sleep
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self._clients: dict[bool, gitlab.Gitlab] = {}

    @property
    def has_private_token(self) -> bool:
        """Whether ``RELEASEGATE_GITLAB_TOKEN`` is set (needed for jobs, pipelines, retries)."""
        return self._private_token is not None

    def token_name(self, private: bool = False) -> str:
        """The variable whose token a call uses."""
        return PRIVATE_TOKEN if private or self._private_token else JOB_TOKEN

    def _client(self, private: bool, what: str, permission: str) -> gitlab.Gitlab:
        if private and not self._private_token:
            raise PlatformError(
                f"cannot {what}: {PRIVATE_TOKEN} is not set and {JOB_TOKEN} "
                f"cannot do this; it needs {permission}: {_SET_IT}"
            )
        if not self._private_token and not self._job_token:
            raise PlatformError(f"cannot {what}: neither {JOB_TOKEN} nor {PRIVATE_TOKEN} is set")
        if not self.url or not self.project_id:
            raise PlatformError(
                f"cannot {what}: CI_SERVER_URL and CI_PROJECT_ID must be set "
                "(they are in every GitLab CI job)"
            )
        key = bool(self._private_token)
        if key not in self._clients:
            gitlab = _python_gitlab(what)

            if self._private_token:
                client = gitlab.Gitlab(
                    self.url, private_token=self._private_token, timeout=self.timeout
                )
            else:
                client = gitlab.Gitlab(self.url, job_token=self._job_token, timeout=self.timeout)
            self._clients[key] = client
        return self._clients[key]

    def call(
        self, what: str, permission: str, fn: Callable[[Any], T], *, private: bool = False
    ) -> T:
        """Run ``fn(project)`` (a lazy python-gitlab project), mapping failures to one line.

        :param what: the action, for messages (``"list deployments of production"``).
        :param permission: what the token needs for it (``"the Reporter role"``).
        :param private: the call needs ``RELEASEGATE_GITLAB_TOKEN``; ``CI_JOB_TOKEN`` cannot
            make it (jobs, pipelines, retries, merge request approvals, group members).
        :raises PlatformError: on a refusal, after the retries of a 5xx, or unreachable GitLab.
        """
        gitlab = _python_gitlab(what)
        import requests

        client = self._client(private, what, permission)
        token = self.token_name(private)
        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(client)
            except gitlab.exceptions.GitlabError as exc:
                code = exc.response_code or 0
                if code >= 500 and attempt < self.attempts:
                    last = f"HTTP {code}"
                    self.sleep(0.5 * 2 ** (attempt - 1))
                    continue
                raise PlatformError(self._refusal(code, what, permission, token, exc)) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = type(exc).__name__
                if attempt < self.attempts:
                    self.sleep(0.5 * 2 ** (attempt - 1))
                    continue
                raise PlatformError(
                    f"cannot reach GitLab at {self.url} to {what}: {last} after "
                    f"{self.attempts} attempts"
                ) from exc
        raise PlatformError(f"GitLab failed to {what}: {last}")  # not reached

    def _refusal(self, code: int, what: str, permission: str, token: str, exc: Exception) -> str:
        if code == 401:
            hint = " (a job token is valid only while its job runs)" if token == JOB_TOKEN else ""
            return (
                f"GitLab rejected {token} (401 Unauthorized) trying to {what}: the token is "
                f"invalid, expired or revoked{hint}"
            )
        if code == 403:
            # GitLab's forbidden!(reason) answers {"message": "403 Forbidden - <reason>"}
            # (lib/api/helpers.rb): the reason says what a role cannot (a job not retryable).
            said = " ".join(str(getattr(exc, "error_message", "") or "").split())
            reason = said.split(" - ", 1)[1][:200] if " - " in said else ""
            if reason:
                return f"GitLab refused to {what} with {token} (403 Forbidden: {reason})"
            tail = f"; {_SET_IT}" if token == JOB_TOKEN else ""
            return f"GitLab refused to {what} with {token} (403 Forbidden): it needs {permission}{tail}"
        if code == 404:
            return (
                f"GitLab answered 404 Not Found trying to {what} in project {self.project_id}: "
                f"it does not exist, or {token} cannot see it ({permission})"
            )
        if code >= 500:
            return f"GitLab failed to {what}: HTTP {code} after {self.attempts} attempts"
        detail = " ".join(str(getattr(exc, "error_message", "") or "").split())[:200]
        return f"GitLab refused to {what}: HTTP {code}" + (f": {detail}" if detail else "")

    def project(self, client: gitlab.Gitlab) -> Any:
        """The job's project, without a request (python-gitlab's lazy object)."""
        return client.projects.get(self.project_id, lazy=True)
