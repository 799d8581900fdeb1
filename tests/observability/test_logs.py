"""The log formats: what a line says, whatever the formatter remembers between lines."""

from __future__ import annotations

import logging

import pytest

from callrec.observability import logs
from callrec.observability.logs import TextFormatter, lean_log_records


def _line(fields: dict[str, object], created: float = 1_700_000_000.25) -> str:
    record = logging.LogRecord("callrec.access", logging.INFO, __file__, 1, "POST /x 0", (), None)
    record.created = created
    record.fields = fields
    return TextFormatter().format(record)


def test_values_are_quoted_when_they_would_read_ambiguously_every_time() -> None:
    fields = {"path": "/a b", "api_key": "k1", "status": "0", "n": 7, "none": None, "q": 'x"y'}
    expected = (
        '2023-11-14T22:13:20.250Z INFO callrec.access: POST /x 0 path="/a b" api_key=k1 '
        'status=0 n=7 none=- q="x\\"y"'
    )
    assert _line(fields) == expected
    assert _line(fields) == expected  # the second time from what was remembered


def test_the_time_follows_each_record_across_seconds() -> None:
    assert _line({}, 1_700_000_000.5).startswith("2023-11-14T22:13:20.500Z")
    assert _line({}, 1_700_000_001.0).startswith("2023-11-14T22:13:21.000Z")
    assert _line({}, 1_700_000_000.999).startswith("2023-11-14T22:13:20.999Z")


def test_remembered_values_stay_bounded_and_long_ones_are_not_kept() -> None:
    for number in range(logs._REMEMBERED_VALUES + 500):
        _line({"request_id": f"id-{number}"})
    assert len(logs._rendered_values) <= logs._REMEMBERED_VALUES
    long_value = "v" * (logs._REMEMBERED_VALUE_LENGTH + 1)
    assert _line({"value": long_value}).endswith(f"value={long_value}")
    assert long_value not in logs._rendered_values


@pytest.fixture
def restored_logging_switches() -> object:
    saved = (
        logging._srcfile,  # type: ignore[attr-defined]
        logging.logThreads,
        logging.logProcesses,
        logging.logMultiprocessing,
    )
    yield
    (
        logging._srcfile,  # type: ignore[attr-defined]
        logging.logThreads,
        logging.logProcesses,
        logging.logMultiprocessing,
    ) = saved


@pytest.mark.usefixtures("restored_logging_switches")
def test_lean_records_write_the_same_lines(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("callrec.test-lean")
    formatter = TextFormatter()
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("before %s", 1, extra={"fields": {"a": "b c"}})
        lean_log_records()
        logger.info("before %s", 1, extra={"fields": {"a": "b c"}})
    full, lean = caplog.records
    assert lean.funcName == "(unknown function)"
    assert lean.threadName is None
    assert full.funcName == "test_lean_records_write_the_same_lines"
    assert formatter.format(full)[24:] == formatter.format(lean)[24:]  # past the time
