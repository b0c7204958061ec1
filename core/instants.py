"""The one reader of points in time given as text: unix seconds or ISO 8601 (pure).

Used by every option and data file that takes a time (``--at``, ``--deployed-at``,
recorded metrics), so one rule holds everywhere: a finite number of seconds, or an
ISO 8601 date-time whose time zone defaults to UTC when left out.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

__all__ = ["parse_instant"]

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def parse_instant(text: str) -> datetime:
    """An aware UTC datetime from ``1767225600`` or ``2026-01-01T00:00:00Z``.

    :raises ValueError: with a message saying which forms are accepted, for anything else
        (``nan``, ``inf``, non-ASCII digits, times out of range).
    """
    raw = text.strip()
    if _NUMBER.fullmatch(raw):
        value = float(raw)
        try:
            if not math.isfinite(value):
                raise OverflowError
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{text!r} is out of range for unix seconds") from None
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        if not iso.isascii():
            raise ValueError
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"{text!r} is not unix seconds or an ISO 8601 time such as 2026-01-01T09:30:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
