"""Durations as written in policies: ``30s``, ``5m``, ``1h30m``, ``2d``, ``1w`` (pure).

Digits are ASCII only (``"²"`` or ``"٣m"`` is no duration), numbers must be
finite, and nothing longer than :data:`MAX_DURATION` is accepted.
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_DURATION", "DurationError", "format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)", re.ASCII)
_WHOLE = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d|w))+", re.ASCII)
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)

#: Longest duration accepted, in seconds: ten years (3650 days).
MAX_DURATION = 3650 * 86400.0

_EXPECTED = "expected a duration such as 30s, 5m, 1h30m or 2d"


class DurationError(ValueError):
    """Raised with a message saying what a duration looks like."""


def parse_duration(text: str | int | float) -> float:
    """Return the duration in seconds.

    A bare number is seconds. Units combine largest first (``1h30m``); ``0`` is allowed.

    :raises DurationError: when ``text`` is not a duration, or is longer than :data:`MAX_DURATION`.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise DurationError(f"{_EXPECTED}, got {text!r}")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise DurationError(f"{_EXPECTED}, got {text!r} (not a finite number)")
        if text < 0:
            raise DurationError(f"a duration cannot be negative, got {text!r}")
        seconds = float(text)
    else:
        value = text.strip()
        if _SECONDS.fullmatch(value):
            seconds = float(value)
        elif _WHOLE.fullmatch(value):
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))
        else:
            raise DurationError(f"{_EXPECTED}, got {text!r}")
    if seconds > MAX_DURATION:
        raise DurationError(f"a duration must be at most 3650d (ten years), got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds the way policies write them: ``5400`` -> ``1h30m``."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms" if seconds else "0s"
    out = []
    rest = int(round(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
