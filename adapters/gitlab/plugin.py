"""The GitLab CI platform plugin: ``CI_*`` context in, decisions out as dotenv and JUnit (I/O).

Active when ``GITLAB_CI=true``. GitLab is the system of record: deployments
are its deployments, approvals its deployment approvals, checks the jobs of
the commit's pipelines. No rule lives here; every mapping is to or from
GitLab's own forms. python-gitlab loads on the first API call only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from releasegate.adapters.gitlab.api import JOB_TOKEN, PRIVATE_TOKEN, GitlabApi
from releasegate.adapters.gitlab.dotenv import cache_outputs, dotenv_text, output_variable
from releasegate.adapters.gitlab.inputs import check_inputs
from releasegate.adapters.gitlab.mr import merge_request_approvals, merge_request_pipeline
from releasegate.errors import PlatformError, UsageError
from releasegate.platform import CIContext, Platform
from releasegate.plugins import hookimpl
from releasegate.records import PLATFORM, VOUCHED, Approval, CheckRun, Deployment

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.model import Decision

__all__ = ["GitlabPlatform", "context_from_env", "releasegate_platform"]

#: GitLab deployment status -> releasegate's. ``created`` and ``blocked`` deployments
#: (a manual job never played, one waiting for approval) are not in progress.
FROM_GITLAB = {
    "running": "promoting",
    "success": "success",
    "failed": "failure",
    "created": "inactive",
    "blocked": "inactive",
    "canceled": "inactive",
    "skipped": "inactive",
}
TO_GITLAB = {
    "promoting": "running",
    "success": "success",
    "failure": "failed",
    "rolled_back": "canceled",
    "inactive": "canceled",
}
#: Deployments read per environment, newest first (enough for upstream, soak and rollback).
MAX_DEPLOYMENTS = 200
MAX_PIPELINES = 20
#: Ledger key of releasegate's verdict on a deployment GitLab keeps read-only.
_VERDICT = "gitlab/verdict/{env}/{id}"

_READ_DEPLOYMENTS = "the Reporter role (CI_JOB_TOKEN can read its own project's deployments)"
_WRITE_DEPLOYMENTS = "the Developer role on the project (CI_JOB_TOKEN has it for its own project)"
_READ_JOBS = "the read_api scope and the Reporter role"
_RETRY = (
    "the api scope and the Developer role, with 'Allow job retries for rollback "
    "deployments' enabled"
)


#: The record template's job, ``<job-prefix>-record``: it records a deployment made outside
#: GitLab, so a retry of it would record the old commit again and redeploy nothing.
_RECORD_JOB = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}-record$")


@hookimpl
def releasegate_platform(env: Mapping[str, str], ledger: Ledger) -> Platform | None:
    """GitLab CI when ``GITLAB_CI=true``; ``None`` elsewhere."""
    if env.get("GITLAB_CI") != "true":
        return None
    check_inputs(env)
    return GitlabPlatform(ledger, dict(env))


def context_from_env(env: Mapping[str, str]) -> CIContext:
    """The CI context from GitLab's predefined variables."""
    tag = env.get("CI_COMMIT_TAG") or None
    mr = merge_request_pipeline(env)
    source = env.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID")
    target = env.get("CI_MERGE_REQUEST_PROJECT_ID") or env.get("CI_PROJECT_ID")
    if env.get("CI_EXTERNAL_PULL_REQUEST_IID"):  # a GitHub pull request: repositories by name
        source = env.get("CI_EXTERNAL_PULL_REQUEST_SOURCE_REPOSITORY")
        target = env.get("CI_EXTERNAL_PULL_REQUEST_TARGET_REPOSITORY")
    protected = env.get("CI_COMMIT_REF_PROTECTED")
    return CIContext(
        platform="gitlab",
        sha=env.get("CI_COMMIT_SHA") or None,
        ref=tag
        or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or env.get("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME")
        or env.get("CI_COMMIT_REF_NAME")
        or None,
        ref_type="tag" if tag else "branch",
        default_branch=env.get("CI_DEFAULT_BRANCH") or None,
        actor=env.get("GITLAB_USER_LOGIN") or None,
        repository=env.get("CI_PROJECT_PATH") or None,
        pull_request=mr,
        fork=bool(mr and source and target and source != target),
        protected=None if protected is None else protected == "true",
        run_url=env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL") or None,
        server_url=env.get("CI_SERVER_URL") or None,
    )


def _time(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class GitlabPlatform(Platform):
    """GitLab CI: deployments, approvals and jobs through the API; reports as job artifacts.

    :param api: the API client (built from ``env`` when not given; injected in tests).
    """

    name = "gitlab"

    def __init__(
        self, ledger: Ledger, env: dict[str, str] | None = None, *, api: GitlabApi | None = None
    ) -> None:
        super().__init__(ledger, env)
        self.api = api or GitlabApi(self.env)
        #: deployment id -> the id of the job that created it (GitLab keeps those read-only).
        self._deployables: dict[int, int] = {}
        #: deployment id -> its record job's name: that job redeploys nothing when retried.
        self._recorded: dict[int, str] = {}
        self._seen: set[int] = set()
        self._dotenv: dict[str, str] = {}

    # -- context and evidence -------------------------------------------------------------

    def context(self) -> CIContext:
        return context_from_env(self.env)

    def _deployment(self, raw: Mapping[str, Any], environment: str) -> Deployment:
        deployable = raw.get("deployable") or {}
        self._seen.add(int(raw["id"]))
        if deployable.get("id"):
            self._deployables[int(raw["id"])] = int(deployable["id"])
            if _RECORD_JOB.match(str(deployable.get("name") or "")):
                self._recorded[int(raw["id"])] = str(deployable["name"])
        return Deployment(
            id=int(raw["id"]),
            environment=(raw.get("environment") or {}).get("name") or environment,
            sha=str(raw.get("sha") or ""),
            status=FROM_GITLAB.get(str(raw.get("status")), "inactive"),
            created_at=_time(raw.get("created_at")),
            updated_at=_time(raw.get("updated_at")),
            version=raw.get("ref") if deployable.get("tag") else None,
            actor=(raw.get("user") or {}).get("username"),
            url=deployable.get("web_url"),
            # GitLab keeps no note on a deployment; it exists through a deploy job, an allowed
            # promotion or a forced record (record refuses the rest), so GitLab vouches for it
            vouch=PLATFORM,
        )

    def _raw_deployments(self, environment: str) -> list[dict[str, Any]]:
        def fetch(client: Any) -> list[dict[str, Any]]:
            rows = self.api.project(client).deployments.list(
                environment=environment, order_by="id", sort="desc", per_page=100, iterator=True
            )
            out = []
            for row in rows:
                out.append(row.asdict())
                if len(out) >= MAX_DEPLOYMENTS:
                    break
            return out

        return self.api.call(f"list the deployments of {environment}", _READ_DEPLOYMENTS, fetch)

    def deployments(self, environment: str) -> list[Deployment]:
        """GitLab's deployments of ``environment``, newest first."""
        return [self._deployment(raw, environment) for raw in self._raw_deployments(environment)]

    def approvals(self, environment: str, sha: str) -> list[Approval]:
        """Deployment approvals (GitLab Premium) of ``sha``'s deployments to ``environment``.

        With ``RELEASEGATE_GITLAB_MR_APPROVALS=true`` the approvals of the commit's merge request
        count too (see :func:`~releasegate.adapters.gitlab.mr.merge_request_approvals`).
        """
        found: list[Approval] = []
        for raw in self._raw_deployments(environment):
            if raw.get("sha") != sha:
                continue

            def read(client: Any, deployment_id: Any = raw["id"]) -> dict[str, Any]:
                data: dict[str, Any] = (
                    self.api.project(client).deployments.get(deployment_id).asdict()
                )
                return data

            detail = self.api.call(
                f"read deployment {raw['id']} of {environment}", _READ_DEPLOYMENTS, read
            )
            for item in detail.get("approvals") or []:
                if item.get("status") == "approved" and (item.get("user") or {}).get("username"):
                    found.append(
                        Approval(
                            environment,
                            sha,
                            item["user"]["username"],
                            _time(item.get("created_at")),
                            VOUCHED,
                        )
                    )
        if self.env.get("RELEASEGATE_GITLAB_MR_APPROVALS", "").lower() in (
            "1",
            "true",
            "yes",
            "on",
        ):
            found += merge_request_approvals(self.api, self.env, environment, sha)
        return found

    def checks(self, sha: str) -> list[CheckRun]:
        """Finished jobs of the commit's pipelines: ``success`` passed, ``failed`` failed."""

        def fetch(client: Any) -> list[CheckRun]:
            project = self.api.project(client)
            runs: list[CheckRun] = []
            for index, pipeline in enumerate(
                project.pipelines.list(sha=sha, per_page=100, iterator=True)
            ):
                if index >= MAX_PIPELINES:
                    break
                jobs = project.pipelines.get(pipeline.id, lazy=True).jobs.list(
                    per_page=100, iterator=True
                )
                for job in jobs:
                    status = {"success": "passed", "failed": "failed"}.get(job.status)
                    if status:
                        runs.append(
                            CheckRun(
                                sha,
                                job.name,
                                status,
                                _time(job.finished_at or job.created_at),
                                getattr(job, "web_url", None),
                            )
                        )
            return runs

        return self.api.call(
            f"list the jobs of the pipelines of {sha[:12]}", _READ_JOBS, fetch, private=True
        )

    def change_authors(self, sha: str) -> dict[str, str]:
        """The commit's and merge request's authors (:func:`~releasegate.adapters.gitlab.mr.change_authors`)."""
        from releasegate.adapters.gitlab.mr import change_authors

        return change_authors(self.api, self.env, sha)

    def team_members(self, team: str) -> tuple[str, ...] | None:
        """Members of the GitLab group ``team`` (``acme/release``), inherited ones included."""
        return self.api.call(
            f"list the members of group {team}",
            "the read_api scope and access to that group",
            lambda c: tuple(
                m.username
                for m in c.groups.get(team, lazy=True).members_all.list(per_page=100, iterator=True)
            ),
            private=True,
        )

    # -- records --------------------------------------------------------------------------

    def _deploy_job(self, environment: str) -> bool:
        """This job is itself a deployment job of ``environment`` (``environment: action: start``)."""
        return (
            self.env.get("CI_ENVIRONMENT_NAME") == environment
            and self.env.get("CI_ENVIRONMENT_ACTION", "start") == "start"
            and bool(self.env.get("CI_JOB_ID"))
        )

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
        """The deployment of ``sha`` that this gate follows, creating one only when none exists.

        In a deployment job (``environment: action: start``) it is the job's own; after a deploy
        job (a canary or watch job of the same pipeline) it is that job's deployment of ``sha``;
        otherwise a ``running`` deployment is created through the API (deploys made outside
        GitLab jobs), which releasegate may later update.
        """
        job = int(self.env["CI_JOB_ID"]) if self._deploy_job(environment) else None
        for raw in self._raw_deployments(environment):
            deployable = (raw.get("deployable") or {}).get("id")
            mine = job is not None and deployable == job
            adopted = (
                job is None
                and deployable
                and raw.get("sha") == sha
                and raw.get("status") in ("running", "success")
            )
            if mine or adopted:
                deployment = self._deployment(raw, environment)
                return replace(deployment, version=version or deployment.version, digest=digest)
        if job is not None:
            raise PlatformError(
                f"job {job} deploys to {environment} but GitLab lists no deployment "
                "for it; check the job's environment: keyword"
            )
        tag = self.env.get("CI_COMMIT_TAG")
        body = {
            "environment": environment,
            "sha": sha,
            "status": "running",
            "ref": tag or self.env.get("CI_COMMIT_REF_NAME") or sha,
            "tag": bool(tag),
        }
        raw = self.api.call(
            f"create a deployment of {sha[:12]} to {environment}",
            _WRITE_DEPLOYMENTS,
            lambda c: self.api.project(c).deployments.create(body).asdict(),
        )
        return replace(self._deployment(raw, environment), version=version, digest=digest)

    def _created_by_job(self, deployment: Deployment) -> bool:
        if deployment.id in self._seen:
            return deployment.id in self._deployables
        raw = self.api.call(
            f"read deployment {deployment.id} of {deployment.environment}",
            _READ_DEPLOYMENTS,
            lambda c: self.api.project(c).deployments.get(deployment.id).asdict(),
        )
        self._deployment(raw, deployment.environment)
        return deployment.id in self._deployables

    def finish_deployment(
        self, deployment: Deployment, status: str, *, vouch: str | None = None
    ) -> Deployment:
        """Set the deployment's status where GitLab allows it.

        GitLab refuses ``PUT /projects/:id/deployments/:id`` for a deployment a CI job created
        (lib/api/deployments.rb: ``forbidden!('Deployments created using GitLab CI can not be
        updated using the API')`` when ``deployment.deployable`` is set): GitLab sets that one
        from the job's result. Its verdict (``rolled_back``, ``failure``) is kept in the ledger,
        which :meth:`rollback_target` reads, and in this job's outcome (dotenv, JUnit).
        Deployments releasegate created itself are updated through the API.
        """
        if status not in TO_GITLAB:
            raise UsageError(f"unknown deployment status {status!r}")
        if self._created_by_job(deployment):
            if status != "success":
                self.ledger.set_state(
                    _VERDICT.format(env=deployment.environment, id=deployment.id),
                    {"status": status, "sha": deployment.sha},
                    at=self.now(),
                )
            return replace(deployment, status=status, updated_at=self.now())

        def update(client: Any) -> dict[str, Any]:
            remote = self.api.project(client).deployments.get(deployment.id, lazy=True)
            remote.status = TO_GITLAB[status]
            remote.save()
            saved: dict[str, Any] = remote.asdict()
            return saved

        raw = self.api.call(
            f"set deployment {deployment.id} of {deployment.environment} to {TO_GITLAB[status]}",
            _WRITE_DEPLOYMENTS,
            update,
        )
        return replace(
            deployment,
            status=FROM_GITLAB.get(str(raw.get("status")), status),
            updated_at=_time(raw.get("updated_at")) if raw.get("updated_at") else self.now(),
        )

    def rollback_target(self, environment: str) -> Deployment | None:
        """The newest successful deployment of another commit that was not rolled back.

        A deployment is rolled back when releasegate's verdict on it says so (a job-created
        deployment stays ``success`` in GitLab) or when a newer ``failed`` deployment of the
        same commit exists.
        """
        history = self.deployments(environment)
        bad = {
            d.id
            for d in history
            if (self.ledger.get_state(_VERDICT.format(env=environment, id=d.id)) or {}).get(
                "status"
            )
            in ("rolled_back", "failure")
        }
        for index, deployment in enumerate(history):
            if deployment.status == "failure":
                bad |= {d.id for d in history[index + 1 :] if d.sha == deployment.sha}
        current = next((d for d in history if d.status in ("success", "promoting")), None)
        for deployment in history:
            if (
                deployment.status == "success"
                and deployment.id not in bad
                and (current is None or deployment.sha != current.sha)
            ):
                return deployment
        return None

    def rollback_mode(self, configured: str | None) -> str:
        """``deploy`` unless the policy says otherwise: GitLab's own rollback is a job retry."""
        return configured or "deploy"

    def rollback_artifact(self, target: Deployment) -> str | None:
        """The target's digest or version; else its deploy job, which a retry redeploys."""
        job = None if target.id in self._recorded else self._deployables.get(target.id)
        return target.digest or target.version or (f"deploy job {job}" if job else None)

    def rollback(self, environment: str, target: Deployment) -> str:
        """Retry the deploy job of ``target``: GitLab's own rollback.

        ``POST /projects/:id/jobs/:job_id/retry`` (lib/api/ci/jobs.rb) needs the
        ``retry_job`` permission (Developer) and a personal, project or group token: the route
        is not ``job_token_allowed`` (doc/ci/jobs/ci_job_token.md: the job token reaches only
        ``GET /job`` of the Jobs API). When *Prevent outdated deployment jobs* is on, GitLab
        answers ``403 Forbidden - Job is not retryable`` unless *Allow job retries for rollback
        deployments* is on too (doc/ci/environments/deployment_safety.md). The retried job
        creates the new deployment; nothing is written to the failed one.
        """
        job = self._deployables.get(target.id)
        if job is None:
            raw = self.api.call(
                f"read deployment {target.id} of {environment}",
                _READ_DEPLOYMENTS,
                lambda c: self.api.project(c).deployments.get(target.id).asdict(),
            )
            self._deployment(raw, environment)
            job = self._deployables.get(target.id)
        self._write_dotenv(
            {
                "RELEASEGATE_ROLLBACK_TO": target.sha,
                **(
                    {"RELEASEGATE_ROLLBACK_JOB": str(job)}
                    if job and target.id not in self._recorded
                    else {}
                ),
            }
        )
        where = f"roll back {environment} to {target.sha[:12]}"
        if job is None:
            return (
                f"{where}: deployment {target.id} has no job to retry; redeploy that "
                "commit with your own job (RELEASEGATE_ROLLBACK_TO)"
            )
        if target.id in self._recorded:
            return (
                f"{where}: not retried: job {job} ({self._recorded[target.id]}) only recorded "
                "that deployment (the record template); redeploy that commit with the tool "
                "that deployed it, then record it"
            )
        if not self.api.has_private_token:
            return (
                f"{where}: retry job {job}; not done because {PRIVATE_TOKEN} is not set "
                f"({JOB_TOKEN} cannot retry jobs: it needs {_RETRY})"
            )
        try:
            new: dict[str, Any] = (
                self.api.call(
                    f"retry job {job} to {where}",
                    _RETRY,
                    lambda c: self.api.project(c).jobs.get(job, lazy=True).retry(),
                    private=True,
                )
                or {}
            )
        except PlatformError as exc:
            if "not retryable" not in str(exc):
                raise
            raise PlatformError(
                f"{exc}; enable Settings > CI/CD > General pipelines > Allow job "
                "retries for rollback deployments"
            ) from exc
        if new.get("id"):
            self._write_dotenv({"RELEASEGATE_ROLLBACK_RETRY": str(new["id"])})
        url = new.get("web_url")
        return f"{where}: retried job {job} as job {new.get('id', '?')}" + (
            f" ({url})" if url else ""
        )

    def rollback_access(self) -> tuple[str, str]:
        """Whether a rollback could retry a deploy job, read from ``GET /projects/:id``'s
        ``permissions`` with ``RELEASEGATE_GITLAB_TOKEN`` (read-only)."""
        if not self.api.has_private_token:
            return (
                "fail",
                f"{PRIVATE_TOKEN} is not set and {JOB_TOKEN} cannot retry jobs (it needs {_RETRY})",
            )
        raw = self.api.call(
            "read the project's permissions",
            "the Guest role",
            lambda c: c.projects.get(self.api.project_id).asdict(),
            private=True,
        )
        permissions = raw.get("permissions") or {}
        level = max(
            int((permissions.get(k) or {}).get("access_level") or 0)
            for k in ("project_access", "group_access")
        )
        if not level:
            return (
                "unverified",
                f"GitLab does not report {PRIVATE_TOKEN}'s access level on this "
                f"project; a rollback needs {_RETRY}",
            )
        if level >= 30:
            return (
                "pass",
                f"{PRIVATE_TOKEN} has access level {level} (Developer or above): it may retry deploy jobs",
            )
        return "fail", f"{PRIVATE_TOKEN} has access level {level}; a rollback needs {_RETRY}"

    # -- publishing -----------------------------------------------------------------------

    def _write_dotenv(self, values: Mapping[str, str]) -> None:
        path = self.env.get("RELEASEGATE_GITLAB_DOTENV")
        self._dotenv.update(values)
        if path:
            _write(path, dotenv_text(self._dotenv))

    def publish(self, decision: Decision) -> None:
        """The dotenv, JUnit and Markdown reports, where the template's variables name them."""
        from releasegate.render import render

        values = {
            "RELEASEGATE_OUTCOME": decision.outcome,
            "RELEASEGATE_REASON": decision.reason,
            "RELEASEGATE_KIND": decision.kind,
        }
        if (
            decision.outcome == "error"
        ):  # nothing decided: say how the command ended, as README says
            values["RELEASEGATE_EXIT_CODE"] = str(decision.exit_code)
        values.update({output_variable(k): str(v) for k, v in decision.outputs.items()})
        self._write_dotenv(values)
        for variable, fmt in (
            ("RELEASEGATE_GITLAB_JUNIT", "junit"),
            ("RELEASEGATE_GITLAB_REPORT", "markdown"),
        ):
            path = self.env.get(variable)
            if path:
                _write(path, render(decision, fmt))

    def publish_outputs(self, values: dict[str, str]) -> None:
        """Named values of ``cache`` and friends, as ``RELEASEGATE_<NAME>`` dotenv variables.

        The cache's values are GitLab's own: ``RELEASEGATE_CACHE_KEY``,
        ``RELEASEGATE_CACHE_FALLBACK_KEY``, ``RELEASEGATE_CACHE_PATHS`` (inside the project
        directory, as ``cache:paths`` needs) and ``RELEASEGATE_CACHE_POLICY`` (``pull-push`` or
        ``pull``, for ``cache:policy``). A merge request pipeline only ever gets ``pull``.
        """
        if "cache-key" in values:
            values = cache_outputs(values, merge_request=merge_request_pipeline(self.env))
        self._write_dotenv({output_variable(k): str(v) for k, v in values.items()})


def _write(path: str, text: str) -> None:
    try:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the GitLab report: {exc.strerror}") from exc
