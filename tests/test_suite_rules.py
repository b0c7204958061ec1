"""The suite keeps its own rules: it never skips, and every peer mark names a real peer.

A missing peer fails the test that needs it (``tests/peers/locate.py`` names the install
step); a skip would turn "not tested" into a green run. ``peer(NAME)`` marks come from the
fixtures a test uses (``tests/conftest.py``); a mark written by hand with a misspelt name
would never be selected by ``--peer NAME``.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# The suite's own conftest by path: ``conftest`` by name may be a subdirectory's.
_spec = importlib.util.spec_from_file_location("releasegate_suite_conftest", TESTS / "conftest.py")
assert _spec and _spec.loader
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
PEER_FIXTURES: dict[str, str] = _conftest.PEER_FIXTURES
SOURCES = sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in SOURCES]


def test_no_test_skips() -> None:
    skips = {"pytest.skip", "pytest.importorskip", "pytest.mark.skip", "pytest.mark.skipif"}
    found = [
        f"{path.relative_to(TESTS)}:{node.lineno}: {_dotted(node)}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _dotted(node) in skips
    ]
    assert found == []


def test_every_peer_mark_names_a_known_peer() -> None:
    known = set(PEER_FIXTURES.values())
    marks = [
        (path, node)
        for path, tree in _trees()
        if path.name != "conftest.py" or path.parent != TESTS
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _dotted(node.func) == "pytest.mark.peer"
    ]
    assert marks, "no hand-written peer marks found: has the mark been renamed?"
    wrong = [
        f"{path.relative_to(TESTS)}:{node.lineno}"
        for path, node in marks
        if not (
            len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in known
        )
    ]
    assert wrong == []


@pytest.mark.parametrize("fixture", sorted(PEER_FIXTURES))
def test_every_peer_fixture_exists(fixture: str, request: pytest.FixtureRequest) -> None:
    """A renamed fixture would silently stop marking the tests that use it."""
    assert request.session._fixturemanager.getfixturedefs(fixture, request.node), fixture
