"""Structural comparison of two environments' configuration units (pure).

Mappings are compared key by key, lists of mappings that all have a ``name`` by
name, lists of plain values as collections (items added or removed, or only the
order changed), other lists position by position. Every finding carries the
raw paths of both sides so it can name the file and line of each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from releasegate.drift.model import (
    ConfigUnit,
    Finding,
    FindingKind,
    Named,
    PathPart,
    RawPath,
    Side,
    format_path,
)
from releasegate.drift.rules import allowed_reason, path_is_secret, value_is_secret
from releasegate.policy.model import DriftAllow

__all__ = ["compare_units", "match_units"]


@dataclass(frozen=True)
class _Diff:
    kind: FindingKind
    path: tuple[PathPart, ...]
    left_raw: RawPath
    right_raw: RawPath
    left: Any
    right: Any
    left_present: bool = True
    right_present: bool = True
    item: bool = False


def _category(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return "string"


def _named(items: list[Any]) -> bool:
    if not all(isinstance(i, dict) and isinstance(i.get("name"), (str, int)) for i in items):
        return False
    names = [str(i["name"]) for i in items]
    return len(set(names)) == len(names)


def _walk(
    a: Any, b: Any, path: tuple[PathPart, ...], ra: RawPath, rb: RawPath, out: list[_Diff]
) -> None:
    ca, cb = _category(a), _category(b)
    if ca != cb:
        out.append(_Diff("type", path, ra, rb, a, b))
    elif ca == "mapping":
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in b:
                out.append(
                    _Diff("only", (*path, key), (*ra, key), rb, a[key], None, right_present=False)
                )
            elif key not in a:
                out.append(
                    _Diff("only", (*path, key), ra, (*rb, key), None, b[key], left_present=False)
                )
            else:
                _walk(a[key], b[key], (*path, key), (*ra, key), (*rb, key), out)
    elif ca == "list":
        _lists(a, b, path, ra, rb, out)
    elif a != b:
        out.append(_Diff("value", path, ra, rb, a, b))


def _lists(
    a: list[Any],
    b: list[Any],
    path: tuple[PathPart, ...],
    ra: RawPath,
    rb: RawPath,
    out: list[_Diff],
) -> None:
    if a == b:
        return
    if (a or b) and _named(a) and _named(b):
        left = {str(item["name"]): i for i, item in enumerate(a)}
        right = {str(item["name"]): i for i, item in enumerate(b)}
        for name in [*left, *(n for n in right if n not in left)]:
            where = (*path, Named(name))
            if name not in right:
                out.append(
                    _Diff(
                        "only",
                        where,
                        (*ra, left[name]),
                        rb,
                        a[left[name]],
                        None,
                        right_present=False,
                        item=True,
                    )
                )
            elif name not in left:
                out.append(
                    _Diff(
                        "only",
                        where,
                        ra,
                        (*rb, right[name]),
                        None,
                        b[right[name]],
                        left_present=False,
                        item=True,
                    )
                )
            else:
                _walk(
                    a[left[name]], b[right[name]], where, (*ra, left[name]), (*rb, right[name]), out
                )
        return
    plain = all(_category(v) not in ("mapping", "list") for v in (*a, *b))
    if plain:
        counts_a, counts_b = Counter(map(repr, a)), Counter(map(repr, b))
        if counts_a == counts_b:
            out.append(_Diff("order", path, ra, rb, a, b))
            return
        extra_a, extra_b = counts_a - counts_b, counts_b - counts_a
        for i, value in enumerate(a):
            if extra_a[repr(value)] > 0:
                extra_a[repr(value)] -= 1
                out.append(
                    _Diff(
                        "only",
                        (*path, i),
                        (*ra, i),
                        rb,
                        value,
                        None,
                        right_present=False,
                        item=True,
                    )
                )
        for i, value in enumerate(b):
            if extra_b[repr(value)] > 0:
                extra_b[repr(value)] -= 1
                out.append(
                    _Diff(
                        "only", (*path, i), ra, (*rb, i), None, value, left_present=False, item=True
                    )
                )
        return
    for i in range(max(len(a), len(b))):
        if i >= len(b):
            out.append(
                _Diff("only", (*path, i), (*ra, i), rb, a[i], None, right_present=False, item=True)
            )
        elif i >= len(a):
            out.append(
                _Diff("only", (*path, i), ra, (*rb, i), None, b[i], left_present=False, item=True)
            )
        else:
            _walk(a[i], b[i], (*path, i), (*ra, i), (*rb, i), out)


def match_units(
    left: Sequence[ConfigUnit], right: Sequence[ConfigUnit]
) -> list[tuple[ConfigUnit | None, ConfigUnit | None]]:
    """Pair units by key; Kubernetes resources left over are paired by kind and name when
    that is unambiguous (the same resource in another namespace per environment)."""
    by_key = {u.key: u for u in right}
    pairs: list[tuple[ConfigUnit | None, ConfigUnit | None]] = []
    rest_left: list[ConfigUnit] = []
    used: set[str] = set()
    for unit in left:
        other = by_key.get(unit.key)
        if other is not None and other.key not in used:
            used.add(other.key)
            pairs.append((unit, other))
        else:
            rest_left.append(unit)
    rest_right = [u for u in right if u.key not in used]

    def kind_name(unit: ConfigUnit) -> tuple[str, str] | None:
        return (unit.resource[0], unit.resource[2]) if unit.resource else None

    for unit in rest_left:
        ident = kind_name(unit)
        candidates = [u for u in rest_right if ident is not None and kind_name(u) == ident]
        if len(candidates) == 1 and sum(kind_name(u) == ident for u in rest_left) == 1:
            rest_right.remove(candidates[0])
            pairs.append((unit, candidates[0]))
        else:
            pairs.append((unit, None))
    pairs.extend((None, u) for u in rest_right)
    return pairs


def compare_units(
    left_env: str,
    right_env: str,
    left: Sequence[ConfigUnit],
    right: Sequence[ConfigUnit],
    allow: Iterable[DriftAllow] = (),
) -> list[Finding]:
    """Every difference between two environments' units, allowed ones marked with their reason."""
    rules = tuple(allow)
    findings: list[Finding] = []
    for a, b in match_units(left, right):
        if a is None or b is None:
            unit = a or b
            assert unit is not None
            present = Side(left_env if a else right_env, unit.file, unit.line(()), True)
            missing = Side(right_env if a else left_env, None, None, False)
            findings.append(
                Finding(
                    "only",
                    "",
                    present if a else missing,
                    missing if a else present,
                    unit=unit.label or unit.file,
                )
            )
            continue
        diffs: list[_Diff] = []
        _walk(a.data, b.data, (), (), (), diffs)
        label = a.label
        if a.label != b.label and a.resource and b.resource:  # paired across namespaces
            label = f"{a.resource[0]} {a.resource[2]}"
        for diff in diffs:
            path = format_path(diff.path)
            secret = (
                path_is_secret(diff.path)
                or value_is_secret(diff.left)
                or value_is_secret(diff.right)
            )
            findings.append(
                Finding(
                    kind=diff.kind,
                    path=path,
                    unit=label,
                    item=diff.item,
                    secret=secret,
                    left=Side(
                        left_env,
                        a.file,
                        a.line(diff.left_raw),
                        diff.left_present,
                        None if secret else diff.left,
                    ),
                    right=Side(
                        right_env,
                        b.file,
                        b.line(diff.right_raw),
                        diff.right_present,
                        None if secret else diff.right,
                    ),
                    allowed=allowed_reason(path, rules),
                )
            )
    return findings
