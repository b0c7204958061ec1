"""Build-tool forms of a cache plan: ``.bazelrc``, BuildKit and kaniko flags, shell exports (pure).

Like the CI renderers these only reformat the plan; a read-only plan yields flags
that cannot upload (no ``--cache-to``, ``--no-push-cache``, no remote upload).
"""

from __future__ import annotations

import shlex
from typing import Any

from releasegate.cache.plan import CachePlan
from releasegate.cache.render_ci import Rendered, github_outputs
from releasegate.errors import UsageError

KANIKO_ARCHIVED = (
    "kaniko's upstream (GoogleContainerTools/kaniko) is archived; the same flags "
    "work with its maintained forks (set cache.kaniko.fork to say which you run)"
)


def _missing(section: str, target: str) -> UsageError:
    return UsageError(
        f"--target {target}: the policy has no cache.{section} section; "
        f"add one to releasegate.yml or choose another target"
    )


def render_bazel(plan: CachePlan) -> Rendered:
    """``.bazelrc`` text; read-only plans carry ``--remote_upload_local_results=false``."""
    if plan.bazel is None:
        raise _missing("bazel", "bazel")
    data = {"bazelrc": list(plan.bazel.lines), "header-flag": plan.bazel.header_flag}
    return Rendered("bazel", plan.bazel.rc_text(), data)


def render_buildkit(plan: CachePlan) -> Rendered:
    """``docker buildx build`` flags, one a line; ``--cache-to`` only when this run may write."""
    if plan.buildkit is None:
        raise _missing("docker", "buildkit")
    flags = plan.buildkit.buildx_flags()
    data = {
        "buildx": list(flags),
        "buildctl": list(plan.buildkit.buildctl_flags()),
        "cache-from": list(plan.buildkit.cache_from),
        "cache-to": list(plan.buildkit.cache_to),
    }
    return Rendered("buildkit", "".join(f + "\n" for f in flags), data)


def render_kaniko(plan: CachePlan, fork: str | None = None) -> Rendered:
    """kaniko executor flags, one a line; ``--no-push-cache`` when this run may not write."""
    if plan.kaniko is None:
        raise _missing("kaniko", "kaniko")
    notes = () if fork else (KANIKO_ARCHIVED,)
    return Rendered(
        "kaniko", "".join(f + "\n" for f in plan.kaniko), {"args": list(plan.kaniko)}, notes
    )


#: What a build tool gets when the policy has no section for it: no cache at all, never a write.
NO_CACHE: dict[str, tuple[str, ...]] = {
    "kaniko-args": ("--cache=false",),
    "buildkit-args": ("--no-cache",),
}


def tool_args(plan: CachePlan) -> dict[str, tuple[str, ...]]:
    """kaniko executor and ``buildctl build`` flags as lists, never empty (an empty list cannot
    be passed on by Tekton): a tool without a policy section gets :data:`NO_CACHE`."""
    return {
        "kaniko-args": plan.kaniko or NO_CACHE["kaniko-args"],
        "buildkit-args": (plan.buildkit.buildctl_flags() if plan.buildkit else ())
        or NO_CACHE["buildkit-args"],
    }


def render_env(plan: CachePlan) -> Rendered:
    """``export`` lines for a POSIX shell (``eval "$(releasegate cache --target env)"``)."""
    outputs = github_outputs(plan)
    values: dict[str, str] = {
        "RELEASEGATE_CACHE_KEY": outputs["cache-key"],
        "RELEASEGATE_CACHE_RESTORE_KEYS": outputs["cache-restore-keys"],
        "RELEASEGATE_CACHE_PATHS": outputs["cache-paths"],
        "RELEASEGATE_CACHE_SAVE": outputs["cache-save"],
        "RELEASEGATE_CACHE_WRITE_REASON": outputs["cache-write-reason"],
    }
    if plan.buildkit is not None:
        values["RELEASEGATE_BUILDX_CACHE_FLAGS"] = " ".join(
            shlex.quote(f) for f in plan.buildkit.buildx_flags()
        )
    if plan.kaniko is not None:
        values["RELEASEGATE_KANIKO_ARGS"] = " ".join(shlex.quote(f) for f in plan.kaniko)
    if plan.bazel is not None:
        flags = [line.split(" ", 1)[1] for line in plan.bazel.lines if line.startswith("build ")]
        values["RELEASEGATE_BAZEL_FLAGS"] = " ".join(shlex.quote(f) for f in flags)
    if plan.concurrency is not None:
        values["RELEASEGATE_CONCURRENCY_GROUP"] = plan.concurrency.group
    lines = [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    if plan.bazel is not None and plan.bazel.header_env:
        # double quotes on purpose: the shell that evals this expands the variable; the secret
        # itself never passes through releasegate (the name is checked by the schema)
        lines.append(
            f'export RELEASEGATE_BAZEL_HEADER_FLAG="--remote_header=${{{plan.bazel.header_env}}}"'
        )
    data: dict[str, Any] = dict(values)
    return Rendered("env", "\n".join(lines) + "\n", data)
