"""CI-system forms of a cache plan: GitHub Actions outputs, a GitLab ``cache:`` list, Tekton hints (pure).

Each renderer reformats a :class:`~releasegate.cache.plan.CachePlan`; whether anything
may be written was decided once, in the plan, and every form below obeys ``plan.write``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from releasegate.cache.plan import CachePlan, DependencyEntry
from releasegate.errors import UsageError
from releasegate.placeholders import gitlab_group_problem

#: GitLab runs at most this many caches per job.
GITLAB_MAX_CACHES = 4


class _PlainDumper(yaml.SafeDumper):
    """YAML without ``&id001`` anchors: shared lists are written out each time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    """Block-style YAML in insertion order, without anchors or line wrapping."""
    return yaml.dump(
        data, Dumper=_PlainDumper, sort_keys=False, default_flow_style=False, width=10_000
    )


@dataclass(frozen=True)
class Rendered:
    """One target's output: ``text`` in the target's native form, ``data`` for json/yaml."""

    target: str
    text: str
    data: dict[str, Any]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def _entry_dict(entry: DependencyEntry) -> dict[str, Any]:
    return {
        "ecosystem": entry.ecosystem,
        "directory": entry.directory,
        "key": entry.key,
        "restore-keys": list(entry.restore_keys),
        "path": list(entry.paths),
        "project-path": list(entry.project_paths),
        "fallback-key": entry.rolling_key,
        "lockfiles": list(entry.lockfiles),
    }


def github_outputs(plan: CachePlan) -> dict[str, str]:
    """The named outputs every platform publishes (GitHub step outputs and their equivalents).

    ``cache-action`` is ``actions/cache/restore`` and ``cache-save`` ``false`` when this run
    may not write; ``buildx-cache-to`` is then empty.
    """
    entry = plan.combined
    out = {
        "cache-key": entry.key if entry else "",
        "cache-restore-keys": "\n".join(entry.restore_keys) if entry else "",
        "cache-paths": "\n".join(entry.paths) if entry else "",
        "cache-save": "true" if plan.write else "false",
        "cache-restore-only": "false" if plan.write else "true",
        "cache-action": "actions/cache" if plan.write else "actions/cache/restore",
        "cache-write-reason": plan.trust.reason,
        "buildx-cache-from": "\n".join(plan.buildkit.cache_from) if plan.buildkit else "",
        "buildx-cache-to": "\n".join(plan.buildkit.cache_to)
        if plan.buildkit and plan.write
        else "",
    }
    if plan.concurrency and not plan.concurrency.unfilled:
        out["concurrency-group"] = plan.concurrency.group
    # last: the longest value, the first a size-limited report (GitLab dotenv) would drop
    out["cache-entries"] = json.dumps([_entry_dict(e) for e in plan.entries], separators=(",", ":"))
    return out


def github_output_file(values: dict[str, str]) -> str:
    """``$GITHUB_OUTPUT`` syntax: ``name=value``, or a heredoc for multi-line values."""
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = "RELEASEGATE_" + hashlib.sha256(value.encode()).hexdigest()[:16]
            while delimiter in value:
                delimiter += "_"
            lines += [f"{name}<<{delimiter}", value, delimiter]
        else:
            lines.append(f"{name}={value}")
    return "\n".join(lines) + "\n"


def render_github(plan: CachePlan) -> Rendered:
    """actions/cache inputs (restore-only when untrusted), buildx values, and a ``concurrency:`` block."""
    outputs = github_outputs(plan)
    steps: list[dict[str, Any]] = []
    if plan.combined:
        with_ = {
            "key": outputs["cache-key"],
            "restore-keys": outputs["cache-restore-keys"],
            "path": outputs["cache-paths"],
        }
        steps.append({"uses": f"{outputs['cache-action']}@v4", "with": with_})
    notes = []
    if not plan.write and plan.combined:
        notes.append("github: restore only (actions/cache/restore); this run never saves a cache")
    data: dict[str, Any] = {"outputs": outputs, "steps": steps}
    if plan.concurrency and plan.concurrency.unfilled:
        notes.append(
            _left_out("github: concurrency", plan.concurrency.group, plan.concurrency.unfilled)
        )
    elif plan.concurrency:
        data["concurrency"] = {"group": plan.concurrency.group, "cancel-in-progress": False}
        if plan.concurrency.max_parallel > 1:
            notes.append(
                f"github: a concurrency group runs one job at a time; max_parallel "
                f"{plan.concurrency.max_parallel} maps to strategy.max-parallel in a matrix"
            )
    return Rendered("github", github_output_file(outputs), data, tuple(notes))


def _left_out(what: str, group: str, unfilled: list[str]) -> str:
    """The note for a group this run cannot name: never a group literally called ``{env}``."""
    names = ", ".join("{" + name + "}" for name in unfilled)
    hint = " (pass --env)" if "env" in unfilled else ""
    return f"{what} left out: {group!r} names {names}, which this run cannot fill{hint}"


def _gitlab_value(template: str) -> str:
    return template.replace("{root}", "$CI_PROJECT_DIR")


def render_gitlab(plan: CachePlan) -> Rendered:
    """A hidden job ``.releasegate-cache`` with ``variables``, ``cache`` and ``resource_group``.

    Keys are literal, so each ``fallback_keys`` entry is an exact key a trusted job writes
    (``...-latest``, pushed beside the hashed key); untrusted jobs only ``pull``.
    """
    entries = plan.entries
    if len(entries) > GITLAB_MAX_CACHES:
        raise UsageError(
            f"gitlab: {len(entries)} dependency caches but GitLab allows "
            f"{GITLAB_MAX_CACHES} per job; set cache.per_directory: false or pick "
            "directories with --directory"
        )
    # GitLab's fallback_keys are exact keys, so an entry names one only when a trusted job
    # also pushes it; the same count decides it on every ref, so readers and writers agree.
    with_fallback = GITLAB_MAX_CACHES - len(entries)
    caches: list[dict[str, Any]] = []
    rolling: list[dict[str, Any]] = []
    notes: list[str] = []
    for index, entry in enumerate(entries):
        paths = list(entry.project_paths)
        cache: dict[str, Any] = {"key": entry.key}
        if index < with_fallback:
            cache["fallback_keys"] = [entry.rolling_key]
            if plan.write:
                rolling.append(
                    {
                        "key": entry.rolling_key,
                        "paths": paths,
                        "policy": "push",
                        "when": "on_success",
                    }
                )
        cache.update(
            {"paths": paths, "policy": "pull-push" if plan.write else "pull", "when": "on_success"}
        )
        caches.append(cache)
    if len(entries) > with_fallback:
        notes.append(
            f"gitlab: {len(entries) - max(with_fallback, 0)} cache(s) without fallback_keys: "
            f"a job holds {GITLAB_MAX_CACHES} caches and each fallback needs its own pushed key"
        )
    caches += rolling
    variables = {name: _gitlab_value(value) for e in entries for name, value in e.env}
    job: dict[str, Any] = {}
    if variables:
        job["variables"] = dict(sorted(variables.items()))
    job["cache"] = caches
    if plan.concurrency and plan.concurrency.unfilled:
        notes.append(
            _left_out("gitlab: resource_group", plan.concurrency.group, plan.concurrency.unfilled)
        )
    elif plan.concurrency:
        problem = gitlab_group_problem(plan.concurrency.group)
        if problem:
            raise UsageError(
                f"gitlab: cache.concurrency.group {problem}; change the group in the policy"
            )
        job["resource_group"] = plan.concurrency.group
        if plan.concurrency.max_parallel > 1:
            notes.append(
                f"gitlab: resource_group runs one job at a time; it has no limit of "
                f"{plan.concurrency.max_parallel}"
            )
    if caches:
        notes.append(
            "gitlab: keys get -protected or -non_protected appended by GitLab; while "
            "'Use separate caches for protected branches' is on, unprotected refs "
            "cannot read protected caches (releasegate never sets unprotect: true)"
        )
    document = {".releasegate-cache": job}
    header = (
        "# releasegate cache --target gitlab: "
        + ("writes" if plan.write else "read-only")
        + f" ({plan.trust.reason})\n"
    )
    text = header + dump_yaml(document)
    return Rendered("gitlab", text, document, tuple(notes))


def render_tekton(plan: CachePlan) -> Rendered:
    """Task results, kaniko ``EXTRA_ARGS``, buildctl args and how to mount the cache workspace."""
    outputs = github_outputs(plan)
    results = {k: outputs[k] for k in ("cache-key", "cache-restore-keys", "cache-save")}
    data: dict[str, Any] = {"results": results}
    if plan.kaniko is not None:
        data["kaniko-args"] = list(plan.kaniko)
    if plan.buildkit is not None:
        data["buildkit-args"] = list(plan.buildkit.buildctl_flags())
    env = {
        name: value.replace("{root}", "$(workspaces.cache.path)")
        for e in plan.entries
        for name, value in e.env
    }
    data["workspace"] = {
        "name": "cache",
        "readOnly": not plan.write,
        "paths": sorted({p for e in plan.entries for p in e.project_paths}),
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
    }
    notes = [
        f"tekton: mount the cache workspace {'read-write' if plan.write else 'readOnly: true'} "
        f"on this ref; bind it with subPath set to the cache-key result to keep keys apart"
    ]
    if plan.concurrency and plan.concurrency.unfilled:
        notes.append(
            _left_out(
                "tekton: concurrency group", plan.concurrency.group, plan.concurrency.unfilled
            )
        )
    elif plan.concurrency:
        notes.append(
            f"tekton: no native concurrency limit; queue PipelineRuns of group "
            f"{plan.concurrency.group} (at most {plan.concurrency.max_parallel} at a time) "
            "with a pipeline queue or a lease"
        )
    text = dump_yaml(data)
    return Rendered("tekton", text, data, tuple(notes))
