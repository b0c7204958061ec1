"""JUnit XML reader: pytest, Maven Surefire, jest-junit, go-junit-report (I/O).

Counts ``<testcase>`` elements wherever they are (``<testsuites>`` or a bare
``<testsuite>`` root, nested suites too) rather than trusting suite
attributes, which some tools leave out. A test case with a ``<failure>`` is
failed, with an ``<error>`` is an error, with ``<skipped>`` is skipped;
Surefire's ``<flakyFailure>`` and ``<rerunFailure>`` on a passing case do not
fail it. Failures and errors a suite reports only at its own level (its
``failures``/``errors`` attributes, or a ``<failure>``/``<error>`` directly
inside it, as setup errors are written) count too: a suite counts the larger
of what it says and what its cases show. The file is streamed, never held as
a tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from releasegate.errors import EvidenceError
from releasegate.evidence.files import XmlEvents, stream_xml
from releasegate.evidence.model import Evidence

__all__ = ["JUnitReader"]

#: ``<property>`` names some runners use to record the commit under test.
_COMMIT_PROPERTIES = ("commit", "git.commit", "git_commit", "vcs.revision", "revision", "sha")
_SUITES = ("testsuites", "testsuite")


@dataclass
class _Suite:
    said_failed: int
    said_errors: int
    failed: int = 0
    errors: int = 0


@dataclass
class _Counts(XmlEvents):
    path: Path
    total: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    commits: list[str] = field(default_factory=list)
    suites: list[_Suite] = field(default_factory=list)
    case: set[str] | None = None
    case_depth: int = 0
    property_text: list[str] | None = None

    def start(self, tag: str, attributes: dict[str, str], depth: int) -> None:
        if depth == 1 and tag not in _SUITES:
            raise EvidenceError(
                f"{self.path}: the root element is not <testsuites> or <testsuite>; "
                f"is this a JUnit XML report?"
            )
        if self.case is not None:
            if depth == self.case_depth + 1:
                self.case.add(tag)
        elif tag in _SUITES:
            self.suites.append(
                _Suite(self._count(attributes, "failures"), self._count(attributes, "errors"))
            )
        elif tag == "testcase":
            self.case, self.case_depth = set(), depth
        elif tag in ("failure", "error") and self.suites:
            # A failure or error outside any test case: the suite itself failed (setup, collection).
            if tag == "failure":
                self.suites[-1].failed += 1
            else:
                self.suites[-1].errors += 1
        if tag == "property" and attributes.get("name", "").lower() in _COMMIT_PROPERTIES:
            value = attributes.get("value", "").strip()
            self.property_text = None if value else []
            self._commit(value)

    def text(self, data: str) -> None:
        if self.property_text is not None:
            self.property_text.append(data)

    def end(self, tag: str, depth: int) -> None:
        if tag == "property" and self.property_text is not None:
            self._commit("".join(self.property_text).strip())
            self.property_text = None
        if self.case is not None and tag == "testcase" and depth == self.case_depth:
            self.total += 1
            suite = self.suites[-1] if self.suites else None
            if "failure" in self.case:
                if suite:
                    suite.failed += 1
                else:
                    self.failed += 1
            elif "error" in self.case:
                if suite:
                    suite.errors += 1
                else:
                    self.errors += 1
            elif "skipped" in self.case:
                self.skipped += 1
            self.case = None
        elif self.case is None and tag in _SUITES and self.suites:
            suite = self.suites.pop()
            failed, errors = (
                max(suite.failed, suite.said_failed),
                max(suite.errors, suite.said_errors),
            )
            if self.suites:
                self.suites[-1].failed += failed
                self.suites[-1].errors += errors
            else:
                self.failed += failed
                self.errors += errors

    def _commit(self, value: str) -> None:
        if value and value not in self.commits:
            self.commits.append(value)

    def _count(self, attributes: dict[str, str], name: str) -> int:
        text = attributes.get(name, "0").strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 12:
            raise EvidenceError(f"{self.path}: a suite's {name} attribute is not a whole number")
        return int(text)


class JUnitReader:
    """Reads JUnit XML test reports into ``tests.*`` facts."""

    name = "junit"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every report in ``paths``.

        :raises EvidenceError: when a file is not JUnit XML.
        """
        total = failed = errors = skipped = 0
        commits: list[str] = []
        for path in paths:
            counts = _Counts(path)
            stream_xml(path, "JUnit XML", counts, want_text=True)
            total += counts.total
            failed += counts.failed
            errors += counts.errors
            skipped += counts.skipped
            commits += [c for c in counts.commits if c not in commits]
        run = total - skipped
        facts = {
            "tests.total": float(total),
            "tests.failed": float(failed),
            "tests.errors": float(errors),
            "tests.skipped": float(skipped),
            "tests.run": float(run),
            "tests.passed": float(max(0, run - failed - errors)),
        }
        summary = f"{total} tests, {failed} failed, {errors} errors, {skipped} skipped"
        return Evidence(
            kind=self.name,
            facts=facts,
            files=tuple(str(p) for p in paths),
            commits=tuple(commits),
            summary=summary,
        )
