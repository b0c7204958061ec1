"""The criteria language: safe boolean expressions over evidence facts (pure).

``coverage >= 80``, ``vulnerabilities.critical + vulnerabilities.high == 0``,
``tests.failed == 0 and tests.total >= 100``. Text is parsed with Python's
``ast`` and every node is checked against a whitelist; nothing is ever passed
to ``eval``. Percentages (``80%`` is 80) and durations (``1h`` is 3600 seconds)
are literals, rewritten to numbers before parsing.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["CriteriaError", "Expression", "MissingName", "parse"]

#: Longest expression accepted, in characters.
MAX_LENGTH = 1000
#: Deepest nesting of sub-expressions accepted.
MAX_DEPTH = 32
#: Largest absolute value of a literal.
MAX_LITERAL = 1e15

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
# A literal is a number not glued to a name: `p99` and `tests.total` stay names.
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_LITERAL = re.compile(
    rf"(?<![\w.])(?P<pct>{_NUMBER})%(?![\w.%])"
    rf"|(?<![\w.])(?P<dur>(?:{_NUMBER}(?:ms|s|m|h|d|w))+)(?![\w.])"
)
_DURATION_PART = re.compile(rf"({_NUMBER})(ms|s|m|h|d|w)")
# `test-coverage` is a name to whoever wrote it and `test - coverage` to Python: refuse it.
_HYPHENATED = re.compile(r"(?<![\w.])[A-Za-z_][\w.]*(?:-[A-Za-z_][\w.]*)+")

_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[float, float], bool]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
_ARITHMETIC: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Call: "calls are not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.NamedExpr: "assignments are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Await: "await is not allowed",
}


class CriteriaError(ValueError):
    """A criterion that cannot be parsed or evaluated; the message says what is wrong."""


class MissingName(LookupError):
    """Raised by :meth:`Expression.evaluate` when values lack names the expression uses.

    :param names: the missing names, sorted.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        super().__init__("no value for " + ", ".join(names))


@dataclass(frozen=True)
class Expression:
    """A parsed, checked criterion.

    :param text: the expression as written.
    :param names: every dotted name it reads, e.g. ``{"coverage", "tests.total"}``.
    """

    text: str
    names: frozenset[str]
    _tree: ast.expr = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, float]) -> bool:
        """Evaluate against ``values`` (fact name to number).

        :raises MissingName: when a name the expression uses has no value.
        :raises CriteriaError: on division by zero.
        """
        missing = tuple(sorted(name for name in self.names if name not in values))
        if missing:
            raise MissingName(missing)
        result = _evaluate(self._tree, values, self.text)
        return bool(result)

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Expression:
    """Parse and check a criterion.

    :raises CriteriaError: with a message naming what is not allowed.
    """
    if not isinstance(text, str):
        raise CriteriaError(f"a criterion must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise CriteriaError(f"expression too long: {len(text)} characters, at most {MAX_LENGTH}")
    if not text.strip():
        raise CriteriaError("empty expression: write a comparison such as coverage >= 80")
    if "__" in text:
        raise CriteriaError("dunder names are not allowed")
    if not text.isascii():
        raise CriteriaError("only ASCII letters, digits and operators are allowed")
    _check_bracket_depth(text)
    hyphenated = _HYPHENATED.search(text)
    if hyphenated:
        name = hyphenated.group(0)
        raise CriteriaError(
            f"names are identifiers: {name!r} would be read as {' - '.join(name.split('-'))}; "
            f"write {name.replace('-', '_')} (a validation's facts are under its name with dashes "
            f"as underscores), or put spaces around '-' to subtract"
        )
    source = _LITERAL.sub(_literal_to_number, text.strip())
    try:
        with warnings.catch_warnings():
            # "invalid decimal literal" and friends: the SyntaxError or our checks say it better
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise CriteriaError(f"not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise CriteriaError(f"expression nested too deeply: at most {MAX_DEPTH} levels") from None
    names: set[str] = set()
    kind = _check(tree.body, names, 0)
    if kind != "bool":
        raise CriteriaError(
            "an expression must compare or combine comparisons, e.g. coverage >= 80"
        )
    return Expression(text=text.strip(), names=frozenset(names), _tree=tree.body)


def _check_bracket_depth(text: str) -> None:
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise CriteriaError(f"expression nested too deeply: at most {MAX_DEPTH} levels")
        elif char in ")]}":
            depth -= 1


def _literal_to_number(match: re.Match[str]) -> str:
    if match.group("pct") is not None:
        return match.group("pct")
    seconds = sum(
        float(number) * _DURATION_UNITS[unit]
        for number, unit in _DURATION_PART.findall(match.group("dur"))
    )
    return repr(seconds)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise CriteriaError("attributes are allowed only on names, as in vulnerabilities.critical")


def _check(node: ast.expr, names: set[str], depth: int) -> str:
    """Check ``node`` and return its type, ``num`` or ``bool``."""
    if depth > MAX_DEPTH:
        raise CriteriaError(f"expression nested too deeply: at most {MAX_DEPTH} levels")
    for refused, message in _REFUSED.items():
        if isinstance(node, refused):
            raise CriteriaError(message)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "strings" if isinstance(value, (str, bytes)) else f"{value!r} literals"
            raise CriteriaError(f"{kind} are not allowed; only numbers, names and comparisons")
        if not math.isfinite(value) or abs(value) > MAX_LITERAL:
            raise CriteriaError(f"number too large: at most {MAX_LITERAL:g}")
        return "num"
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = _dotted(node)
        if any(part.startswith("_") for part in name.split(".")):
            raise CriteriaError(f"names starting with an underscore are not allowed: {name}")
        names.add(name)
        return "num"
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            raise CriteriaError("exponent too large: the power operator ** is not allowed")
        if type(node.op) not in _ARITHMETIC:
            raise CriteriaError(f"unknown operator {type(node.op).__name__}: use + - * /")
        _want("num", _check(node.left, names, depth + 1), "arithmetic")
        _want("num", _check(node.right, names, depth + 1), "arithmetic")
        return "num"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            _want("bool", _check(node.operand, names, depth + 1), "not")
            return "bool"
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            _want("num", _check(node.operand, names, depth + 1), "a sign")
            return "num"
        raise CriteriaError(f"unknown operator {type(node.op).__name__}: use not, + or -")
    if isinstance(node, ast.BoolOp):
        for operand in node.values:
            _want("bool", _check(operand, names, depth + 1), type(node.op).__name__.lower())
        return "bool"
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise CriteriaError(f"unknown operator {type(op).__name__}: use == != < <= > >=")
        for operand in (node.left, *node.comparators):
            _want("num", _check(operand, names, depth + 1), "a comparison")
        return "bool"
    raise CriteriaError(f"{type(node).__name__} is not allowed in a criterion")


def _want(expected: str, got: str, where: str) -> None:
    if expected != got:
        what = "numbers" if expected == "num" else "comparisons"
        raise CriteriaError(f"{where} takes {what}, e.g. (a + b) >= 1 or (a > 1) and (b < 2)")


def _evaluate(node: ast.expr, values: Mapping[str, float], text: str) -> float | bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return float(values[_dotted(node)])
    if isinstance(node, ast.BinOp):
        left = float(_evaluate(node.left, values, text))
        right = float(_evaluate(node.right, values, text))
        if isinstance(node.op, ast.Div) and right == 0:
            raise CriteriaError(f"division by zero in {text!r}")
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, text)
        if isinstance(node.op, ast.Not):
            return not operand
        return -float(operand) if isinstance(node.op, ast.USub) else float(operand)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_evaluate(value, values, text) for value in node.values)
        return any(_evaluate(value, values, text) for value in node.values)
    if isinstance(node, ast.Compare):
        left = float(_evaluate(node.left, values, text))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = float(_evaluate(comparator, values, text))
            if not _COMPARE[type(op)][1](left, right):
                return False
            left = right
        return True
    raise CriteriaError(f"cannot evaluate {type(node).__name__} in {text!r}")  # pragma: no cover
