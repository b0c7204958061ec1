"""Tekton as a releasegate platform: context from the Task's params, decisions into results (I/O).

The Task hands each result's path to the step as ``RELEASEGATE_RESULT_<NAME>``
(``$(results.<name>.path)``). Results share Tekton's 4 KB termination message,
so values are cut to a byte budget on a character boundary, and a cut ``reason``
points at the full report the step keeps in the source workspace.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from releasegate.errors import PlatformError
from releasegate.platform import CIContext, LocalPlatform, Platform
from releasegate.plugins import hookimpl

if TYPE_CHECKING:
    from releasegate.ledger import Ledger
    from releasegate.model import Decision

#: The Task's results, in the order it declares them.
RESULTS: tuple[str, ...] = (
    "outcome", "reason", "next-weight", "rollback-to",
    "cache-key", "cache-restore-keys", "cache-save", "kaniko-args", "buildkit-args",
    "rollback-steps", "rollback-left", "forced",
)  # fmt: skip
#: Results of type array: JSON lists of strings, each to be passed whole as ``[*]``.
ARRAY_RESULTS: frozenset[str] = frozenset({"kaniko-args", "buildkit-args"})
#: Bytes per result. All twelve at their limits fit Tekton's 4 KB termination message with
#: its JSON framing: 1 KB for ``reason``, 512 B for each flag list, 256 B for each key and
#: for a ``--force`` reason, and what the short values need (an outcome word, a weight, a
#: commit id, true or false, the three rollback steps and their states).
LIMITS: Mapping[str, int] = {
    "outcome": 32, "reason": 1024, "next-weight": 16, "rollback-to": 64, "cache-save": 8,
    "kaniko-args": 512, "buildkit-args": 512, "rollback-steps": 96, "rollback-left": 64,
}  # fmt: skip
DEFAULT_LIMIT = 256
#: An array result written when the command gave none: a build without any cache, never a
#: write. Tekton refuses ``[*]`` of an empty array, so a list result is never ``[]``.
#: The same as ``releasegate.cache.render_tools.NO_CACHE`` (a test holds them equal), kept
#: here so that every command does not import the cache package.
ARRAY_FALLBACK: Mapping[str, tuple[str, ...]] = {
    "kaniko-args": ("--cache=false",),
    "buildkit-args": ("--no-cache",),
}
#: Set by the step: the full report's path relative to the source workspace.
REPORT_ENV = "RELEASEGATE_TEKTON_REPORT"


def result_env(name: str) -> str:
    """The variable carrying result ``name``'s path: ``next-weight`` -> ``RELEASEGATE_RESULT_NEXT_WEIGHT``."""
    return "RELEASEGATE_RESULT_" + name.upper().replace("-", "_")


def message_size(text: str) -> int:
    """Bytes ``text`` takes in the termination message: Go's ``json.Marshal`` writes UTF-8 as
    is, escapes ``"`` and ``\\`` with a backslash and ``<``, ``>``, ``&`` as ``\\u003c``..."""
    escaped = text.count('"') + text.count("\\")
    html = text.count("<") + text.count(">") + text.count("&")
    return len(text.encode("utf-8")) + escaped + 5 * html


def truncate(value: str, limit: int, pointer: str | None = None) -> str:
    """``value`` on one line, within ``limit`` bytes of the termination message; a cut value
    ends with ``pointer``.

    :param value: the text to publish.
    :param limit: the byte budget of this result, as :func:`message_size` counts.
    :param pointer: where the full text is, e.g. ``.releasegate/tekton/run-1.json``.
    :returns: ``value`` unchanged when it fits, else a prefix, an ellipsis and the pointer.
    """
    text = " ".join(value.split())
    if message_size(text) <= limit:
        return text
    tail = "…" + (f" (full report: {pointer})" if pointer else "")
    room, head = max(limit - message_size(tail), 0), []
    for char in text:
        room -= message_size(char)
        if room < 0:
            break
        head.append(char)
    cut = "".join(head).rstrip() + tail
    while message_size(cut) > limit:  # a pointer longer than the budget: cut it too
        cut = cut[:-1]
    return cut


def array_text(name: str, values: Sequence[str]) -> str:
    """An array result as Tekton reads it: a JSON list of strings, never empty, never cut.

    A list is never shortened to fit: a flag list without its last flag (``--no-push-cache``)
    would turn a read-only build into a writing one.

    :raises PlatformError: when the list exceeds its byte budget.
    """
    text = json.dumps(
        list(values) or list(ARRAY_FALLBACK[name]), separators=(",", ":"), ensure_ascii=False
    )
    limit = LIMITS.get(name, DEFAULT_LIMIT)
    if message_size(text) > limit:
        raise PlatformError(
            f"the Tekton result {name} would take {message_size(text)} bytes, over its"
            f" {limit}-byte share of the 4 KB termination message; shorten the cache section's"
            " refs in releasegate.yml"
        )
    return text


def write_results(
    env: Mapping[str, str],
    values: Mapping[str, str | Sequence[str]],
    *,
    fill: bool = True,
) -> list[str]:
    """Write the Task's results named in ``values`` to the paths the step was given.

    :param env: the step's environment (``RELEASEGATE_RESULT_*`` paths, the report pointer).
    :param values: result name to value, a list for an array result (a string there stands
        for "none" and gives the fallback); names the Task does not declare are ignored.
    :param fill: also write every declared result not in ``values`` (``""``, or for an array
        result its no-cache fallback), because a Pipeline that reads a result the Task never
        wrote fails.
    :returns: the names written.
    :raises PlatformError: when a result file cannot be written or a list does not fit.
    """
    pointer = env.get(REPORT_ENV) or None
    written = []
    for name in RESULTS:
        path = env.get(result_env(name))
        if not path or (name not in values and not fill):
            continue
        value = values.get(name, "")
        if name in ARRAY_RESULTS:
            text = array_text(name, [] if isinstance(value, str) else list(value))
        else:
            text = truncate(str(value), LIMITS.get(name, DEFAULT_LIMIT), pointer)
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise PlatformError(
                f"cannot write the Tekton result {name} to {path}: {exc.strerror}"
            ) from exc
        written.append(name)
    return written


class TektonPlatform(LocalPlatform):
    """A TaskRun: records live in the ledger (the ``ledger`` workspace), decisions go to results."""

    name = "tekton"

    def context(self) -> CIContext:
        """The commit from the ``sha`` param, else the checkout's HEAD; the branch when checked out."""
        found = super().context()
        ref = found.ref if found.ref and found.ref != "HEAD" else None
        return dataclasses.replace(
            found,
            platform=self.name,
            sha=self.env.get("RELEASEGATE_SHA") or found.sha,
            ref=ref,
            ref_type="branch" if ref else None,
            actor=None,
        )

    def publish(self, decision: Decision) -> None:
        """Write ``outcome``, ``reason`` and the decision's declared outputs; empty for the rest."""
        write_results(
            self.env, {**decision.outputs, "outcome": decision.outcome, "reason": decision.reason}
        )

    def publish_outputs(self, values: dict[str, str]) -> None:
        """Write the declared values (``cache-key``...); ``outcome`` is left to the step's runner."""
        write_results(self.env, values, fill=False)

    def publish_lists(self, values: dict[str, tuple[str, ...]]) -> None:
        """Write ``kaniko-args`` and ``buildkit-args`` as array results, whole or not at all."""
        write_results(self.env, values, fill=False)


@hookimpl
def releasegate_platform(env: Mapping[str, str], ledger: Ledger) -> Platform | None:
    """A :class:`TektonPlatform` when the Task set ``RELEASEGATE_PLATFORM=tekton``, else ``None``."""
    if env.get("RELEASEGATE_PLATFORM") != "tekton":
        return None
    return TektonPlatform(ledger, dict(env))
