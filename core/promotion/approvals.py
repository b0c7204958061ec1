"""Promotion rules over approvals: who may approve, how many, for how long (pure).

Approvals are per environment and commit. Each rule asks for ``count``
distinct people, from a group when it names one. A group lists people and
platform teams (``team:org/name``), whose members the caller resolves through
the platform beforehand. One person approving twice counts once; the change's
authors (commit author and committer, the pull/merge request's author) and the
person who triggered the run cannot approve it unless ``allow_self_approval``,
and every requirement names who was excluded and why; an approval older than
``approvals_expire`` no longer counts. Approvals the local ledger holds are
self-asserted (anyone can run ``approve --by NAME``): they are shown as such, and
``approvals_from: platform`` refuses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from releasegate.durations import format_duration
from releasegate.model import Requirement
from releasegate.policy.model import ApprovalRule, Policy, Requires
from releasegate.records import VOUCHED, Approval

__all__ = ["approval_requirements", "excluded_identities", "group_members", "teams_of"]

TEAM_PREFIX = "team:"


def excluded_identities(excluded: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased identities that may not approve, to why: each name, each e-mail address and
    the part of an address before ``@`` (so ``alice@example.com`` also excludes ``alice``)."""
    out: dict[str, str] = {}
    for who, why in excluded.items():
        name = who.strip().lower()
        if not name:
            continue
        out.setdefault(name, f"{who.strip()}: {why}")
        if "@" in name:
            out.setdefault(name.split("@", 1)[0], f"{who.strip()}: {why}")
    return out


def teams_of(policy: Policy, requires: Requires) -> tuple[str, ...]:
    """The platform teams (``org/name``) the approval rules of ``requires`` need resolved."""
    teams: list[str] = []
    for rule in requires.approvals:
        if rule.group is None:
            continue
        entries = policy.groups.get(rule.group, (rule.group,))
        for entry in entries:
            if entry.startswith(TEAM_PREFIX) and entry[len(TEAM_PREFIX) :] not in teams:
                teams.append(entry[len(TEAM_PREFIX) :])
    return tuple(teams)


def group_members(
    policy: Policy, group: str, teams: Mapping[str, Sequence[str] | None]
) -> tuple[frozenset[str], tuple[str, ...]]:
    """Lower-cased members of ``group`` and the teams that could not be resolved."""
    members: set[str] = set()
    unresolved: list[str] = []
    for entry in policy.groups.get(group, (group,)):
        if entry.startswith(TEAM_PREFIX):
            team = entry[len(TEAM_PREFIX) :]
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
    excluded: Mapping[str, str] | None = None,
) -> list[Requirement]:
    """One requirement per approval rule of ``requires``.

    :param author: who wrote the change (cannot approve unless ``allow_self_approval``).
    :param excluded: more people who may not approve, to why (``"commit author"``,
        ``"triggered this run"``...): names, logins or e-mail addresses.
    """
    if not requires.approvals:
        return []
    barred = excluded_identities(
        {**({author: "wrote the change"} if author else {}), **(excluded or {})}
    )
    valid: dict[str, Approval] = {}
    notes: list[str] = []
    for approval in sorted(approvals, key=lambda a: a.created_at, reverse=True):
        who = approval.approver.lower()
        if who in valid:
            continue  # the same person again counts once; keep the newest
        if who in barred and not requires.allow_self_approval:
            notes.append(f"{approval.approver} cannot approve their own change ({barred[who]})")
            continue
        if requires.approvals_from == VOUCHED and approval.source != VOUCHED:
            notes.append(
                f"{approval.approver}'s approval is self-asserted in the local ledger; "
                "approvals_from: platform counts only approvals the platform vouches for"
            )
            continue
        if requires.approvals_expire is not None:
            age = (now - approval.created_at).total_seconds()
            if age > requires.approvals_expire:
                notes.append(
                    f"{approval.approver}'s approval expired "
                    f"({format_duration(age)} old, limit {format_duration(requires.approvals_expire)})"
                )
                continue
        valid[who] = approval
    shown = {} if requires.allow_self_approval else dict(barred)
    return [_rule(policy, rule, valid, notes, teams, shown) for rule in requires.approvals]


def _rule(
    policy: Policy,
    rule: ApprovalRule,
    valid: Mapping[str, Approval],
    notes: list[str],
    teams: Mapping[str, Sequence[str] | None],
    excluded: Mapping[str, str],
) -> Requirement:
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
    asserted = sorted(
        a.approver for a in valid.values() if a.approver in counted and a.source != VOUCHED
    )
    if asserted:
        extra.insert(
            0,
            f"SELF-ASSERTED: {', '.join(asserted)} only in the local ledger "
            "(`approve --by`), not vouched for by a platform",
        )
    observed = f"{len(counted)}" + (f": {', '.join(counted)}" if counted else "")
    tail = f" ({'; '.join(extra)})" if extra else ""
    details = {"approvers": counted, "excluded": dict(excluded), "self_asserted": asserted}
    if len(counted) >= rule.count:
        return Requirement(
            name=name,
            status="pass",
            observed=observed,
            expected=expected,
            reason=f"approved by {', '.join(counted)}{tail}",
            details=details,
        )
    needed = rule.count - len(counted)
    return Requirement(
        name=name,
        status="fail",
        observed=observed,
        expected=expected,
        reason=f"{needed} more approval{'s' if needed > 1 else ''} needed{tail}",
        details=details,
    )
