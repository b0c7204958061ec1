"""Readers against reports made by the real tools: pytest's JUnit XML and coverage.py's XML and JSON."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from releasegate.evidence import CoverageReader, JUnitReader

PROJECT = {
    "calc.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def div(a, b):\n    if b == 0:\n        raise ZeroDivisionError('b')\n    return a / b\n\n\n"
        "def unused(x):\n    if x:\n        return 1\n    return 2\n"
    ),
    "test_calc.py": (
        "import pytest\nfrom calc import add, div\n\n\n"
        "def test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_div():\n    assert div(4, 2) == 2\n\n\n"
        "def test_wrong():\n    assert add(1, 1) == 3\n\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_later():\n    pass\n\n\n"
        "@pytest.fixture\ndef broken():\n    raise RuntimeError('fixture')\n\n\n"
        "def test_error(broken):\n    pass\n"
    ),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name, text in PROJECT.items():
        (root / name).write_text(text)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:releasegate\n")
    run = [
        sys.executable,
        "-m",
        "coverage",
        "run",
        "--branch",
        "--source=.",
        "--omit=test_*",
        "-m",
        "pytest",
        "-q",
        "--junitxml=junit.xml",
    ]
    subprocess.run(run, cwd=root, capture_output=True, check=False, timeout=120)
    subprocess.run(
        [sys.executable, "-m", "coverage", "xml", "-o", "coverage.xml"],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-o", "coverage.json"],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return root


def test_pytest_junit_counts(reports: Path) -> None:
    evidence = JUnitReader().read([reports / "junit.xml"])
    assert evidence.facts["tests.total"] == 5
    assert evidence.facts["tests.failed"] == 1
    assert evidence.facts["tests.errors"] == 1
    assert evidence.facts["tests.skipped"] == 1
    assert evidence.facts["tests.passed"] == 2
    assert evidence.summary == "5 tests, 1 failed, 1 errors, 1 skipped"


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.json"])
def test_coverage_py_reports_agree(reports: Path, name: str) -> None:
    evidence = CoverageReader().read([reports / name])
    # calc.py: 10 statements, 6 run (unused() is never called and div's raise never taken).
    assert evidence.facts["coverage.lines.total"] == 10
    assert evidence.facts["coverage"] == pytest.approx(60.0)
    assert evidence.facts["coverage.branch"] == pytest.approx(25.0)


def test_both_coverage_reports_add_up_by_counts(reports: Path) -> None:
    evidence = CoverageReader().read([reports / "coverage.xml", reports / "coverage.json"])
    assert evidence.facts["coverage.lines.total"] == 20
    assert evidence.facts["coverage"] == pytest.approx(60.0)
