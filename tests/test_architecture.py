"""The import contract (pyproject's ``[tool.importlinter]``) holds, and it would catch a break.

The contract states the layers (adapters and entry points, the CLI, rollout and promotion, the
I/O edges, the plugin machinery, the pure core, the base modules) and that the pure core
imports no I/O. ``lint-imports`` checks it over the package laid out under its installed name
by ``scripts/typecheck.py``, the same run the pre-commit hook makes. The probes lay the package
out again in a temporary directory, give one module a forbidden import (in a private copy,
never the checkout's file) and require the contract that forbids it to break.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the declared minimum reads TOML with the backport
    import tomli as tomllib

_spec = importlib.util.spec_from_file_location("typecheck", ROOT / "scripts" / "typecheck.py")
assert _spec and _spec.loader
typecheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(typecheck)

CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
}
LAYERS, PURE = CONTRACTS["layers"], CONTRACTS["pure-core"]


def _verdicts(top: Path) -> dict[str, str]:
    """``{contract name: "KEPT" | "BROKEN"}`` from one ``lint-imports`` run over ``top``."""
    result = typecheck.lint_imports(top, capture=True)
    found = {}
    for line in result.stdout.splitlines():
        for name in CONTRACTS.values():
            for verdict in ("KEPT", "BROKEN"):
                if line.startswith(f"{name} {verdict}"):
                    found[name] = verdict
    assert set(found) == set(CONTRACTS.values()), result.stdout + result.stderr
    assert result.returncode == (1 if "BROKEN" in found.values() else 0), result.stdout
    return found


def _unlink_from_checkout(entry: Path) -> None:
    """Replace the layout's symlink ``entry`` (a top-level module or package) by a copy."""
    if entry.is_symlink():
        source = entry.resolve()
        entry.unlink()
        if source.is_dir():
            shutil.copytree(source, entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, entry)


def _private(top: Path, module: str) -> Path:
    """The file of ``module`` in ``top``, made a private copy first (the layout symlinks)."""
    parts = module.split(".")[1:]
    package = top / "releasegate"
    _unlink_from_checkout(
        package / parts[0] if (package / parts[0]).is_dir() else package / f"{parts[0]}.py"
    )
    path = package.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _add_import(top: Path, module: str, line: str) -> None:
    path = _private(top, module)
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def _write(top: Path, relative: str, text: str) -> None:
    """Write ``releasegate/relative`` in ``top`` (never through a symlink into the checkout)."""
    _unlink_from_checkout(top / "releasegate" / relative.split("/")[0])
    path = top / "releasegate" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def top(tmp_path: Path) -> Path:
    return typecheck.layout(tmp_path)


def test_the_tree_keeps_every_contract(top: Path) -> None:
    assert _verdicts(top) == {LAYERS: "KEPT", PURE: "KEPT"}


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the pure core reads no environment, files, network or clock
        ("releasegate.model", "import os", {PURE}),
        ("releasegate.analysis.gate", "import requests", {PURE}),
        ("releasegate.promotion.timing", "import time", {PURE}),
        ("releasegate.cache.keys", "import subprocess", {PURE}),
        ("releasegate.policy.model", "from urllib.request import urlopen", {PURE}),
        # ... and knows nothing of plugins
        ("releasegate.analysis.judges", "import pluggy", {PURE}),
        ("releasegate.drift.rules", "from releasegate.plugins import hookimpl", {PURE, LAYERS}),
        # the pure core never reaches into the shell, even where the layers alone would allow it
        ("releasegate.promotion", "import releasegate.ledger", {PURE}),
        ("releasegate.rollout.canary", "import releasegate.providers", {PURE}),
        ("releasegate.render.text", "from releasegate.cli import main", {PURE, LAYERS}),
        # a lower layer never imports a higher one, pure or not
        ("releasegate.ledger", "import releasegate.platform", {LAYERS}),
        ("releasegate.policy", "import releasegate.analysis.gate", {LAYERS}),
        ("releasegate.errors", "import releasegate.yamlread", {LAYERS}),
        ("releasegate.evidence.junit", "import releasegate.promotion", {LAYERS}),
        ("releasegate.cli.common", "import releasegate.adapters.gitlab.api", {LAYERS}),
        # siblings that must stay independent
        ("releasegate.analysis.verdict", "import releasegate.drift.model", {LAYERS}),
        ("releasegate.adapters.tekton.plugin", "import releasegate.api", {LAYERS}),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    top: Path, module: str, line: str, broken: set[str]
) -> None:
    _add_import(top, module, line)
    assert {name for name, verdict in _verdicts(top).items() if verdict == "BROKEN"} == broken


def test_a_new_top_level_module_must_be_given_a_layer(top: Path) -> None:
    _write(top, "orphan.py", '"""A module nobody placed."""\n')
    assert _verdicts(top)[LAYERS] == "BROKEN"


def test_the_rollout_subpackage_fits_the_contract(top: Path) -> None:
    """``releasegate.rollout`` (the live loop, collection, routers, drill, canary verdicts) sits
    between the CLI and the I/O edges, and the pure core may not import it."""
    _write(top, "rollout/__init__.py", '"""The rollout engine."""\n')
    _write(
        top,
        "rollout/loop.py",
        "import time\n\nimport releasegate.analysis.gate\nimport releasegate.providers\n",
    )
    assert _verdicts(top) == {LAYERS: "KEPT", PURE: "KEPT"}

    _add_import(top, "releasegate.analysis.gate", "import releasegate.rollout.loop")
    assert _verdicts(top) == {LAYERS: "BROKEN", PURE: "BROKEN"}


def test_the_rollout_subpackage_may_not_import_the_cli(top: Path) -> None:
    _write(top, "rollout/__init__.py", '"""The rollout engine."""\n')
    _write(top, "rollout/loop.py", "import releasegate.cli\n")
    assert _verdicts(top) == {LAYERS: "BROKEN", PURE: "KEPT"}


def test_the_probes_never_touch_the_checkout(top: Path) -> None:
    before = (CORE / "model.py").read_text(encoding="utf-8")
    _add_import(top, "releasegate.model", "import os")
    _write(top, "analysis/probe.py", "import os\n")
    assert (CORE / "model.py").read_text(encoding="utf-8") == before
    assert not (CORE / "analysis" / "probe.py").exists()
    assert not (top / "releasegate" / "model.py").is_symlink()
    assert not (top / "releasegate" / "analysis").is_symlink()


def test_nothing_imports_the_top_level_directories_by_their_own_names() -> None:
    """``core`` and ``adapters`` are directories; the package is ``releasegate`` (ruff's TID251
    refuses them too, this also covers files ruff excludes)."""
    import ast

    offenders = []
    for path in [*CORE.rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            if any(name.split(".")[0] in ("core", "adapters") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
