"""``callrec db``: schema migrations."""

from __future__ import annotations

import typer

from callrec.cli.common import engine, out
from callrec.store.migrate import current_revision
from callrec.store.migrate import upgrade as upgrade_schema

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    target = engine(require_current_schema=False)
    try:
        upgrade_schema(target)
        out.print(f"database at revision {current_revision(target)}", markup=False)
    finally:
        target.dispose()
