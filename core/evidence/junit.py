"""JUnit XML reader: pytest, Maven Surefire, jest-junit, go-junit-report (I/O).

Counts ``<testcase>`` elements wherever they are (``<testsuites>`` or a bare
``<testsuite>`` root, nested suites too) rather than trusting suite
attributes, which some tools leave out. A test case with a ``<failure>`` is
failed, with an ``<error>`` is an error, with ``<skipped>`` is skipped;
Surefire's ``<flakyFailure>`` and ``<rerunFailure>`` on a passing case do not
fail it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from releasegate.errors import EvidenceError
from releasegate.evidence.files import load_xml, local
from releasegate.evidence.model import Evidence

__all__ = ["JUnitReader"]

#: ``<property>`` names some runners use to record the commit under test.
_COMMIT_PROPERTIES = ("commit", "git.commit", "git_commit", "vcs.revision", "revision", "sha")


class JUnitReader:
    """Reads JUnit XML test reports into ``tests.*`` facts."""

    name = "junit"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every report in ``paths``.

        :raises EvidenceError: when a file is not JUnit XML.
        """
        counts = {"total": 0, "failed": 0, "errors": 0, "skipped": 0}
        commits: list[str] = []
        for path in paths:
            root = load_xml(path, "JUnit XML")
            if local(root.tag) not in ("testsuites", "testsuite"):
                raise EvidenceError(
                    f"{path}: root element is <{local(root.tag)}>, expected <testsuites> or "
                    f"<testsuite>; is this a JUnit XML report?"
                )
            for case in root.iter():
                if local(case.tag) != "testcase":
                    continue
                children = {local(child.tag) for child in case}
                counts["total"] += 1
                if "failure" in children:
                    counts["failed"] += 1
                elif "error" in children:
                    counts["errors"] += 1
                elif "skipped" in children:
                    counts["skipped"] += 1
            for prop in root.iter():
                if local(prop.tag) == "property" and prop.get("name", "").lower() in _COMMIT_PROPERTIES:
                    value = (prop.get("value") or prop.text or "").strip()
                    if value and value not in commits:
                        commits.append(value)
        run = counts["total"] - counts["skipped"]
        facts = {f"tests.{key}": float(value) for key, value in counts.items()}
        facts["tests.run"] = float(run)
        facts["tests.passed"] = float(run - counts["failed"] - counts["errors"])
        summary = (
            f"{counts['total']} tests, {counts['failed']} failed, {counts['errors']} errors, "
            f"{counts['skipped']} skipped"
        )
        return Evidence(
            kind=self.name,
            facts=facts,
            files=tuple(str(p) for p in paths),
            commits=tuple(commits),
            summary=summary,
        )
