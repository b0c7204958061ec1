"""The cache plan: from the policy, the repository's file list and lockfile digests to every key,
path and flag, with the trust decision applied once (pure).

Renderers only reformat a :class:`CachePlan`; none of them decides anything.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from releasegate.cache.ecosystems import ECOSYSTEMS, LockGroup, classify, detect, skipped
from releasegate.cache.keys import cache_key, combine, restore_prefixes, rolling_key
from releasegate.cache.tools import BazelPlan, BuildkitPlan, plan_bazel, plan_buildkit, plan_kaniko
from releasegate.cache.trust import Trust, glob_matches
from releasegate.placeholders import render_group, tokens_in
from releasegate.policy.model import Cache


@dataclass(frozen=True)
class DependencyEntry:
    """One dependency cache.

    :param directory: the lockfiles' directory with ``per_directory``; ``None`` for the whole repository.
    :param paths: what to cache on the plan's OS (``~`` is the home directory).
    :param project_paths: the same inside the project directory (GitLab, Tekton workspaces).
    :param env: ``(VARIABLE, value)`` pairs moving the tool's cache to ``project_paths``;
        ``{root}`` in a value is the project directory.
    :param rolling_key: the exact key a trusted GitLab job also writes for ``fallback_keys``.
    """

    ecosystem: str
    directory: str | None
    key: str
    restore_keys: tuple[str, ...]
    rolling_key: str
    digest: str
    lockfiles: tuple[str, ...]
    paths: tuple[str, ...]
    project_paths: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ConcurrencyPlan:
    """The concurrency group with ``{env}``/``{service}`` filled in where known
    (:func:`releasegate.placeholders.render_group`); :attr:`unfilled` names what is not."""

    group: str
    max_parallel: int

    @property
    def unfilled(self) -> list[str]:
        """The placeholders this run had no value for; a group holding one is never emitted."""
        return tokens_in(self.group)


@dataclass(frozen=True)
class CachePlan:
    """Everything ``releasegate cache`` prints, for one OS and one trust decision.

    :param combined: all entries as one actions/cache entry (the entry itself when there is one).
    :param explain: sentences saying which files fed each key and why writes are on or off.
    """

    os: str
    prefix: str
    trust: Trust
    entries: tuple[DependencyEntry, ...]
    combined: DependencyEntry | None
    buildkit: BuildkitPlan | None = None
    kaniko: tuple[str, ...] | None = None
    bazel: BazelPlan | None = None
    concurrency: ConcurrencyPlan | None = None
    warnings: tuple[str, ...] = ()
    explain: tuple[str, ...] = field(default=())

    @property
    def write(self) -> bool:
        """Whether anything may be written (the single switch every renderer obeys)."""
        return self.trust.write


def select_groups(cache: Cache, paths: Sequence[str]) -> tuple[list[LockGroup], list[str]]:
    """The lockfile groups the policy asks for, and warnings for listed entries that found nothing.

    ``dependencies: auto`` detects every ecosystem; a list keeps to the listed ones, with
    ``lockfiles`` as globs relative to the root (``**/package-lock.json``).
    """
    if cache.dependencies == "none":
        return [], []
    if cache.dependencies == "auto":
        groups = detect(paths)
    else:
        groups, warnings = [], []
        for index, dep in enumerate(cache.dependencies):
            files = _listed_files(dep.ecosystem, dep.lockfiles, paths)
            if not files:
                shown = ", ".join(dep.lockfiles) or f"the {dep.ecosystem} lockfiles"
                warnings.append(
                    f"cache.dependencies[{index}]: no file matches {shown}; "
                    f"no {dep.ecosystem} cache (fix the glob or remove the entry)"
                )
                continue
            by_dir: dict[str, list[str]] = {}
            for path in files:
                hit = classify(path)
                directory = (
                    hit[1] if hit and hit[0] == dep.ecosystem else posixpath.dirname(path) or "."
                )
                by_dir.setdefault(directory, []).append(path)
            groups += [
                LockGroup(dep.ecosystem, d, tuple(sorted(f)), dep.paths)
                for d, f in sorted(by_dir.items())
            ]
        if not cache.per_directory:
            groups = _merge(groups)
        return groups, warnings
    return (groups if cache.per_directory else _merge(groups)), []


def _listed_files(ecosystem: str, patterns: Sequence[str], paths: Sequence[str]) -> list[str]:
    if patterns:
        return sorted({p for p in paths for g in patterns if not skipped(p) and glob_matches(g, p)})
    return sorted(
        p for p in paths if not skipped(p) and (hit := classify(p)) and hit[0] == ecosystem
    )


def _merge(groups: Sequence[LockGroup]) -> list[LockGroup]:
    merged: dict[str, LockGroup] = {}
    for group in groups:
        seen = merged.get(group.ecosystem)
        files = group.lockfiles if seen is None else seen.lockfiles + group.lockfiles
        paths = group.paths if seen is None else tuple(dict.fromkeys(seen.paths + group.paths))
        merged[group.ecosystem] = LockGroup(group.ecosystem, ".", tuple(sorted(set(files))), paths)
    return [merged[name] for name in sorted(merged)]


def _entry(
    prefix: str, os_name: str, group: LockGroup, digest: str, per_directory: bool
) -> DependencyEntry:
    eco = ECOSYSTEMS[group.ecosystem]
    directory = group.directory if per_directory else None
    env: tuple[tuple[str, str], ...] = ()
    if group.paths:
        paths = project = group.paths
    elif directory is not None and eco.local:
        paths = project = tuple(p if directory == "." else f"{directory}/{p}" for p in eco.local)
    else:
        paths, project, env = eco.paths[os_name], eco.project, eco.env
    return DependencyEntry(
        ecosystem=group.ecosystem,
        directory=directory,
        key=cache_key(prefix, os_name, group.ecosystem, directory, digest),
        restore_keys=restore_prefixes(prefix, os_name, group.ecosystem, directory),
        rolling_key=rolling_key(prefix, os_name, group.ecosystem, directory),
        digest=digest,
        lockfiles=group.lockfiles,
        paths=paths,
        project_paths=project,
        env=env,
    )


def combine_entries(
    prefix: str, os_name: str, entries: Sequence[DependencyEntry]
) -> DependencyEntry | None:
    """All entries as one (``ecosystem`` ``deps``) for a single actions/cache step."""
    if len(entries) <= 1:
        return entries[0] if entries else None
    digest = combine({e.key: e.digest for e in entries})
    env = tuple({name: (name, value) for e in reversed(entries) for name, value in e.env}.values())
    return DependencyEntry(
        ecosystem="deps",
        directory=None,
        key=cache_key(prefix, os_name, "deps", None, digest),
        restore_keys=restore_prefixes(prefix, os_name, "deps", None),
        rolling_key=rolling_key(prefix, os_name, "deps", None),
        digest=digest,
        lockfiles=tuple(sorted({f for e in entries for f in e.lockfiles})),
        paths=tuple(dict.fromkeys(p for e in entries for p in e.paths)),
        project_paths=tuple(dict.fromkeys(p for e in entries for p in e.project_paths)),
        env=tuple(sorted(env)),
    )


def build_plan(
    cache: Cache,
    groups: Sequence[LockGroup],
    digests: Mapping[str, str],
    *,
    os_name: str,
    trust: Trust,
    service: str | None = None,
    environment: str | None = None,
    docker_size: float | None = None,
    warnings: Sequence[str] = (),
) -> CachePlan:
    """Plan every cache the policy asks for.

    :param digests: ``{lockfile path: line-ending independent sha256}`` for the groups' files;
        a file missing here (unreadable) is left out of its key and reported.
    :param docker_size: a measured BuildKit cache size in bytes, preferred to the policy's estimate.
    """
    notes = [("writes: " if trust.write else "read-only: ") + trust.reason]
    warned = list(warnings)
    entries = []
    for group in groups:
        present = {p: digests[p] for p in group.lockfiles if p in digests}
        missing = [p for p in group.lockfiles if p not in digests]
        if missing:
            warned.append(
                f"could not read {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}; "
                f"left out of the {group.ecosystem} key"
            )
        if not present:
            continue
        entry = _entry(cache.prefix, os_name, group, combine(present), cache.per_directory)
        entries.append(entry)
        shown = ", ".join(entry.lockfiles[:8]) + (
            f" and {len(entry.lockfiles) - 8} more" if len(entry.lockfiles) > 8 else ""
        )
        notes.append(f"{entry.key}: from {len(entry.lockfiles)} file(s): {shown}")
    if not entries and cache.dependencies != "none":
        notes.append("no lockfile found: no dependency cache")
    buildkit = kaniko = bazel = None
    if cache.docker is not None:
        buildkit = plan_buildkit(
            cache.docker,
            write=trust.write,
            default_scope=service or "buildkit",
            measured_size=docker_size,
        )
        notes += buildkit.notes
        warned += buildkit.warnings
    if cache.kaniko is not None:
        kaniko = plan_kaniko(cache.kaniko, write=trust.write)
        if not trust.write:
            notes.append(
                "kaniko: --no-push-cache keeps cache layers local; also give this job "
                "pull-only registry credentials"
            )
    if cache.bazel is not None:
        bazel = plan_bazel(cache.bazel, write=trust.write, reason=trust.reason)
    concurrency = None
    if cache.concurrency is not None:
        group_name = render_group(cache.concurrency.group, {"env": environment, "service": service})
        concurrency = ConcurrencyPlan(group_name, cache.concurrency.max_parallel)
    return CachePlan(
        os=os_name,
        prefix=cache.prefix,
        trust=trust,
        entries=tuple(entries),
        combined=combine_entries(cache.prefix, os_name, entries),
        buildkit=buildkit,
        kaniko=kaniko,
        bazel=bazel,
        concurrency=concurrency,
        warnings=tuple(warned),
        explain=tuple(notes),
    )
