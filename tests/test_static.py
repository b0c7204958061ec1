"""The whole tree passes ruff, and the package passes ``mypy --strict`` as it is installed.

mypy sees the package under its installed name: ``core/`` is ``releasegate`` and
``adapters/`` is ``releasegate.adapters`` (pyproject's ``package-dir``), which an
editable install hides from it, so the test lays that mapping out with symlinks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_is_as_ruff_format_leaves_it() -> None:
    """Formatting is the formatter's: a hand-formatted file fails here, not in review."""
    result = _run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    # The same command as the pre-commit hook: the package laid out under its installed name.
    result = subprocess.run(
        [sys.executable, "scripts/typecheck.py", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_the_pre_commit_hooks_run_what_the_suite_runs() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [local] = config["repos"]
    entries = {hook["id"]: hook["entry"] for hook in local["hooks"]}
    assert local["repo"] == "local" and {h["language"] for h in local["hooks"]} == {"system"}
    assert entries == {
        "ruff-check": ".venv/bin/ruff check --force-exclude",
        "ruff-format": ".venv/bin/ruff format --force-exclude",
        "mypy": ".venv/bin/python scripts/typecheck.py mypy",
        "import-contract": ".venv/bin/python scripts/typecheck.py imports",
    }
    validated = _run("pre_commit", "validate-config", ".pre-commit-config.yaml")
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_the_suite_and_the_hooks_run_the_pinned_ruff() -> None:
    """pyproject pins ruff exactly, so every machine formats and lints alike; the hooks run the
    venv's ruff, the one the pin installed."""
    [pin] = re.findall(r'"ruff==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    version = _run("ruff", "--version")
    assert version.stdout.split() == ["ruff", pin], version.stdout + version.stderr


def _git(*args: str) -> list[str]:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_nothing_tracked_is_ignored_or_a_link() -> None:
    """What scripts/test.sh installs (``.venv``, ``.cache``) is ignored and never committed:
    a committed link to one machine's cache would, on checkout, replace the ignored directory
    git is allowed to overwrite, and point nowhere on a fresh clone."""
    assert _git("ls-files", "--cached", "--ignored", "--exclude-standard") == []
    links = [line.split("\t", 1)[1] for line in _git("ls-files", "-s") if line.startswith("120000")]
    assert links == []


def test_the_blame_ignore_list_names_commits_of_this_history() -> None:
    revs = [
        line
        for line in (ROOT / ".git-blame-ignore-revs").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert revs, "the tree-wide format commit is listed"
    for rev in revs:
        assert re.fullmatch(r"[0-9a-f]{40}", rev), rev
        assert _git("cat-file", "-t", rev) == ["commit"], rev
