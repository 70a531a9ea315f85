"""Structured logs: one line per event, JSON in production and key=value in development.

An event is logged with :func:`log_event`; its fields become keys of the JSON line::

    {"time": "2026-11-25T14:50:01.234Z", "level": "INFO", "logger": "apikeys", "event": "apikey.created",
     "key_id": "q4kz7mxp2hra", "api": "integration", ..., "message": "apikey.created key_id=q4kz7mxp2hra ..."}

Nothing secret is ever a field: a key is named by its public key ID, never by its token or hash; and
`RedactFilter`, on every handler, replaces any token that reached a record anyway (a URL, a header, an
echoed body) by ``[redacted token]``; `DropQueryStringFilter` keeps query strings out of access lines.
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
        elif record.exc_text:  # already formatted (and redacted) by RedactFilter
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """For a developer's terminal: ``time level logger message``; an event's message is key=value already."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        elif record.exc_text:  # already formatted (and redacted) by RedactFilter
            line = f"{line}\n{record.exc_text}"
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


# The token of a set-password link (`/accounts/set-password/<uid>/<token>/`, users.views.SetPasswordView)
# and of an unlock link (`/accounts/unlock/<uid>/<token>/`, users.views.unlock_link): the first request of
# the link carries it in its path, so the access line of that request would.
_SET_PASSWORD_TOKEN = re.compile(r"(/set-password/[A-Za-z0-9_-]+/)(?!set-password/)[A-Za-z0-9_-]+")
_UNLOCK_TOKEN = re.compile(r"(/unlock/[A-Za-z0-9_-]+/)[A-Za-z0-9_-]+")


def redact_links(text: str) -> str:
    """`text` with the token of every set-password or unlock link replaced by ``[redacted]``."""
    return _UNLOCK_TOKEN.sub(r"\1[redacted]", _SET_PASSWORD_TOKEN.sub(r"\1[redacted]", text))


REDACTED = "[redacted token]"


class RedactFilter(logging.Filter):
    """Replaces every match of a pattern in a record by ``[redacted token]``: the message with its
    arguments, every text field added through `extra`, the exception and stack text.

    Put on every handler (settings.LOGGING, deploy/gunicorn-logging.json), so that whatever logger
    writes — the app, Django's request and server logs, gunicorn's error and access logs — no line
    holds an API token, wherever the token came from (a query string, a path, a header, a body echoed
    in an error). `pattern` is the dotted path of a compiled pattern (``apikeys.tokens.TOKEN_LOG_SEARCH_RE``:
    the shape that secret scanners get, with any character percent-encoded as a URL may carry it),
    imported when the filter is made, so that this module, which every app uses, imports none of them.
    """

    def __init__(self, pattern: str = "apikeys.tokens.TOKEN_LOG_SEARCH_RE", name: str = ""):
        super().__init__(name)
        from django.utils.module_loading import import_string

        self.pattern = import_string(pattern)

    def _redact(self, text: str) -> str:
        return self.pattern.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed format: the message itself, redacted, rather than no line at all
            message = f"{record.msg} {record.args!r}"
            record.msg, record.args = self._redact(message), ()
        else:
            redacted = self._redact(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, self._redact(value))
        if record.exc_info:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class RedactLinksFilter(RedactFilter):
    """On every handler (Django's console handler, gunicorn's in deploy/gunicorn-logging.json): the
    line of any logger — the development server's and gunicorn's access lines included — never holds
    the token of a set-password link (`redact_links`), with the same thoroughness as `RedactFilter`."""

    def __init__(self, name: str = ""):
        logging.Filter.__init__(self, name)

    def _redact(self, text: str) -> str:
        return redact_links(text)


def _without_query(request_line: str) -> str:
    """``GET /path?query HTTP/1.1`` → ``GET /path HTTP/1.1``."""
    parts = request_line.split(" ")
    if len(parts) >= 2:
        parts[1] = parts[1].split("?", 1)[0]
    return " ".join(parts)


class DropQueryStringFilter(logging.Filter):
    """Access lines without query strings: gunicorn's ``gunicorn.access`` (its atoms ``r`` and ``q``,
    whatever `access_log_format` says) and the development server's ``django.server``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # gunicorn: the format's atoms (its SafeAtoms, changed in place
            atoms = record.args  # so that header atoms such as %({x-missing}i)s still answer "-")
            if "r" in atoms:
                atoms["r"] = _without_query(str(atoms["r"]))
            if "q" in atoms:
                atoms["q"] = ""
        elif record.name == "django.server" and isinstance(record.args, tuple) and record.args:
            record.args = (_without_query(str(record.args[0])), *record.args[1:])
        return True
