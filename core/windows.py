"""Deploy windows and freezes: when a promotion may happen by the clock (pure).

A window is ``DAYS START-END [ZONE]``, e.g. ``Mon-Fri 09:00-17:00 Europe/Berlin``:
days as ranges (``Mon-Fri``, ``Fri-Mon``), lists (``Mon,Wed``), both
(``Mon-Wed,Fri``) or ``*``/``daily``; the end is exclusive and a window whose
end is before its start runs past midnight into the next day. Times are wall
clock in the zone (IANA, through ``zoneinfo``; UTC when omitted), so daylight
saving changes move the window with the clock. A freeze is a period from an
ISO date or datetime to another; a date as the end includes that whole day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Period", "Window", "parse_freeze", "parse_window"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_EXAMPLE = "e.g. 'Mon-Fri 09:00-17:00 Europe/Berlin'"


@dataclass(frozen=True)
class Window:
    """A weekly deploy window.

    :param days: weekday numbers (Monday is 0) on which the window opens.
    :param start: opening wall-clock time.
    :param end: closing wall-clock time, exclusive; ``None`` means midnight at the end of the day.
    :param zone: the IANA zone name the times are in.
    :param text: the window as written.
    """

    days: frozenset[int]
    start: time
    end: time | None
    zone: str
    text: str

    @property
    def crosses_midnight(self) -> bool:
        """Whether the window closes on the day after it opens."""
        return self.end is not None and self.end <= self.start

    def contains(self, now: datetime) -> bool:
        """Whether the aware datetime ``now`` falls inside the window.

        :raises ValueError: when ``now`` is naive.
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("window check needs a timezone-aware datetime")
        local = now.astimezone(ZoneInfo(self.zone))
        clock = local.time().replace(tzinfo=None)
        weekday = local.weekday()
        if not self.crosses_midnight:
            before_end = self.end is None or clock < self.end
            return weekday in self.days and self.start <= clock and before_end
        assert self.end is not None
        if weekday in self.days and clock >= self.start:
            return True
        return (weekday - 1) % 7 in self.days and clock < self.end

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Period:
    """A freeze: ``start`` inclusive to ``end`` exclusive, both aware.

    :param reason: why nothing is promoted, shown in the decision.
    """

    start: datetime
    end: datetime
    reason: str | None = None

    def contains(self, now: datetime) -> bool:
        """Whether the aware datetime ``now`` is inside the freeze."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("freeze check needs a timezone-aware datetime")
        return self.start <= now < self.end

    def describe(self) -> str:
        """``2026-12-20T00:00:00+00:00 to 2027-01-05T00:00:00+00:00 (year-end freeze)``."""
        text = f"{self.start.isoformat()} to {self.end.isoformat()}"
        return f"{text} ({self.reason})" if self.reason else text


def parse_window(text: str) -> Window:
    """Parse ``DAYS START-END [ZONE]``.

    :raises ValueError: saying which part is wrong and what it should look like.
    """
    parts = str(text).split()
    if len(parts) not in (2, 3):
        raise ValueError(f"window {text!r}: expected DAYS START-END ZONE, {_EXAMPLE}")
    days = _parse_days(parts[0], text)
    start, end = _parse_times(parts[1], text)
    zone = parts[2] if len(parts) == 3 else "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"window {text!r}: unknown time zone {zone!r}, use an IANA name such as Europe/Berlin"
        ) from None
    return Window(days=days, start=start, end=end, zone=zone, text=str(text))


def parse_freeze(
    start: str | date | datetime,
    end: str | date | datetime,
    reason: str | None = None,
    *,
    zone: tzinfo = timezone.utc,
) -> Period:
    """Build a freeze from ISO dates or datetimes (``2026-12-20``, ``2026-12-20T18:00+01:00``).

    A date starts at midnight; a date as ``end`` includes that whole day. Values
    without an offset are read in ``zone`` (UTC by default).

    :raises ValueError: on an unreadable value or an end before the start.
    """
    begin = _instant(start, zone, "from", end_of_day=False)
    finish = _instant(end, zone, "to", end_of_day=True)
    if finish <= begin:
        raise ValueError(f"freeze from {start} to {end}: the end is not after the start")
    return Period(start=begin, end=finish, reason=reason)


def _parse_days(spec: str, text: str) -> frozenset[int]:
    if spec.lower() in ("*", "daily"):
        return frozenset(range(7))
    days: set[int] = set()
    for item in spec.split(","):
        first, _, last = item.partition("-")
        a = _day(first, text)
        b = _day(last, text) if last else a
        index = a
        days.add(index)
        while index != b:
            index = (index + 1) % 7
            days.add(index)
    return frozenset(days)


def _day(name: str, text: str) -> int:
    key = name.strip().lower()
    for index, full in enumerate(_FULL_DAYS):
        if key in (DAYS[index], full):
            return index
    raise ValueError(
        f"window {text!r}: unknown day {name!r}, use Mon Tue Wed Thu Fri Sat Sun, "
        f"ranges (Mon-Fri), lists (Mon,Wed) or * for every day"
    )


def _parse_times(spec: str, text: str) -> tuple[time, time | None]:
    first, sep, last = spec.partition("-")
    if not sep:
        raise ValueError(f"window {text!r}: expected START-END times such as 09:00-17:00")
    start = _clock(first, text)
    end = _clock(last, text)
    if start is None:
        raise ValueError(f"window {text!r}: a window cannot open at 24:00, use 00:00")
    if start == end:
        raise ValueError(f"window {text!r}: start and end are equal, the window would be empty")
    return start, end


def _clock(value: str, text: str) -> time | None:
    match = _TIME.match(value)
    if not match:
        raise ValueError(f"window {text!r}: time {value!r} is not HH:MM (00:00 to 24:00)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24:
        if minute:
            raise ValueError(f"window {text!r}: time {value!r} is past 24:00")
        return None
    return time(hour, minute)


def _instant(value: str | date | datetime, zone: tzinfo, key: str, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return _day_start(value + timedelta(days=1) if end_of_day else value, zone)
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return _day_start(day + timedelta(days=1) if end_of_day else day, zone)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"freeze {key}: {value!r} is not an ISO date (2026-12-20) or datetime "
                f"(2026-12-20T18:00:00+01:00)"
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)
