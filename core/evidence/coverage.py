"""Coverage reader: Cobertura XML, coverage.py JSON, LCOV, JaCoCo XML, Istanbul summary (I/O).

The format is detected from the content. Line coverage becomes the
``coverage`` fact in percent, branch coverage ``coverage.branch`` when the
report measured branches. Several files are added up by their line and
branch counts, never by averaging percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from releasegate.errors import EvidenceError
from releasegate.evidence.files import load_json, load_text, load_xml, local
from releasegate.evidence.model import Evidence

__all__ = ["CoverageReader", "Counts"]

_FORMATS = "Cobertura XML, coverage.py JSON, LCOV, JaCoCo XML or an Istanbul coverage-summary.json"


@dataclass(frozen=True)
class Counts:
    """Covered and total lines and branches of one report."""

    lines_covered: int
    lines_total: int
    branches_covered: int = 0
    branches_total: int = 0
    format: str = ""


class CoverageReader:
    """Reads coverage reports into ``coverage`` and ``coverage.branch`` facts."""

    name = "coverage"

    def read(self, paths: Sequence[Path]) -> Evidence:
        """Read and add up every report in ``paths``.

        :raises EvidenceError: when a file is in none of the known formats or has no lines.
        """
        counts = [read_counts(path) for path in paths]
        covered = sum(c.lines_covered for c in counts)
        total = sum(c.lines_total for c in counts)
        if total == 0:
            raise EvidenceError(
                f"{', '.join(map(str, paths))}: the coverage report measured no lines; "
                f"check that coverage ran over the code"
            )
        facts = {
            "coverage": 100.0 * covered / total,
            "coverage.lines.covered": float(covered),
            "coverage.lines.total": float(total),
        }
        summary = f"{facts['coverage']:.2f}% of {total} lines"
        branches_total = sum(c.branches_total for c in counts)
        if branches_total:
            branches_covered = sum(c.branches_covered for c in counts)
            facts["coverage.branch"] = 100.0 * branches_covered / branches_total
            facts["coverage.branches.covered"] = float(branches_covered)
            facts["coverage.branches.total"] = float(branches_total)
            summary += f", {facts['coverage.branch']:.2f}% of {branches_total} branches"
        formats = sorted({c.format for c in counts})
        return Evidence(
            kind=self.name,
            facts=facts,
            files=tuple(str(p) for p in paths),
            summary=f"{summary} ({', '.join(formats)})",
        )


def read_counts(path: Path) -> Counts:
    """Detect the format of ``path`` and read its totals."""
    head = load_text(path).lstrip()[:200]
    if head.startswith("{"):
        return _json_counts(path, load_json(path, _FORMATS))
    if head.startswith("<"):
        root = load_xml(path, "coverage")
        if local(root.tag) == "coverage":
            return _cobertura(path, root)
        if local(root.tag) == "report":
            return _jacoco(path, root)
        raise EvidenceError(
            f"{path}: root element <{local(root.tag)}> is not a coverage report; "
            f"expected {_FORMATS}"
        )
    return _lcov(path, load_text(path))


def _int(path: Path, value: Any, what: str) -> int:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        raise EvidenceError(f"{path}: {what} is {value!r}, expected a number") from None
    if number < 0:
        raise EvidenceError(f"{path}: {what} is negative ({number})")
    return number


def _json_counts(path: Path, data: Any) -> Counts:
    if isinstance(data, dict) and isinstance(data.get("totals"), dict):
        totals = data["totals"]
        if "num_statements" not in totals or "covered_lines" not in totals:
            raise EvidenceError(f"{path}: coverage.py JSON without totals.num_statements")
        return Counts(
            lines_covered=_int(path, totals["covered_lines"], "totals.covered_lines"),
            lines_total=_int(path, totals["num_statements"], "totals.num_statements"),
            branches_covered=_int(path, totals.get("covered_branches", 0), "totals.covered_branches"),
            branches_total=_int(path, totals.get("num_branches", 0), "totals.num_branches"),
            format="coverage.py JSON",
        )
    if isinstance(data, dict) and isinstance(data.get("total"), dict):
        lines = data["total"].get("lines") or {}
        branches = data["total"].get("branches") or {}
        return Counts(
            lines_covered=_int(path, lines.get("covered"), "total.lines.covered"),
            lines_total=_int(path, lines.get("total"), "total.lines.total"),
            branches_covered=_int(path, branches.get("covered", 0), "total.branches.covered"),
            branches_total=_int(path, branches.get("total", 0), "total.branches.total"),
            format="Istanbul summary",
        )
    raise EvidenceError(f"{path}: JSON without 'totals' or 'total'; expected {_FORMATS}")


def _cobertura(path: Path, root: ElementTree.Element) -> Counts:
    if root.get("lines-valid") is not None and root.get("lines-covered") is not None:
        lines_total = _int(path, root.get("lines-valid"), "lines-valid")
        lines_covered = _int(path, root.get("lines-covered"), "lines-covered")
    else:
        # Old Cobertura writers give only rates: count the <line> elements instead.
        seen: dict[tuple[str, str], bool] = {}
        for cls in root.iter("class"):
            for line in cls.iter("line"):
                key = (cls.get("filename", ""), line.get("number", ""))
                seen[key] = seen.get(key, False) or _int(path, line.get("hits", 0), "hits") > 0
        lines_total, lines_covered = len(seen), sum(seen.values())
    branches_total = _int(path, root.get("branches-valid", 0), "branches-valid")
    branches_covered = _int(path, root.get("branches-covered", 0), "branches-covered")
    return Counts(lines_covered, lines_total, branches_covered, branches_total, "Cobertura")


def _jacoco(path: Path, root: ElementTree.Element) -> Counts:
    # The report's own <counter> children are the totals; nested ones belong to packages.
    counters = {c.get("type"): c for c in root if local(c.tag) == "counter"}
    if "LINE" not in counters:
        raise EvidenceError(f"{path}: JaCoCo report without a LINE counter at the top level")

    def pair(kind: str) -> tuple[int, int]:
        counter = counters.get(kind)
        if counter is None:
            return 0, 0
        covered = _int(path, counter.get("covered"), f"{kind} covered")
        missed = _int(path, counter.get("missed"), f"{kind} missed")
        return covered, covered + missed

    lines_covered, lines_total = pair("LINE")
    branches_covered, branches_total = pair("BRANCH")
    return Counts(lines_covered, lines_total, branches_covered, branches_total, "JaCoCo")


def _lcov(path: Path, text: str) -> Counts:
    found = hit = branches_found = branches_hit = 0
    records = 0
    data_lines: dict[tuple[str, str], bool] = {}
    has_summary = False
    current = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, _, value = line.partition(":")
        if key == "SF":
            current = value
            records += 1
        elif key == "LF":
            found += _int(path, value, f"line {number} LF")
            has_summary = True
        elif key == "LH":
            hit += _int(path, value, f"line {number} LH")
        elif key == "BRF":
            branches_found += _int(path, value, f"line {number} BRF")
        elif key == "BRH":
            branches_hit += _int(path, value, f"line {number} BRH")
        elif key == "DA":
            parts = value.split(",")
            if len(parts) < 2:
                raise EvidenceError(f"{path}:{number}: DA needs LINE,HITS, got {value!r}")
            covered = _int(path, parts[1], f"line {number} DA hits") > 0
            data_lines[(current, parts[0])] = data_lines.get((current, parts[0]), False) or covered
        elif key not in ("TN", "FN", "FNDA", "FNF", "FNH", "BRDA", "VER", "FNL", "FNA", "end_of_record"):
            raise EvidenceError(
                f"{path}:{number}: {line[:40]!r} is not LCOV; expected {_FORMATS}"
            )
    if not records:
        raise EvidenceError(f"{path}: no SF: records; expected {_FORMATS}")
    if not has_summary:
        found, hit = len(data_lines), sum(data_lines.values())
    return Counts(hit, found, branches_hit, branches_found, "LCOV")
