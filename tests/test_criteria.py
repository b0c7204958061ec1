"""The criteria language: what it accepts, what it refuses, and how it evaluates."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasegate.criteria import MAX_LENGTH, CriteriaError, MissingName, parse


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("coverage >= 80", {"coverage"}),
        ("coverage >= 80%", {"coverage"}),
        (
            "vulnerabilities.critical + vulnerabilities.high == 0",
            {"vulnerabilities.critical", "vulnerabilities.high"},
        ),
        ("tests.failed == 0 and tests.total >= 100", {"tests.failed", "tests.total"}),
        ("0 < coverage.branch <= 100", {"coverage.branch"}),
        ("not (p99 > 0.5) or soak >= 1h30m", {"p99", "soak"}),
        ("(a - b) / 2 * -c < +3", {"a", "b", "c"}),
    ],
)
def test_parse_accepts_and_lists_names(text: str, names: set[str]) -> None:
    assert parse(text).names == frozenset(names)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("coverage >= 80", {"coverage": 79.99}, False),
        ("coverage >= 80", {"coverage": 80.0}, True),
        ("coverage >= 80", {"coverage": 80.01}, True),
        ("coverage >= 80%", {"coverage": 80.0}, True),
        ("age >= 1h", {"age": 3599}, False),
        ("age >= 1h", {"age": 3600}, True),
        ("age < 1h30m", {"age": 5399}, True),
        ("age < 250ms", {"age": 0.25}, False),
        (
            "vulnerabilities.critical + vulnerabilities.high == 0",
            {"vulnerabilities.critical": 0, "vulnerabilities.high": 1},
            False,
        ),
        ("1 < x < 3", {"x": 2}, True),
        ("1 < x < 3", {"x": 3}, False),
        ("a > 1 and b > 1", {"a": 2, "b": 0}, False),
        ("a > 1 or b > 1", {"a": 2, "b": 0}, True),
        ("not a > 1", {"a": 2}, False),
        ("a / b > 0.5", {"a": 3, "b": 4}, True),
        ("a != 0", {"a": 0}, False),
    ],
)
def test_evaluate(text: str, values: dict[str, float], expected: bool) -> None:
    assert parse(text).evaluate(values) is expected


def test_evaluate_names_what_is_missing() -> None:
    with pytest.raises(MissingName) as caught:
        parse("b + a > 1 and c > 0").evaluate({"c": 1})
    assert caught.value.names == ("a", "b")
    assert str(caught.value) == "no value for a, b"


def test_division_by_zero_is_an_error_not_a_verdict() -> None:
    with pytest.raises(CriteriaError, match="division by zero"):
        parse("a / b > 1").evaluate({"a": 1, "b": 0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('__import__("os").system("id")', "dunder names are not allowed"),
        ("coverage.__class__ == 1", "dunder names are not allowed"),
        ("open(1) > 0", "calls are not allowed"),
        ("a[0] > 1", "subscripts are not allowed"),
        ("(lambda: 1) == 1", "lambdas are not allowed"),
        ("[x for x in y] == 1", "comprehensions are not allowed"),
        ("{x for x in y} == 1", "comprehensions are not allowed"),
        ("(x := 1) > 0", "assignments are not allowed"),
        ("9 ** 9 ** 9 > 1", "exponent too large"),
        ("'a' == b", "strings are not allowed"),
        ("a in b", "unknown operator In"),
        ("a is b", "unknown operator Is"),
        ("a % 2 == 0", "unknown operator Mod"),
        ("a << 2 == 0", "unknown operator LShift"),
        ("~a == 0", "unknown operator Invert"),
        ("(a + b).c > 1", "attributes are allowed only on names"),
        ("a._secret > 1", "underscore"),
        ("1e999 > a", "number too large"),
        ("99999999999999999999 > a", "number too large"),
        ("True == a", "literals are not allowed"),
        ("coverage", "must compare"),
        ("a + 1", "must compare"),
        ("(a > 1) + 1 > 0", "arithmetic takes numbers"),
        ("a and b", "and takes comparisons"),
        ("(a > 1) > (b > 1)", "a comparison takes numbers"),
        ("a if b else c", "conditional expressions are not allowed"),
        ("coverage >=", "not a valid expression"),
        ("import os", "not a valid expression"),
        ("", "empty expression"),
        ("(" * 40 + "a" + ")" * 40 + " > 1", "nested too deeply"),
        ("not " * 60 + "a > 1", "nested too deeply"),
        ("a" * (MAX_LENGTH + 1) + " > 1", "expression too long"),
    ],
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(CriteriaError, match=message):
        parse(text)


def test_criteria_error_is_a_value_error() -> None:
    assert issubclass(CriteriaError, ValueError)


# Property-based: whatever the input, parse either returns an Expression or raises
# CriteriaError; it never raises anything else and never executes anything.
_ALPHABET = st.sampled_from(
    list("abcxyz_.0123456789 ()[]{}+-*/%<>=!~^&|,:'\"@#\\\n")
    + ["__", "and", "or", "not", "lambda", "import", "**", "1h", "80%", "1e309", "==", ">="]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_parse_never_fails_unexpectedly(text: str) -> None:
    try:
        expression = parse(text)
    except CriteriaError:
        return
    values = {name: 1.0 for name in expression.names}
    try:
        assert isinstance(expression.evaluate(values), bool)
    except CriteriaError as exc:
        assert "division by zero" in str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_any_text_is_accepted_or_refused_cleanly(text: str) -> None:
    try:
        parse(text)
    except CriteriaError as exc:
        assert str(exc)
        assert "\n" not in str(exc)


_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(\.[a-z][a-z0-9]{0,6}){0,2}", fullmatch=True).filter(
    lambda n: not any(keyword.iskeyword(part) for part in n.split("."))
)


@settings(max_examples=200, deadline=None)
@given(_NAMES, st.floats(min_value=-1e6, max_value=1e6), st.floats(min_value=-1e6, max_value=1e6))
def test_comparison_agrees_with_python(name: str, value: float, limit: float) -> None:
    expression = parse(f"{name} >= {limit!r}")
    assert expression.names == frozenset({name})
    assert expression.evaluate({name: value}) is (value >= limit)
