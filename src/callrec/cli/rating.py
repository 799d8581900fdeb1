"""``callrec rates``, ``callrec fx`` and ``callrec rerate``."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import typer
from rich.table import Table

from callrec.cli.common import database, err, fail, out, print_json
from callrec.rating.deck import INCOMING, OUTGOING
from callrec.rating.deck_csv import parse_deck_bytes
from callrec.rating.fx import SETTLE_CURRENCY, FxRate
from callrec.rating.rater import rated_digits
from callrec.rating.rerate import rerate as rerate_window
from callrec.store.accounts import get_workspace, normalise_currency
from callrec.store.rating_data import list_fx_rates, load_deck, replace_deck_rows, set_fx_rate
from callrec.store.records import unrated_records
from callrec.wire.money import MoneyError, parse_decimal, plain
from callrec.wire.times import (
    TimeFormatError,
    datetime_from_micros,
    parse_date_or_instant,
    parse_iso_instant,
)

rates_app = typer.Typer(rich_markup_mode=None, help="Rate decks.", no_args_is_help=True)
fx_app = typer.Typer(
    rich_markup_mode=None,
    help="Exchange rates into the settle currency (USD).",
    no_args_is_help=True,
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")
UNRATED_PREFIX_DIGITS = 3  # after the country code: enough to tell a missing deck row apart


def _iso(micros: int) -> str:
    return datetime_from_micros(micros).isoformat(timespec="seconds").replace("+00:00", "Z")


def _read_file(file: Path) -> bytes:
    if str(file) == "-":
        return sys.stdin.buffer.read()
    try:
        return file.read_bytes()
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")


WORKSPACE_OPTION = typer.Option(..., "--workspace", help="The workspace (its name).")


@rates_app.command("import")
def rates_import(
    file: Path = typer.Argument(
        ...,
        help="CSV with a header row: prefix,rate,chargedPeriod,direction,effectiveFrom "
        "(- for stdin).",
    ),
    workspace: str = WORKSPACE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import a rate deck (all rows or none). Run `callrec rerate` to re-price stored calls."""
    rows, errors = parse_deck_bytes(_read_file(file))
    if errors:
        for error in errors:
            err.print(f"line {error.line}: {error.reason}", markup=False)
        fail(f"rate deck not imported: {len(errors)} bad line(s); nothing was stored")
    with database() as target:
        ws = get_workspace(target, workspace)
        with target.begin() as conn:
            stored = replace_deck_rows(conn, ws.id, rows)
    if as_json:
        print_json({"imported": stored, "workspace": ws.name})
    else:
        out.print(f"imported {stored} rate rows into workspace {ws.name}", markup=False)


@rates_app.command("list")
def rates_list(workspace: str = WORKSPACE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a workspace's deck."""
    with database() as target:
        ws = get_workspace(target, workspace)
        with target.connect() as conn:
            deck = load_deck(conn, ws.id)
    rows = sorted(deck.rows(), key=lambda r: (r.prefix, r.direction, r.effective_from_us))
    if as_json:
        print_json([
            {"prefix": r.prefix, "rate": plain(r.rate), "chargedPeriod": str(r.period),
             "direction": r.direction, "effectiveFrom": _iso(r.effective_from_us)}
            for r in rows
        ])  # fmt: skip
        return
    table = Table("prefix", "rate", "chargedPeriod", "direction", "effectiveFrom")
    for r in rows:
        table.add_row(
            r.prefix, plain(r.rate), str(r.period), r.direction, _iso(r.effective_from_us)
        )
    out.print(table)


@rates_app.command("unrated")
def rates_unrated(workspace: str = WORKSPACE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Calls stored unrated (no deck row matched), grouped by direction and prefix."""
    with database() as target:
        ws = get_workspace(target, workspace)
        with target.connect() as conn:
            rows = unrated_records(conn, ws.id)
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        direction = OUTGOING if row.call_source == 3 else INCOMING
        digits = rated_digits(direction, row.number, row.called)
        prefix = digits[: len(row.ccode or "") + UNRATED_PREFIX_DIGITS]
        group = groups[(direction, prefix)]
        group[0] += 1
        group[1] += row.call_duration
    ordered = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    if as_json:
        print_json([
            {"direction": d, "prefix": p, "calls": calls, "talkSeconds": talk}
            for (d, p), (calls, talk) in ordered
        ])  # fmt: skip
        return
    if not ordered:
        out.print(f"no unrated calls in workspace {ws.name}", markup=False)
        return
    table = Table("direction", "prefix", "calls", "talk seconds")
    for (direction, prefix), (calls, talk) in ordered:
        table.add_row(direction, prefix, str(calls), str(talk))
    out.print(table)


@fx_app.command("set")
def fx_set(
    currency: str,
    rate: str = typer.Argument(..., help="USD per one unit of CURRENCY, e.g. 1.0832"),
    effective_from: str = typer.Option(
        ...,
        "--from",
        help="When the rate applies from: a plain date (2024-01-01, midnight UTC) or ISO 8601 "
        "with an offset (2024-01-01T00:00:00+08:00).",
    ),
) -> None:
    """Set an exchange rate from a moment on (replaces one set for the same moment)."""
    code = normalise_currency(currency)
    if code == SETTLE_CURRENCY:
        fail("USD is the settle currency; it needs no exchange rate")
    try:
        value = parse_decimal(rate)
    except MoneyError as exc:
        fail(f"rate: {exc}")
    if value <= 0:
        fail("rate: must be greater than 0")
    try:
        start = parse_date_or_instant(effective_from)
    except TimeFormatError as exc:
        fail(f"--from: {exc}")
    with database() as target, target.begin() as conn:
        set_fx_rate(conn, FxRate(code, start, value))
    out.print(f"{code} = {plain(value)} USD from {_iso(start)}", markup=False)


@fx_app.command("list")
def fx_list(as_json: bool = JSON_OPTION) -> None:
    """Show every exchange rate."""
    with database() as target, target.connect() as conn:
        rates = list_fx_rates(conn)
    if as_json:
        print_json(
            [
                {
                    "currency": r.currency,
                    "rate": plain(r.rate),
                    "effectiveFrom": _iso(r.effective_from_us),
                }
                for r in rates
            ]
        )
        return
    table = Table("currency", "USD per unit", "effectiveFrom")
    for r in rates:
        table.add_row(r.currency, plain(r.rate), _iso(r.effective_from_us))
    out.print(table)


def _instant(text: str, flag: str) -> int:
    try:
        return parse_iso_instant(text).micros
    except TimeFormatError as exc:
        fail(f"{flag}: {exc}")


def rerate(
    workspace: str = WORKSPACE_OPTION,
    start: str = typer.Option(..., "--from", help="Window start, ISO 8601 with offset"),
    end: str = typer.Option(..., "--to", help="Window end (exclusive), ISO 8601 with offset"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-price stored calls of a window with the current deck and exchange rates.

    Covers calls rated here that started in [--from, --to). Idempotent; records imported
    already priced are never touched.
    """
    start_us, end_us = _instant(start, "--from"), _instant(end, "--to")
    if end_us <= start_us:
        fail("--to must be later than --from")
    with database() as target:
        report = rerate_window(target, get_workspace(target, workspace), start_us, end_us)
    if as_json:
        print_json(report.as_json())
        return
    out.print(
        f"examined {report.examined}, changed {report.changed}; "
        f"pay of the changed calls {report.pay_before:.6f} -> {report.pay_after:.6f}",
        markup=False,
    )
    for change, count in sorted(report.status_changes.items()):
        out.print(f"  {change}: {count}", markup=False)
