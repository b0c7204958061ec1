"""Promotion rules over evidence: validations and criteria (pure).

Each validation becomes one requirement: proven by its reports (JUnit,
coverage, SARIF, Trivy, audit) or by a CI check on the same commit. Evidence
that names another commit or image is stale and proves nothing. Criteria are
evaluated over the facts of every fresh report the environment's validations
read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from releasegate.criteria import CriteriaError, MissingName, parse
from releasegate.evidence.model import Evidence, severity_rank
from releasegate.model import Requirement, Status, Subject
from releasegate.policy.model import Criterion, Validation
from releasegate.records import CheckRun

__all__ = ["criterion_requirement", "merge_facts", "stale_reason", "validation_requirement"]

#: Facts that add up across reports; every other fact takes the lowest value seen.
_SUMMED = ("tests.", "vulnerabilities.")


class _Result(Protocol):
    """Builds the validation's requirement from a status, a reason and details."""

    def __call__(
        self,
        status: Status,
        reason: str,
        observed: str | None = None,
        expected: str | None = None,
        **details: object,
    ) -> Requirement: ...


def same_commit(named: str, sha: str) -> bool:
    """Whether a report's commit names ``sha`` (either may be abbreviated, at least 7 digits)."""
    a, b = named.strip().lower(), sha.strip().lower()
    if len(a) < 7 or len(b) < 7:
        return a == b
    return a.startswith(b) or b.startswith(a)


def stale_reason(evidence: Evidence, subject: Subject) -> str | None:
    """Why ``evidence`` is not about ``subject``, or ``None`` when it is (or cannot say)."""
    others = [c for c in evidence.commits if not (subject.sha and same_commit(c, subject.sha))]
    if others and subject.sha:
        return f"report is for commit {others[0][:12]}, not {subject.sha[:12]}"
    if subject.digest and evidence.digests and subject.digest not in evidence.digests:
        return f"report scanned image {evidence.digests[0]}, not {subject.digest}"
    return None


def validation_requirement(
    validation: Validation,
    subject: Subject,
    evidence: Evidence | None,
    error: str | None,
    checks: Sequence[CheckRun],
) -> Requirement:
    """The requirement that ``validation`` holds for ``subject``."""
    name = f"validation {validation.name}"

    def result(
        status: Status,
        reason: str,
        observed: str | None = None,
        expected: str | None = None,
        **details: object,
    ) -> Requirement:
        return Requirement(
            name=name,
            status=status,
            reason=reason,
            observed=observed,
            expected=expected,
            location=validation.location,
            details={"kind": validation.kind, "source": validation.source, **details},
        )

    if validation.kind == "check":
        return _check(validation, subject, checks, result)
    if error is not None:
        return result("error", error, expected=_expected(validation))
    if evidence is None:
        return result(
            "missing",
            f"no report matches {validation.source}; the step that writes it "
            f"did not run or wrote elsewhere",
            expected=_expected(validation),
        )
    stale = stale_reason(evidence, subject)
    files = list(evidence.files)
    if stale:
        return result(
            "fail", f"stale evidence: {stale}", evidence.summary, _expected(validation), files=files
        )
    facts = evidence.facts
    if validation.kind == "junit":
        least = max(1, validation.min_tests or 1)
        run, bad = facts["tests.run"], facts["tests.failed"] + facts["tests.errors"]
        if bad:
            reason = f"{int(facts['tests.failed'])} failed and {int(facts['tests.errors'])} errors"
            return result("fail", reason, evidence.summary, _expected(validation), files=files)
        if run < least:
            reason = f"{int(run)} tests ran, fewer than {least}"
            return result("fail", reason, evidence.summary, _expected(validation), files=files)
        return result(
            "pass",
            f"{int(run)} tests ran, none failed",
            evidence.summary,
            _expected(validation),
            files=files,
        )
    if validation.kind == "coverage":
        return _coverage(validation, evidence, result)
    return _severity(validation, evidence, result)


def _expected(validation: Validation) -> str:
    if validation.kind == "junit":
        return f">= {max(1, validation.min_tests or 1)} tests, no failure or error"
    if validation.kind == "coverage":
        parts = (
            [f"lines >= {validation.min_coverage:g}%"]
            if validation.min_coverage is not None
            else []
        )
        if validation.min_branch_coverage is not None:
            parts.append(f"branches >= {validation.min_branch_coverage:g}%")
        return ", ".join(parts) or "a coverage report"
    if validation.kind == "check":
        also = "".join(f" or {c}" for c in validation.allow_conclusions)
        return f"check {validation.source} passed{also}"
    expected = f"nothing above {validation.max_severity or 'none'}"
    if validation.kind == "audit":
        expected += ", every dependency audited" if not validation.allow_skipped else ""
    return expected


def check_runs_named(wanted: str, checks: Sequence[CheckRun]) -> list[CheckRun]:
    """The checks ``wanted`` names: by their exact name, else by the job name of a
    workflow-qualified one (``ci / lint`` for ``lint``), else by the workflow-qualified
    name a check gave as its job name alone (``lint`` for ``ci / lint``)."""
    exact = [c for c in checks if c.name == wanted]
    if exact:
        return exact
    return [c for c in checks if c.name.endswith(f" / {wanted}") or wanted.endswith(f" / {c.name}")]


def _check(
    validation: Validation, subject: Subject, checks: Sequence[CheckRun], result: _Result
) -> Requirement:
    on_commit = [c for c in checks if subject.sha and same_commit(c.sha, subject.sha)]
    runs = check_runs_named(validation.source, on_commit)
    if not runs:
        names = sorted({c.name for c in on_commit})
        found = (
            f"; checks found: {', '.join(names[:10])}{' …' if len(names) > 10 else ''}"
            if names
            else "; no checks at all"
        )
        return result(
            "missing",
            f"no check named {validation.source} ran on {(subject.sha or '?')[:12]}{found}",
            expected=_expected(validation),
        )
    if len({c.name for c in runs}) > 1:
        listed = ", ".join(sorted({c.name for c in runs}))
        return result(
            "missing",
            f"check {validation.source} is ambiguous: {listed}; name one of them",
            expected=_expected(validation),
        )
    latest = max(runs, key=lambda c: c.created_at)
    if latest.status == "running":
        return result(
            "missing",
            f"check {latest.name} is still running on {(subject.sha or '?')[:12]} "
            f"(since {latest.created_at.isoformat()}); it has no verdict yet",
            "running",
            _expected(validation),
            url=latest.url,
            running=True,
        )
    passed = latest.status == "passed" or latest.status in validation.allow_conclusions
    status: Status = "pass" if passed else "fail"
    reason = f"check {latest.name} {latest.status} at {latest.created_at.isoformat()}"
    if latest.status in ("neutral", "skipped") and not passed:
        reason += f"; {latest.status} is not a pass unless allow_conclusions lists it"
    return result(status, reason, latest.status, _expected(validation), url=latest.url)


def _coverage(validation: Validation, evidence: Evidence, result: _Result) -> Requirement:
    facts = evidence.facts
    expected = _expected(validation)
    files = list(evidence.files)
    line = facts["coverage"]
    if validation.min_coverage is not None and line < validation.min_coverage:
        return result(
            "fail",
            f"line coverage {line:.2f}% is below {validation.min_coverage:g}%",
            evidence.summary,
            expected,
            files=files,
            coverage=line,
        )
    if validation.min_branch_coverage is not None:
        branch = facts.get("coverage.branch")
        if branch is None:
            return result(
                "missing",
                "the report has no branch coverage; measure branches "
                "(coverage run --branch, or the tool's branch option)",
                evidence.summary,
                expected,
                files=files,
            )
        if branch < validation.min_branch_coverage:
            return result(
                "fail",
                f"branch coverage {branch:.2f}% is below {validation.min_branch_coverage:g}%",
                evidence.summary,
                expected,
                files=files,
            )
    return result(
        "pass", f"line coverage {line:.2f}%", evidence.summary, expected, files=files, coverage=line
    )


def _severity(validation: Validation, evidence: Evidence, result: _Result) -> Requirement:
    ceiling = validation.max_severity or "none"
    unknown = validation.unknown_severity or "unknown"

    def rank(severity: str) -> int:
        return severity_rank(
            unknown if severity_rank(severity) == severity_rank("unknown") else severity
        )

    over = [f for f in evidence.findings if rank(f.severity) > severity_rank(ceiling)]
    expected = _expected(validation)
    files = list(evidence.files)
    if over:
        shown = ", ".join(str(f) for f in over[:3]) + (
            f" and {len(over) - 3} more" if len(over) > 3 else ""
        )
        noun = "finding exceeds" if len(over) == 1 else "findings exceed"
        return result(
            "fail",
            f"{len(over)} {noun} the {ceiling} ceiling: {shown}",
            evidence.summary,
            expected,
            files=files,
            findings=[str(f) for f in over[:20]],
        )
    if evidence.skipped:
        skipped = len(evidence.skipped)
        names = ", ".join(evidence.skipped[:5]) + (
            f" and {skipped - 5} more" if skipped > 5 else ""
        )
        if not validation.allow_skipped:
            return result(
                "fail",
                f"{skipped} dependencies could not be audited ({names}); audit them, "
                f"or set allow_skipped: true to accept",
                evidence.summary,
                expected,
                files=files,
                skipped=list(evidence.skipped[:20]),
            )
        return result(
            "pass",
            f"nothing above {ceiling}; {skipped} dependencies not audited, allowed "
            f"by allow_skipped ({names})",
            evidence.summary,
            expected,
            files=files,
            skipped=list(evidence.skipped[:20]),
        )
    return result("pass", f"nothing above {ceiling}", evidence.summary, expected, files=files)


def merge_facts(fresh: Mapping[str, Evidence]) -> dict[str, float]:
    """The facts criteria see: counts add up across reports, other values keep the lowest.

    Each report's facts are also available under its validation's name, dashes as
    underscores: ``unit_tests.tests.total``.
    """
    merged: dict[str, float] = {}
    for name, evidence in fresh.items():
        prefix = name.replace("-", "_")
        for key, value in evidence.facts.items():
            merged[f"{prefix}.{key}"] = value
            if key not in merged:
                merged[key] = value
            elif key.startswith(_SUMMED):
                merged[key] += value
            else:
                merged[key] = min(merged[key], value)
    return merged


def criterion_requirement(
    criterion: Criterion, facts: Mapping[str, float], available: Sequence[str] = ()
) -> Requirement:
    """Evaluate one criterion over ``facts``; names nobody provides make it ``missing``.

    :param available: the names to list when one is missing (default: every fact).
    """
    name = f"criterion {criterion.text}"
    try:
        expression = parse(criterion.text)
        verdict = expression.evaluate(facts)
    except MissingName as exc:
        names = ", ".join(sorted(available or facts))
        return Requirement(
            name=name,
            status="missing",
            location=criterion.location,
            reason=f"no evidence provides {', '.join(exc.names)}; available: "
            f"{names or 'none (no report was read)'}",
            expected=criterion.text,
        )
    except CriteriaError as exc:
        return Requirement(
            name=name,
            status="error",
            reason=str(exc),
            expected=criterion.text,
            location=criterion.location,
        )
    observed = ", ".join(f"{n} = {facts[n]:g}" for n in sorted(expression.names))
    return Requirement(
        name=name,
        status="pass" if verdict else "fail",
        observed=observed,
        expected=criterion.text,
        location=criterion.location,
        reason=f"{observed}: {'holds' if verdict else 'does not hold'}",
    )
