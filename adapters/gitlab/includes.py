"""Find releasegate templates included twice under one job name in ``.gitlab-ci.yml`` (pure).

GitLab merges jobs of the same name: a template included twice without distinct
``job-prefix`` inputs yields one job, the later include's, and the first gate silently
disappears. The pipeline file's ``include:`` is read, and so are the repository's own files it
includes (``local:``, a plain path, wildcards), nested to any depth (doc/ci/yaml/includes.md,
"Use nested includes"): those are in the checkout the check job runs in. What ``project:``,
``remote:`` and components include in turn is not read (the job does not have those files).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import yaml

__all__ = ["duplicate_jobs", "load_pipeline"]

_TEMPLATE = re.compile(
    r"(?:^|/)(?P<name>check|promote|analyze|canary|cache|drill|record)(?:\.yml)?(?:@[^/]*)?$"
)
#: GitLab stops at 150 nested includes (doc/ci/yaml/includes.md, "Use nested includes").
MAX_FILES = 150

#: Reads one local include (a path relative to the repository, wildcards allowed) as
#: ``[(path, pipeline data)]``, one per file it names; ``[]`` for none.
Reader = Callable[[str], list[tuple[str, Any]]]


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads GitLab's ``!reference`` and other tags as plain data."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_pipeline(text: str) -> Any:
    """The pipeline file as data (GitLab tags such as ``!reference`` read as ``None``).

    A file with a ``spec:`` header (``spec:`` then ``---``) is its second document.

    :raises yaml.YAMLError: when the text is not YAML.
    """
    documents = list(yaml.load_all(text, Loader=_Loader))  # noqa: S506 - a SafeLoader subclass
    if len(documents) > 1 and isinstance(documents[0], dict) and "spec" in documents[0]:
        return documents[1]
    return documents[0] if documents else None


def _entries(include: Any) -> Iterable[dict[str, Any]]:
    items = include if isinstance(include, list) else [include]
    for item in items:
        if isinstance(item, dict):
            yield item
        elif isinstance(item, str):  # the short form: a local path, or a URL (remote)
            yield {"remote" if item.startswith(("http://", "https://")) else "local": item}


def _location(entry: dict[str, Any]) -> str | None:
    for key in ("component", "local", "remote", "file", "template"):
        value = entry.get(key)
        if isinstance(value, str):
            return value
    return None


def duplicate_jobs(
    pipeline: Any, marker: str = "releasegate", read: Reader | None = None
) -> list[str]:
    """One line per job name that two includes of releasegate templates would both define.

    :param marker: a text every releasegate include location contains (its project path).
    :param read: reads a ``local:`` include, to follow nested includes; ``None`` reads only
        ``pipeline``'s own ``include:``.
    """
    seen: dict[str, str] = {}
    problems: list[str] = []
    files: list[tuple[str | None, Any]] = [(None, pipeline)]
    visited: set[str] = set()
    while files:
        source, data = files.pop(0)
        if not isinstance(data, dict):
            continue
        for entry in _entries(data.get("include")):
            where = _location(entry) or ""
            job = _job(entry, where, marker) if where else None
            if job is None:
                if read is not None and isinstance(entry.get("local"), str):
                    for path, nested in read(entry["local"]):
                        if path not in visited and len(visited) < MAX_FILES:
                            visited.add(path)
                            files.append((path, nested))
                continue
            shown = f"{where} (in {source})" if source else where
            if job in seen:
                problems.append(
                    f"{shown} and {seen[job]} both define job {job}: GitLab keeps "
                    "only the later one; give each include its own job-prefix input"
                )
            else:
                seen[job] = shown
    return problems


def _job(entry: dict[str, Any], where: str, marker: str) -> str | None:
    if marker not in where and not where.startswith(("templates/", "/templates/")):
        return None
    found = _TEMPLATE.search(where.split("?")[0])
    if not found:
        return None
    given = entry.get("inputs")
    inputs: dict[str, Any] = given if isinstance(given, dict) else {}
    return f"{inputs.get('job-prefix') or 'releasegate'}-{found.group('name')}"
