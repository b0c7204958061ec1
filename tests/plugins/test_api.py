"""``releasegate.api``, the hook specifications and CONTRIBUTING.md stay in step, and the
judge CONTRIBUTING.md shows works as an installed plugin."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import releasegate.api as api
from peers.cli import ConsoleScript
from releasegate.plugins import hookspecs, interfaces

ROOT = Path(__file__).resolve().parents[2]
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("releasegate_"))


def _stable_api_section() -> str:
    return CONTRIBUTING.split("### The stable API", 1)[1].split("\n### ", 1)[0]


@pytest.mark.parametrize("name", api.__all__)
def test_every_exported_name_exists_and_is_documented(name: str) -> None:
    assert getattr(api, name) is not None
    assert f"`{name}`" in _stable_api_section()


def test_the_documented_api_is_exactly_the_exported_one() -> None:
    quoted = set(re.findall(r"`([^`]+)`", _stable_api_section()))
    documented = {name for name in quoted if name.isidentifier()} - set(HOOKS)
    assert documented == set(api.__all__)


def test_every_hook_is_named_in_contributing() -> None:
    assert set(re.findall(r"`(releasegate_[a-z_]+)`", _stable_api_section())) == set(HOOKS)


def test_every_type_a_hook_hands_to_plugins_is_exported() -> None:
    tree = ast.parse(Path(hookspecs.__file__).read_text(encoding="utf-8"))
    named = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("releasegate")
        for alias in node.names
    }
    assert named and named <= set(api.__all__)


#: The interface a plugin of each registry kind implements (the registry checks it).
INTERFACES = {
    "provider": "MetricProvider",
    "reader": "EvidenceReader",
    "judge": "Judge",
    "router": "TrafficRouter",
}


def test_every_plugin_kind_has_its_interface_exported() -> None:
    assert set(INTERFACES) == set(interfaces.REQUIRED)
    exported = set(INTERFACES.values()) | {"Notifier", "Platform"}
    assert exported <= set(api.__all__)
    defined_there = {
        name for name in interfaces.__all__ if isinstance(getattr(interfaces, name), type)
    }
    assert defined_there <= set(api.__all__)


@pytest.mark.parametrize("name", sorted(set(INTERFACES.values()) | {"Notifier"}))
def test_each_interface_is_a_protocol_that_knows_nothing_of_pluggy(name: str) -> None:
    interface = getattr(api, name)
    assert getattr(interface, "_is_protocol", False), f"{name} is not a typing.Protocol"
    tree = ast.parse(
        Path(sys.modules[interface.__module__].__file__ or "").read_text(encoding="utf-8")
    )
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {
        name for name in imported if name.split(".")[0] == "pluggy" or name == "releasegate.plugins"
    }


def test_the_interfaces_check_what_a_plugin_registers() -> None:
    class NoQuery:
        name = "half"

        def query(self, query: str, at: float) -> float | None:
            return None

    assert (
        interfaces.conformance_problem("provider", NoQuery)
        == "lacks query_range(query, start, end, step)"
    )
    assert interfaces.conformance_problem("judge", lambda metric, data, interval: []) is None


def test_every_type_an_interface_names_is_exported() -> None:
    tree = ast.parse(Path(interfaces.__file__).read_text(encoding="utf-8"))
    named = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("releasegate")
        for alias in node.names
    }
    assert named and named <= set(api.__all__)


def _judge_example() -> str:
    [block] = [
        b for b in re.findall(r"```python\n(.*?)```", CONTRIBUTING, flags=re.S) if "hookimpl" in b
    ]
    return block


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CONTRIBUTING.md's judge, packaged and installed the way a plugin author would."""
    source = tmp_path_factory.mktemp("src")
    (source / "double_judge.py").write_text(_judge_example(), encoding="utf-8")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "releasegate-double"\nversion = "0.0.1"\n'
        '[tool.setuptools]\npy-modules = ["double_judge"]\n'
        '[project.entry-points.releasegate]\ndouble = "double_judge"\n',
        encoding="utf-8",
    )
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
    )
    return target


POLICY = """version: 1
gates:
  g:
    provider: file
    metrics: [{name: m, query: q, judge: at-most-double}]
"""


def test_the_contributing_judge_runs_as_an_installed_plugin(
    run_cli: ConsoleScript, plugin_site: Path, tmp_path: Path
) -> None:
    (tmp_path / "releasegate.yml").write_text(POLICY)
    (tmp_path / "m.csv").write_text(
        "time,metric,variant,value,count\n"
        "60,m,canary,0.1,\n60,m,baseline,0.1,\n"
        "120,m,canary,0.5,\n120,m,baseline,0.1,\n"
    )
    replay = run_cli(
        "replay",
        "--gate",
        "g",
        "--metrics",
        "m.csv",
        cwd=tmp_path,
        env={"PYTHONPATH": str(plugin_site), "RELEASEGATE_LEDGER": str(tmp_path / "l.db")},
    )
    assert replay.code == 1, replay.stderr
    lines = [json.loads(line) for line in replay.stdout.splitlines()]
    assert [line["outcome"] for line in lines] == ["promote", "rollback"]
    assert "canary 0.5 vs baseline 0.1" in replay.stdout
