"""The suite keeps its own rules: it never skips, every peer mark names a real peer, and it runs
the CLI only through its two runners.

A missing peer fails the test that needs it (``tests/peers/locate.py`` names the install
step); a skip would turn "not tested" into a green run. ``peer(NAME)`` marks come from the
fixtures a test uses (``tests/conftest.py``); a mark written by hand with a misspelt name
would never be selected by ``--peer NAME``. A test runs the ``releasegate`` CLI with ``invoke``
or ``run_cli`` (``tests/peers/cli.py``), never with a call of ``releasegate.cli.main`` or a
process of the console script of its own, so that each way is built once: capture, environment,
failure on a traceback.
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


#: Where the two CLI runners live: the only place that calls ``releasegate.cli.main`` or starts
#: the console script.
RUNNERS = TESTS / "peers"
#: The CLI's entry points: ``main`` and ``run``, the console script's.
_ENTRY_POINTS = {"main", "run"}
#: Names of the CLI's package and module after ``python -m``.
_CLI_NAMES = {"releasegate", "releasegate.cli"}
#: Test modules that start the CLI themselves, and why neither runner does it for them.
RUNS_ITS_OWN = {
    "test_packaging.py": "runs `python -m releasegate` from the wheel it built and installed "
    "apart, not the console script of the venv",
}


def _constant(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _is_bin_dir(node: ast.AST) -> bool:
    """``VENV_BIN``, ``venv_bin`` or ``Path(sys.executable).parent``: where console scripts are."""
    if _dotted(node).upper().endswith("BIN"):
        return True
    return any(_dotted(inner) == "sys.executable" for inner in ast.walk(node))


def cli_runs(tree: ast.Module) -> list[tuple[int, str]]:
    """Where a module runs the CLI itself: ``(line, what)`` for each import or call of
    ``releasegate.cli.main``/``run`` and each way of starting the console script (its path from
    ``with_name``, ``VENV_BIN /``, ``shutil.which`` or a ``require_bin`` whose value is kept, an
    argv starting with ``releasegate``, ``-m releasegate``). The adapters' entry points are
    other programs and are not found; a bare ``require_bin("releasegate", ...)`` only checks
    that a harness will find it installed."""
    found: list[tuple[int, str]] = []
    modules = {"releasegate.cli"}  # the names the module binds to releasegate.cli
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "releasegate.cli":
            found += [
                (node.lineno, f"from releasegate.cli import {alias.name}")
                for alias in node.names
                if alias.name in _ENTRY_POINTS
            ]
        elif isinstance(node, ast.ImportFrom) and node.module == "releasegate":
            modules |= {alias.asname or "cli" for alias in node.names if alias.name == "cli"}
        elif isinstance(node, ast.Import):
            modules |= {
                alias.asname
                for alias in node.names
                if alias.name == "releasegate.cli" and alias.asname
            }
    checked_only = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _ENTRY_POINTS:
            value = node.value
            is_import = (
                isinstance(value, ast.Call)
                and _dotted(value.func).endswith("import_module")
                and _constant(value.args[0] if value.args else None) == "releasegate.cli"
            )
            if _dotted(value) in modules or is_import:
                found.append((node.lineno, f"releasegate.cli.{node.attr}"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if _constant(node.right) == "releasegate" and _is_bin_dir(node.left):
                found.append((node.lineno, f'{_dotted(node.left) or "..."} / "releasegate"'))
        elif isinstance(node, ast.Call):
            name = _dotted(node.func).rsplit(".", 1)[-1]
            first = node.args[0] if node.args else None
            if name in ("with_name", "which") and _constant(first) == "releasegate":
                found.append((node.lineno, f'{name}("releasegate")'))
            elif name == "require_bin" and _constant(first) == "releasegate":
                if id(node) not in checked_only:
                    found.append((node.lineno, 'the path of require_bin("releasegate")'))
            elif isinstance(first, (ast.List, ast.Tuple)):
                argv = [_constant(item) for item in first.elts]
                if argv[:1] == ["releasegate"] or any(
                    a == "-m" and b in _CLI_NAMES for a, b in zip(argv, argv[1:], strict=False)
                ):
                    found.append((node.lineno, "an argv that starts the console script"))
    return sorted(found)


def test_the_cli_is_run_only_through_the_two_runners() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{line}: {what}"
        for path, tree in _trees()
        if RUNNERS not in path.parents and str(path.relative_to(TESTS)) not in RUNS_ITS_OWN
        for line, what in cli_runs(tree)
    ]
    assert found == [], "run the CLI with invoke or run_cli (tests/peers/cli.py)"
    for name in RUNS_ITS_OWN:  # an exception that no longer applies goes
        assert cli_runs(ast.parse((TESTS / name).read_text(encoding="utf-8"))), name


@pytest.mark.parametrize(
    "source",
    [
        "from releasegate.cli import main",
        "from releasegate.cli import main as releasegate",
        "from releasegate.cli import run",
        "import releasegate.cli\nreleasegate.cli.main([])",
        "import releasegate.cli as cli\ncli.main([])",
        "from releasegate import cli\ncli.main([])",
        "importlib.import_module('releasegate.cli').main([])",
        "exe = Path(sys.executable).with_name('releasegate')",
        "exe = VENV_BIN / 'releasegate'",
        "exe = Path(sys.executable).parent / 'releasegate'",
        "exe = shutil.which('releasegate')",
        "exe = require_bin('releasegate', 'venv', where=VENV_BIN)",
        "subprocess.run(['releasegate', 'check'])",
        "subprocess.Popen((sys.executable, '-m', 'releasegate', 'check'))",
        "subprocess.run([sys.executable, '-m', 'releasegate.cli'])",
    ],
)
def test_the_runner_rule_finds_each_way_of_running_the_cli(source: str) -> None:
    assert len(cli_runs(ast.parse(source))) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        "from releasegate.cli import COMMANDS, build_parser",
        "from releasegate.cli import promote\npromote.POLL_SECONDS",
        "from releasegate.adapters.github_actions.launch import main\nmain(env=env)",
        "from releasegate.adapters.gitlab.job import main\nmain([], env)",
        "from releasegate.adapters.github_actions import launch\nlaunch.main(env=env)",
        "subprocess.run([sys.executable, '-m', 'releasegate.adapters.tekton'])",
        "require_bin('releasegate', 'venv: pip install -e .', where=VENV_BIN)",
        "_inside(built, 'releasegate', '--version')",
        "package = top / 'releasegate'",
        "assert config['Entrypoint'] == ['releasegate']",
        "code, out, err = invoke('check'); run_cli('check').code",
    ],
)
def test_the_runner_rule_leaves_other_programs_alone(source: str) -> None:
    assert cli_runs(ast.parse(source)) == [], source
