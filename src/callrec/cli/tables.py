"""Printing tables whole: a number cut to ``16.4…`` is worse than a line that wraps."""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

_UNBOUNDED = 100_000


def print_whole_table(console: Console, table: Table) -> None:
    """Print at the table's natural width when the console is narrower (or not a terminal)."""
    natural = Measurement.get(console, console.options.update_width(_UNBOUNDED), table).maximum
    if natural > console.width:
        table.width = natural
    console.print(table)
