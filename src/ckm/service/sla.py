"""Business-hours arithmetic for SLA timers: pure functions, no database.

A calendar is opening spans per weekday (Monday = 0) in a time zone, minus holidays. The clock runs
only inside open spans: a case received on Friday at 16:30 with 2 business hours to answer is due
on Monday at 10:30 when the office opens at 9:00 and closes at 17:00."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# how far ahead a deadline may lie: guards against a calendar with (almost) no open hours
MAX_DAYS = 3660

DEFAULT_HOURS: dict[str, list[list[str]]] = {
    str(day): [["09:00", "17:00"]] if day < 5 else [] for day in range(7)
}


@dataclass(frozen=True)
class Calendar:
    """Open spans per weekday (0 = Monday) as (start, end) local times, holidays, time zone."""

    spans: Mapping[int, Sequence[tuple[dt.time, dt.time]]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    time_zone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def has_open_hours(self) -> bool:
        return any(end > start for spans in self.spans.values() for start, end in spans)


def _parse_time(value: str) -> dt.time:
    if value in ("24:00", "24:00:00"):
        return dt.time.max
    return dt.time.fromisoformat(value)


def calendar_from(
    hours: Mapping[str, Sequence[Sequence[str]]] | None,
    holidays: Iterable[dt.date] = (),
    time_zone: str = "UTC",
) -> Calendar:
    """A Calendar from the stored form {"0": [["09:00", "17:00"]], ...}; empty means Mon-Fri 9-17."""
    source = hours or DEFAULT_HOURS
    spans: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for day in range(7):
        day_spans = []
        for pair in source.get(str(day), []) or []:
            start, end = _parse_time(pair[0]), _parse_time(pair[1])
            if end > start:
                day_spans.append((start, end))
        spans[day] = sorted(day_spans)
    return Calendar(spans=spans, holidays=frozenset(holidays), time_zone=time_zone)


def _open_intervals(calendar: Calendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The day's open spans as UTC intervals (empty on holidays and closed days)."""
    if day in calendar.holidays:
        return []
    zone = calendar.zone
    out = []
    for start, end in calendar.spans.get(day.weekday(), ()):
        lo = dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC)
        if end == dt.time.max:
            hi = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        else:
            hi = dt.datetime.combine(day, end, tzinfo=zone)
        hi_utc = hi.astimezone(dt.UTC)
        if hi_utc > lo:
            out.append((lo, hi_utc))
    return out


def add_business_hours(start: dt.datetime, hours: float, calendar: Calendar) -> dt.datetime:
    """The moment `hours` of open time after `start` (aware). 0 hours returns `start`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if hours < 0:
        raise ValueError("hours must not be negative")
    cursor = start.astimezone(dt.UTC)
    remaining = dt.timedelta(hours=hours)
    if not remaining:
        return start
    if not calendar.has_open_hours():
        raise ValueError("the calendar has no open hours")
    day = cursor.astimezone(calendar.zone).date() - dt.timedelta(days=1)
    for _ in range(MAX_DAYS):
        for lo, hi in _open_intervals(calendar, day):
            if hi <= cursor:
                continue
            begin = max(lo, cursor)
            available = hi - begin
            if available >= remaining:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
            cursor = hi
        day += dt.timedelta(days=1)
    raise ValueError("no deadline within ten years: the calendar is (almost) always closed")


def business_hours_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> float:
    """Open hours from `start` to `end` (negative when end is earlier)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    if end < start:
        return -business_hours_between(end, start, calendar)
    lo_utc, hi_utc = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    day = lo_utc.astimezone(calendar.zone).date() - dt.timedelta(days=1)
    last = hi_utc.astimezone(calendar.zone).date() + dt.timedelta(days=1)
    total = dt.timedelta()
    while day <= last:
        for lo, hi in _open_intervals(calendar, day):
            overlap = min(hi, hi_utc) - max(lo, lo_utc)
            if overlap > dt.timedelta():
                total += overlap
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def is_open(moment: dt.datetime, calendar: Calendar) -> bool:
    """Whether the calendar is open at the moment."""
    at = moment.astimezone(dt.UTC)
    day = at.astimezone(calendar.zone).date()
    return any(
        lo <= at < hi
        for d in (day - dt.timedelta(days=1), day)
        for lo, hi in _open_intervals(calendar, d)
    )


@dataclass(frozen=True)
class TimerState:
    """What an agent sees on a timer: how much is left and in which colour."""

    due: dt.datetime | None
    done_at: dt.datetime | None
    seconds_left: float | None
    level: str  # ok | warn | breach | met | late | none
    used_percent: float = 0.0

    @property
    def label(self) -> str:
        if self.level == "none":
            return "no target"
        if self.level == "met":
            return "met"
        if self.level == "late":
            return "missed"
        assert self.seconds_left is not None
        return ("" if self.seconds_left >= 0 else "overdue ") + _duration(abs(self.seconds_left))


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def timer_state(
    *,
    due: dt.datetime | None,
    done_at: dt.datetime | None,
    started: dt.datetime,
    now: dt.datetime,
    warn_at_percent: int = 80,
) -> TimerState:
    """The timer's state at `now`: met/late once done, else ok/warn/breach by wall-clock time."""
    if due is None:
        return TimerState(due=None, done_at=done_at, seconds_left=None, level="none")
    if done_at is not None:
        level = "met" if done_at <= due else "late"
        return TimerState(due=due, done_at=done_at, seconds_left=None, level=level)
    left = (due - now).total_seconds()
    span = max(1.0, (due - started).total_seconds())
    if left < 0:
        level = "breach"
    elif (span - left) / span * 100 >= warn_at_percent:
        level = "warn"
    else:
        level = "ok"
    used = (span - left) / span * 100
    return TimerState(due=due, done_at=None, seconds_left=left, level=level, used_percent=used)
