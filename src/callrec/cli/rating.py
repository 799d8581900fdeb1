"""``callrec rates``, ``callrec fx`` and ``callrec rerate``."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.table import Table

from callrec.cli.common import database, err, fail, out, print_json
from callrec.operations import fx, rating
from callrec.operations.actor import CLI
from callrec.operations.fx import fx_to_dict
from callrec.operations.rating import rate_row_to_dict
from callrec.store.errors import InvalidLines, InvalidValue

rates_app = typer.Typer(rich_markup_mode=None, help="Rate decks.", no_args_is_help=True)
fx_app = typer.Typer(
    rich_markup_mode=None,
    help="Exchange rates into the settle currency (USD).",
    no_args_is_help=True,
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")
COLUMNS = ("prefix", "rate", "chargedPeriod", "direction", "effectiveFrom")
# How these commands name the fields an InvalidValue is about (callrec.store.errors).
FX_SET_NAMES = {"currency": "CURRENCY", "rate": "rate:", "effectiveFrom": "--from:"}
RERATE_NAMES = {"from": "--from:", "to": "--to"}


@contextmanager
def _naming(names: Mapping[str, str]) -> Iterator[None]:
    try:
        yield
    except InvalidValue as exc:
        if exc.field not in names:
            raise
        fail(exc.naming(names[exc.field]))


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
    data = _read_file(file)
    with database() as target:
        try:
            done = rating.import_deck(target, CLI, workspace, data)
        except InvalidLines as exc:
            for line, reason in exc.lines:
                err.print(f"line {line}: {reason}", markup=False)
            fail(str(exc))
    if as_json:
        print_json({"imported": done.imported, "workspace": done.workspace})
    else:
        out.print(f"imported {done.imported} rate rows into workspace {done.workspace}",
                  markup=False)  # fmt: skip


@rates_app.command("list")
def rates_list(workspace: str = WORKSPACE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a workspace's deck."""
    with database() as target:
        rows = [rate_row_to_dict(r) for r in rating.deck_rows(target, CLI, workspace)]
    if as_json:
        print_json(rows)
        return
    table = Table(*COLUMNS)
    for r in rows:
        table.add_row(*(r[c] for c in COLUMNS))
    out.print(table)


@rates_app.command("unrated")
def rates_unrated(workspace: str = WORKSPACE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Calls stored unrated (no deck row matched), grouped by direction and prefix."""
    with database() as target:
        groups = rating.unrated(target, CLI, workspace)
    if as_json:
        print_json([g.as_json() for g in groups])
        return
    if not groups:
        out.print(f"no unrated calls in workspace {workspace}", markup=False)
        return
    table = Table("direction", "prefix", "calls", "talk seconds")
    for g in groups:
        table.add_row(g.direction, g.prefix, str(g.calls), str(g.talk_seconds))
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
    with database() as target, _naming(FX_SET_NAMES):
        value = fx.set_fx_rate(target, CLI, currency, rate, effective_from)
    shown = fx_to_dict(value)
    out.print(f"{shown['currency']} = {shown['rate']} USD from {shown['effectiveFrom']}",
              markup=False)  # fmt: skip


@fx_app.command("list")
def fx_list(as_json: bool = JSON_OPTION) -> None:
    """Show every exchange rate."""
    with database() as target:
        rates = [fx_to_dict(r) for r in fx.list_fx_rates(target, CLI)]
    if as_json:
        print_json(rates)
        return
    table = Table("currency", "USD per unit", "effectiveFrom")
    for r in rates:
        table.add_row(r["currency"], r["rate"], r["effectiveFrom"])
    out.print(table)


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
    with database() as target, _naming(RERATE_NAMES):
        report = rating.rerate(target, CLI, workspace, start, end)
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
