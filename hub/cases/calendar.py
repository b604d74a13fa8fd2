"""China's working days (工作日), with public holidays and the adjusted weekend workdays (调休).

The calendar comes from the ``holidays`` package (its ``CN`` calendar carries the State
Council's yearly schedule, weekend workdays included), so the hub keeps no table of its own.
Clocks run in Beijing time: a working day is a whole working date there.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@cache
def _calendar() -> holidays.HolidayBase:
    return holidays.country_holidays("CN")


@cache
def is_working_day(day: dt.date) -> bool:
    return bool(_calendar().is_working_day(day))


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """``days`` working days after ``start``: the same Beijing clock time, skipping rest days.

    Time on rest days does not count, so a clock started on a rest day starts at the next
    working day's midnight (Friday 15:00 + 1 → Monday 15:00; Saturday 10:00 + 1 → Tuesday 00:00).
    """
    local = start.astimezone(BEIJING)
    if not is_working_day(local.date()):
        local = dt.datetime.combine(_next_working_day(local.date()), dt.time(), BEIJING)
    day = local.date()
    for _ in range(days):
        day = _next_working_day(day)
    return dt.datetime.combine(day, local.timetz()).astimezone(dt.UTC)


def _next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """How many whole working days lie after ``start``'s Beijing date up to ``end``'s."""
    first, last = start.astimezone(BEIJING).date(), end.astimezone(BEIJING).date()
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
