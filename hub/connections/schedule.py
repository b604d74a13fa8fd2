"""When a connection is due: every N seconds, or by a cron expression (croniter)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from croniter import CroniterBadCronError, croniter

from hub.errors import DomainError, ErrorCode

DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)?$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
BEIJING = dt.timezone(dt.timedelta(hours=8))


class InvalidScheduleError(DomainError):
    code = ErrorCode.INVALID_SCHEDULE


@dataclass(frozen=True, slots=True)
class Schedule:
    every_seconds: int | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, *, every: str | None, cron: str | None) -> Schedule:
        if (every is None) == (cron is None):
            raise InvalidScheduleError("give an interval (--every) or a cron expression, not both")
        if every is not None:
            found = DURATION.match(every.strip().lower())
            seconds = int(found.group(1)) * UNITS[found.group(2) or "s"] if found else 0
            if not 1 <= seconds <= 366 * 86400:
                raise InvalidScheduleError(f"not an interval like 30s, 5m, 1h or 1d: {every!r}")
            return cls(every_seconds=seconds)
        assert cron is not None
        if not croniter.is_valid(cron.strip()) or len(cron) > 100:
            raise InvalidScheduleError(f"not a cron expression: {cron!r}")
        return cls(cron=cron.strip())

    def describe(self) -> str:
        return f"every {self.every_seconds}s" if self.every_seconds else f"cron {self.cron}"

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first due time after ``moment`` (cron in Beijing time)."""
        if self.every_seconds or self.cron is None:
            return moment + dt.timedelta(seconds=self.every_seconds or 60)
        try:
            following = croniter(self.cron, moment.astimezone(BEIJING)).get_next(dt.datetime)
        except CroniterBadCronError as error:  # checked when stored; kept for old rows
            raise InvalidScheduleError(str(error)) from error
        assert isinstance(following, dt.datetime)
        return following.astimezone(dt.UTC)
