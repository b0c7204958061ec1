"""A Decision as terminal text: one line per requirement, readable in a CI log (pure)."""

from __future__ import annotations

from releasegate.model import Decision

ICONS = {
    "pass": "PASS",
    "fail": "FAIL",
    "missing": "MISS",
    "skipped": "SKIP",
    "inconclusive": "INCO",
    "error": "ERR ",
}
_COLORS = {
    "pass": "32",
    "fail": "31",
    "missing": "33",
    "skipped": "90",
    "inconclusive": "33",
    "error": "31",
}
_NAME_COLUMN = 36


def render_text(decision: Decision, *, color: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    subject = decision.subject
    about = " ".join(
        part
        for part in (
            f"env={subject.environment}" if subject.environment else "",
            f"gate={subject.gate}" if subject.gate else "",
            f"sha={subject.sha[:12]}" if subject.sha else "",
            f"version={subject.version}" if subject.version else "",
        )
        if part
    )
    headline = decision.outcome.upper()
    lines = [
        f"{paint('32' if decision.good else '31', headline)} {decision.kind}"
        f"{' (' + about + ')' if about else ''}: {decision.reason}"
    ]
    if decision.break_glass:
        lines.append(paint("1;31", f"!!! BREAK-GLASS: {decision.break_glass} !!!"))
    # Names align in a column; one too long for it gets its reason on the next line.
    width = min(max((len(r.name) for r in decision.requirements), default=0), _NAME_COLUMN)
    for r in decision.requirements:
        values = ""
        if r.observed is not None or r.expected is not None:
            values = f" [{r.observed if r.observed is not None else '-'} vs {r.expected or '-'}]"
        icon = paint(_COLORS.get(r.status, "0"), ICONS.get(r.status, r.status))
        if len(r.name) > width:
            lines.append(f"  {icon} {r.name}")
            lines.append(f"       {' ' * width}  {r.reason}{values}")
        else:
            lines.append(f"  {icon} {r.name.ljust(width)}  {r.reason}{values}")
    for key, value in decision.outputs.items():
        lines.append(f"  -> {key}: {value}")
    return "\n".join(lines) + "\n"
