"""Build-cache configuration: keys, restore prefixes, paths and tool flags from ``cache:`` (pure).

``scan`` is the only module here that does I/O (it runs git and reads lockfiles);
everything else takes values and returns frozen dataclasses or text.
"""

from __future__ import annotations

from releasegate.cache.ecosystems import ECOSYSTEMS, OSES, LockGroup, detect
from releasegate.cache.keys import (
    LineEndingHasher,
    cache_key,
    combine,
    digest_bytes,
    restore_prefixes,
)
from releasegate.cache.plan import CachePlan, DependencyEntry, build_plan, select_groups
from releasegate.cache.render_ci import (
    Rendered,
    github_outputs,
    render_github,
    render_gitlab,
    render_tekton,
)
from releasegate.cache.render_tools import render_bazel, render_buildkit, render_env, render_kaniko
from releasegate.cache.trust import Ref, Trust, decide, parse_ref

TARGETS = ("github", "gitlab", "tekton", "bazel", "buildkit", "kaniko", "env")

__all__ = [
    "ECOSYSTEMS",
    "OSES",
    "TARGETS",
    "CachePlan",
    "DependencyEntry",
    "LineEndingHasher",
    "LockGroup",
    "Ref",
    "Rendered",
    "Trust",
    "build_plan",
    "cache_key",
    "combine",
    "decide",
    "detect",
    "digest_bytes",
    "github_outputs",
    "parse_ref",
    "render",
    "restore_prefixes",
    "select_groups",
]


def render(plan: CachePlan, target: str, *, kaniko_fork: str | None = None) -> Rendered:
    """The plan in ``target``'s native form; :class:`~releasegate.errors.UsageError` when the
    policy lacks the section the target needs."""
    if target == "github":
        return render_github(plan)
    if target == "gitlab":
        return render_gitlab(plan)
    if target == "tekton":
        return render_tekton(plan)
    if target == "bazel":
        return render_bazel(plan)
    if target == "buildkit":
        return render_buildkit(plan)
    if target == "kaniko":
        return render_kaniko(plan, kaniko_fork)
    if target == "env":
        return render_env(plan)
    raise ValueError(f"unknown cache target {target!r}")
