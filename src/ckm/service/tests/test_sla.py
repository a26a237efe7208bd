"""Business-hours arithmetic: examples and properties (hypothesis)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ckm.service.sla import (
    add_business_hours,
    business_hours_between,
    calendar_from,
    is_open,
    timer_state,
)

BERLIN = ZoneInfo("Europe/Berlin")
CAL = calendar_from(None, [dt.date(2026, 12, 25), dt.date(2026, 12, 24)], "Europe/Berlin")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_friday_afternoon_runs_over_the_weekend() -> None:
    # Friday 20 Nov 2026 16:30, 2 business hours: 30 min on Friday, 90 min on Monday
    assert add_business_hours(at(2026, 11, 20, 16, 30), 2, CAL) == at(2026, 11, 23, 10, 30)


def test_a_case_received_at_night_starts_when_the_office_opens() -> None:
    assert add_business_hours(at(2026, 11, 24, 22, 0), 1, CAL) == at(2026, 11, 25, 10, 0)


def test_holidays_are_skipped() -> None:
    # Wed 23 Dec 16:00 + 4 h: 1 h on the 23rd, 24th/25th holidays, weekend, Mon 28th 12:00
    assert add_business_hours(at(2026, 12, 23, 16, 0), 4, CAL) == at(2026, 12, 28, 12, 0)


def test_time_runs_through_a_clock_change() -> None:
    cal = calendar_from({str(d): [["00:00", "24:00"]] for d in range(7)}, (), "Europe/Berlin")
    start = at(2026, 10, 24, 12, 0)  # clocks go back on 25 Oct: that day has 25 hours
    assert add_business_hours(start, 48, cal) == start.astimezone(dt.UTC) + dt.timedelta(hours=48)


def test_a_calendar_without_hours_is_refused() -> None:
    closed = calendar_from({str(d): [] for d in range(7)}, (), "UTC")
    with pytest.raises(ValueError):
        add_business_hours(at(2026, 1, 5, 9), 1, closed)


def test_timer_colours() -> None:
    start, due = at(2026, 1, 5, 9), at(2026, 1, 5, 17)
    assert timer_state(due=due, done_at=None, started=start, now=at(2026, 1, 5, 10)).level == "ok"
    assert timer_state(due=due, done_at=None, started=start, now=at(2026, 1, 5, 16)).level == "warn"
    late = timer_state(due=due, done_at=None, started=start, now=at(2026, 1, 5, 18))
    assert late.level == "breach" and late.label.startswith("overdue")
    assert timer_state(due=due, done_at=at(2026, 1, 5, 12), started=start, now=start).level == "met"


starts = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=BERLIN)
)
hours = st.floats(min_value=0, max_value=200, allow_nan=False).map(lambda h: round(h, 2))


@settings(max_examples=60, deadline=None)
@given(start=starts, h=hours)
def test_the_deadline_is_exactly_that_many_open_hours_later(start: dt.datetime, h: float) -> None:
    due = add_business_hours(start, h, CAL)
    assert due >= start
    assert business_hours_between(start, due, CAL) == pytest.approx(h, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(start=starts, h=st.floats(min_value=0.01, max_value=100), extra=st.floats(0.01, 50))
def test_more_hours_never_end_earlier(start: dt.datetime, h: float, extra: float) -> None:
    assert add_business_hours(start, h + extra, CAL) > add_business_hours(start, h, CAL)


@settings(max_examples=40, deadline=None)
@given(start=starts, h=st.floats(min_value=0.01, max_value=100))
def test_a_deadline_falls_inside_opening_hours(start: dt.datetime, h: float) -> None:
    due = add_business_hours(start, h, CAL)
    local = due.astimezone(BERLIN)
    assert local.date() not in CAL.holidays and local.weekday() < 5
    # the end of a span counts as its last open moment
    assert is_open(due - dt.timedelta(microseconds=1), CAL)
