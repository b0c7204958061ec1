"""Promotion rules over deployment history: upstream, soak and concurrency (pure).

``from: staging`` asks that the very artifact being promoted (the same commit,
or the same image digest) succeeded in staging and was not rolled back since,
through an allowed promotion (or the platform's own deployment, or a forced
record, which every decision relying on it shows);
``soak`` that it has been there long enough; and a promotion into an
environment that already has one in progress waits for it unless that one is
older than ``stale_after``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from releasegate.durations import format_duration
from releasegate.model import Requirement, Subject
from releasegate.promotion.validations import same_commit
from releasegate.records import Deployment

__all__ = [
    "concurrency_requirement",
    "forced_note",
    "soak_requirement",
    "upstream_requirement",
    "verified_upstream",
]


def _same_artifact(deployment: Deployment, subject: Subject) -> bool:
    if subject.digest and deployment.digest:
        return deployment.digest == subject.digest
    return bool(subject.sha) and same_commit(deployment.sha, subject.sha or "")


def verified_upstream(upstream: Sequence[Deployment], subject: Subject) -> Deployment | None:
    """The upstream deployment that vouches for ``subject``: its artifact's newest deployment
    there, when that succeeded (``inactive`` means it succeeded and was superseded) and rests
    on an allowed promotion, the platform or a forced record (``Deployment.vouched``)."""
    matches = [d for d in upstream if _same_artifact(d, subject)]
    if matches and matches[0].status in ("success", "inactive") and matches[0].vouched:
        return matches[0]
    return None


def forced_note(deployment: Deployment) -> str:
    """`` (FORCED record by NAME: REASON)`` for a deployment recorded with ``--force``, else ``""``."""
    if deployment.forced is None:
        return ""
    who = f" by {deployment.actor}" if deployment.actor else ""
    return f" (FORCED record{who}: {deployment.forced})"


def success_time(deployment: Deployment) -> datetime:
    """When ``deployment`` started being healthy: the status change to ``success``."""
    return deployment.updated_at if deployment.status == "success" else deployment.created_at


def upstream_requirement(
    source: str, upstream: Sequence[Deployment], subject: Subject
) -> Requirement:
    """``from: source``: the same artifact succeeded in ``source`` and was not rolled back since."""
    name = f"from {source}"
    expected = f"same artifact succeeded in {source}, not rolled back"
    what = _artifact(subject)
    matches = [d for d in upstream if _same_artifact(d, subject)]
    if not matches:
        same_sha = [d for d in upstream if subject.sha and same_commit(d.sha, subject.sha)]
        if same_sha and subject.digest:
            other = same_sha[0]
            return Requirement(
                name=name,
                status="fail",
                expected=expected,
                observed=f"{source} ran {other.digest or 'an unrecorded image'}",
                reason=f"a different artifact: {source} verified "
                f"{other.digest or 'no recorded digest'} for this commit, "
                f"not {subject.digest}",
            )
        current = next((d for d in upstream if d.status == "success"), None)
        seen = f"; {source} runs {_artifact_of(current)}" if current else ""
        return Requirement(
            name=name,
            status="missing",
            expected=expected,
            observed=_artifact_of(current) if current else None,
            reason=f"{what} was never deployed to {source}{seen}",
        )
    newest = matches[0]
    observed = f"{newest.status} since {newest.updated_at.isoformat()}"
    if newest.status in ("success", "inactive") and not newest.vouched:
        return Requirement(
            name=name,
            status="fail",
            expected=expected,
            observed=observed,
            reason=f"{what} was recorded as succeeded in {source} outside the gate "
            f"(deployment {newest.id}): no allowed promotion into {source} is on file; "
            f"promote it through releasegate, or record it with --force REASON",
            details={"deployment": newest.id, "vouch": None},
        )
    if newest.status in ("success", "inactive"):
        details: dict[str, object] = {"deployment": newest.id, "vouch": newest.vouch}
        if newest.forced is not None:
            details["forced"] = newest.forced
        return Requirement(
            name=name,
            status="pass",
            expected=expected,
            observed=observed,
            reason=f"{what} succeeded in {source} (deployment {newest.id}){forced_note(newest)}",
            details=details,
        )
    reasons = {
        "promoting": f"{what} is still being deployed to {source}",
        "failure": f"{what} failed in {source}",
        "rolled_back": f"{what} was rolled back in {source} at {newest.updated_at.isoformat()}",
    }
    return Requirement(
        name=name,
        status="fail",
        expected=expected,
        observed=observed,
        reason=reasons.get(newest.status, f"{what} is {newest.status} in {source}"),
        details={"deployment": newest.id},
    )


def soak_requirement(
    source: str, soak: float, upstream: Sequence[Deployment], subject: Subject, now: datetime
) -> Requirement:
    """At least ``soak`` seconds since the artifact succeeded in ``source``."""
    name = f"soak {format_duration(soak)} in {source}"
    expected = f">= {format_duration(soak)}"
    deployment = verified_upstream(upstream, subject)
    if deployment is None:
        return Requirement(
            name=name,
            status="missing",
            expected=expected,
            reason=f"{_artifact(subject)} has no successful deployment in {source} "
            "through the gate to soak",
        )
    since = success_time(deployment)
    if deployment.status == "inactive":
        elapsed = (deployment.updated_at - deployment.created_at).total_seconds()
        where = "before it was superseded"
    else:
        elapsed = max((now - since).total_seconds(), 0.0)
        where = f"since {since.isoformat()}"
    observed = format_duration(max(elapsed, 0.0))
    if elapsed >= soak:
        return Requirement(
            name=name,
            status="pass",
            expected=expected,
            observed=observed,
            reason=f"{observed} in {source} {where}{forced_note(deployment)}",
        )
    return Requirement(
        name=name,
        status="fail",
        expected=expected,
        observed=observed,
        reason=f"only {observed} in {source} {where}; {format_duration(soak - elapsed)} to go",
    )


def concurrency_requirement(
    environment: str, history: Sequence[Deployment], stale_after: float, now: datetime
) -> Requirement:
    """No other promotion into ``environment`` in progress, unless older than ``stale_after``."""
    name = "no promotion in progress"
    expected = f"none promoting (stale after {format_duration(stale_after)})"
    running = [d for d in history if d.status == "promoting"]
    live = [d for d in running if (now - d.created_at).total_seconds() < stale_after]
    if live:
        other = live[0]
        who = f" by {other.actor}" if other.actor else ""
        return Requirement(
            name=name,
            status="fail",
            expected=expected,
            observed=f"{other.sha[:12]} promoting",
            reason=f"in progress: {other.sha[:12]} has been promoting into {environment} "
            f"since {other.created_at.isoformat()}{who}; wait, or record its result "
            f"with `releasegate record`",
            details={"deployment": other.id},
        )
    if running:
        return Requirement(
            name=name,
            status="pass",
            expected=expected,
            observed="stale",
            reason=f"ignoring {len(running)} promotion(s) older than "
            f"{format_duration(stale_after)} (deployment {running[0].id})",
        )
    return Requirement(
        name=name,
        status="pass",
        expected=expected,
        observed="none",
        reason=f"nothing is promoting into {environment}",
    )


def _artifact(subject: Subject) -> str:
    parts = [f"commit {(subject.sha or '?')[:12]}"]
    if subject.digest:
        parts.append(f"image {subject.digest}")
    return " / ".join(parts)


def _artifact_of(deployment: Deployment | None) -> str:
    if deployment is None:
        return "nothing"
    return f"{deployment.sha[:12]}" + (f" ({deployment.digest})" if deployment.digest else "")
