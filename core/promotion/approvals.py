"""Promotion rules over approvals: who may approve, how many, for how long (pure).

Approvals are per environment and commit. Each rule asks for ``count``
distinct people, from a group when it names one. A group lists people and
platform teams (``team:org/name``), whose members the caller resolves through
the platform beforehand. One person approving twice counts once; the change's
author cannot approve it unless ``allow_self_approval``; an approval older than
``approvals_expire`` no longer counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from releasegate.durations import format_duration
from releasegate.model import Requirement
from releasegate.policy.model import ApprovalRule, Policy, Requires
from releasegate.records import Approval

__all__ = ["approval_requirements", "group_members", "teams_of"]

TEAM_PREFIX = "team:"


def teams_of(policy: Policy, requires: Requires) -> tuple[str, ...]:
    """The platform teams (``org/name``) the approval rules of ``requires`` need resolved."""
    teams: list[str] = []
    for rule in requires.approvals:
        if rule.group is None:
            continue
        entries = policy.groups.get(rule.group, (rule.group,))
        for entry in entries:
            if entry.startswith(TEAM_PREFIX) and entry[len(TEAM_PREFIX):] not in teams:
                teams.append(entry[len(TEAM_PREFIX):])
    return tuple(teams)


def group_members(
    policy: Policy, group: str, teams: Mapping[str, Sequence[str] | None]
) -> tuple[frozenset[str], tuple[str, ...]]:
    """Lower-cased members of ``group`` and the teams that could not be resolved."""
    members: set[str] = set()
    unresolved: list[str] = []
    for entry in policy.groups.get(group, (group,)):
        if entry.startswith(TEAM_PREFIX):
            team = entry[len(TEAM_PREFIX):]
            people = teams.get(team)
            if people is None:
                unresolved.append(team)
            else:
                members.update(p.lower() for p in people)
        else:
            members.add(entry.lower())
    return frozenset(members), tuple(unresolved)


def approval_requirements(
    policy: Policy,
    requires: Requires,
    approvals: Sequence[Approval],
    *,
    author: str | None,
    now: datetime,
    teams: Mapping[str, Sequence[str] | None],
) -> list[Requirement]:
    """One requirement per approval rule of ``requires``."""
    if not requires.approvals:
        return []
    valid: dict[str, Approval] = {}
    notes: list[str] = []
    for approval in sorted(approvals, key=lambda a: a.created_at, reverse=True):
        who = approval.approver.lower()
        if who in valid:
            continue  # the same person again counts once; keep the newest
        if author and who == author.lower() and not requires.allow_self_approval:
            notes.append(f"{approval.approver} wrote the change and cannot approve it")
            continue
        if requires.approvals_expire is not None:
            age = (now - approval.created_at).total_seconds()
            if age > requires.approvals_expire:
                notes.append(f"{approval.approver}'s approval expired "
                             f"({format_duration(age)} old, limit {format_duration(requires.approvals_expire)})")
                continue
        valid[who] = approval
    return [_rule(policy, rule, valid, notes, teams) for rule in requires.approvals]


def _rule(policy: Policy, rule: ApprovalRule, valid: Mapping[str, Approval], notes: list[str],
          teams: Mapping[str, Sequence[str] | None]) -> Requirement:
    extra = list(dict.fromkeys(notes))
    if rule.group is None:
        name, expected = "approvals", f">= {rule.count} distinct approvers"
        counted = sorted(a.approver for a in valid.values())
    else:
        name, expected = f"approvals {rule.group}", f">= {rule.count} from {rule.group}"
        members, unresolved = group_members(policy, rule.group, teams)
        counted = sorted(a.approver for who, a in valid.items() if who in members)
        outsiders = sorted(a.approver for who, a in valid.items() if who not in members)
        if outsiders:
            extra.append(f"{', '.join(outsiders)} not in {rule.group}")
        if unresolved:
            extra.append(f"team {', '.join(unresolved)} could not be resolved on this platform")
    observed = f"{len(counted)}" + (f": {', '.join(counted)}" if counted else "")
    tail = f" ({'; '.join(extra)})" if extra else ""
    if len(counted) >= rule.count:
        return Requirement(name=name, status="pass", observed=observed, expected=expected,
                           reason=f"approved by {', '.join(counted)}{tail}")
    needed = rule.count - len(counted)
    return Requirement(name=name, status="fail", observed=observed, expected=expected,
                       reason=f"{needed} more approval{'s' if needed > 1 else ''} needed{tail}",
                       details={"approvers": counted})
