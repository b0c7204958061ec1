"""A Decision as Markdown for GitHub step summaries and GitLab notes, with mermaid charts (pure)."""

from __future__ import annotations

from releasegate.model import Decision, Requirement, Series
from releasegate.render.sanitize import code, markdown, one_line

ICONS = {"pass": "✅", "fail": "❌", "missing": "⚠️", "skipped": "⏭️", "inconclusive": "❔", "error": "🛑"}
_GOOD = ("allow", "pass", "continue", "promote", "clean")
_MAX_POINTS = 60


def _cell(text: str | None) -> str:
    if text is None or text == "":
        return "–"
    return markdown(str(text))


def render_markdown(decision: Decision) -> str:
    """``decision`` as Markdown; every value from the decision is escaped (see :mod:`.sanitize`)."""
    icon = "✅" if decision.outcome in _GOOD else ("❔" if decision.outcome == "inconclusive" else "❌")
    subject = decision.subject
    about = ", ".join(
        f"{label} {code(value)}" for label, value in (
            ("environment", subject.environment), ("gate", subject.gate),
            ("commit", subject.sha[:12] if subject.sha else None), ("version", subject.version),
        ) if value
    )
    out = [f"### {icon} releasegate {markdown(decision.kind)}: **{markdown(decision.outcome)}**", ""]
    if about:
        out += [about, ""]
    out += [f"> {markdown(decision.reason)}", ""]
    if decision.break_glass:
        out += [f"> [!CAUTION]\n> **BREAK-GLASS** used: {markdown(decision.break_glass)}", ""]
    if decision.requirements:
        out += ["| | Requirement | Observed | Expected | Reason |", "|---|---|---|---|---|"]
        out += [f"| {ICONS.get(r.status) or _cell(r.status)} | {_cell(r.name)} | {_cell(r.observed)} | "
                f"{_cell(r.expected)} | {_cell(r.reason)} |" for r in decision.requirements]
        out.append("")
    for requirement in decision.requirements:
        if requirement.series:
            out += _chart(requirement)
    if decision.outputs:
        out += ["<details><summary>Outputs</summary>", ""]
        out += [f"- {code(key)}: {code(value)}" for key, value in decision.outputs.items()]
        out += ["", "</details>", ""]
    if decision.policy_sha256:
        out.append(f"<sub>policy {code(decision.policy_path)} sha256 {code(decision.policy_sha256[:12])} · "
                   f"{decision.time.isoformat(timespec='seconds')}</sub>")
    return "\n".join(out).rstrip() + "\n"


def _chart(requirement: Requirement) -> list[str]:
    """A mermaid xychart-beta with one line per series (canary, baseline...)."""
    series = [s for s in requirement.series if any(v is not None for _, v in s.points)]
    if not series:
        return []
    length = max(len(s.points) for s in series)
    step = max(1, -(-length // _MAX_POINTS))
    lines = ["```mermaid", "xychart-beta", f'    title "{_quote(requirement.name)}"',
             f'    x-axis "interval" 1 --> {max(1, -(-length // step))}']
    values = [v for s in series for _, v in s.points if v is not None]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    lines.append(f'    y-axis "value" {_num(low)} --> {_num(high)}')
    for s in series:
        lines.append(f"    line [{', '.join(_num(v) for v in _thin(s, step))}]")
    legend = " · ".join(f"line {i + 1}: {markdown(s.label)}" for i, s in enumerate(series))
    return lines + ["```", f"<sub>{legend}</sub>", ""]


def _thin(series: Series, step: int) -> list[float]:
    points = [v for _, v in series.points]
    out: list[float] = []
    last = next((v for v in points if v is not None), 0.0)
    for i in range(0, len(points), step):
        chunk = [v for v in points[i:i + step] if v is not None]
        last = sum(chunk) / len(chunk) if chunk else last
        out.append(last)
    return out


def _num(value: float) -> str:
    return f"{value:.6g}"


def _quote(text: str) -> str:
    """A mermaid title: one line, no quote or backtick that could end the string or fence."""
    return one_line(text).replace('"', "'").replace("`", "'")
