"""The one sanitiser for text that comes from reports, servers and policies (pure).

Report data (a SARIF ``ruleId``, a Trivy ``Target``, a JUnit test name, a server's error)
is controlled by whoever wrote the report, often a pull request. Before any renderer sees
a Decision, :func:`sanitize` makes every string in it one inert line: line breaks and
control characters become spaces or go, bidirectional overrides go, and a value that would
start a CI log line with ``::`` or ``##[`` (GitHub workflow commands, which the runner reads
after trimming spaces) is defused. :func:`markdown` and :func:`code` escape a value for
Markdown/HTML; :func:`xml_text` keeps only characters XML 1.0 allows.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

__all__ = ["code", "markdown", "one_line", "sanitize", "xml_text"]

T = TypeVar("T")

#: Line breaks of every kind (also the ones log viewers and editors honour).
_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
#: Other C0/C1 controls, DEL, bidirectional overrides and isolates, BOM, noncharacters,
#: lone surrogates: nothing a reader needs, and some rewrite what the reader sees.
_DROP = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufffe\uffff\ud800-\udfff]"
)
#: What a CI runner reads as a command at the start of a line (after trimming spaces).
_COMMAND_START = re.compile(r"^(\s*)(::|##\[)")
#: Always literal: escapes, code, emphasis, table cells, strike-through, math, and the ``[``
#: that opens every link form (inline, reference, and a ``[x]: url`` definition, which a
#: value quoted at a line's start would otherwise make, invisibly, for a ``[x]`` elsewhere).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*|~$\[])")
#: What GFM's autolink extension turns into a link: ``scheme://`` and ``www.``; an escaped
#: ``:`` or ``.`` is shown the same but starts no link.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<![a-z0-9.])(www)(\.)")
#: ``_`` emphasises only at a word's edge (GFM), so ``LOG_LEVEL`` stays as written.
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
#: What makes a heading, a list item or a setext underline at the start of a line.
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(\d*)([-+=.)#])")
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def one_line(text: str) -> str:
    """``text`` as one inert line: breaks and tabs become spaces, controls go, and a leading
    ``::``/``##[`` is defused as ``: :``/``# #[``."""
    text = _DROP.sub("", _BREAKS.sub(" ", str(text))).replace("\t", " ")
    return _COMMAND_START.sub(
        lambda m: m.group(1) + (": :" if m.group(2) == "::" else "# #["), text
    )


def sanitize(value: T) -> T:
    """``value`` (a Decision, or anything holding strings) with :func:`one_line` applied to
    every string in it: dataclass fields, dict keys and values, list and tuple items."""
    return _walk(value)  # type: ignore[no-any-return]


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return one_line(value)
    if isinstance(value, dict):
        return {_walk(k): _walk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(
            value, **{f.name: _walk(getattr(value, f.name)) for f in fields(value) if f.init}
        )
    return value


def markdown(text: str | None) -> str:
    """``text`` as literal Markdown: HTML characters as entities, emphasis, code, table and
    link punctuation backslash-escaped, autolinks (``https://``, ``www.``) broken, and a list
    or heading marker at its start defused, so a value can neither add markup nor forge a
    heading, a quote, a link or a table cell."""
    if text is None:
        return ""
    out = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _EDGE_UNDERSCORE.sub(r"\\_", _MARKDOWN_SPECIAL.sub(r"\\\1", out))
    out = _AUTOLINK.sub(lambda m: "\\:" if m.group(1) else m.group(2) + "\\.", out)
    return _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3), out)


def code(text: str | None) -> str:
    """``text`` as an inline code span: fenced by more backticks than it holds, so it cannot
    close the span; HTML inside a code span is shown, never interpreted."""
    body = one_line(text or "")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def xml_text(text: str | None) -> str:
    """``text`` with every character XML 1.0 does not allow removed (the rest ElementTree escapes)."""
    return _XML_INVALID.sub("", one_line(text or ""))
