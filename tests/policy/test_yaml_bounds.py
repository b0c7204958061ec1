"""One YAML reader, bounded: bombs, deep or recursive documents and NUL bytes are usage errors
that name the limit, for the policy (``check``) and for the files drift compares alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.errors import UsageError
from releasegate.yamlread import CONFIG_LIMITS, POLICY_LIMITS, Limits, YamlReader, read_yaml

#: The classic "billion laughs", 11 lines: 9**9 strings once expanded.
BOMB = """\
version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
environments: [{name: x}]
"""

CASES = {
    "bomb": (
        BOMB,
        "7:4: more than 100000 YAML values once aliases are expanded (the node limit; "
        "an alias bomb?)",
    ),
    "deep flow": (
        "version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n",
        "YAML nested deeper than the depth limit (64)",
    ),
    "deep mappings": (
        "version: 1\nx: " + "{a: " * 100 + "1" + "}" * 100 + "\n",
        "2:256: YAML nested deeper than the depth limit (64)",
    ),
    "recursive": (
        "version: 1\nx: &x [*x]\n",
        "2:4: a YAML alias inside its own anchor (recursive YAML)",
    ),
    "recursive merge": (
        "version: 1\nx: &x {a: 1, <<: *x}\n",
        "2:4: a YAML alias inside its own anchor (recursive YAML)",
    ),
    "NUL": (
        "version: 1\nenvironments: [{name: a\x00}]\n",
        "2:24: a NUL byte; YAML text cannot contain one",
    ),
    "control character": (
        "version: 1\nx: a\x01b\n",
        "2:5: invalid YAML: unacceptable character #x0001",
    ),
    "many aliases": (
        "version: 1\nx: &x 1\ny: [" + ", ".join(["*x"] * 1001) + "]\n",
        "more YAML aliases than the alias limit (1000)",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_check_refuses_with_the_limit_it_hit(releasegate_cli, tmp_path: Path, name: str) -> None:
    text, message = CASES[name]
    policy = tmp_path / "releasegate.yml"
    policy.write_text(text, encoding="utf-8")
    result = releasegate_cli("check", "-c", str(policy))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "internal error" not in result.stderr
    assert result.stderr.startswith(f"releasegate: error: {policy}:") and message in result.stderr


def test_a_policy_over_the_size_limit(releasegate_cli, tmp_path: Path) -> None:
    policy = tmp_path / "releasegate.yml"
    policy.write_text("version: 1\n" + "# padding\n" * 120_000)
    result = releasegate_cli("check", "-c", str(policy))
    assert result.exit_code == 2
    assert result.stderr == (
        f"releasegate: error: {policy}: YAML larger than the size limit "
        f"({policy.stat().st_size} bytes > 1048576 bytes)\n"
    )


@pytest.mark.parametrize("name", ["bomb", "recursive", "NUL", "deep flow"])
def test_the_drift_reader_has_the_same_bounds(name: str) -> None:
    text, _ = CASES[name]
    with pytest.raises(UsageError, match=r"^values\.yaml:\d+:\d+: ") as caught:
        read_yaml(text, "values.yaml")
    assert (
        "limit" in str(caught.value)
        or "recursive" in str(caught.value)
        or "NUL" in str(caught.value)
    )


def test_drift_refuses_a_bomb_in_a_compared_file(releasegate_cli, tmp_path: Path) -> None:
    (tmp_path / "staging.yaml").write_text("replicas: 1\n")
    (tmp_path / "production.yaml").write_text(BOMB.replace("version: 1\n", ""))
    (tmp_path / "releasegate.yml").write_text(
        "version: 1\nenvironments: [{name: staging}, {name: production}]\n"
        "drift:\n  files: {staging: staging.yaml, production: production.yaml}\n"
    )
    result = releasegate_cli("drift", "-c", str(tmp_path / "releasegate.yml"))
    assert result.exit_code == 2
    assert (
        "more than 1000000 YAML values once aliases are expanded (the node limit" in result.stderr
    )


def test_ordinary_anchors_and_merges_still_read() -> None:
    reader = YamlReader({}, "p.yml")
    data = reader.read("base: &b {a: 1, b: [1, 2]}\nx: {<<: *b, c: 3}\ny: *b\n")
    assert data == {
        "base": {"a": 1, "b": [1, 2]},
        "x": {"a": 1, "b": [1, 2], "c": 3},
        "y": {"a": 1, "b": [1, 2]},
    }
    assert reader.problems == []
    tight = YamlReader({}, "p.yml", Limits(max_bytes=100, max_depth=2, max_aliases=1, max_nodes=5))
    with pytest.raises(UsageError, match="p.yml:2:4: more than 5 YAML values"):
        tight.read("a: 1\nx: [1, 2, 3, 4, 5]\n")


def test_the_limits_are_the_documented_ones() -> None:
    assert POLICY_LIMITS == Limits(
        max_bytes=1 << 20, max_depth=64, max_aliases=1000, max_nodes=100_000
    )
    assert CONFIG_LIMITS == Limits(
        max_bytes=64 << 20, max_depth=200, max_aliases=10_000, max_nodes=1_000_000
    )
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "1 MiB, 64 levels of nesting, 1000 aliases and 100000 values" in readme
