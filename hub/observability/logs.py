"""Logging: JSON lines (``HUB_LOG_FORMAT=json``) or plain text, at ``HUB_LOG_LEVEL``.

One ``logging`` configuration for the hub's loggers and uvicorn's (``uvicorn.error``,
``uvicorn.access``), given to uvicorn so that every worker process applies it. A JSON line
carries the time, level, logger and message, and whatever the call put in ``extra`` (the
operation, the actor's ``sub``, the duration, a masked error's ``correlation_id``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from hub.config import Settings

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the hub and uvicorn alike."""
    formatter = (
        {"()": f"{__name__}.JSONFormatter"}
        if settings.log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "hub", "stream": "ext://sys.stderr"}
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hub": formatter},
        "handlers": {"hub": handler},
        "root": {"handlers": ["hub"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }
