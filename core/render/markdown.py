"""A Decision as Markdown for GitHub step summaries and GitLab notes, with mermaid charts (pure)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from releasegate.model import Decision, Requirement, Series
from releasegate.render.sanitize import code, markdown, one_line

ICONS = {
    "pass": "✅",
    "fail": "❌",
    "missing": "⚠️",
    "skipped": "⏭️",
    "inconclusive": "❔",
    "error": "🛑",
}
_MAX_POINTS = 60


def _cell(text: str | None) -> str:
    if text is None or text == "":
        return "–"
    return markdown(str(text))


def render_markdown(decision: Decision) -> str:
    """``decision`` as Markdown; every value from the decision is escaped (see :mod:`.sanitize`)."""
    icon = "✅" if decision.good else ("❔" if decision.outcome == "inconclusive" else "❌")
    subject = decision.subject
    about = ", ".join(
        f"{label} {code(value)}"
        for label, value in (
            ("environment", subject.environment),
            ("gate", subject.gate),
            ("commit", subject.sha[:12] if subject.sha else None),
            ("version", subject.version),
        )
        if value
    )
    out = [
        f"### {icon} releasegate {markdown(decision.kind)}: **{markdown(decision.outcome)}**",
        "",
    ]
    if about:
        out += [about, ""]
    out += [f"> {markdown(decision.reason)}", ""]
    worst = _worst_metric(decision.requirements)
    if worst:
        out += [worst, ""]
    if decision.break_glass:
        out += [f"> [!CAUTION]\n> **BREAK-GLASS** used: {markdown(decision.break_glass)}", ""]
    if decision.requirements:
        out += ["| | Requirement | Observed | Expected | Reason |", "|---|---|---|---|---|"]
        out += [
            f"| {_icon(r)} | {_cell(r.name)} | {_observed(r)} | "
            f"{_cell(r.expected)} | {_cell(r.reason)} |"
            for r in decision.requirements
        ]
        out.append("")
    for requirement in decision.requirements:
        if requirement.series:
            out += _chart(requirement)
    if decision.outputs:
        out += ["<details><summary>Outputs</summary>", ""]
        out += [f"- {code(key)}: {code(value)}" for key, value in decision.outputs.items()]
        out += ["", "</details>", ""]
    if decision.policy_sha256:
        out.append(
            f"<sub>policy {code(decision.policy_path)} sha256 {code(decision.policy_sha256[:12])} · "
            f"{decision.time.isoformat(timespec='seconds')}</sub>"
        )
    return "\n".join(out).rstrip() + "\n"


def _points(requirement: Requirement, label: str) -> list[tuple[float, float | None]]:
    """A metric requirement's ``canary`` or ``baseline`` points from its details."""
    raw = requirement.details.get(label)
    if not isinstance(raw, list):
        return []
    return [
        (float(p[0]), None if p[1] is None else float(p[1]))
        for p in raw
        if isinstance(p, list | tuple) and len(p) == 2
    ]


def _is_metric(requirement: Requirement) -> bool:
    return isinstance(requirement.details.get("canary"), list)


def _no_data(requirement: Requirement) -> bool:
    """A metric whose canary query returned no value in any interval."""
    return _is_metric(requirement) and all(v is None for _, v in _points(requirement, "canary"))


def _icon(requirement: Requirement) -> str:
    """The status icon; a metric with no data never shows as passing."""
    if _no_data(requirement) and requirement.status in ("pass", "skipped"):
        return ICONS["inconclusive"]
    return ICONS.get(requirement.status) or _cell(requirement.status)


def _observed(requirement: Requirement) -> str:
    """The Observed cell: for a metric, its values first (the canary's latest value, the
    baseline's at the same interval, which interval and how many), then the judge's statistic."""
    if not _is_metric(requirement):
        return _cell(requirement.observed)
    canary = _points(requirement, "canary")
    statistic = f" · statistic {markdown(requirement.observed)}" if requirement.observed else ""
    seen = [(t, v) for t, v in canary if v is not None]
    if not seen:
        return f"**no data**{statistic}"
    when, value = canary[-1]
    if value is None:
        last_at, last = seen[-1]
        text = f"**no data** at {_clock(when)} (last value {_num(last)} at {_clock(last_at)})"
    else:
        text = f"canary **{_num(value)}**"
        baseline = dict(_points(requirement, "baseline")).get(when)
        if baseline is not None:
            text += f" vs baseline {_num(baseline)}"
    count = len(canary)
    width = f" of {_span(canary[-1][0] - canary[-2][0])}" if count > 1 else ""
    text += f" (interval to {_clock(when)}; {count} interval{'s' if count != 1 else ''}{width})"
    return text + statistic


def _clock(when: float) -> str:
    return datetime.fromtimestamp(when, tz=timezone.utc).strftime("%H:%M:%SZ")


def _span(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


#: Line colours readable on GitHub's light and dark themes: canary red, baseline blue, threshold grey.
PALETTE = (
    ("red", "#d62728"),
    ("blue", "#1f77b4"),
    ("grey", "#7f7f7f"),
    ("orange", "#ff7f0e"),
    ("green", "#2ca02c"),
)
_THRESHOLD = re.compile(r"([<>]=?)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def _means(requirement: Requirement) -> tuple[float | None, float | None]:
    """The mean canary and baseline values of a metric requirement's series."""
    found: dict[str, float | None] = {"canary": None, "baseline": None}
    for series in requirement.series:
        values = [v for _, v in series.points if v is not None]
        if series.label in found and values:
            found[series.label] = sum(values) / len(values)
    return found["canary"], found["baseline"]


def _worst_metric(requirements: tuple[Requirement, ...]) -> str:
    """A line naming the worst metric with its canary and baseline values and their ratio."""
    order = {"fail": 0, "error": 1, "inconclusive": 2}
    charted = sorted(
        (r for r in requirements if r.series and r.status in order), key=lambda r: order[r.status]
    )
    if not charted:
        return ""
    worst = charted[0]
    canary, baseline = _means(worst)
    if canary is None:
        return ""
    name = worst.name.removeprefix("metric ")
    text = f"**Worst: {_cell(name)}** ({worst.status}): canary {_num(canary)}"
    if baseline is not None:
        text += f" vs {_num(baseline)} baseline"
        if baseline > 0:
            ratio = canary / baseline
            text += f", {ratio:.0f}×" if ratio >= 10 else f", {ratio:.2g}×"
    return text + " (means over the window)"


def _threshold(requirement: Requirement) -> float | None:
    match = _THRESHOLD.search(requirement.expected or "")
    return float(match.group(2)) if match else None


def _chart(requirement: Requirement) -> list[str]:
    """A mermaid xychart-beta with one line per series (canary, baseline...) and the threshold,
    in colours readable on both themes, zero-based when no value is negative."""
    series = [s for s in requirement.series if any(v is not None for _, v in s.points)]
    if not series:
        return []
    length = max(len(s.points) for s in series)
    step = max(1, -(-length // _MAX_POINTS))
    count = max(1, -(-length // step))
    threshold = _threshold(requirement)
    lines_of = [(s.label, _thin(s, step)) for s in series]
    if threshold is not None:
        lines_of.append((f"threshold {_num(threshold)}", [threshold] * count))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(lines_of))]
    palette = ", ".join(colour for _, colour in colours)
    lines = [
        "```mermaid",
        f'%%{{init: {{"themeVariables": {{"xyChart": {{"plotColorPalette": "{palette}"}}}}}}}}%%',
        "xychart-beta",
        f'    title "{_quote(requirement.name)}"',
        f'    x-axis "interval" 1 --> {count}',
    ]
    values = [v for _, points in lines_of for v in points]
    low, high = min(values), max(values)
    if low >= 0:
        low = 0.0  # honest for rates, ratios and latencies: the distance from zero is the story
    if low == high:
        low, high = low - 1, high + 1
    lines.append(f'    y-axis "value" {_num(low)} --> {_num(high)}')
    for _, points in lines_of:
        lines.append(f"    line [{', '.join(_num(v) for v in points)}]")
    legend = " · ".join(
        f"{name}: {markdown(label)}"
        for (name, _), (label, _) in zip(colours, lines_of, strict=True)
    )
    return lines + ["```", f"<sub>{legend}</sub>", ""]


def _thin(series: Series, step: int) -> list[float]:
    points = [v for _, v in series.points]
    out: list[float] = []
    last = next((v for v in points if v is not None), 0.0)
    for i in range(0, len(points), step):
        chunk = [v for v in points[i : i + step] if v is not None]
        last = sum(chunk) / len(chunk) if chunk else last
        out.append(last)
    return out


def _num(value: float) -> str:
    return f"{value:.6g}"


def _quote(text: str) -> str:
    """A mermaid title: one line, no quote or backtick that could end the string or fence."""
    return one_line(text).replace('"', "'").replace("`", "'")
