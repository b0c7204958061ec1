"""Opening report files safely: globs, size limits, JSON, and XML without DTD tricks (I/O).

XML is read with the standard library parser, which does not fetch external
DTDs; entity declarations (the billion-laughs family) and DOCTYPEs with an
internal subset are refused before parsing. A plain ``<!DOCTYPE report PUBLIC
...>`` line, as JaCoCo and Cobertura write, is harmless and accepted.
"""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from releasegate.errors import EvidenceError

__all__ = ["MAX_REPORT_BYTES", "expand", "load_json", "load_text", "load_xml"]

#: Largest report read, in bytes.
MAX_REPORT_BYTES = 64 * 1024 * 1024

_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


def expand(pattern: str, base: Path) -> list[Path]:
    """The files matching ``pattern`` (``**`` recursive), relative to ``base``, sorted."""
    root = pattern if Path(pattern).is_absolute() else str(base / pattern)
    return sorted(Path(p) for p in glob.glob(root, recursive=True) if Path(p).is_file())


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise EvidenceError(
                f"{path}: report is {size} bytes, more than {MAX_REPORT_BYTES}; "
                f"split it or report less"
            )
        return path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read the report: {exc.strerror}") from exc


def load_text(path: Path) -> str:
    """The file as UTF-8 text."""
    try:
        return _read(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{path}: not UTF-8 text at byte {exc.start}; is it a report?") from exc


def load_json(path: Path, what: str) -> Any:
    """The file parsed as JSON; ``what`` names the format for the error message."""
    try:
        return json.loads(load_text(path))
    except json.JSONDecodeError as exc:
        raise EvidenceError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); expected {what}"
        ) from exc


def load_xml(path: Path, what: str) -> ElementTree.Element:
    """The file parsed as XML, refusing entity declarations; ``what`` names the format."""
    data = _read(path)
    if _ENTITY.search(data) or _INTERNAL_SUBSET.search(data):
        raise EvidenceError(
            f"{path}: refusing XML with entity declarations or an inline DTD; "
            f"write the {what} report without them"
        )
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise EvidenceError(
            f"{path}:{line}:{column}: not well-formed XML ({str(exc).split(':')[0]}); "
            f"expected {what}"
        ) from exc


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]
