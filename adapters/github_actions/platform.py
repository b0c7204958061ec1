"""GitHub Actions as a releasegate platform: GitHub's records in, GitHub's native forms out (I/O).

Deployments and their statuses are the deployment history; check runs and commit
statuses are the CI checks; the run's environment reviews are the approvals. A
decision becomes step outputs, a step summary, annotations and a check run.
Nothing here decides: it only translates.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from releasegate.adapters.github_actions import context, publish
from releasegate.errors import PlatformError
from releasegate.platform import CIContext, Platform
from releasegate.records import FORCED, PLATFORM, VOUCHED, Approval, CheckRun, Deployment

if TYPE_CHECKING:
    from releasegate.adapters.github_actions.api import GitHubAPI
    from releasegate.ledger import Ledger
    from releasegate.model import Decision

#: How many deployments of an environment are searched for a rollback target.
HISTORY_LIMIT = 100
#: GitHub deployment status -> releasegate deployment status.
FROM_GITHUB = {
    "success": "success",
    "inactive": "inactive",
    "failure": "failure",
    "error": "failure",
    "in_progress": "promoting",
    "queued": "promoting",
    "pending": "promoting",
}
#: releasegate deployment status -> GitHub deployment status (GitHub has no "rolled back").
TO_GITHUB = {
    "promoting": "in_progress",
    "success": "success",
    "failure": "failure",
    "rolled_back": "failure",
    "inactive": "inactive",
}
ROLLED_BACK = "rolled back"
#: GitHub deployment states after which a deployment is no longer in progress.
FINISHED = frozenset({"success", "failure", "error", "inactive"})
#: Check-run conclusions that pass on their own; ``neutral`` and ``skipped`` are reported as
#: such and pass only a validation whose ``allow_conclusions`` lists them (a job skipped because
#: its ``needs:`` failed concludes ``skipped``).
CHECK_PASSED = frozenset({"success"})
CHECK_AS_IS = frozenset({"neutral", "skipped"})


class GitHubActionsPlatform(Platform):
    """The platform of a GitHub Actions run.

    :param api: injected in tests; built from the environment otherwise.
    :param stdout: where workflow commands go.
    """

    name = "github"

    def __init__(
        self,
        ledger: Ledger,
        env: Mapping[str, str] | None = None,
        *,
        api: GitHubAPI | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        super().__init__(ledger, dict(env or {}))
        self.info = context.run_info(self.env)
        self._api = api
        self.stdout = stdout or sys.stdout
        self._own: dict[str, Any] = {}
        self._adopted: set[int] = set()
        self._looked: set[str] = set()  # environments whose deployments this process has read

    @cached_property
    def api(self) -> GitHubAPI:
        if self._api is not None:
            return self._api
        token = context.token(self.env)
        if not token:
            raise PlatformError(
                "no GitHub token: pass the github-token input (default "
                "${{ github.token }}) or set GITHUB_TOKEN"
            )
        from releasegate.adapters.github_actions.api import GitHubAPI

        return GitHubAPI(token, self.info.repository, base_url=self.info.api_url, now=self.now)

    @cached_property
    def _context(self) -> CIContext:
        return context.ci_context(self.env, context.read_event(self.env))

    def context(self) -> CIContext:
        return self._context

    # ---------------------------------------------------------------- evidence

    def deployments(self, environment: str) -> list[Deployment]:
        """The deployments of ``environment`` that decisions read, newest first, each with its newest status.

        Not the whole history, which costs a request per deployment: the newest page
        (100, filtered by environment) gives the order; statuses are read newest first down to
        the first *finished* deployment (``success``, ``failure``, ``error``, ``inactive``:
        a promotion older than a finished one is superseded), and for the candidate
        commit's newest deployment, found on that page or, past it, by GitHub's ``sha``
        filter with every page followed. A promote into production from staging reads five
        times, however long the history. :meth:`rollback_target` reads further when needed.
        """
        api = self.api
        self._looked.add(environment)
        page = api.list_deployments(environment, max_pages=1)
        wanted: list[dict[str, Any]] = []
        for data in page:
            wanted.append(data)
            if self._status_of(data) in FINISHED:
                break
        sha = self.candidate_sha()
        if sha:
            mine = [d for d in page if d["sha"] == sha]
            if not mine and len(page) >= api.per_page:
                mine = api.list_deployments(environment, sha=sha)
            if mine and mine[0]["id"] not in {d["id"] for d in wanted}:
                self._status_of(mine[0])
                wanted.append(mine[0])
        wanted.sort(key=lambda d: (d["created_at"], d["id"]), reverse=True)
        return self._records(wanted, environment)

    def candidate_sha(self) -> str | None:
        """The commit under decision: the action's ``sha`` input, else the run's."""
        return self.env.get("RELEASEGATE_SHA") or self._context.sha

    def _status_of(self, data: dict[str, Any]) -> str | None:
        """The deployment's newest GitHub status state (read once, kept in ``data``)."""
        if "_read" not in data:
            data["status"] = self.api.newest_status(data["id"])
            data["_read"] = True
        status = data["status"]
        return None if status is None else str(status["state"])

    def _records(self, rows: list[dict[str, Any]], environment: str) -> list[Deployment]:
        found = []
        for data in rows:
            record = _deployment(data, data["status"], environment)
            # GitHub made this job's deployment when the job started: it is the promotion
            # under decision, not a rival one, until this run takes it over (a releasegate
            # status on it says an earlier step of this job did: `record` then finds it).
            if (
                record.status == "promoting"
                and record.id not in self._adopted
                and self._is_this_run(data["status"])
            ):
                self._own[environment] = data
                if not str((data["status"] or {}).get("description") or "").startswith(
                    "releasegate:"
                ):
                    continue
            found.append(record)
        return found

    def rollback_target(self, environment: str) -> Deployment | None:
        """The last successful deployment of another commit: statuses read down the history
        (up to :data:`HISTORY_LIMIT` deployments) until it is found."""
        current: str | None = None
        for data in self.api.list_deployments(environment, max_pages=1)[:HISTORY_LIMIT]:
            self._status_of(data)
            records = self._records([data], environment)  # without this run's own deployment
            if not records:
                continue
            record = records[0]
            if current is None and record.status in ("success", "promoting"):
                current = record.sha
            if record.status == "success" and record.sha != current:
                return record
        return None

    def _is_this_run(self, status: Mapping[str, Any] | None) -> bool:
        if status is None or self.info.run_id is None:
            return False
        return f"/actions/runs/{self.info.run_id}" in (status["url"] or "")

    def checks(self, sha: str) -> list[CheckRun]:
        """Check runs and commit statuses of ``sha`` (newest status per context); those still
        queued, in progress or pending are ``running``."""
        found = []
        for run in self.api.check_runs(sha):
            if run["status"] == "completed" and run["conclusion"]:
                found.append(
                    CheckRun(
                        sha=sha,
                        name=run["name"],
                        created_at=_aware(run["at"]),
                        status=_check_status(run["conclusion"]),
                        url=run["url"],
                    )
                )
            elif run["status"] != "completed":  # queued, in_progress, waiting...: no verdict yet
                found.append(
                    CheckRun(
                        sha=sha,
                        name=run["name"],
                        created_at=_aware(run["at"]),
                        status="running",
                        url=run["url"],
                    )
                )
        seen: set[str] = set()
        for status in self.api.commit_statuses(sha):
            if status["context"] in seen:
                continue
            seen.add(status["context"])
            if status["state"] in ("success", "failure", "error", "pending"):
                found.append(
                    CheckRun(
                        sha=sha,
                        name=status["context"],
                        created_at=_aware(status["at"]),
                        status={"success": "passed", "pending": "running"}.get(
                            status["state"], "failed"
                        ),
                        url=status["url"],
                    )
                )
        return found

    def approvals(self, environment: str, sha: str) -> list[Approval]:
        """Approvals of this run's deployment review for ``environment``.

        GitHub does not say when a review happened; the run's start is used, which is
        never later than the review, so an expiry can only come early, never late.
        """
        run_id = self.info.run_id
        if run_id is None:
            return []
        reviews = [
            r
            for r in self.api.run_approvals(run_id)
            if r.get("state") == "approved"
            and any(e.get("name") == environment for e in r.get("environments") or [])
        ]
        if not reviews:
            return []
        started = self.api.run_started_at(run_id)
        return [
            Approval(
                environment=environment,
                sha=sha,
                approver=str(r["user"]["login"]),
                created_at=started,
                source=VOUCHED,
            )
            for r in reviews
            if (r.get("user") or {}).get("login")
        ]

    def change_authors(self, sha: str) -> dict[str, str]:
        """The commit's author and committer (GitHub logins, names, addresses); in a pull request
        run, also the pull request's author (from the event) and its commits' authors."""
        found: dict[str, str] = {}
        event = context.read_event(self.env)
        pull = event.get("pull_request") if self._context.pull_request else None
        if isinstance(pull, dict):
            login = (pull.get("user") or {}).get("login")
            if login:
                found[str(login)] = "pull request author"
            if isinstance(pull.get("number"), int):
                for who, role in self.api.pull_request_commit_authors(pull["number"]):
                    found.setdefault(who, f"{role} in the pull request")
        for who, role in self.api.commit_authors(sha):
            found.setdefault(who, role)
        return found

    def team_members(self, team: str) -> tuple[str, ...] | None:
        """Members of ``org/slug``; ``None`` when the token may not read the team."""
        org, _, slug = team.partition("/")
        try:
            return tuple(self.api.team_members(org, slug))
        except PlatformError as exc:
            self.stdout.write(
                publish.command("warning", f"team {team}: {exc}", title="releasegate") + "\n"
            )
            return None

    # ---------------------------------------------------------------- state across jobs

    def get_state(self, key: str) -> dict[str, Any] | None:
        """The ledger's state, else (for a canary) the state read back from its GitHub deployment.

        A job's ledger lives under its own ``$RUNNER_TEMP``: a later job or a rerun has
        none. The canary's deployment is the system of record: every state the canary keeps
        is also a status of that deployment (:meth:`set_state`), so the newest deployment of
        the commit to the environment whose statuses carry one gives the step to resume at,
        and the deployment itself, so no second one is created.
        """
        saved = self.ledger.get_state(key)
        if saved is not None or not key.startswith(CANARY_PREFIX):
            return saved
        environment, _, sha = key[len(CANARY_PREFIX) :].rpartition("/")
        if not environment or not sha:
            return None
        for data in self.api.list_deployments(environment, sha=sha, max_pages=1)[:3]:
            statuses = self.api.statuses(data["id"])
            kept = next(
                (
                    decode_canary(st["description"])
                    for st in statuses
                    if decode_canary(st["description"]) is not None
                ),
                None,
            )
            if kept is None:
                continue
            newest = statuses[0]
            if newest["state"] == "success":
                kept["status"] = "promoted"
            elif newest["state"] in ("failure", "error"):
                kept["status"] = "rolled_back"
            self._adopted.add(data["id"])  # this canary's own deployment, never a rival
            self._own[environment] = data
            state: dict[str, Any] = {
                "environment": environment,
                "sha": sha,
                "deployment_id": data["id"],
                "reason": f"resumed from GitHub deployment {data['id']}",
                **kept,
            }
            self.ledger.set_state(key, state, at=self.now())
            return state
        if environment not in self._looked:
            # A new canary: an earlier step of this job (promote) may have made its deployment;
            # the history finds this run's own one, which the canary then takes over.
            self.deployments(environment)
        return None

    def set_state(self, key: str, value: dict[str, Any], *, at: datetime | None = None) -> None:
        """Keep ``value`` in the ledger and, for a running canary, as an ``in_progress`` status
        of its deployment (only when the step, weight or passed steps change)."""
        before = self.ledger.get_state(key)
        self.ledger.set_state(key, value, at=at)
        deployment = value.get("deployment_id")
        if (
            not key.startswith(CANARY_PREFIX)
            or value.get("status") != "running"
            or deployment is None
        ):
            return
        text = encode_canary(value)
        if before is not None and encode_canary(before) == text:
            return
        if len(text) > MAX_DESCRIPTION:
            self.stdout.write(
                publish.command(
                    "warning",
                    f"canary state too long for a deployment status ({len(text)} > "
                    f"{MAX_DESCRIPTION}): a later job cannot resume it",
                    title="releasegate",
                )
                + "\n"
            )
            return
        self.api.create_status(
            int(deployment),
            "in_progress",
            description=text,
            target_url=self._context.run_url,
            environment=str(value.get("environment")),
        )

    # ---------------------------------------------------------------- records

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
        """Record a promotion: this job's own deployment of ``sha`` if it has one, else a new one
        whose payload keeps ``vouch`` (GitHub's own deployments read back as ``platform``)."""
        own = self._own.get(environment)
        if own is None or own["sha"] != sha:
            payload = {
                "releasegate": {
                    k: v
                    for k, v in (("version", version), ("digest", digest), ("vouch", vouch))
                    if v
                }
            }
            own = self.api.create_deployment(
                sha,
                environment,
                production=production,
                description=f"releasegate: promote {sha[:12]}",
                payload=payload,
            )
            self._own[environment] = own
        self._adopted.add(own["id"])
        status = self.api.create_status(
            own["id"],
            "in_progress",
            description="releasegate: promoting",
            target_url=self._context.run_url,
            environment=environment,
            environment_url=self.env.get("RELEASEGATE_ENVIRONMENT_URL") or None,
        )
        return _deployment(own, status, environment)

    def finish_deployment(
        self, deployment: Deployment, status: str, *, vouch: str | None = None
    ) -> Deployment:
        description = (
            f"releasegate: {ROLLED_BACK}" if status == "rolled_back" else f"releasegate: {status}"
        )
        if vouch and vouch.startswith(FORCED):  # a payload cannot change; the status keeps it
            description = f"{description} ({vouch})"[:140]  # GitHub's limit on descriptions
        self.api.create_status(
            deployment.id,
            TO_GITHUB[status],
            description=description,
            target_url=self._context.run_url,
            environment=deployment.environment,
        )
        now = self.now()
        return Deployment(
            id=deployment.id,
            environment=deployment.environment,
            sha=deployment.sha,
            status=status,
            created_at=deployment.created_at,
            updated_at=now,
            version=deployment.version,
            digest=deployment.digest,
            actor=deployment.actor,
            url=self._context.run_url,
            vouch=vouch or deployment.vouch,
        )

    def rollback(self, environment: str, target: Deployment) -> str:
        """Create a deployment of ``target``'s commit; the user's ``deployment`` workflow ships it."""
        payload = {
            "releasegate": {
                "rollback": True,
                **{k: v for k, v in (("version", target.version), ("digest", target.digest)) if v},
            }
        }
        created = self.api.create_deployment(
            target.sha,
            environment,
            production=False,
            description=f"releasegate: roll back to {target.sha[:12]}",
            payload=payload,
        )
        return (
            f"created deployment {created['id']} of {target.sha[:12]} to {environment}; "
            "a workflow on the `deployment` event redeploys it"
        )

    def rollback_access(self) -> tuple[str, str]:
        """Whether the token may create the rollback's deployment: ``GET /repos/{repo}``'s
        ``permissions`` (read-only); a ``GITHUB_TOKEN`` gets none back, so it is unverified."""
        repo = self.api.call(
            f"GET {self.api.prefix}", "metadata: read", lambda: self.api.repo.raw_data
        )
        permissions = repo.get("permissions") if isinstance(repo, dict) else None
        if not isinstance(permissions, dict):
            return (
                "unverified",
                "GitHub does not report this token's permissions; give the job "
                "`deployments: write` so a rollback can create a deployment",
            )
        if any(permissions.get(k) for k in ("admin", "maintain", "push")):
            return (
                "pass",
                f"the token can write to {self.api.repository}: it may create a deployment",
            )
        return (
            "fail",
            f"the token can only read {self.api.repository}; a rollback creates a "
            "deployment and needs `deployments: write`",
        )

    # ---------------------------------------------------------------- publishing

    def publish(self, decision: Decision) -> None:
        """Annotations, step outputs, the step summary (input ``summary``), and a check run
        (input ``check-run``) when the token may."""
        from releasegate.render import render
        from releasegate.render.jsonfmt import decision_to_dict

        file = publish.policy_file(decision, self.info.workspace)
        decision = publish.locate_requirements(decision)
        for line in publish.annotation_lines(decision, file):
            self.stdout.write(line + "\n")
        self.stdout.flush()
        values = {"outcome": decision.outcome, "reason": decision.reason}
        if self.env.get("RELEASEGATE_OUTPUT"):
            values["report"] = self.env["RELEASEGATE_OUTPUT"]
        values.update(decision.outputs)
        if decision.outputs.get("deployment"):
            values["deployment-id"] = decision.outputs["deployment"]
            if self.env.get("RELEASEGATE_ENVIRONMENT_URL"):
                values["environment-url"] = self.env["RELEASEGATE_ENVIRONMENT_URL"]
        values["decision"] = json.dumps(
            decision_to_dict(decision), separators=(",", ":"), default=str
        )
        self.publish_outputs(values)
        markdown = render(decision, "markdown")
        if self._flag("RELEASEGATE_GITHUB_SUMMARY"):
            publish.append_file(
                self.env.get("GITHUB_STEP_SUMMARY"),
                publish.summary_text(markdown),
                "GITHUB_STEP_SUMMARY",
            )
        if self._flag("RELEASEGATE_GITHUB_CHECK_RUN"):
            self._check_run(decision, file, markdown)

    def _flag(self, name: str) -> bool:
        """A true/false input (default true); anything but false/0/no is true."""
        return self.env.get(name, "true").strip().lower() not in ("0", "false", "no")

    def conclusion(self, outcome: str) -> str:
        """The check run's conclusion: ``failure`` only for an outcome that fails the step.

        The step's exit code comes from the one outcome table and ``fail-on``
        (:func:`releasegate.outcomes.exit_code`): exit 0 is ``success`` when the outcome is good,
        else ``neutral`` (so ``fail-on: none`` never posts a red check); inconclusive's own exit
        3 is ``neutral``; any other failing exit is ``failure``.
        """
        from releasegate.errors import EXIT_INCONCLUSIVE
        from releasegate.outcomes import exit_code, is_good, parse_fail_on

        code = exit_code(outcome, parse_fail_on(self.env.get("RELEASEGATE_FAIL_ON")))
        if code == 0:
            return "success" if is_good(outcome) else "neutral"
        return "neutral" if code == EXIT_INCONCLUSIVE else "failure"

    def publish_outputs(self, values: dict[str, str]) -> None:
        named = {key.replace("_", "-"): str(value) for key, value in values.items()}
        publish.append_file(
            self.env.get("GITHUB_OUTPUT"), publish.output_lines(named), "GITHUB_OUTPUT"
        )

    def _check_run(self, decision: Decision, file: str | None, markdown: str) -> None:
        sha = decision.subject.sha or self._context.sha
        if not sha:
            return
        conclusion = self.conclusion(decision.outcome)
        where = decision.subject.environment or decision.subject.gate
        notes = [
            {
                "path": file,
                "start_line": r.location[0],
                "end_line": r.location[0],
                "annotation_level": "warning" if r.status == "inconclusive" else "failure",
                "title": r.name[:255],
                "message": r.reason,
            }
            for r in decision.requirements
            if r.location and file and r.status in publish.ERROR_STATUSES | publish.WARNING_STATUSES
        ]
        try:
            self.api.create_check_run(
                f"releasegate {decision.kind}" + (f" ({where})" if where else ""),
                sha,
                conclusion=conclusion,
                title=f"{decision.outcome}: {decision.reason}",
                summary=markdown,
                annotations=notes,
                details_url=self._context.run_url,
            )
        except PlatformError as exc:  # the check run only mirrors the decision: never change it
            why = (
                f"no check run: a pull request from a fork gets a read-only token, whatever the "
                f"workflow's permissions say; the decision is in the step summary and outputs ({exc})"
                if self._context.fork
                else f"no check run: {exc}"
            )
            self.stdout.write(publish.command("notice", why, title="releasegate") + "\n")


#: Ledger keys of canary state: ``canary/<environment>/<sha>``.
CANARY_PREFIX = "canary/"
#: GitHub keeps at most 140 characters of a deployment status's description.
MAX_DESCRIPTION = 140
_CANARY = re.compile(
    r"^releasegate canary step=(\d+) weight=([0-9.]+) started=(-|\d+(?:\.\d+)?) "
    r"passed=([0-9,]*)$"
)


def encode_canary(state: Mapping[str, Any]) -> str:
    """A canary's position as a deployment status description (GitHub's limit: 140 characters)."""
    started = state.get("step_started_at")
    passed = ",".join(str(int(i)) for i in state.get("passed") or ())
    return (
        f"releasegate canary step={int(state.get('step') or 0)} weight={float(state.get('weight') or 0):g} "
        f"started={'-' if started is None else f'{float(started):.0f}'} passed={passed}"
    )


def decode_canary(description: str) -> dict[str, Any] | None:
    """What :func:`encode_canary` wrote, or ``None`` for any other description."""
    match = _CANARY.match(description or "")
    if match is None:
        return None
    step, weight, started, passed = match.groups()
    return {
        "step": int(step),
        "weight": float(weight),
        "status": "running",
        "step_started_at": None if started == "-" else float(started),
        "passed": [int(i) for i in passed.split(",") if i],
    }


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _deployment(
    data: Mapping[str, Any], status: Mapping[str, Any] | None, environment: str
) -> Deployment:
    """A GitHub deployment and its newest status (see :meth:`GitHubAPI.deployments`) as a record."""
    state = FROM_GITHUB.get(status["state"], "promoting") if status is not None else "promoting"
    if state == "failure" and status is not None and ROLLED_BACK in status["description"]:
        state = "rolled_back"
    payload = data["payload"] if isinstance(data["payload"], dict) else {}
    raw = payload.get("releasegate")
    ours = raw if isinstance(raw, dict) else {}
    # GitHub's own deployment (a job's environment:) rests on GitHub's protection rules; one
    # releasegate created rests on what its payload or a forced status says
    vouch = ours.get("vouch") if isinstance(raw, dict) else PLATFORM
    forced = (status or {}).get("description") or ""
    if f"({FORCED}" in forced:
        vouch = forced[forced.index(f"({FORCED}") + 1 :].removesuffix(")")
    return Deployment(
        id=data["id"],
        environment=data["environment"] or environment,
        sha=data["sha"],
        status=state,
        created_at=data["created_at"],
        updated_at=status["created_at"] if status is not None else data["created_at"],
        version=ours.get("version"),
        digest=ours.get("digest"),
        actor=data["creator"],
        url=status["url"] if status is not None else None,
        vouch=vouch if isinstance(vouch, str) else None,
    )


def _check_status(conclusion: str) -> str:
    """A check run's conclusion as a :class:`CheckRun` status: passed, neutral, skipped or failed."""
    if conclusion in CHECK_PASSED:
        return "passed"
    return conclusion if conclusion in CHECK_AS_IS else "failed"
