"""The decision core stays pure: its modules import no I/O, no plugin machinery, no adapters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "core"

#: Pure modules: they take values (a policy, evidence, series, a ``now``) and return decisions.
PURE = [
    "model.py", "records.py", "durations.py", "criteria.py", "windows.py", "rollout/canary.py",
    "rollout/verdict.py",
    "analysis", "promotion", "drift", "render", "policy/model.py", "policy/build.py",
    "policy/validate.py", "yamlread.py", "outcomes.py", "instants.py",
    "cache/ecosystems.py", "cache/keys.py", "cache/plan.py", "cache/trust.py", "cache/tools.py",
    "cache/render_ci.py", "cache/render_tools.py",
]
#: Value types that live beside I/O code but are plain data.
ALLOWED = {"releasegate.evidence.model"}
#: What a pure module may not import.
FORBIDDEN = {
    "os", "subprocess", "socket", "sqlite3", "requests", "urllib", "http", "shutil", "time",
    "pluggy", "github", "gitlab", "threading", "concurrent",
    "releasegate.ledger", "releasegate.platform", "releasegate.plugins", "releasegate.providers",
    "releasegate.cli", "releasegate.adapters", "releasegate.collect", "releasegate.runner",
    "releasegate.rollout.collect", "releasegate.rollout.runner", "releasegate.rollout.routers",
    "releasegate.rollout.rollback", "releasegate.rollout.drill",
    "releasegate.evidence", "releasegate.configfiles", "releasegate.cache.scan",
}


def _modules() -> list[Path]:
    found = []
    for entry in PURE:
        path = CORE / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_pure_modules_do_no_io(path: Path) -> None:
    bad = sorted(name for name in _imports(path) - ALLOWED
                 if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert bad == []


def test_nothing_imports_the_top_level_directories_by_their_own_names() -> None:
    offenders = [str(p.relative_to(CORE.parent)) for p in CORE.parent.joinpath("core").rglob("*.py")
                 if {n.split(".")[0] for n in _imports(p)} & {"core", "adapters"}]
    offenders += [str(p.relative_to(CORE.parent)) for p in CORE.parent.joinpath("adapters").rglob("*.py")
                  if {n.split(".")[0] for n in _imports(p)} & {"core", "adapters"}]
    assert offenders == []


def test_the_core_never_imports_an_adapter() -> None:
    offenders = [str(p.relative_to(CORE)) for p in CORE.rglob("*.py")
                 if any(n.startswith("releasegate.adapters") for n in _imports(p))]
    assert offenders == []
