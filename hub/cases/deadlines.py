"""Respond-by and resolve-by deadlines per priority, with per-category overrides.

The defaults follow the 12345 hotline's practice: emergencies answered within 30 minutes,
urgent matters within 2 hours, ordinary ones within a day; resolution within 1, 3 and 7
days. ``HUB_CASE_DEADLINES`` (JSON) overrides them, e.g.
``{"EMERGENCY": {"respond": 20}, "GAS_SAFETY": {"respond": 30, "resolve": 720}}`` (minutes);
``{"ROUTINE": {"resolveWorkingDays": 7}}`` counts resolution in working days instead.

The centre's own clocks count working days: a unit signs for an order within one working day,
and an order still overdue three working days after its supervision notice is publicly noticed
(通报). A graded warning turns yellow when 80% of the time to the resolve-by deadline has gone,
red when it has passed (or the caller has twice said the problem is not solved). An approved
extension moves the resolve-by deadline, and every clock follows it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from hub.cases.calendar import add_working_days
from hub.cases.models import Priority

MINUTES = dt.timedelta(minutes=1)
SIGN_WORKING_DAYS = 1
NOTICE_AFTER_WORKING_DAYS = 3
YELLOW_SHARE = 0.8
RED_AFTER_REOPENINGS = 2


@dataclass(frozen=True, slots=True)
class Deadline:
    respond: dt.timedelta
    resolve: dt.timedelta
    resolve_working_days: int | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    """A case's deadlines from the moment it is reported."""

    respond_by: dt.datetime
    resolve_by: dt.datetime
    warn_at: dt.datetime


def warn_at(start: dt.datetime, resolve_by: dt.datetime) -> dt.datetime:
    """When the yellow warning is due: 80% of the time from ``start`` to the deadline gone."""
    return start + (resolve_by - start) * YELLOW_SHARE


def sign_by(dispatched_at: dt.datetime) -> dt.datetime:
    """A unit signs for an order (签收) within one working day."""
    return add_working_days(dispatched_at, SIGN_WORKING_DAYS)


DEFAULTS: dict[str, Deadline] = {
    Priority.EMERGENCY: Deadline(30 * MINUTES, 24 * 60 * MINUTES),
    Priority.URGENT: Deadline(2 * 60 * MINUTES, 3 * 24 * 60 * MINUTES),
    Priority.ROUTINE: Deadline(24 * 60 * MINUTES, 7 * 24 * 60 * MINUTES),
    # Hazards get an emergency's response time whatever the caller's priority.
    "GAS_SAFETY": Deadline(30 * MINUTES, 24 * 60 * MINUTES),
    "FIRE_HAZARD": Deadline(30 * MINUTES, 24 * 60 * MINUTES),
}


class DeadlinePolicy:
    def __init__(self, overrides_json: str | None = None) -> None:
        self._table = dict(DEFAULTS)
        for key, value in json.loads(overrides_json or "{}").items():
            base = self._table.get(key, DEFAULTS[Priority.ROUTINE])
            self._table[key] = Deadline(
                respond=value.get("respond", base.respond / MINUTES) * MINUTES,
                resolve=value.get("resolve", base.resolve / MINUTES) * MINUTES,
                resolve_working_days=value.get("resolveWorkingDays", base.resolve_working_days),
            )

    def clock(self, *, reported_at: dt.datetime, category_code: str, priority: Priority) -> Clock:
        """The respond-by and resolve-by deadlines, and when the yellow warning falls due."""
        deadline = self.for_case(category_code=category_code, priority=priority)
        if deadline.resolve_working_days is not None:
            resolve_by = add_working_days(reported_at, deadline.resolve_working_days)
        else:
            resolve_by = reported_at + deadline.resolve
        return Clock(
            respond_by=reported_at + deadline.respond,
            resolve_by=resolve_by,
            warn_at=warn_at(reported_at, resolve_by),
        )

    def for_case(self, *, category_code: str, priority: Priority) -> Deadline:
        """The stricter of the priority's and the category's deadlines."""
        by_priority = self._table[priority]
        by_category = self._table.get(category_code)
        if by_category is None:
            return by_priority
        return Deadline(
            respond=min(by_priority.respond, by_category.respond),
            resolve=min(by_priority.resolve, by_category.resolve),
            resolve_working_days=by_category.resolve_working_days
            or by_priority.resolve_working_days,
        )
