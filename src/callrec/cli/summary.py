"""``callrec summary``: calls, answered, charged minutes and amounts per group, exactly."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from callrec.cli.common import err, out, print_json
from callrec.cli.remote import (
    api_key_option,
    base_url_option,
    connect,
    from_option,
    to_option,
    window_from_options,
)
from callrec.cli.tables import print_whole_table
from callrec.client import Record, Summary, SummaryLine, summarize


class GroupBy(StrEnum):
    DAY = "day"
    COUNTRY = "country"
    NUMBER = "number"


def _money(value: Decimal | None) -> str:
    return "n/a" if value is None else format(value, "f")


def _line_json(line: SummaryLine) -> dict[str, Any]:
    totals = line.totals
    return {
        "group": line.group,
        "currency": line.currency,
        "calls": totals.calls,
        "answered": totals.answered,
        "chargedSeconds": totals.charged_seconds,
        "chargedMinutes": format(totals.charged_minutes, "f"),
        "amount": format(totals.amount, "f"),
        "amountUSD": None if totals.settle_amount is None else format(totals.settle_amount, "f"),
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "by": summary.by,
        "groups": [_line_json(line) for line in summary.lines],
        "totals": [_line_json(line) for line in summary.totals],
        "totalUSD": None if summary.settle_total is None else format(summary.settle_total, "f"),
    }


def summary_table(summary: Summary, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(summary.by)
    table.add_column("currency")
    for name in ("calls", "answered", "charged s", "charged min", "amount", "amount USD"):
        table.add_column(name, justify="right")
    for index, line in enumerate([*summary.lines, *summary.totals]):
        totals = line.totals
        table.add_row(
            line.group,
            line.currency,
            str(totals.calls),
            str(totals.answered),
            str(totals.charged_seconds),
            format(totals.charged_minutes, "f"),
            format(totals.amount, "f"),
            _money(totals.settle_amount),
            end_section=index == len(summary.lines) - 1,
            style="bold" if index >= len(summary.lines) else None,
        )
    return table


def summary(
    start: str = from_option(),
    end: str = to_option(),
    by: GroupBy = typer.Option(GroupBy.DAY, "--by", help="Group by day, country or number."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    base_url: str | None = base_url_option(),
    api_key: str | None = api_key_option(),
    max_window_days: int = typer.Option(
        31, "--max-window-days", min=1, help="The server's longest window; longer ones are split."
    ),
) -> None:
    """Calls, answered calls, charged time and amounts per group and in total.

    Amounts are exact decimal sums of pay (quote currency) and of the USD amounts (SettlePay,
    or pay for USD). Answered means talk time above zero. Days are in the offset of --from.
    """
    window = window_from_options(start, end)
    with (
        connect(base_url, api_key, max_window_days) as client,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.completed} records read"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress,
    ):
        task = progress.add_task("summary")

        def counted(records: Iterable[Record]) -> Iterator[Record]:
            for record in records:
                progress.advance(task)
                yield record

        result = summarize(counted(client.iter_records(window.start, window.end)), by.value)
    if as_json:
        print_json(summary_json(result))
        return
    title = f"{window.start.isoformat()} to {window.end.isoformat()}, by {by.value}"
    print_whole_table(out, summary_table(result, title))
