"""Durations as written in policies: ``30s``, ``5m``, ``1h30m``, ``2d``, ``1w`` (pure)."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")


class DurationError(ValueError):
    """Raised with a message saying what a duration looks like."""


def parse_duration(text: str | int | float) -> float:
    """Return the duration in seconds.

    A bare number is seconds. Units combine largest first (``1h30m``); ``0`` is allowed.

    :raises DurationError: when ``text`` is not a duration.
    """
    if isinstance(text, bool):
        raise DurationError(f"expected a duration such as 30s, 5m, 1h30m or 2d, got {text!r}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise DurationError(f"a duration cannot be negative, got {text!r}")
        return float(text)
    value = str(text).strip()
    if value.isdigit():
        return float(value)
    if not _WHOLE.fullmatch(value):
        raise DurationError(f"expected a duration such as 30s, 5m, 1h30m or 2d, got {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))


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
