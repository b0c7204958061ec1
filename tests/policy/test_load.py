"""Loading policies: the v1 example, file discovery, variable expansion, and the shipped schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasegate.errors import PolicyError, UsageError
from releasegate.policy import find_policy, load_policy, parse_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "checkout" / "releasegate.yml"


def test_the_v1_example_loads_into_typed_objects() -> None:
    policy = load_policy(str(EXAMPLE), {})
    assert [e.name for e in policy.environments] == ["dev", "staging", "production"]
    production = policy.environment("production")
    assert production.requires.from_env == "staging"
    assert production.requires.soak == 3600
    assert production.requires.approvals_expire == 86400
    assert [(s.weight, s.pause) for s in production.canary.steps] == [
        (5, 1800),
        (25, 3600),
        (100, None),
    ]
    assert production.rollback.window == 900
    assert policy.gates["canary-health"].address == "http://127.0.0.1:9090"
    assert policy.gates["service-health"].metrics[0].fail_if == (">", 0.05)
    assert (
        policy.gates["canary-health"].metrics[1].quantile == 0.99
    )  # from histogram_quantile(0.99, ...)
    assert policy.gates["service-health"].metrics[0].hold_for == 180
    assert policy.validations["coverage"].min_coverage == 80
    assert policy.previous("production").name == "staging"
    assert policy.cache.docker.mode == "max"
    assert policy.drift.allow[0].path == "image.tag"
    assert len(policy.sha256) == 64


def test_variables_expand_from_the_environment() -> None:
    policy = load_policy(str(EXAMPLE), {"PROMETHEUS_URL": "http://127.0.0.1:9999"})
    assert policy.gates["canary-health"].address == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("${A:-dflt}", {}, "dflt"),
        ("${A:-dflt}", {"A": ""}, "dflt"),
        ("x${A:-}y", {}, "xy"),
        ("pre-${A}-${B:-b}-post", {"A": "a"}, "pre-a-b-post"),
        ("$${A}", {"A": "x"}, "${A}"),
        ("price $5", {}, "price $5"),
    ],
)
def test_variable_forms(text: str, env: dict[str, str], expected: str) -> None:
    policy = parse_policy(f"version: 1\nservice: '{text}'\n".encode(), "p.yml", env)
    assert policy.service == expected


def test_a_variable_keeps_its_string_type() -> None:
    policy = parse_policy(
        b"version: 1\ngates:\n  g:\n    provider: file\n    retries: 2\n"
        b"    metrics: [{name: m, query: '${Q}', judge: sequential}]\n",
        "p.yml",
        {"Q": "42"},
    )
    assert policy.gates["g"].metrics[0].query == "42"


def test_unset_variables_are_each_named() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(b"version: 1\nservice: ${ONE}-${TWO}\n", "p.yml", {})
    assert caught.value.problems == [
        "p.yml:2:10: service: environment variable ONE is not set and has no default (write ${ONE:-VALUE} to give one)",
        "p.yml:2:10: service: environment variable TWO is not set and has no default (write ${TWO:-VALUE} to give one)",
    ]


def test_anchors_and_merge_keys_work() -> None:
    policy = parse_policy(
        b"""version: 1
gates:
  a: &base
    provider: file
    interval: 5m
    metrics: [{name: m, query: q, judge: sequential}]
  b:
    <<: *base
    interval: 1m
""",
        "p.yml",
        {},
    )
    assert (policy.gates["a"].interval, policy.gates["b"].interval) == (300, 60)


@pytest.mark.parametrize("name", ["releasegate.yml", ".releasegate.yml"])
def test_discovery(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("version: 1\n")
    assert find_policy(None, tmp_path) == tmp_path / name


def test_no_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError,
        match=r"no policy file: none of releasegate.yml, .releasegate.yml in .*; pass -c "
        r"PATH",
    ):
        find_policy(None, tmp_path)
    with pytest.raises(UsageError, match=r"^nope.yml: policy file not found$"):
        find_policy("nope.yml", tmp_path)


def test_non_utf8_policy(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="must be UTF-8"):
        parse_policy(b"version: 1\nservice: \xff\xfe\n", "p.yml", {})


def test_shipped_schema_matches_the_editor_copy() -> None:
    shipped = (ROOT / "core" / "policy" / "releasegate.schema.json").read_text()
    assert shipped == (ROOT / "schema" / "releasegate.schema.json").read_text()
    schema = json.loads(shipped)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)


def test_every_package_directory_is_listed_in_pyproject() -> None:
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set()
    for base, name in ((ROOT / "core", "releasegate"), (ROOT / "adapters", "releasegate.adapters")):
        for init in base.rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(base).parts
            found.add(".".join((name, *rel)))
    assert found == listed


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (
            "{name: m, query: 'histogram_quantile(0.95, sum by (le) (rate(x[1m])))', judge: sequential}",
            0.95,
        ),
        ("{name: m, query: 'histogram_quantile(0.95, x)', judge: sequential, quantile: 0.5}", 0.5),
        ("{name: m, query: 'avg(latency)', judge: sequential}", None),
        (
            "{name: m, query: 'histogram_quantile(0.5, a) / histogram_quantile(0.99, b)', judge: sequential}",
            None,
        ),
        (
            "{name: m, query: 'histogram_quantile(0.99, x)', count_query: n, judge: sequential}",
            None,
        ),
        (
            "{name: m, query: 'histogram_quantile(0.99, x)', count_query: n, judge: sequential, kind: level}",
            0.99,
        ),
    ],
)
def test_the_quantile_of_a_level_metric(metric: str, expected: float | None) -> None:
    text = f"version: 1\ngates:\n  g:\n    provider: file\n    metrics: [{metric}]\n"
    assert parse_policy(text.encode(), "p.yml", {}).gates["g"].metrics[0].quantile == expected
