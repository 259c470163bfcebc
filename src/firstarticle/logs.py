"""Logging set-up: one JSON object per line in production, readable lines in development.

Records carry ids, codes, routes and durations, never technical data: callers put only such
fields in ``extra``. The standard fields of a log record are left out of the JSON, so every
line holds time, level, logger, message and the event's own fields.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

# uvicorn adds ``color_message`` (the message again, with terminal colour codes) to its own.
_STANDARD: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}
)


def _event_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_event_fields(record),
        }
        if record.exc_info:
            # The exception's type and where it happened; its message may quote input.
            line["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in _event_fields(record).items())
        text = f"{at} {record.levelname:<7} {record.name} {record.getMessage()} {fields}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def resolve_format(fmt: str) -> str:
    """``json`` or ``text``: ``auto`` is text at a terminal, JSON otherwise."""
    if fmt == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return fmt


def logging_config(fmt: str = "auto", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary for firstarticle and uvicorn alike."""
    formatter = JsonFormatter if resolve_format(fmt) == "json" else TextFormatter
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"default": handler},
        "loggers": {
            "firstarticle": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Each request is logged once, by firstarticle, with its id and duration.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
