"""Deploy windows and freezes, including daylight-saving transitions and boundaries."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releasegate.windows import parse_freeze, parse_window

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("window", "now", "inside"),
    [
        # Berlin is UTC+1 in winter, UTC+2 in summer; 2026 switches on Mar 29 and Oct 25.
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-27T07:59:59+00:00", False),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-27T08:00:00+00:00", True),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-27T14:59:59+00:00", True),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-27T15:00:00+00:00", False),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-30T06:59:59+00:00", False),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-30T07:00:00+00:00", True),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-30T14:00:00+00:00", False),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-10-26T07:30:00+00:00", False),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-10-26T08:00:00+00:00", True),
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-28T10:00:00+00:00", False),  # Saturday
        # An offset other than the zone's own is converted first.
        ("Mon-Fri 09:00-16:00 Europe/Berlin", "2026-03-30T09:30:00+02:00", True),
        # New York moves on Mar 8 2026: 09:00 local is 14:00 UTC before, 13:00 UTC after.
        ("Mon 09:00-10:00 America/New_York", "2026-03-02T14:00:00+00:00", True),
        ("Mon 09:00-10:00 America/New_York", "2026-03-09T13:00:00+00:00", True),
        ("Mon 09:00-10:00 America/New_York", "2026-03-09T14:00:00+00:00", False),
        # The night of the spring change: 01:00-04:00 local lasts two hours of real time.
        ("Sun 01:00-04:00 Europe/Berlin", "2026-03-29T00:30:00+00:00", True),
        ("Sun 01:00-04:00 Europe/Berlin", "2026-03-29T01:59:00+00:00", True),
        ("Sun 01:00-04:00 Europe/Berlin", "2026-03-29T02:00:00+00:00", False),
        # Across midnight: Friday 22:00 to Saturday 02:00, and Sunday night into Monday.
        ("Fri,Sun 22:00-02:00 UTC", "2026-03-27T22:00:00+00:00", True),
        ("Fri,Sun 22:00-02:00 UTC", "2026-03-28T01:59:00+00:00", True),
        ("Fri,Sun 22:00-02:00 UTC", "2026-03-28T02:00:00+00:00", False),
        ("Fri,Sun 22:00-02:00 UTC", "2026-03-28T22:30:00+00:00", False),
        ("Fri,Sun 22:00-02:00 UTC", "2026-03-30T01:00:00+00:00", True),
        ("Fri,Sun 22:00-02:00 UTC", "2026-03-31T01:00:00+00:00", False),
        # Wrapping day ranges, lists, every day, end of day, no zone.
        ("Fri-Mon 10:00-11:00 UTC", "2026-03-29T10:30:00+00:00", True),
        ("Fri-Mon 10:00-11:00 UTC", "2026-03-31T10:30:00+00:00", False),
        ("Mon-Tue,Thu 10:00-11:00 UTC", "2026-04-02T10:30:00+00:00", True),
        ("Mon-Tue,Thu 10:00-11:00 UTC", "2026-04-01T10:30:00+00:00", False),
        ("* 00:00-24:00 Asia/Kolkata", "2026-04-01T23:59:59+00:00", True),
        ("daily 12:00-24:00 Asia/Kolkata", "2026-04-01T18:29:00+00:00", True),
        ("daily 12:00-24:00 Asia/Kolkata", "2026-04-01T18:30:00+00:00", False),
        ("monday 09:00-17:00", "2026-03-30T09:00:00+00:00", True),
    ],
)
def test_window_contains(window: str, now: str, inside: bool) -> None:
    assert parse_window(window).contains(at(now)) is inside


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fri", "expected DAYS START-END ZONE"),
        ("Mon-Fri 09:00-17:00 Europe/Berlin extra", "expected DAYS START-END ZONE"),
        ("Mon-Fry 09:00-17:00 UTC", "unknown day 'Fry'"),
        ("Mon-Fri 9-17 UTC", "time '9' is not HH:MM"),
        ("Mon-Fri 09:00 UTC", "expected START-END times"),
        ("Mon-Fri 09:00-24:30 UTC", "past 24:00"),
        ("Mon-Fri 24:00-08:00 UTC", "cannot open at 24:00"),
        ("Mon-Fri 09:00-09:00 UTC", "window would be empty"),
        ("Mon-Fri 09:00-17:00 Europe/Atlantis", "unknown time zone 'Europe/Atlantis'"),
        ("Mon-Fri 09:00-17:00 ../../etc/passwd", "unknown time zone"),
    ],
)
def test_parse_window_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(text)


def test_window_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_window("* 00:00-24:00 UTC").contains(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "now", "inside"),
    [
        ("2026-12-20", "2027-01-04", "2026-12-19T23:59:59+00:00", False),
        ("2026-12-20", "2027-01-04", "2026-12-20T00:00:00+00:00", True),
        ("2026-12-20", "2027-01-04", "2027-01-04T23:59:59+00:00", True),  # end date inclusive
        ("2026-12-20", "2027-01-04", "2027-01-05T00:00:00+00:00", False),
        (date(2026, 12, 20), date(2027, 1, 4), "2027-01-04T12:00:00+00:00", True),
        (
            "2026-12-20T18:00:00+01:00",
            "2026-12-21T06:00:00+01:00",
            "2026-12-20T17:00:00+00:00",
            True,
        ),
        (
            "2026-12-20T18:00:00+01:00",
            "2026-12-21T06:00:00+01:00",
            "2026-12-21T05:00:00+00:00",
            False,
        ),
        ("2026-12-20T18:00:00Z", "2026-12-21T06:00:00Z", "2026-12-20T18:00:00+00:00", True),
        ("2026-12-20T18:00:00", "2026-12-21T06:00:00", "2026-12-20T17:59:59+00:00", False),
        (datetime(2026, 12, 20, tzinfo=UTC), "2026-12-20", "2026-12-20T23:00:00+00:00", True),
    ],
)
def test_freeze_contains(start: object, end: object, now: str, inside: bool) -> None:
    assert parse_freeze(start, end).contains(at(now)) is inside  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-12-20", "soon", "freeze to: 'soon' is not an ISO date"),
        ("20.12.2026", "2027-01-04", "freeze from: '20.12.2026' is not an ISO date"),
        ("2027-01-04", "2026-12-20", "the end is not after the start"),
    ],
)
def test_parse_freeze_refuses(start: str, end: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_freeze(start, end)


def test_freeze_describe_names_reason() -> None:
    period = parse_freeze("2026-12-20", "2027-01-04", "year-end freeze")
    assert period.describe() == (
        "2026-12-20T00:00:00+00:00 to 2027-01-05T00:00:00+00:00 (year-end freeze)"
    )


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_night_window_is_the_complement_of_day_window(now: datetime) -> None:
    day = parse_window("* 06:00-22:00 Europe/Berlin")
    night = parse_window("* 22:00-06:00 Europe/Berlin")
    assert day.contains(now) != night.contains(now)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_weekdays_and_weekend_partition_the_week(now: datetime) -> None:
    week = parse_window("Mon-Fri 00:00-24:00 America/Sao_Paulo")
    weekend = parse_window("Sat-Sun 00:00-24:00 America/Sao_Paulo")
    assert week.contains(now) != weekend.contains(now)
