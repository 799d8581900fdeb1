"""``callrec query``: one page of a window as a readable table."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import out
from callrec.cli.remote import (
    api_key_option,
    base_url_option,
    connect,
    from_option,
    to_option,
    window_from_options,
)
from callrec.cli.tables import print_whole_table
from callrec.client import Page

_COLUMNS: tuple[str, ...] = (
    "callid", "start", "number", "called", "country", "talk s", "charged s", "pay", "currency",
    "sip", "hangup",
)  # fmt: skip
_NUMERIC = {"talk s", "charged s", "pay"}


def page_table(page: Page) -> Table:
    table = Table(
        caption=f"page {page.current} of {page.pages}, {page.total} records in the window",
        caption_justify="left",
    )
    for name in _COLUMNS:
        table.add_column(name, justify="right" if name in _NUMERIC else "left")
    for record in page.records:
        table.add_row(
            record.callid,
            record.start_time.isoformat(sep=" "),
            record.number,
            record.called,
            record.country or "",
            str(record.call_duration),
            str(record.charged_duration),
            format(record.pay, "f"),
            record.currency or "USD",
            record.sip_code or "",
            record.hangup_reason or "",
        )
    return table


def query(
    start: str = from_option(),
    end: str = to_option(),
    page: int = typer.Option(1, "--page", min=1, help="Page number, from 1."),
    size: int = typer.Option(20, "--size", min=1, max=100, help="Records per page."),
    base_url: str | None = base_url_option(),
    api_key: str | None = api_key_option(),
) -> None:
    """Ask for one page of the window and show it as a table (times in the offset of --from)."""
    window = window_from_options(start, end)
    with connect(base_url, api_key) as client:
        answer = client.query_page(window.start, window.end, page, size)
    print_whole_table(out, page_table(answer))
