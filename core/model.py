"""Decisions: the value every deciding command returns and every renderer reads (pure).

A Decision says what was decided (``outcome``), about what (``subject``), and
why: one ``Requirement`` per rule, gate metric or check, each with what was
observed against what was expected and a one-sentence reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

Status = Literal["pass", "fail", "missing", "skipped", "inconclusive", "error"]

#: Outcomes per kind of decision.
PROMOTION_OUTCOMES = ("allow", "block")
ANALYSIS_OUTCOMES = ("pass", "fail", "inconclusive")
CANARY_OUTCOMES = ("continue", "promote", "rollback", "inconclusive")


@dataclass(frozen=True)
class Series:
    """One metric's values over time for the Markdown chart: ``(unix_seconds, value)`` pairs."""

    label: str
    points: tuple[tuple[float, float | None], ...]


@dataclass(frozen=True)
class Requirement:
    """One evaluated rule: a validation, criterion, approval, gate metric, drift finding...

    :param name: what was evaluated, e.g. ``validation unit-tests`` or ``criterion coverage >= 80``.
    :param status: ``pass``, ``fail``, ``missing`` (no evidence), ``skipped``, ``inconclusive``
        or ``error`` (the source could not be read).
    :param observed: what was seen, as a short string (``"79.99"``), or ``None``.
    :param expected: what was required (``">= 80"``), or ``None``.
    :param reason: one sentence saying why the status is what it is.
    :param details: structured extras for JSON (the query, the judge's statistic...).
    :param series: chart data for analyses; empty elsewhere.
    :param location: ``(line, column)`` in the policy file this requirement comes from, if known.
    """

    name: str
    status: Status
    reason: str
    observed: str | None = None
    expected: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    series: tuple[Series, ...] = ()
    location: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "skipped")


@dataclass(frozen=True)
class Subject:
    """What a decision is about."""

    environment: str | None = None
    sha: str | None = None
    version: str | None = None
    digest: str | None = None
    gate: str | None = None


@dataclass(frozen=True)
class Decision:
    """The result of a deciding command.

    :param kind: ``promotion``, ``analysis``, ``canary``, ``watch``, ``drift``, ``drill``, ``check``.
    :param outcome: one of the outcomes of that kind (``allow``/``block``, ``pass``/``fail``/
        ``inconclusive``, ``continue``/``promote``/``rollback``), or ``error`` when the provider
        or the platform failed and nothing was decided (see ``releasegate.outcomes``).
    :param reason: the decision in one sentence.
    :param policy_sha256: hash of the policy file the decision was made under.
    :param break_glass: the reason given with ``--break-glass``, shown loudly by every renderer.
    :param outputs: short named values adapters publish (``next-weight``, ``rollback-to``...).
    """

    kind: str
    outcome: str
    reason: str
    subject: Subject
    time: datetime
    requirements: tuple[Requirement, ...] = ()
    policy_sha256: str | None = None
    policy_path: str | None = None
    break_glass: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)

    def with_outputs(self, **values: str) -> Decision:
        return replace(self, outputs={**self.outputs, **values})

    @property
    def exit_code(self) -> int:
        """The process exit code for this decision (see ``releasegate.errors``)."""
        from releasegate.outcomes import exit_code

        return exit_code(self.outcome)

    @property
    def good(self) -> bool:
        """Whether the outcome lets the release go on (see ``releasegate.outcomes``)."""
        from releasegate.outcomes import is_good

        return is_good(self.outcome)
