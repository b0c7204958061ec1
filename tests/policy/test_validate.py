"""Our policy-schema validator agrees with the reference ``jsonschema`` library on every document."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from releasegate.policy.schema import schema
from releasegate.policy.validate import Validator, unsupported_keywords
from releasegate.yamlread import YamlReader

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = YamlReader({}).read((ROOT / "examples" / "checkout" / "releasegate.yml").read_text())
OURS = Validator(schema())
REFERENCE = Draft202012Validator(schema())


def verdicts(document: Any) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    ours = {tuple(e.absolute_path) for e in OURS.iter_errors(document)}
    theirs = {tuple(e.absolute_path) for e in REFERENCE.iter_errors(document)}
    return ours, theirs


def test_the_schema_uses_only_supported_keywords() -> None:
    assert unsupported_keywords(schema()) == set()


def test_an_unsupported_keyword_is_refused() -> None:
    with pytest.raises(ValueError, match="keywords this validator lacks: oneOf"):
        Validator({"oneOf": [{"type": "string"}]})


def test_the_example_is_valid_for_both() -> None:
    assert verdicts(EXAMPLE) == (set(), set())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


PATHS = _paths(EXAMPLE)[1:]
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(-1, 200, allow_nan=False)
    | st.sampled_from(["", "x", "1h", "prometheus", "high", "canary", "not a name", "min"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "weight", "count", "query", "judge", "extra", "group"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES, st.booleans()), min_size=1, max_size=3))
def test_random_mutations_get_the_same_verdict(
    mutations: list[tuple[tuple[Any, ...], Any, bool]],
) -> None:
    document = copy.deepcopy(EXAMPLE)
    for path, value, add_key in mutations:
        parent: Any = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            if add_key and isinstance(parent, dict):
                parent[f"{path[-1]}_extra"] = value
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    ours, theirs = verdicts(document)
    assert ours == theirs
