"""Structured logs: one line per event, JSON in production and key=value in development.

An event is logged with :func:`log_event`; its fields become keys of the JSON line::

    {"time": "2026-11-25T14:50:01.234Z", "level": "INFO", "logger": "apikeys", "event": "apikey.created",
     "key_id": "q4kz7mxp2hra", "api": "integration", ..., "message": "apikey.created key_id=q4kz7mxp2hra ..."}

Nothing secret is ever a field: a key is named by its public key ID, never by its token or hash.
`RedactSqlFilter` keeps the SQL debug log of `django.db.backends` free of parameter values, which
would otherwise carry the stored hashes, password hashes and session data.
"""

import datetime
import json
import logging
import re
from typing import Any

# The attributes every LogRecord has; anything else on a record came in through `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Extras that Django attaches and that say nothing a line needs (the request is in the message).
_SKIPPED_EXTRAS = frozenset({"request", "sql", "params", "server_time"})


def _kv_value(value: Any) -> str:
    text = str(value)
    if not text or any(char.isspace() or char in '"=' for char in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event: `event` names it (e.g. ``apikey.created``), `fields` describe it.

    Field names must not be LogRecord attributes (``name``, ``msg``, ``args``, ...); logging refuses them.
    """
    message = " ".join([event, *(f"{key}={_kv_value(value)}" for key, value in fields.items())])
    logger.log(level, "%s", message, extra={"event": event, **fields})


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, the event's fields, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname, "logger": record.name}
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in _SKIPPED_EXTRAS and not key.startswith("_"):
                entry[key] = value
        entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """For a developer's terminal: ``time level logger message``; an event's message is key=value already."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


_SQL_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_SQL_BLOB_LITERAL = re.compile(r"\b[xX]'[0-9a-fA-F]*'")


def redact_sql(sql: str) -> str:
    """The statement with every string literal replaced by ``'…'``."""
    return _SQL_STRING_LITERAL.sub("'…'", _SQL_BLOB_LITERAL.sub("'…'", sql))


class RedactSqlFilter(logging.Filter):
    """Takes the values out of `django.db.backends` records (SQL logged with DEBUG or a debug cursor).

    Django logs ``(duration) sql; args=params; alias=alias`` with the parameters interpolated into
    the SQL; both would carry the secrets' hashes, password hashes and session data. The statement
    stays (for reading query plans), its string literals and the parameters do not.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "sql", None) is not None:
            record.sql = redact_sql(str(record.sql))
        if hasattr(record, "params"):
            record.params = "[redacted]"
        if isinstance(record.args, tuple) and len(record.args) == 4 and "args=" in str(record.msg):
            duration, sql, _params, alias = record.args
            record.args = (duration, redact_sql(str(sql)), "[redacted]", alias)
        elif record.args:
            record.args = tuple(redact_sql(str(arg)) for arg in record.args)
        record.msg = redact_sql(str(record.msg))
        return True


# The token of a set-password link (`/accounts/set-password/<uid>/<token>/`, users.views.SetPasswordView):
# the first request of the link carries it in its path, so the access line of that request would.
_SET_PASSWORD_TOKEN = re.compile(r"(/set-password/[A-Za-z0-9_-]+/)(?!set-password/)[A-Za-z0-9_-]+")


def redact_links(text: str) -> str:
    """`text` with the token of every set-password link replaced by ``[redacted]``."""
    return _SET_PASSWORD_TOKEN.sub(r"\1[redacted]", text)


class RedactLinksFilter(logging.Filter):
    """On every handler (Django's console handler, gunicorn's in deploy/gunicorn-logging.json): the
    line of any logger — the development server's and gunicorn's access lines included — never holds
    the token of a set-password link. The record's message is rendered once and replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter's own error handling
            return True
        redacted = redact_links(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
