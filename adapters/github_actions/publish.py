"""GitHub's workflow commands and files: outputs, step summary, annotations, groups, masks (I/O).

Outputs go to ``$GITHUB_OUTPUT``: one ``name=value`` line, or a heredoc with a random
delimiter for multiline values so no value can end it early. Annotations point at the
policy lines of failing requirements; GitHub shows only 10 errors and 10 warnings per
step, so the rest are counted in one notice and the summary holds them all.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

from releasegate.errors import PlatformError
from releasegate.model import Decision, Requirement

#: Annotations GitHub shows per step and level.
MAX_ANNOTATIONS = 10
#: A step summary larger than this is refused by GitHub.
MAX_SUMMARY_BYTES = 1024 * 1024
#: Requirement statuses shown as errors, and as warnings.
ERROR_STATUSES = frozenset({"fail", "missing", "error"})
WARNING_STATUSES = frozenset({"inconclusive"})


def escape_data(text: str) -> str:
    """Escape a workflow command's message (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """One workflow command line: ``::name key=value,...::message``."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def mask_commands(secrets: Iterable[str | None]) -> list[str]:
    """``::add-mask::`` lines for each non-empty secret (each line of a multiline one).

    The runner unescapes a command's data (``%25`` is ``%``), so each value is escaped as
    ``@actions/core``'s ``setSecret`` escapes it; unescaped, ``p%25ss`` would mask ``p%ss``.
    """
    lines = []
    for secret in secrets:
        for part in (secret or "").splitlines():
            if part.strip():
                lines.append(f"::add-mask::{escape_data(part)}")
    return lines


@contextmanager
def group(title: str, stream: TextIO) -> Iterator[None]:
    """Fold whatever is printed inside into a collapsed log group."""
    stream.write(command("group", title) + "\n")
    try:
        yield
    finally:
        stream.write("::endgroup::\n")
        stream.flush()


def output_lines(values: Mapping[str, str], delimiter: Callable[[], str] | None = None) -> str:
    """The ``$GITHUB_OUTPUT`` text for ``values``.

    :param delimiter: makes a fresh heredoc delimiter (default ``ghadelimiter_<uuid4>``).
    """
    make = delimiter or (lambda: f"ghadelimiter_{uuid.uuid4()}")
    out = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            mark = make()
            while mark in value:
                mark = make()
            out.append(f"{name}<<{mark}\n{value}\n{mark}\n")
        else:
            out.append(f"{name}={value}\n")
    return "".join(out)


def append_file(path: str | None, text: str, what: str) -> None:
    """Append ``text`` (UTF-8) to a file GitHub gave us; nothing when ``path`` is unset.

    :raises PlatformError: when the file cannot be written.
    """
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise PlatformError(f"{what} {path}: cannot write: {exc.strerror}") from exc


def summary_text(markdown: str) -> str:
    """``markdown`` cut to GitHub's step summary limit, saying so when cut."""
    data = markdown.encode("utf-8")
    if len(data) <= MAX_SUMMARY_BYTES:
        return markdown if markdown.endswith("\n") else markdown + "\n"
    note = "\n\n_(cut at GitHub's 1 MiB step summary limit; the JSON report has everything)_\n"
    room = MAX_SUMMARY_BYTES - len(note.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + note


def policy_file(decision: Decision, workspace: str | None) -> str | None:
    """The policy's path relative to the workspace with ``/`` separators, as annotations want it."""
    if not decision.policy_path:
        return None
    path = os.path.abspath(decision.policy_path)
    if workspace:
        try:
            path = os.path.relpath(path, os.path.abspath(workspace))
        except ValueError:  # another drive on Windows
            pass
    return path.replace(os.sep, "/")


def _annotation(level: str, requirement: Requirement, file: str | None) -> str:
    line, col = requirement.location if requirement.location and file else (None, None)
    return command(
        level,
        requirement.reason,
        title=f"releasegate: {requirement.name}",
        file=file if line else None,
        line=line,
        col=col,
    )


def annotation_lines(decision: Decision, file: str | None) -> list[str]:
    """At most 10 ``::error`` and 10 ``::warning`` lines, plus a notice counting the rest."""
    errors = [r for r in decision.requirements if r.status in ERROR_STATUSES]
    warnings = [r for r in decision.requirements if r.status in WARNING_STATUSES]
    lines = [_annotation("error", r, file) for r in errors[:MAX_ANNOTATIONS]]
    lines += [_annotation("warning", r, file) for r in warnings[:MAX_ANNOTATIONS]]
    hidden = max(len(errors) - MAX_ANNOTATIONS, 0) + max(len(warnings) - MAX_ANNOTATIONS, 0)
    if hidden:
        lines.append(
            command(
                "notice",
                f"{hidden} more requirement(s) not met: see the step summary",
                title="releasegate",
            )
        )
    return lines


#: Requirement names (their start) and the key under ``requires:`` that states them.
REQUIRES_KEYS = (
    ("from ", "from"),
    ("soak", "soak"),
    ("approvals", "approvals"),
    ("deploy window", "window"),
    ("freeze ", "freeze"),
    ("break-glass", "break_glass"),
    ("drift", "drift"),
    ("no promotion in progress", "stale_after"),
)


def locate_requirements(decision: Decision) -> Decision:
    """``decision`` with a policy line on every requirement that has one: those the core
    located (validations, criteria) keep theirs; the others get the line of what states them
    (``requires.soak``, ``requires.approvals``, a gate's metric...), else of their environment
    or gate. Reads the policy file again for its marks; unchanged when it cannot be read."""
    from dataclasses import replace

    if not decision.policy_path or all(r.location for r in decision.requirements):
        return decision
    from releasegate.errors import ReleasegateError

    try:
        from releasegate.yamlread import YamlReader

        with open(decision.policy_path, encoding="utf-8-sig") as handle:
            reader = YamlReader({}, decision.policy_path)
            data = reader.read(handle.read())
    except (OSError, ValueError, ImportError, ReleasegateError):
        return decision
    if not isinstance(data, dict):
        return decision
    marks = reader.marks

    def mark(*path: str | int) -> tuple[int, int] | None:
        while path and path not in marks:
            path = path[:-1]
        return marks.get(path) if path else None

    raw_envs, raw_gates = data.get("environments"), data.get("gates")
    environments: list[Any] = raw_envs if isinstance(raw_envs, list) else []
    env_index = next(
        (
            i
            for i, e in enumerate(environments)
            if isinstance(e, dict) and e.get("name") == decision.subject.environment
        ),
        None,
    )
    gates: dict[str, Any] = raw_gates if isinstance(raw_gates, dict) else {}

    def where(name: str) -> tuple[int, int] | None:
        if name.startswith("metric "):
            metric = name[len("metric ") :]
            for gate, spec in gates.items():
                metrics = spec.get("metrics") if isinstance(spec, dict) else None
                for j, m in enumerate(metrics if isinstance(metrics, list) else []):
                    if (
                        isinstance(m, dict)
                        and m.get("name") == metric
                        and (decision.subject.gate in (None, gate))
                    ):
                        return mark("gates", gate, "metrics", j)
        if name.startswith("gate "):
            gate = name[len("gate ") :].split(" ")[0]
            if gate in gates:
                return mark("gates", gate)
        if env_index is not None:
            for prefix, key in REQUIRES_KEYS:
                if name.startswith(prefix):
                    return mark("environments", env_index, "requires", key)
            return mark("environments", env_index)
        if decision.subject.gate in gates:
            return mark("gates", str(decision.subject.gate))
        return None

    located = tuple(
        r if r.location else replace(r, location=where(r.name)) for r in decision.requirements
    )
    return replace(decision, requirements=located)
