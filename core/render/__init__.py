"""Renderers: a Decision as terminal text, JSON, Markdown (with mermaid charts) or JUnit XML (pure).

:func:`render` is the one entry point; every deciding command and every
adapter goes through it, so a decision reads the same everywhere. It passes the
decision through :func:`releasegate.render.sanitize.sanitize` first: report text
reaches no renderer with a line break, a control character or a leading ``::``.
"""

from __future__ import annotations

from releasegate.errors import UsageError
from releasegate.model import Decision

FORMATS = ("text", "json", "markdown", "junit")

__all__ = ["FORMATS", "render"]


def render(decision: Decision, fmt: str = "text", *, color: bool = False) -> str:
    """Render ``decision`` in ``fmt`` (one of :data:`FORMATS`); always ends with a newline."""
    from releasegate.render.sanitize import sanitize

    decision = sanitize(decision)
    if fmt == "text":
        from releasegate.render.text import render_text

        return render_text(decision, color=color)
    if fmt == "json":
        from releasegate.render.jsonfmt import render_json

        return render_json(decision)
    if fmt == "markdown":
        from releasegate.render.markdown import render_markdown

        return render_markdown(decision)
    if fmt == "junit":
        from releasegate.render.junit import render_junit

        return render_junit(decision)
    raise UsageError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
