"""``callrec db``: schema migrations."""

from __future__ import annotations

import typer

from callrec.cli.common import database, out
from callrec.store.migrate import current_revision
from callrec.store.migrate import upgrade as upgrade_schema

app = typer.Typer(rich_markup_mode=None, help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    with database(require_current_schema=False) as target:
        upgrade_schema(target)
        out.print(f"database at revision {current_revision(target)}", markup=False)
