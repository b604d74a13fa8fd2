"""How long a summoned party has to report on site (报到时限), per kind of whistle.

Pinggu's rule is 30 minutes in an emergency; daily enforcement asks for the same working
morning (2 hours) and a key task for the next day (24 hours). ``HUB_WHISTLE_REPORT_MINUTES``
(JSON) overrides them, e.g. ``{"EMERGENCY": 20, "KEY_TASK": 2880}``; a whistle's own
``reportWithinMinutes`` overrides both.
"""

from __future__ import annotations

import datetime as dt
import json

from hub.whistles.models import WhistleKind

DEFAULT_MINUTES: dict[WhistleKind, int] = {
    WhistleKind.EMERGENCY: 30,
    WhistleKind.DAILY_ENFORCEMENT: 2 * 60,
    WhistleKind.KEY_TASK: 24 * 60,
}

# A whistle can ask for at most 30 days.
MAX_MINUTES = 30 * 24 * 60


class ReportWindows:
    def __init__(self, overrides_json: str | None = None) -> None:
        self._minutes = dict(DEFAULT_MINUTES)
        for kind, minutes in json.loads(overrides_json or "{}").items():
            self._minutes[WhistleKind(kind)] = int(minutes)

    def minutes(self, kind: WhistleKind, requested: int | None = None) -> int:
        return requested if requested is not None else self._minutes[kind]

    @staticmethod
    def deadline(start: dt.datetime, minutes: int) -> dt.datetime:
        return start + dt.timedelta(minutes=minutes)
