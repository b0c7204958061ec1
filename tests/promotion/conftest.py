"""Builders for promotion rule tests: a small policy and records, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from releasegate.evidence.model import Evidence
from releasegate.model import Decision, Subject
from releasegate.policy.model import (
    ApprovalRule,
    Criterion,
    Environment,
    Freeze,
    Policy,
    Requires,
    Validation,
)
from releasegate.promotion import evaluate_promotion
from releasegate.records import Approval, Deployment

NOW = datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc)  # Monday 10:00 in Berlin
SHA = "3f2a9c1d4b5e6f708192a3b4c5d6e7f809102132"
OTHER = "9999999999999999999999999999999999999999"


def policy(**requires: Any) -> Policy:
    validations = {
        "unit": Validation("unit", "junit", "reports/*.xml", min_tests=2),
        "cov": Validation("cov", "coverage", "coverage.xml", min_coverage=80.0),
        "scan": Validation("scan", "sarif", "scan.sarif", max_severity="high"),
        "lint": Validation("lint", "check", "lint"),
    }
    prod = Environment("production", requires=Requires(**requires))
    return Policy(
        version=1,
        path="releasegate.yml",
        sha256="0" * 64,
        groups={"leads": ("alice", "Bob", "team:acme/release")},
        validations=validations,
        environments=(Environment("staging"), prod),
    )


def deployment(
    env: str,
    status: str,
    *,
    sha: str = SHA,
    age: timedelta = timedelta(hours=2),
    digest: str | None = None,
    id: int = 1,
    vouch: str | None = "allowed",
) -> Deployment:
    return Deployment(
        id=id,
        environment=env,
        sha=sha,
        status=status,
        created_at=NOW - age,
        updated_at=NOW - age + timedelta(minutes=5),
        digest=digest,
        actor="ci",
        vouch=vouch,
    )


def approval(who: str, age: timedelta = timedelta(hours=1), source: str = "ledger") -> Approval:
    return Approval("production", SHA, who, NOW - age, source)


def coverage(percent: float, commits: tuple[str, ...] = ()) -> Evidence:
    return Evidence("coverage", {"coverage": percent}, ("coverage.xml",), commits=commits)


def decide(pol: Policy, **kwargs: Any) -> Decision:
    subject = kwargs.pop("subject", Subject(sha=SHA))
    args: dict[str, Any] = {
        "evidence": {},
        "history": {},
        "approvals": [],
        "checks": [],
        "now": NOW,
    }
    args.update(kwargs)
    return evaluate_promotion(pol, "production", subject, **args)


def status(decision: Decision, prefix: str) -> str:
    found = [r for r in decision.requirements if r.name.startswith(prefix)]
    assert found, f"no requirement {prefix!r} in {[r.name for r in decision.requirements]}"
    return found[0].status


def reason(decision: Decision, prefix: str) -> str:
    return next(r.reason for r in decision.requirements if r.name.startswith(prefix))


__all__ = ["ApprovalRule", "Criterion", "Freeze", "replace", "pytest"]
