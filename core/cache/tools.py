"""Build-tool cache flags: BuildKit cache exporters, kaniko and Bazel, read-only unless trusted (pure).

Each planner takes the policy's section and one ``write`` flag and returns every flag
the tool needs; with ``write=False`` nothing in the result can upload to a cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from releasegate.policy.model import BazelCache, DockerCache, KanikoCache

#: The GitHub Actions cache quota per repository, in bytes (10 GB, shared with every other cache).
GHA_QUOTA = 10 * 10**9
#: Options that only make sense on the export side (``--cache-to``).
_EXPORT_ONLY = frozenset(
    {
        "mode",
        "image-manifest",
        "oci-mediatypes",
        "compression",
        "compression-level",
        "force-compression",
        "ignore-error",
    }
)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1.0,
    "b": 1.0,
    "kb": 1e3,
    "mb": 1e6,
    "gb": 1e9,
    "tb": 1e12,
    "kib": 2.0**10,
    "mib": 2.0**20,
    "gib": 2.0**30,
    "tib": 2.0**40,
}


def parse_size(text: str) -> float:
    """Bytes in ``800MB``, ``3GB``, ``1.5GiB`` or a plain number; :class:`ValueError` otherwise."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"expected a size such as 800MB or 3GB, got {text!r}")
    return float(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


def format_size(size: float) -> str:
    """``6.0 GB`` style, decimal units as GitHub states its quota."""
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size:.0f} B"


@dataclass(frozen=True)
class BuildkitPlan:
    """BuildKit cache import/export values (``type=...,...``); ``cache_to`` is empty when read-only."""

    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def buildx_flags(self) -> tuple[str, ...]:
        """``docker buildx build`` flags."""
        return tuple(f"--cache-from={v}" for v in self.cache_from) + tuple(
            f"--cache-to={v}" for v in self.cache_to
        )

    def buildctl_flags(self) -> tuple[str, ...]:
        """``buildctl build`` flags (what Tekton's BuildKit tasks run)."""
        out: list[str] = []
        for value in self.cache_from:
            out += ["--import-cache", value]
        for value in self.cache_to:
            out += ["--export-cache", value]
        return tuple(out)


def _attrs(pairs: list[tuple[str, str]]) -> str:
    return ",".join(f"{k}={v}" for k, v in pairs)


def plan_buildkit(
    docker: DockerCache, *, write: bool, default_scope: str, measured_size: float | None = None
) -> BuildkitPlan:
    """Cache flags for one image; ``default_scope`` names the gha scope when the policy has none."""
    options = sorted(docker.options.items())
    shared = [(k, v) for k, v in options if k not in _EXPORT_ONLY]
    export = [(k, v) for k, v in options if k in _EXPORT_ONLY and k != "mode"]
    mode = [("mode", docker.mode)]
    notes: list[str] = []
    warnings: list[str] = []
    backend = docker.backend
    if backend == "gha":
        scope = [("scope", docker.scope or default_scope)]
        source = [("type", "gha"), *scope, *shared]
        sink = [("type", "gha"), *mode, *scope, *shared, *export]
        size = measured_size if measured_size is not None else docker.size_estimate
        warning = gha_quota_warning(docker.mode, size)
        if warning:
            warnings.append(warning)
        elif docker.mode == "max" and size is None:
            notes.append(
                "gha with mode=max and no size estimate: set cache.docker.size_estimate "
                "(or --docker-cache-size) to check it against the 10 GB repository quota"
            )
    elif backend == "local":
        where = docker.ref or ".buildx-cache"
        source = [("type", "local"), ("src", where), *shared]
        sink = [("type", "local"), ("dest", f"{where}-new"), *mode, *shared, *export]
        if write:
            notes.append(
                f"type=local grows without bound: after the build replace {where} "
                f"with {where}-new (rm -rf {where} && mv {where}-new {where})"
            )
    elif backend == "s3":
        name = [("name", docker.ref)] if docker.ref else []
        source = [("type", "s3"), *name, *shared]
        sink = [("type", "s3"), *mode, *name, *shared, *export]
    elif backend == "inline":
        source = [("type", "registry"), ("ref", docker.ref)] if docker.ref else []
        sink = [("type", "inline")]
        if docker.mode == "max":
            warnings.append(
                "type=inline supports only mode=min; the intermediate stages of "
                "mode=max need type=registry or type=gha"
            )
        if not docker.ref:
            notes.append(
                "type=inline reads from the pushed image: set cache.docker.ref to it, or "
                "pass --cache-from type=registry,ref=IMAGE yourself"
            )
    else:  # registry
        ref = [("ref", docker.ref or "")]
        source = [("type", "registry"), *ref, *shared]
        sink = [("type", "registry"), *ref, *mode, *shared, *export]
    cache_from = (_attrs(source),) if source else ()
    cache_to = (_attrs(sink),) if write else ()
    if not write:
        notes.append("read-only: no --cache-to; use registry credentials that can only pull")
    return BuildkitPlan(cache_from, cache_to, tuple(notes), tuple(warnings))


def gha_quota_warning(mode: str, size: float | None) -> str | None:
    """A warning when a gha ``mode=max`` cache will not fit the repository quota twice.

    An export is written beside the previous one until GitHub evicts it, so two
    generations must fit in the 10 GB quota, which dependency caches share.
    """
    if mode != "max" or size is None or 2 * size <= GHA_QUOTA:
        return None
    return (
        f"gha cache mode=max is estimated at {format_size(size)}: two generations "
        f"({format_size(2 * size)}) exceed the {format_size(GHA_QUOTA)} GitHub Actions "
        "repository quota and will evict other caches; use mode=min or type=registry"
    )


def go_duration(seconds: float) -> str:
    """``168h`` for whole hours, else whole seconds (``90s``): both are Go durations."""
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    return f"{int(round(seconds))}s"


def plan_kaniko(kaniko: KanikoCache, *, write: bool) -> tuple[str, ...]:
    """kaniko executor flags; read-only adds ``--no-push-cache`` (kaniko >= 1.23 and its forks)."""
    flags = ["--cache=true", f"--cache-repo={kaniko.repo}"]
    if kaniko.ttl is not None:
        flags.append(f"--cache-ttl={go_duration(kaniko.ttl)}")
    if kaniko.copy_layers:
        flags.append("--cache-copy-layers=true")
    if not write:
        flags.append("--no-push-cache")
    return tuple(flags)


@dataclass(frozen=True)
class BazelPlan:
    """``.bazelrc`` lines and the command-line flag that carries the credential header."""

    lines: tuple[str, ...]
    header_flag: str | None = None
    header_env: str | None = None

    def rc_text(self) -> str:
        """The ``.bazelrc`` text, ending in a newline."""
        return "\n".join(self.lines) + "\n"


def plan_bazel(bazel: BazelCache, *, write: bool, reason: str) -> BazelPlan:
    """``.bazelrc`` lines; a credential header is never written, only named by its variable."""
    one_line = " ".join(reason.split())  # a comment must stay one line
    lines = [f"# releasegate: {'writes' if write else 'read-only'}: {one_line}"]
    if bazel.remote_cache:
        lines.append(f"build --remote_cache={bazel.remote_cache}")
    if bazel.instance_name:
        lines.append(f"build --remote_instance_name={bazel.instance_name}")
    if bazel.disk_cache:
        lines.append(f"build --disk_cache={bazel.disk_cache}")
    lines.append(f"build --remote_upload_local_results={'true' if write else 'false'}")
    header_flag = None
    if bazel.header_env:
        header_flag = f'--remote_header="${{{bazel.header_env}}}"'
        lines.append(
            f"# credentials: .bazelrc cannot read the environment; pass {header_flag} "
            f"on the bazel command line ({bazel.header_env} holds NAME=VALUE)"
        )
    return BazelPlan(tuple(lines), header_flag, bazel.header_env)
