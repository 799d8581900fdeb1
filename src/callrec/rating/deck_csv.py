"""Reading a rate deck from CSV: ``prefix, rate, chargedPeriod, direction, effectiveFrom``.

A header row is optional (recognised by its first cell, ``prefix``). ``effectiveFrom`` is ISO
8601 with an offset, or a date alone meaning 00:00 UTC that day. A deck is applied whole or
not at all: a half-applied deck would misprice calls, so every bad row is reported and
nothing is stored until all are fixed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from callrec.rating.billing import BillingError, ChargedPeriod
from callrec.rating.deck import DIRECTIONS, MAX_RATE_TEXT, RateRow
from callrec.wire.money import MoneyError, parse_decimal, plain
from callrec.wire.times import TimeFormatError, parse_date_or_instant

COLUMNS = ("prefix", "rate", "chargedPeriod", "direction", "effectiveFrom")


@dataclass(frozen=True, slots=True)
class DeckError:
    line: int
    reason: str


def _row(cells: list[str]) -> RateRow:
    if len(cells) != len(COLUMNS):
        raise ValueError(
            f"expected {len(COLUMNS)} columns ({', '.join(COLUMNS)}), got {len(cells)}"
        )
    prefix, rate_text, period_text, direction, effective = (cell.strip() for cell in cells)
    prefix = prefix.removeprefix("+")
    if not (prefix.isascii() and prefix.isdigit()) or len(prefix) > 15:
        raise ValueError(f"prefix: {cells[0]!r} is not up to 15 digits")
    try:
        rate = parse_decimal(rate_text)
    except MoneyError as exc:
        raise ValueError(f"rate: {exc}") from exc
    if rate < 0:
        raise ValueError("rate: must not be negative")
    if len(plain(rate)) > MAX_RATE_TEXT:
        raise ValueError(f"rate: has more than {MAX_RATE_TEXT} characters")
    try:
        period = ChargedPeriod.parse(period_text)
    except BillingError as exc:
        raise ValueError(f"chargedPeriod: {exc}") from exc
    direction = direction.lower()
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    try:
        effective_us = parse_date_or_instant(effective)
    except TimeFormatError as exc:
        raise ValueError(f"effectiveFrom: {exc}") from exc
    return RateRow(prefix, direction, effective_us, rate, period)


def parse_deck(text_lines: Iterable[str]) -> tuple[list[RateRow], list[DeckError]]:
    rows: list[RateRow] = []
    errors: list[DeckError] = []
    seen: dict[tuple[str, str, int], int] = {}
    reader = csv.reader(text_lines)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field over csv's size limit, say: nothing after it is read
            errors.append(DeckError(reader.line_num, f"not readable as CSV: {exc}"))
            break
        number = reader.line_num
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if number == 1 and cells[0].strip().lower() == "prefix":
            continue
        try:
            row = _row(cells)
        except ValueError as exc:
            errors.append(DeckError(number, str(exc)))
            continue
        key = (row.prefix, row.direction, row.effective_from_us)
        if key in seen:
            errors.append(
                DeckError(
                    number, f"repeats the prefix, direction and effectiveFrom of line {seen[key]}"
                )
            )
            continue
        seen[key] = number
        rows.append(row)
    return rows, errors


def parse_deck_bytes(data: bytes) -> tuple[list[RateRow], list[DeckError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [DeckError(line, f"is not UTF-8 text (byte {exc.start + 1} of the file)")]
    return parse_deck(io.StringIO(text, newline=""))
