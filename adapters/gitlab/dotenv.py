"""The dotenv report of a GitLab job: short ``RELEASEGATE_*`` values for downstream jobs (pure).

GitLab accepts a dotenv report of at most 5 KB and 20 variables, one
``KEY=value`` per line, keys of ``[A-Za-z0-9_]``, no quotes, comments, empty
lines or multi-line values. :func:`dotenv_text` builds a file that always fits,
keeping the most important variables when it must drop some.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from releasegate.placeholders import gitlab_group_problem, tokens_in

__all__ = [
    "MAX_BYTES",
    "MAX_VALUE",
    "MAX_VARIABLES",
    "RESERVED",
    "cache_outputs",
    "dotenv_text",
    "output_variable",
    "sanitize",
]

#: GitLab's limits, with room to spare for the size (the documented limit is 5 KB).
MAX_BYTES = 4096
MAX_VARIABLES = 20
#: Longest value kept; the full text is in the JUnit and Markdown reports.
MAX_VALUE = 200

#: ``RELEASEGATE_<OPTION>`` names the CLI reads as option defaults. dotenv variables take
#: precedence over a later job's ``variables:``, so an output with such a name would silently
#: change what a downstream releasegate command does: those get a ``RESULT_`` infix instead.
RESERVED = frozenset(
    {
        "AT",
        "AUTHOR",
        "BREAK_GLASS",
        "BY",
        "CONFIG",
        "DEBUG",
        "DEPLOYED_AT",
        "DIGEST",
        "DRY_RUN",
        "DURATION",
        "ENV",
        "ENVIRONMENT",
        "EXPLAIN",
        "FAIL_ON",
        "FORMAT",
        "GATE",
        "LEDGER",
        "LIMIT",
        "METRICS",
        "ONCE",
        "OUTPUT",
        "PROMETHEUS_TOKEN",
        "PROMETHEUS_TOKEN_FILE",
        "PROMETHEUS_URL",
        "QUIET",
        "REF",
        "SERVICE",
        "SHA",
        "STATUS",
        "STEP",
        "TARGET",
        "TO",
        "VERSION",
        "WINDOW",
    }
)

#: Published first, in this order, whatever else a decision carries.
PRIORITY = (
    "RELEASEGATE_OUTCOME",
    "RELEASEGATE_REASON",
    "RELEASEGATE_KIND",
    "RELEASEGATE_NEXT_WEIGHT",
    "RELEASEGATE_ROLLBACK_TO",
    "RELEASEGATE_ROLLBACK_JOB",
)

_KEY_CHARS = re.compile(r"[^A-Z0-9_]+")
# Characters a dotenv parser may read as quoting, comments or substitution.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"'`$#\\]+")


def output_variable(name: str) -> str:
    """The dotenv key of a decision output: ``next-weight`` is ``RELEASEGATE_NEXT_WEIGHT``."""
    key = _KEY_CHARS.sub("_", name.upper()).strip("_") or "VALUE"
    if key in RESERVED:
        key = f"RESULT_{key}"
    return f"RELEASEGATE_{key}"


def sanitize(value: str, limit: int = MAX_VALUE) -> str:
    """One line without quotes, ``#``, ``$`` or backslashes, at most ``limit`` characters."""
    text = " ".join(_UNSAFE.sub(" ", value).split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def dotenv_text(values: Mapping[str, str]) -> str:
    """The report for ``values`` (keys already ``RELEASEGATE_*``), within GitLab's limits.

    Keys in :data:`PRIORITY` come first; then the others in their given order. Variables
    past the 20th, or past the size limit, are dropped whole (never cut mid-line).
    """
    ordered = [k for k in PRIORITY if k in values] + [k for k in values if k not in PRIORITY]
    lines: list[str] = []
    size = 0
    for key in ordered:
        clean_key = _KEY_CHARS.sub("_", key.upper())
        line = f"{clean_key}={sanitize(str(values[key]))}\n"
        if len(lines) >= MAX_VARIABLES or size + len(line.encode()) > MAX_BYTES:
            break
        lines.append(line)
        size += len(line.encode())
    return "".join(lines)


def cache_outputs(values: Mapping[str, str], *, merge_request: bool) -> dict[str, str]:
    """The ``cache`` command's named values in GitLab's forms, from the platform-neutral ones.

    Key, fallback key, paths inside the project directory (``cache:paths``) and the
    ``cache:policy`` value; ``pull`` in a merge request pipeline whatever the plan says. A
    concurrency group with an unfilled ``{placeholder}``, or one GitLab would refuse, is left out.
    """
    entries = json.loads(values.get("cache-entries") or "[]")
    first = entries[0] if entries else {}
    write = values.get("cache-save") == "true" and not merge_request
    out = {
        "cache-key": values.get("cache-key", ""),
        "cache-fallback-key": str(first.get("fallback-key") or ""),
        "cache-paths": " ".join(first.get("project-path") or []),
        "cache-policy": "pull-push" if write else "pull",
        "cache-write-reason": "merge request pipelines only read caches"
        if merge_request
        else values.get("cache-write-reason", ""),
    }
    group = values.get("concurrency-group", "")
    if group and not tokens_in(group) and gitlab_group_problem(group) is None:
        out["resource-group"] = group
    return out
