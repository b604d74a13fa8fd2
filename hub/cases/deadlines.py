"""Respond-by and resolve-by deadlines per priority, with per-category overrides.

The defaults follow the 12345 hotline's practice: emergencies answered within 30 minutes,
urgent matters within 2 hours, ordinary ones within a day; resolution within 1, 3 and 7
days. ``HUB_CASE_DEADLINES`` (JSON) overrides them, e.g.
``{"EMERGENCY": {"respond": 20}, "GAS_SAFETY": {"respond": 30, "resolve": 720}}`` (minutes).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from hub.cases.models import Priority

MINUTES = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Deadline:
    respond: dt.timedelta
    resolve: dt.timedelta


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
        )
