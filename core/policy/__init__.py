"""The policy file: finding, reading, validating and typing ``releasegate.yml`` (I/O at the edge).

:func:`load_policy` is the only place that reads policy files; everything else
receives a :class:`Policy`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from releasegate.errors import PolicyError, UsageError
from releasegate.policy.model import Policy

__all__ = ["POLICY_NAMES", "Policy", "find_policy", "load_policy", "parse_policy"]

POLICY_NAMES = ("releasegate.yml", ".releasegate.yml", "releasegate.yaml", ".releasegate.yaml")


def find_policy(path: str | None = None, cwd: str | os.PathLike[str] = ".") -> Path:
    """The policy file to use: ``path`` when given, else the first of :data:`POLICY_NAMES` in ``cwd``.

    :raises UsageError: when there is none.
    """
    if path:
        found = Path(path)
        if not found.is_file():
            raise UsageError(f"{path}: policy file not found")
        return found
    for name in POLICY_NAMES:
        candidate = Path(cwd) / name
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no policy file: none of {', '.join(POLICY_NAMES[:2])} in "
        f"{Path(cwd).resolve()}; pass -c PATH"
    )


def load_policy(
    path: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] = ".",
    *,
    judges: Callable[[], Iterable[str]] | None = None,
) -> Policy:
    """Find, read, validate and type the policy.

    :param env: where ``${VAR}`` is looked up (default: the process environment).
    :param judges: the names of plugin judges, asked only when the policy names a judge
        that is not built in (so plugins load only when a policy needs one).
    :raises PolicyError: with every problem found, one ``file:line:col: path: message`` per line.
    """
    location = find_policy(path, cwd)
    try:
        raw = location.read_bytes()
    except OSError as exc:
        raise UsageError(f"{location}: cannot read the policy: {exc.strerror}") from exc
    return parse_policy(raw, str(location), os.environ if env is None else env, judges=judges)


def parse_policy(
    raw: bytes,
    filename: str,
    env: Mapping[str, str],
    *,
    judges: Callable[[], Iterable[str]] | None = None,
) -> Policy:
    """Validate and type policy bytes read from ``filename`` (used in messages)."""
    from releasegate.policy import schema
    from releasegate.policy.build import Builder
    from releasegate.yamlread import YamlReader, format_path

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            [f"{filename}:1:1: the policy must be UTF-8 text ({exc.reason})"]
        ) from exc
    reader = YamlReader(env, filename)
    data = reader.read(text)
    problems = [(where, path, message) for where, path, message in reader.problems]

    def mark(path: tuple[str | int, ...]) -> tuple[int, int]:
        while path and path not in reader.marks:
            path = path[:-1]
        return reader.marks.get(path, (1, 1))

    policy = None
    syntax_ok = data is not None or not problems
    if syntax_ok and not isinstance(data, dict):
        problems.append(((1, 1), (), "the policy must be a mapping with 'version: 1' at the top"))
    elif syntax_ok:
        # A value the YAML reader already rejected (bad tag, unset variable) is not reported twice.
        rejected = {path for _where, path, _message in reader.problems}
        schema_problems = [
            (mark(p), p, message)
            for p, _at_key, message in schema.problems(data)
            if p not in rejected
        ]
        problems += schema_problems
        # Semantic checks run even on a schema-invalid document, so one run reports everything;
        # the builder skips the elements the schema already rejected.
        builder = Builder(filename, hashlib.sha256(raw).hexdigest(), judges)
        builder.locate = reader.marks.get
        builder.rejected = rejected | {path for _where, path, _message in schema_problems}
        policy = builder.build(data)
        rejected |= {path for _where, path, _message in schema_problems}
        problems += [(mark(p), p, message) for p, message in builder.problems if p not in rejected]
    if problems:
        unique = sorted(set(problems), key=lambda item: (item[0], format_path(item[1]), item[2]))
        lines = []
        for (line, column), path, message in unique:
            where = f"{format_path(path)}: " if path else ""
            lines.append(f"{filename}:{line}:{column}: {where}{message}")
        raise PolicyError(lines)
    assert policy is not None
    return policy
