"""Builders for the drift tests: environments' configuration written to a temporary tree.

I/O: writes files under ``tmp_path`` only.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

Tree = Callable[[Mapping[str, str]], Path]


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """``tree({"deploy/staging/values.yaml": "...", ...}) -> root``: dedented files under tmp."""

    def write(files: Mapping[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


def policy_text(
    files: Mapping[str, str | list[str]],
    allow: Mapping[str, str] | None = None,
    production: str = "",
) -> str:
    """A policy with dev -> staging -> production and the given ``drift:`` section."""
    lines = [
        "version: 1",
        "environments:",
        "  - name: dev",
        "  - name: staging",
        "  - name: production",
    ]
    if production:
        lines += ["    requires:", *(f"      {line}" for line in production.splitlines())]
    lines += ["drift:", "  files:"]
    for env, value in files.items():
        lines.append(
            f"    {env}: {value if isinstance(value, str) else '[' + ', '.join(value) + ']'}"
        )
    if allow:
        lines.append("  allow:")
        lines += [f"    - {{path: '{path}', reason: {reason}}}" for path, reason in allow.items()]
    return "\n".join(lines) + "\n"
