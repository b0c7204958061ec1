"""Promotion rules: may this build enter that environment, and why (pure).

:func:`evaluate_promotion` takes the policy, the artifact, and everything the
shell gathered (evidence read from reports, deployment history, approvals,
check runs, the time) and returns a :class:`~releasegate.model.Decision` with
one requirement per rule. Missing evidence is never a pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from releasegate.drift.decision import drift_requirement
from releasegate.drift.model import DriftReport
from releasegate.errors import UsageError
from releasegate.evidence.model import Evidence
from releasegate.model import Decision, Requirement, Subject
from releasegate.policy.model import Policy
from releasegate.promotion.approvals import approval_requirements, teams_of
from releasegate.promotion.history import (
    concurrency_requirement,
    soak_requirement,
    upstream_requirement,
)
from releasegate.promotion.timing import timing_requirements
from releasegate.promotion.validations import (
    criterion_requirement,
    merge_facts,
    stale_reason,
    validation_requirement,
)
from releasegate.records import Approval, CheckRun, Deployment

__all__ = ["evaluate_promotion", "teams_of"]


def evaluate_promotion(
    policy: Policy,
    environment: str,
    subject: Subject,
    *,
    evidence: Mapping[str, Evidence],
    history: Mapping[str, Sequence[Deployment]],
    approvals: Sequence[Approval],
    checks: Sequence[CheckRun],
    now: datetime,
    author: str | None = None,
    break_glass: str | None = None,
    actor: str | None = None,
    evidence_errors: Mapping[str, str] | None = None,
    teams: Mapping[str, Sequence[str] | None] | None = None,
    drift: DriftReport | None = None,
    excluded: Mapping[str, str] | None = None,
) -> Decision:
    """Decide whether ``subject`` may be promoted into ``environment``.

    :param evidence: what each report-backed validation's files say, by validation name;
        a validation whose files were not found is simply absent.
    :param history: deployments by environment name, newest first (the target environment
        and its ``from:`` environment at least).
    :param approvals: approvals of ``subject.sha`` for ``environment``.
    :param checks: CI check runs of ``subject.sha``.
    :param now: the aware time of the decision.
    :param author: who wrote the change (cannot approve it unless allowed).
    :param break_glass: the reason given with ``--break-glass``, if any.
    :param actor: who triggered this run: recorded with break-glass, and cannot approve.
    :param excluded: the change's other authors (commit author and committer, the pull or
        merge request's author) to why, who cannot approve it either unless allowed.
    :param evidence_errors: validation name to the message of a report that could not be read.
    :param teams: platform team (``org/name``) to its members; ``None`` when unresolvable.
    :param drift: the configuration comparison of ``environment`` with the one before it,
        made by the shell when ``requires.drift`` is set (missing when ``None``).
    :raises UsageError: when ``environment`` is not in the policy.
    """
    try:
        env = policy.environment(environment)
    except KeyError:
        known = ", ".join(e.name for e in policy.environments) or "none"
        raise UsageError(f"{policy.path}: no environment {environment!r}; known: {known}") from None
    requires = env.requires
    errors = evidence_errors or {}
    requirements: list[Requirement] = [
        concurrency_requirement(env.name, history.get(env.name, ()), requires.stale_after, now)
    ]
    if requires.from_env:
        requirements.append(
            upstream_requirement(requires.from_env, history.get(requires.from_env, ()), subject)
        )
    if requires.soak:
        source = requires.from_env or _previous(policy, env.name)
        if source is None:
            requirements.append(
                Requirement(
                    name="soak",
                    status="error",
                    reason=f"{env.name} has a soak time but no environment before it to soak in",
                )
            )
        else:
            requirements.append(
                soak_requirement(source, requires.soak, history.get(source, ()), subject, now)
            )
    fresh: dict[str, Evidence] = {}
    for name in requires.validations:
        validation = policy.validations.get(name)
        if validation is None:
            requirements.append(
                Requirement(
                    name=f"validation {name}",
                    status="error",
                    reason=f"no validation {name!r} in the policy",
                )
            )
            continue
        found = evidence.get(name)
        requirements.append(
            validation_requirement(validation, subject, found, errors.get(name), checks)
        )
        if found is not None and name not in errors and stale_reason(found, subject) is None:
            fresh[name] = found
    if requires.criteria:
        facts = merge_facts(fresh)
        plain = sorted({key for e in fresh.values() for key in e.facts})
        requirements.extend(criterion_requirement(c, facts, plain) for c in requires.criteria)
    barred = {**({actor: "triggered this run"} if actor else {}), **(excluded or {})}
    requirements.extend(
        approval_requirements(
            policy, requires, approvals, author=author, now=now, teams=teams or {}, excluded=barred
        )
    )
    requirements.extend(
        timing_requirements(requires, env.name, now, break_glass=break_glass, actor=actor)
    )
    if requires.drift:
        requirements.append(drift_requirement(drift, env.name))
    return _decide(policy, env.name, subject, now, requirements, break_glass)


def _previous(policy: Policy, name: str) -> str | None:
    env = policy.previous(name)
    return env.name if env else None


def _decide(
    policy: Policy,
    environment: str,
    subject: Subject,
    now: datetime,
    requirements: list[Requirement],
    break_glass: str | None,
) -> Decision:
    blocking = [r for r in requirements if not r.ok]
    target = f"{(subject.sha or '?')[:12]} into {environment}"
    if blocking:
        listed = "; ".join(f"{r.name}: {r.reason}" for r in blocking[:3])
        more = f"; and {len(blocking) - 3} more" if len(blocking) > 3 else ""
        outcome = "block"
        reason = f"blocked {target}: {len(blocking)} of {len(requirements)} requirements not met: {listed}{more}"
    else:
        outcome = "allow"
        reason = f"allowed {target}: all {len(requirements)} requirements met"
        if break_glass:
            reason += f" (BREAK-GLASS: {break_glass})"
    return Decision(
        kind="promotion",
        outcome=outcome,
        reason=reason,
        subject=Subject(
            environment=environment, sha=subject.sha, version=subject.version, digest=subject.digest
        ),
        time=now,
        requirements=tuple(requirements),
        policy_sha256=policy.sha256,
        policy_path=policy.path,
        break_glass=break_glass,
        outputs={"outcome": outcome, "environment": environment, "sha": subject.sha or ""},
    )
