"""Logging set-up: plain text (default) or one JSON object per line (AIOM_LOG_FORMAT=json, python-json-logger).

Every line carries the turn id and the HTTP request id it belongs to, when there is one. Below DEBUG an
error's traceback is folded into one line (`... (OperationalError: connection refused)`): during a database
outage each failed turn writes one line, not forty. Configured secret values never reach a line.
"""
from __future__ import annotations

import logging
import sys

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ContextFilter(logging.Filter):
    """Adds `turn_id` and `request_id` (None outside a turn / request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from bot.observe import request_id, turn_id

        record.turn_id = turn_id.get()
        record.request_id = request_id.get()
        return True


class OneLineErrors(logging.Filter):
    """Fold an exception into the message: its type and text, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            detail = " ".join(str(e).split())[:300]
            record.msg = f"{record.getMessage()} ({type(e).__name__}{': ' + detail if detail else ''})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class TextContext(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{k}={v}" for k in ("turn_id", "request_id") if (v := getattr(record, k, None))]
        return f"{line} [{' '.join(ids)}]" if ids and "\n" not in line else line


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(turn_id)s %(request_id)s",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             json_ensure_ascii=False)
    return TextContext(TEXT_FORMAT)


def configure(level: str, fmt: str, secret_filter: logging.Filter, stream=None) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_aiom", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._aiom = True
    handler.setFormatter(formatter(fmt))
    handler.addFilter(ContextFilter())
    if level != "DEBUG":
        handler.addFilter(OneLineErrors())
    handler.addFilter(secret_filter)
    if not any(not getattr(h, "_aiom", False) for h in root.handlers) or stream is not None:
        root.addHandler(handler)
    root.setLevel(level)
    for h in root.handlers:  # handlers someone else installed (pytest's capture) get the secret filter too
        if secret_filter not in h.filters:
            h.addFilter(secret_filter)
