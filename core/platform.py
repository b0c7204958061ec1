"""The CI platform seen by the core: its context, its records, where decisions are published (I/O).

Adapters (GitHub Actions, GitLab CI, Tekton) subclass :class:`Platform`; the
embedded default, :class:`LocalPlatform`, keeps everything in the SQLite
ledger. The core only ever talks to this interface.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from releasegate.errors import UsageError
from releasegate.records import Approval, CheckRun, Deployment

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.model import Decision


@dataclass(frozen=True)
class CIContext:
    """What the CI run is about.

    :param ref: the branch or tag name (``main``, ``v1.2.0``), without ``refs/heads/``.
    :param ref_type: ``branch`` or ``tag`` when known.
    :param pull_request: the run builds a pull/merge request.
    :param fork: that request comes from a fork (never trusted to write caches).
    :param protected: the platform says the ref is protected, when it says so.
    """

    platform: str = "local"
    sha: str | None = None
    ref: str | None = None
    ref_type: str | None = None
    default_branch: str | None = None
    actor: str | None = None
    repository: str | None = None
    pull_request: bool = False
    fork: bool = False
    protected: bool | None = None
    run_url: str | None = None
    server_url: str | None = None


class Platform:
    """Base class of platforms; by default every record lives in the ledger.

    Subclasses override what their CI system keeps itself (deployments, approvals,
    checks) and :meth:`publish` to put decisions into the system's native forms.
    """

    name = "base"

    def __init__(self, ledger: Ledger, env: dict[str, str] | None = None) -> None:
        self.ledger = ledger
        self.env = dict(env or {})

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def context(self) -> CIContext:
        return CIContext(
            platform=self.name,
            sha=_git("rev-parse", "HEAD"),
            ref=_git("rev-parse", "--abbrev-ref", "HEAD"),
            ref_type="branch",
            actor=self.env.get("USER"),
        )

    def deployments(self, environment: str) -> list[Deployment]:
        """Deployments of ``environment``, newest first."""
        return self.ledger.deployments(environment)

    def approvals(self, environment: str, sha: str) -> list[Approval]:
        return self.ledger.approvals(environment, sha)

    def checks(self, sha: str) -> list[CheckRun]:
        return self.ledger.checks(sha)

    def change_authors(self, sha: str) -> dict[str, str]:
        """Who wrote the change ``sha``, to why they count (``commit author``, ``committer``,
        ``pull request author``...): they cannot approve it. Locally the commit's author and
        committer from git, by name and e-mail address; empty when git does not know ``sha``."""
        out = _git("show", "-s", "--format=%an%n%ae%n%cn%n%ce", sha, "--")
        if not out:
            return {}
        lines = out.splitlines()
        roles = ("commit author", "commit author", "committer", "committer")
        found: dict[str, str] = {}
        for value, role in zip(lines, roles, strict=False):
            if value.strip():
                found.setdefault(value.strip(), role)
        return found

    def team_members(self, team: str) -> tuple[str, ...] | None:
        """Members of a platform team (``org/name``), or ``None`` when the platform has no teams."""
        return None

    def start_deployment(
        self,
        environment: str,
        sha: str,
        *,
        version: str | None = None,
        digest: str | None = None,
        production: bool = False,
        actor: str | None = None,
        vouch: str | None = None,
    ) -> Deployment:
        """Record a ``promoting`` deployment; ``vouch`` says what it rests on (``allowed`` from an
        allowed promotion, ``forced: REASON`` from ``record --force``, see
        :class:`~releasegate.records.Deployment`)."""
        return self.ledger.record_deployment(
            environment,
            sha,
            "promoting",
            version=version,
            digest=digest,
            actor=actor,
            at=self.now(),
            vouch=vouch,
        )

    def finish_deployment(
        self, deployment: Deployment, status: str, *, vouch: str | None = None
    ) -> Deployment:
        """Set ``deployment``'s status; ``vouch`` replaces what it rests on when given."""
        return self.ledger.update_deployment(deployment.id, status, at=self.now(), vouch=vouch)

    def rollback_target(self, environment: str) -> Deployment | None:
        """The last successful deployment of ``environment`` other than the current one."""
        history = self.deployments(environment)
        current = next((d for d in history if d.status in ("success", "promoting")), None)
        for deployment in history:
            if deployment.status == "success" and (
                current is None or deployment.sha != current.sha
            ):
                return deployment
        return None

    def rollback_mode(self, configured: str | None) -> str:
        """``rollback.mode`` as written, or this platform's default when the policy leaves it out
        (``report``: name the target; platforms with a native rollback answer ``deploy``)."""
        return configured or "report"

    def rollback_artifact(self, target: Deployment) -> str | None:
        """What a rollback to ``target`` redeploys: its digest or version, or what the
        platform's own rollback needs instead (a deploy job to retry); ``None`` when nothing."""
        return target.digest or target.version

    def rollback(self, environment: str, target: Deployment) -> str:
        """Ask the platform to redeploy ``target``; returns what was done, in one sentence."""
        return f"roll back {environment} to {target.sha[:12]}: run your deploy job for that commit"

    def rollback_access(self) -> tuple[str, str]:
        """Whether this run's credentials could perform a rollback, checked without side effects.

        :return: ``(status, message)`` with status ``pass``, ``fail`` or ``unverified`` (the API
            offers no read-only way to tell).
        """
        return (
            "unverified",
            f"the {self.name} platform cannot tell whether its credentials could roll back",
        )

    def get_state(self, key: str) -> dict[str, Any] | None:
        """State a command keeps between runs (a canary's step), by key; ``None`` when none.

        The ledger by default; a platform whose jobs do not share a ledger reads it back from
        where :meth:`set_state` left it on the platform, so a later job or a rerun resumes."""
        return self.ledger.get_state(key)

    def set_state(self, key: str, value: dict[str, Any], *, at: datetime | None = None) -> None:
        """Keep ``value`` under ``key`` (see :meth:`get_state`)."""
        self.ledger.set_state(key, value, at=at)

    def publish(self, decision: Decision) -> None:
        """Put a decision into the platform's native forms (outputs, summaries, results)."""

    def publish_outputs(self, values: dict[str, str]) -> None:
        """Publish named values of a command that does not decide (``cache``: keys and flags)."""

    def publish_lists(self, values: dict[str, tuple[str, ...]]) -> None:
        """Publish named lists (``cache``: ``kaniko-args``, ``buildkit-args``) where the platform
        passes lists between steps as lists (Tekton array results); others keep the text forms."""


class LocalPlatform(Platform):
    """The embedded default: no CI system, everything in the local ledger."""

    name = "local"

    def rollback_access(self) -> tuple[str, str]:
        return (
            "pass",
            "the ledger needs no credentials: a rollback names its target for your deploy job",
        )


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def require_sha(context: CIContext, given: str | None) -> str:
    """The commit a command is about: ``--sha``, else the CI context's, else ``git rev-parse HEAD``."""
    sha = given or context.sha
    if not sha:
        raise UsageError("no commit to decide about: pass --sha, or run inside a git checkout")
    return sha
