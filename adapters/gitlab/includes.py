"""Find releasegate templates included twice under one job name in ``.gitlab-ci.yml`` (pure).

GitLab merges jobs of the same name: a template included twice without distinct
``job-prefix`` inputs yields one job, the later include's, and the first gate silently
disappears. Only the top-level ``include:`` of the pipeline file is read (the check job sees
that file, not what nested includes resolve to).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

__all__ = ["duplicate_jobs", "load_pipeline"]

_TEMPLATE = re.compile(
    r"(?:^|/)(?P<name>check|promote|analyze|canary|cache|drill|record)(?:\.yml)?(?:@[^/]*)?$")


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads GitLab's ``!reference`` and other tags as plain data."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_pipeline(text: str) -> Any:
    """The pipeline file as data (GitLab tags such as ``!reference`` read as ``None``)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def _entries(include: Any) -> Iterable[dict[str, Any]]:
    items = include if isinstance(include, list) else [include]
    for item in items:
        if isinstance(item, dict):
            yield item


def _location(entry: dict[str, Any]) -> str | None:
    for key in ("component", "local", "remote", "file", "template"):
        value = entry.get(key)
        if isinstance(value, str):
            return value
    return None


def duplicate_jobs(pipeline: Any, marker: str = "releasegate") -> list[str]:
    """One line per job name that two includes of releasegate templates would both define.

    :param marker: a text every releasegate include location contains (its project path).
    """
    if not isinstance(pipeline, dict):
        return []
    seen: dict[str, str] = {}
    problems: list[str] = []
    for entry in _entries(pipeline.get("include")):
        where = _location(entry)
        if not where or marker not in where and not where.startswith(("templates/", "/templates/")):
            continue
        found = _TEMPLATE.search(where.split("?")[0])
        if not found:
            continue
        given = entry.get("inputs")
        inputs: dict[str, Any] = given if isinstance(given, dict) else {}
        job = f"{inputs.get('job-prefix') or 'releasegate'}-{found.group('name')}"
        if job in seen:
            problems.append(f"{where} and {seen[job]} both define job {job}: GitLab keeps only "
                            "the later one; give each include its own job-prefix input")
        else:
            seen[job] = where
    return problems
