"""Log lines in one format for the server, ingest, push and the CLI: text or JSON.

``CALLREC_LOG_FORMAT=text`` (the default) writes one readable line per event; ``json`` one
JSON object per line, for a log shipper. Both put the time first, in UTC, ISO 8601. Events
that carry fields (a request's id, status, duration...) pass them as ``extra={"fields":
{...}}``: JSON writes them as keys, text as ``name=value`` after the message.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from callrec.memo import ClearingMemo

_last_second: tuple[int, str] = (-1, "")


def _utc_time(record: logging.LogRecord) -> str:
    global _last_second
    seconds = int(record.created)
    millis = int((record.created - seconds) * 1000)
    second, text = _last_second  # a busy server logs many lines a second: format it once
    if second != seconds:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _last_second = (seconds, text)
    return f"{text}.{millis:03d}Z"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_PLAIN = re.compile(r'[^\s"=]+')


def _rendered_text(text: str) -> str:
    """As is when it reads unambiguously after ``name=``; else quoted, JSON-escaped."""
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


# Values a server logs again and again (method, route, key, status), rendered once. Only
# short ones, and the memo starts over when full: a caller's text cannot grow it.
_REMEMBERED_VALUE_LENGTH = 64
_REMEMBERED_VALUES = 4_096
_rendered_values = ClearingMemo(
    _rendered_text, _REMEMBERED_VALUES, keep=lambda text: len(text) <= _REMEMBERED_VALUE_LENGTH
)


def _text_value(value: object) -> str:
    if type(value) is int:
        return str(value)
    return _rendered_values["-" if value is None else str(value)]


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        fields = _fields(record)
        if fields:
            line += " " + " ".join(f"{name}={_text_value(v)}" for name, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(log_format: str, level: int = logging.WARNING) -> None:
    """One handler on the root logger, to stderr; callrec's and uvicorn's loggers at ``level``.

    Other libraries stay at WARNING so that a chatty dependency cannot flood the log.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("callrec", "uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(level)
    # uvicorn's access log is replaced by callrec.access (one line per request, with more).
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False


def lean_log_records() -> None:
    """Stop every log record from collecting what these formats never print: the caller's
    file and line (a walk up the stack), the thread, the process and its name.

    For the server, which writes a line per request (the logging HOWTO's "Optimization").
    Process-wide: a format naming ``%(filename)s`` or ``%(thread)d`` would show placeholders.
    """
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
