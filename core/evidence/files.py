"""Opening report files safely: inside the workspace, size-capped, strict JSON, XML without DTDs (I/O).

Report paths resolve under the workspace (the repository the policy is in); a
path or symlink leading out of it is refused. Every report is capped at
:data:`MAX_REPORT_BYTES`. JSON ``NaN``/``Infinity``, nesting deeper than the
parser's recursion limit and a key given twice in one object are refused. XML
is parsed by expat, streaming, with handlers that refuse entity declarations and inline DTDs whatever the
document's encoding; a plain ``<!DOCTYPE report PUBLIC ...>`` line, as JaCoCo
writes, is accepted and its DTD never fetched. Error messages name the file,
line and column but never quote the file's content.
"""

from __future__ import annotations

import glob
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

from releasegate.errors import EvidenceError

__all__ = [
    "MAX_REPORT_BYTES",
    "XmlEvents",
    "expand",
    "load_json",
    "load_text",
    "local",
    "read_head",
    "stream_xml",
    "workspace_root",
]

#: Largest report read, in bytes (64 MiB); a larger file is an error naming this cap.
MAX_REPORT_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 16
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")


def workspace_root(base: Path) -> Path:
    """The workspace reports must stay in: the git work tree holding ``base``, else ``base``."""
    start = base.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def expand(pattern: str, base: Path, root: Path | None = None) -> list[Path]:
    """The files matching ``pattern`` (``**`` recursive), relative to ``base``, sorted.

    Each match is resolved (symlinks followed) and must lie under ``root`` (default: the
    :func:`workspace_root` of ``base``).

    :raises EvidenceError: when a match resolves outside ``root``.
    """
    inside = (root or workspace_root(base)).resolve()
    full = pattern if Path(pattern).is_absolute() else str(base / pattern)
    found = []
    for name in sorted(glob.glob(full, recursive=True)):
        path = Path(name)
        resolved = path.resolve()
        if not resolved.is_relative_to(inside):
            raise EvidenceError(
                f"{path}: resolves outside the workspace {inside}; reports must be files "
                f"inside the repository (symlinks out of it are refused)"
            )
        if resolved.is_file() and resolved not in found:  # two links to one report count once
            found.append(resolved)
    return found


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes in chunks, stopping with an error past :data:`MAX_REPORT_BYTES`."""
    try:
        with path.open("rb") as handle:
            size = 0
            while chunk := handle.read(_CHUNK):
                size += len(chunk)
                if size > MAX_REPORT_BYTES:
                    raise EvidenceError(
                        f"{path}: report is larger than {MAX_REPORT_BYTES} bytes (64 MiB), the cap "
                        f"on any report; split it or report less"
                    )
                yield chunk
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read the report: {exc.strerror}") from exc


def _read(path: Path) -> bytes:
    return b"".join(_chunks(path))


def read_head(path: Path, size: int = 512) -> bytes:
    """The first ``size`` bytes of the file, to tell formats apart."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read the report: {exc.strerror}") from exc


def load_text(path: Path) -> str:
    """The file as UTF-8 text."""
    try:
        return _read(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{path}: not UTF-8 text at byte {exc.start}; is it a report?") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return value


class _DuplicateKey(ValueError):
    """A JSON object names one key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object from its pairs, refusing a key given twice (parsers differ on which one wins)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def load_json(path: Path, what: str) -> Any:
    """The file parsed as JSON; ``what`` names the format for the error message.

    ``NaN``, ``Infinity``, numbers beyond a float's range and an object naming a key twice
    are refused.
    """
    text = load_text(path)
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise EvidenceError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); expected {what}"
        ) from exc
    except RecursionError:
        raise EvidenceError(f"{path}: JSON nested too deeply; expected {what}") from None
    except _DuplicateKey as exc:
        key = str(exc)  # shown only when it is a plain name: errors never quote the report
        shown = f'the key "{key}"' if _NAME.fullmatch(key) else "a key"
        raise EvidenceError(
            f"{path}: an object names {shown} twice, so readers disagree on "
            f"its value; expected {what}"
        ) from None
    except ValueError as exc:
        raise EvidenceError(
            f"{path}: not valid JSON (NaN, Infinity or a number out of range); expected {what}"
        ) from exc


class _Refused(Exception):
    """Raised by a handler meeting a DTD or entity; :func:`stream_xml` turns it into an error."""


class XmlEvents:
    """Callbacks for :func:`stream_xml`; override what a reader needs.

    Tags reach the callbacks without their namespace. A reader that has all it needs sets
    :attr:`done`: no more callbacks are made, and the rest of the file is only checked to be
    well-formed (by expat alone, fast), so a truncated report is still refused.
    """

    done: bool = False

    def start(self, tag: str, attributes: dict[str, str], depth: int) -> None:
        """An element opens at ``depth`` (the root is 1)."""

    def end(self, tag: str, depth: int) -> None:
        """An element closes."""

    def text(self, data: str) -> None:
        """Character data inside the current element."""


def stream_xml(path: Path, what: str, events: XmlEvents, *, want_text: bool = False) -> None:
    """Parse the file with expat, in chunks, calling ``events``; no tree is built.

    :raises EvidenceError: on malformed XML, entity declarations or an inline DTD (in any
        encoding), or a file past :data:`MAX_REPORT_BYTES`.
    """
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    refused: list[str] = []

    def refuse(reason: str) -> Callable[..., None]:
        def handler(*_args: Any) -> None:
            refused.append(reason)
            raise _Refused

        return handler

    def doctype(_name: str, _system: str | None, _public: str | None, internal: int) -> None:
        if internal:
            refuse("an inline DTD")()

    depth = 0

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        events.start(local(tag), attributes, depth)
        if events.done:
            parser.StartElementHandler = None
            parser.EndElementHandler = None
            parser.CharacterDataHandler = None

    def end(tag: str) -> None:
        nonlocal depth
        events.end(local(tag), depth)
        depth -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse("entity declarations")
    parser.UnparsedEntityDeclHandler = refuse("entity declarations")
    # With an external DTD named, expat skips undefined entities instead of failing: refuse them.
    parser.SkippedEntityHandler = refuse("an entity it cannot expand")

    def external(*_args: Any) -> int:
        refuse("external entities")()
        return 0

    parser.ExternalEntityRefHandler = external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if want_text:
        parser.CharacterDataHandler = events.text
    try:
        for chunk in _chunks(path):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused:
        raise EvidenceError(
            f"{path}:{parser.CurrentLineNumber}:{parser.CurrentColumnNumber + 1}: refusing XML "
            f"with entity declarations or an inline DTD ({refused[0]}); write the {what} report "
            f"without them"
        ) from None
    except expat.ExpatError as exc:
        raise EvidenceError(
            f"{path}:{exc.lineno}:{exc.offset + 1}: not well-formed XML "
            f"({expat.ErrorString(exc.code)}); expected {what}"
        ) from None
    except RecursionError:
        raise EvidenceError(f"{path}: XML nested too deeply; expected {what}") from None
    except (LookupError, ValueError) as exc:
        # pyexpat's answer to an unknown (LookupError) or multi-byte (ValueError) declared encoding;
        # anything else a handler raised is a reader's blind spot, left to read_validation
        if "encoding" not in str(exc):
            raise
        raise EvidenceError(
            f"{path}: the report declares an encoding expat cannot read; write the {what} report "
            f"in UTF-8 or UTF-16"
        ) from None


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]
