"""Coverage reader: Cobertura XML, coverage.py JSON, LCOV, JaCoCo XML, Istanbul summary (I/O).

The format is detected from the content. Line coverage becomes the
``coverage`` fact in percent, branch coverage ``coverage.branch`` when the
report measured branches. Several files are added up by their line and
branch counts, never by averaging percentages. A report whose covered count
exceeds its total, or whose percentage falls outside 0..100, is refused.
XML reports are streamed: a Cobertura report with root totals is read no
further than its root element (the rest is only checked to be well-formed);
JaCoCo's totals are its root's ``<counter>`` children, read without building
a tree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasegate.errors import EvidenceError
from releasegate.evidence.files import (
    XmlEvents,
    load_json,
    load_text,
    read_head,
    stream_xml,
)
from releasegate.evidence.model import Evidence

__all__ = ["CoverageReader", "Counts"]

#: Largest count accepted in a report; beyond it a report is corrupt, not a project.
_MAX_COUNT = 1e12
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
        for path, count in zip(paths, counts, strict=True):
            _consistent(path, count)
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
    head = read_head(path)
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_head.startswith(b"{"):
        return _json_counts(path, load_json(path, _FORMATS))
    if text_head.startswith(b"<") or head.startswith(
        (b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")
    ):
        return _xml_counts(path)
    return _lcov(path, load_text(path))


def _consistent(path: Path, counts: Counts) -> None:
    for what, covered, total in (
        ("lines", counts.lines_covered, counts.lines_total),
        ("branches", counts.branches_covered, counts.branches_total),
    ):
        if covered > total:
            raise EvidenceError(
                f"{path}: {covered} {what} covered out of {total}: more covered than "
                f"exist; the report is corrupt"
            )


def _int(path: Path, value: Any, what: str) -> int:
    """A non-negative whole count; reports write them as integers (or ``12.0``)."""
    if isinstance(value, bool):
        raise EvidenceError(f"{path}: {what} is not a number")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii():
            raise EvidenceError(f"{path}: {what} is not a number")
        value = text
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise EvidenceError(f"{path}: {what} is not a number") from None
    if not math.isfinite(number) or number != int(number) or abs(number) > _MAX_COUNT:
        raise EvidenceError(f"{path}: {what} is not a whole number of at most {_MAX_COUNT:g}")
    if number < 0:
        raise EvidenceError(f"{path}: {what} is negative")
    return int(number)


def _percent(path: Path, value: Any, what: str) -> None:
    """Refuse a stated percentage outside 0..100 (the counts decide; a bad rate means a bad report)."""
    if value is None or isinstance(value, bool):
        return
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise EvidenceError(f"{path}: {what} is not a number") from None
    if not 0 <= number <= 100:
        raise EvidenceError(f"{path}: {what} is outside 0..100; the report is corrupt")


def _json_counts(path: Path, data: Any) -> Counts:
    if isinstance(data, dict) and isinstance(data.get("totals"), dict):
        totals = data["totals"]
        if "num_statements" not in totals or "covered_lines" not in totals:
            raise EvidenceError(f"{path}: coverage.py JSON without totals.num_statements")
        _percent(path, totals.get("percent_covered"), "totals.percent_covered")
        return Counts(
            lines_covered=_int(path, totals["covered_lines"], "totals.covered_lines"),
            lines_total=_int(path, totals["num_statements"], "totals.num_statements"),
            branches_covered=_int(
                path, totals.get("covered_branches", 0), "totals.covered_branches"
            ),
            branches_total=_int(path, totals.get("num_branches", 0), "totals.num_branches"),
            format="coverage.py JSON",
        )
    if isinstance(data, dict) and isinstance(data.get("total"), dict):
        lines = data["total"].get("lines")
        branches = data["total"].get("branches") or {}
        if not isinstance(lines, dict) or not isinstance(branches, dict):
            raise EvidenceError(
                f"{path}: Istanbul summary without total.lines and total.branches objects"
            )
        _percent(path, lines.get("pct"), "total.lines.pct")
        _percent(path, branches.get("pct"), "total.branches.pct")
        return Counts(
            lines_covered=_int(path, lines.get("covered"), "total.lines.covered"),
            lines_total=_int(path, lines.get("total"), "total.lines.total"),
            branches_covered=_int(path, branches.get("covered", 0), "total.branches.covered"),
            branches_total=_int(path, branches.get("total", 0), "total.branches.total"),
            format="Istanbul summary",
        )
    raise EvidenceError(f"{path}: JSON without 'totals' or 'total'; expected {_FORMATS}")


class _CoverageXml(XmlEvents):
    """Streams a Cobertura or JaCoCo report; stops after the root when it holds the totals."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = ""
        self.root: dict[str, str] = {}
        self.counters: dict[str, tuple[int, int]] = {}
        self.filename = ""
        self.seen: dict[tuple[str, str], bool] = {}

    def start(self, tag: str, attributes: dict[str, str], depth: int) -> None:
        if depth == 1:
            if tag == "coverage":
                self.format = "Cobertura"
                self.root = attributes
                _percent(self.path, _rate(attributes.get("line-rate")), "line-rate")
                _percent(self.path, _rate(attributes.get("branch-rate")), "branch-rate")
                # coverage.py and Cobertura write the totals on the root: the rest is detail.
                self.done = "lines-valid" in attributes and "lines-covered" in attributes
            elif tag == "report":
                self.format = "JaCoCo"
            else:
                raise EvidenceError(
                    f"{self.path}: the root element is not <coverage> (Cobertura) or "
                    f"<report> (JaCoCo); expected {_FORMATS}"
                )
        elif self.format == "JaCoCo" and depth == 2 and tag == "counter":
            # The report's own <counter> children are the totals; nested ones belong to packages.
            kind = attributes.get("type", "")
            if kind in ("LINE", "BRANCH") and kind in self.counters:
                # JaCoCo writes one total per type; with two, which one counts is anyone's guess.
                raise EvidenceError(
                    f"{self.path}: two top-level {kind} counters; JaCoCo writes one "
                    f"total per counter type, so the report is corrupt"
                )
            covered = _int(self.path, attributes.get("covered"), f"{kind} covered")
            missed = _int(self.path, attributes.get("missed"), f"{kind} missed")
            self.counters[kind] = (covered, covered + missed)
        elif self.format == "Cobertura" and tag == "class":
            self.filename = attributes.get("filename", "")
        elif self.format == "Cobertura" and tag == "line" and self.filename is not None:
            # Old Cobertura writers give only rates: count the <line> elements instead.
            key = (self.filename, attributes.get("number", ""))
            hits = _int(self.path, attributes.get("hits", 0), "hits")
            self.seen[key] = self.seen.get(key, False) or hits > 0

    def counts(self) -> Counts:
        path, root = self.path, self.root
        if self.format == "JaCoCo":
            if "LINE" not in self.counters:
                raise EvidenceError(
                    f"{path}: JaCoCo report without a LINE counter at the top level"
                )
            lines_covered, lines_total = self.counters["LINE"]
            branches_covered, branches_total = self.counters.get("BRANCH", (0, 0))
            return Counts(lines_covered, lines_total, branches_covered, branches_total, "JaCoCo")
        if "lines-valid" in root and "lines-covered" in root:
            lines_total = _int(path, root["lines-valid"], "lines-valid")
            lines_covered = _int(path, root["lines-covered"], "lines-covered")
        else:
            lines_total, lines_covered = len(self.seen), sum(self.seen.values())
        branches_total = _int(path, root.get("branches-valid", 0), "branches-valid")
        branches_covered = _int(path, root.get("branches-covered", 0), "branches-covered")
        return Counts(lines_covered, lines_total, branches_covered, branches_total, "Cobertura")


def _rate(value: str | None) -> float | None:
    """A Cobertura rate (0..1) as a percentage, ``None`` when absent or not a number."""
    try:
        return None if value is None else 100.0 * float(value)
    except ValueError:
        return None


def _xml_counts(path: Path) -> Counts:
    events = _CoverageXml(path)
    stream_xml(path, "coverage", events)
    return events.counts()


_LCOV_IGNORED = ("TN", "FN", "FNDA", "FNF", "FNH", "BRDA", "VER", "FNL", "FNA")


def _lcov(path: Path, text: str) -> Counts:
    """Sum LCOV records; a record without ``LF``/``LH`` counts its ``DA`` lines instead."""
    found = hit = branches_found = branches_hit = 0
    records = 0
    record: dict[str, int] = {}
    data_lines: dict[str, bool] = {}

    def close(number: int) -> None:
        nonlocal found, hit
        if "LF" in record or "LH" in record:
            if "LF" not in record or "LH" not in record:
                raise EvidenceError(f"{path}:{number}: an LCOV record has only one of LF and LH")
            if record["LH"] > record["LF"]:
                raise EvidenceError(f"{path}:{number}: LH is larger than LF; the report is corrupt")
            found += record["LF"]
            hit += record["LH"]
        else:
            found += len(data_lines)
            hit += sum(data_lines.values())
        record.clear()
        data_lines.clear()

    open_record = False
    number = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, _, value = line.partition(":")
        if key == "SF":
            if open_record:
                close(number)
            open_record = True
            records += 1
        elif key == "end_of_record":
            if open_record:
                close(number)
            open_record = False
        elif key in ("LF", "LH"):
            record[key] = _int(path, value, f"line {number} {key}")
        elif key == "BRF":
            branches_found += _int(path, value, f"line {number} BRF")
        elif key == "BRH":
            branches_hit += _int(path, value, f"line {number} BRH")
        elif key == "DA":
            parts = value.split(",")
            if len(parts) < 2:
                raise EvidenceError(f"{path}:{number}: DA needs LINE,HITS")
            covered = _int(path, parts[1], f"line {number} DA hits") > 0
            data_lines[parts[0]] = data_lines.get(parts[0], False) or covered
        elif key not in _LCOV_IGNORED:
            raise EvidenceError(f"{path}:{number}: not an LCOV line; expected {_FORMATS}")
    if open_record:
        close(number)
    if not records:
        raise EvidenceError(f"{path}: no SF: records; expected {_FORMATS}")
    return Counts(hit, found, branches_hit, branches_found, "LCOV")
