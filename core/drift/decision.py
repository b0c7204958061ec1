"""Drift findings as requirements and a Decision, with secrets shown as "differs" only (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from releasegate.drift.model import DriftReport, Finding, Side
from releasegate.model import Decision, Requirement, Status, Subject

__all__ = ["drift_decision", "drift_requirement", "finding_requirement", "show_value"]

_MAX_SHOWN = 60


def show_value(value: Any) -> str:
    """A value in one short line: ``"1.4.0"``, ``3``, ``{2 keys}``, ``[3 items]``."""
    if isinstance(value, dict):
        return f"{{{len(value)} key{'s' if len(value) != 1 else ''}}}"
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "mapping", list: "list", type(None): "null"}.get(type(value), "string")


def _side_text(finding: Finding, side: Side) -> str:
    if not side.present:
        return f"{side.environment}: absent"
    if finding.secret:
        return f"{side.environment}: (secret)"
    if finding.kind == "type":
        return f"{side.environment}: {_type(side.value)} {show_value(side.value)}"
    return f"{side.environment}: {show_value(side.value)}"


def _what(finding: Finding) -> str:
    left, right = finding.left, finding.right
    noun = "list item" if finding.item else "key"
    if not finding.path:
        noun = "file" if finding.unit in (left.file, right.file) else "resource"
    if finding.kind == "only":
        side = left if left.present else right
        return f"{noun} only in {side.environment}"
    if finding.secret:
        return f"secret value differs between {left.environment} and {right.environment}"
    if finding.kind == "type":
        return f"type differs: {_type(left.value)} in {left.environment}, {_type(right.value)} in {right.environment}"
    if finding.kind == "order":
        return "same items in another order"
    return f"value differs between {left.environment} and {right.environment}"


def finding_requirement(finding: Finding, *, pair: bool = False) -> Requirement:
    """One finding as a requirement: ``fail`` when unexpected, ``pass`` when allowed.

    :param pair: name the two environments in the requirement's name (several pairs compared).
    """
    where = f"{finding.left.environment} {finding.left.where}, {finding.right.environment} {finding.right.where}"
    status: Status
    if finding.allowed is not None:
        status, reason = "pass", f"allowed ({finding.allowed}): {_what(finding)}; {where}"
    else:
        status, reason = "fail", f"{_what(finding)}; {where}"
    details = {
        "kind": finding.kind,
        "path": finding.path,
        "secret": finding.secret,
        **({"unit": finding.unit} if finding.unit else {}),
        **({"allowed": finding.allowed} if finding.allowed is not None else {}),
        "sides": [
            {"environment": s.environment, "file": s.file, "line": s.line, "present": s.present}
            for s in (finding.left, finding.right)
        ],
    }
    prefix = f"{finding.left.environment}/{finding.right.environment} " if pair else ""
    return Requirement(
        name=f"drift {prefix}{finding.where}",
        status=status,
        reason=reason,
        observed=_side_text(finding, finding.right),
        expected=_side_text(finding, finding.left),
        details=details,
    )


def _pair_requirement(report: DriftReport) -> Requirement | None:
    pair = f"{report.left} vs {report.right}"
    if report.error is not None:
        return Requirement(
            name=f"drift {pair}",
            status="error",
            reason=report.error,
            expected="configuration that can be compared",
        )
    if not report.findings:
        return Requirement(
            name=f"drift {pair}",
            status="pass",
            observed="alike",
            reason=f"{report.units} unit(s) compared, no differences",
        )
    return None


def drift_requirement(report: DriftReport | None, environment: str) -> Requirement:
    """``requires: {drift: clean}`` as one promotion requirement (``missing`` without a report)."""
    name = "drift clean"
    if report is None:
        return Requirement(
            name=name,
            status="missing",
            expected="clean",
            reason=f"no drift comparison was made for {environment}",
        )
    if report.error is not None:
        return Requirement(name=name, status="error", expected="clean", reason=report.error)
    unexpected = report.unexpected
    allowed = len(report.findings) - len(unexpected)
    note = f"; {allowed} allowed difference(s)" if allowed else ""
    if unexpected:
        listed = ", ".join(f.where for f in unexpected[:3]) + (
            " ..." if len(unexpected) > 3 else ""
        )
        return Requirement(
            name=name,
            status="fail",
            expected="clean",
            observed=f"{len(unexpected)} unexpected difference(s)",
            reason=f"{report.left} and {report.right} differ unexpectedly: {listed}{note}; "
            "run releasegate drift",
        )
    return Requirement(
        name=name,
        status="pass",
        expected="clean",
        observed="clean",
        reason=f"{report.left} and {report.right} are configured alike{note}",
    )


def drift_decision(
    reports: Sequence[DriftReport],
    *,
    time: datetime,
    policy_sha256: str | None = None,
    policy_path: str | None = None,
) -> Decision:
    """The Decision of ``releasegate drift``: ``clean`` (exit 0) or ``drift`` (exit 1)."""
    requirements: list[Requirement] = []
    for report in reports:
        summary = _pair_requirement(report)
        if summary is not None:
            requirements.append(summary)
        requirements.extend(finding_requirement(f, pair=len(reports) > 1) for f in report.findings)
    unexpected = sum(len(r.unexpected) for r in reports)
    allowed = sum(len(r.findings) - len(r.unexpected) for r in reports)
    errors = [r for r in reports if r.error is not None]
    pairs = ", ".join(f"{r.left} vs {r.right}" for r in reports)
    note = f" ({allowed} allowed difference(s))" if allowed else ""
    if errors:
        outcome, reason = (
            "drift",
            f"could not compare {errors[0].left} vs {errors[0].right}: {errors[0].error}",
        )
    elif unexpected:
        outcome, reason = "drift", f"{unexpected} unexpected difference(s) in {pairs}{note}"
    else:
        outcome, reason = "clean", f"{pairs}: configured alike{note}"
    environment = reports[-1].right if len(reports) == 1 else None
    return Decision(
        kind="drift",
        outcome=outcome,
        reason=reason,
        subject=Subject(environment=environment),
        time=time,
        requirements=tuple(requirements),
        policy_sha256=policy_sha256,
        policy_path=policy_path,
        outputs={"outcome": outcome, "unexpected": str(unexpected), "allowed": str(allowed)},
    )
