"""`efinance.lib.logging` alone: its formatters' lines and the redaction of SQL values."""

import json
import logging

from efinance.lib.logging import JsonFormatter, KeyValueFormatter, RedactSqlFilter, log_event


def test_json_lines_are_one_line_per_event_even_with_a_traceback():
    logger = logging.getLogger("tests.logging")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "boom\nsecond line", (), None)
    try:
        raise ValueError("bad\nvalue")
    except ValueError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "boom\nsecond line"
    assert "ValueError" in entry["exception"]
    assert entry["time"].endswith("Z")


def test_key_value_lines_quote_values_with_spaces(caplog):
    with caplog.at_level(logging.INFO, logger="tests.logging"):
        log_event(logging.getLogger("tests.logging"), "demo.event", key_id="abc", note='two words "quoted"')
    assert caplog.records[-1].getMessage() == 'demo.event key_id=abc note="two words \\"quoted\\""'


def test_sql_values_are_redacted_in_debug_sql_lines():
    record = logging.LogRecord(
        "django.db.backends",
        logging.DEBUG,
        __file__,
        1,
        "(%.3f) %s; args=%s; alias=%s",
        (0.001, "INSERT INTO \"apikeys_apikey\" VALUES ('abc', 'it''s a secret', 7)", ("abc", "it's a secret"), "x"),
        None,
    )
    record.sql, record.params = record.args[1], record.args[2]
    RedactSqlFilter().filter(record)
    text = "\n".join([repr(vars(record)), JsonFormatter().format(record), KeyValueFormatter().format(record)])
    assert "secret" not in text
    assert "abc" not in text
    assert """INSERT INTO "apikeys_apikey" VALUES ('…', '…', 7)""" in record.getMessage()
