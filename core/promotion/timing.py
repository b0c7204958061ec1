"""Promotion rules over the clock: deploy windows, freezes and break-glass (pure).

A promotion outside every window, or inside any freeze, is blocked; a freeze
blocks even inside a window. ``--break-glass REASON`` overrides both when the
environment allows it, and is recorded and shown loudly; it overrides nothing
else.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from releasegate.model import Requirement
from releasegate.policy.model import Requires
from releasegate.windows import parse_freeze, parse_window

__all__ = ["timing_requirements"]


def timing_requirements(
    requires: Requires,
    environment: str,
    now: datetime,
    *,
    break_glass: str | None,
    actor: str | None,
) -> list[Requirement]:
    """Requirements for windows, freezes and the use of break-glass."""
    out: list[Requirement] = []
    glass = break_glass if break_glass and requires.break_glass else None
    overridden: list[str] = []
    if requires.windows:
        windows = [parse_window(text) for text in requires.windows]
        expected = " or ".join(requires.windows)
        first = windows[0]
        local = now.astimezone(ZoneInfo(first.zone)).strftime(f"%a %H:%M {first.zone}")
        if any(w.contains(now) for w in windows):
            out.append(
                Requirement(
                    name="deploy window",
                    status="pass",
                    observed=local,
                    expected=expected,
                    reason=f"{local} is inside the window",
                )
            )
        elif glass:
            overridden.append("window")
            out.append(
                Requirement(
                    name="deploy window",
                    status="skipped",
                    observed=local,
                    expected=expected,
                    reason=f"BREAK-GLASS: {local} is outside every window; overridden",
                )
            )
        else:
            out.append(
                Requirement(
                    name="deploy window",
                    status="fail",
                    observed=local,
                    expected=expected,
                    reason=f"{local} is outside every deploy window",
                )
            )
    for freeze in requires.freezes:
        period = parse_freeze(freeze.start, freeze.end, freeze.reason)
        label = f"freeze {freeze.start} to {freeze.end}"
        why = f" ({freeze.reason})" if freeze.reason else ""
        if not period.contains(now):
            out.append(
                Requirement(
                    name=label,
                    status="pass",
                    observed=now.isoformat(),
                    expected="outside the freeze",
                    reason=f"not frozen now{why}",
                )
            )
        elif glass:
            overridden.append("freeze")
            out.append(
                Requirement(
                    name=label,
                    status="skipped",
                    observed=now.isoformat(),
                    expected="outside the freeze",
                    reason=f"BREAK-GLASS: frozen{why}; overridden",
                )
            )
        else:
            out.append(
                Requirement(
                    name=label,
                    status="fail",
                    observed=now.isoformat(),
                    expected="outside the freeze",
                    reason=f"frozen until {period.end.isoformat()}{why}",
                )
            )
    if break_glass:
        who = actor or "someone"
        if not requires.break_glass:
            out.append(
                Requirement(
                    name="break-glass",
                    status="fail",
                    observed=break_glass,
                    expected="not used",
                    reason=f"{environment} does not allow break-glass "
                    f"(requires.break_glass: false); {who} asked: {break_glass}",
                )
            )
        else:
            what = (
                " and ".join(dict.fromkeys(overridden)) or "nothing (no window or freeze applied)"
            )
            out.append(
                Requirement(
                    name="break-glass",
                    status="pass",
                    observed=break_glass,
                    expected="allowed",
                    details={"actor": who, "overrides": overridden},
                    reason=f"BREAK-GLASS by {who}: {break_glass}; overrides {what}",
                )
            )
    return out
