"""What every command shares: the engine, JSON output and one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from callrec.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")

# How the CLI names the field an InvalidValue is about (callrec.store.errors).
FIELD_FLAGS = {
    "allowIps": "--allow-ip",
    "appId": "--app-id",
    "before": "--before",
    "called": "--called",
    "caller": "--caller",
    "callids": "--callid",
    "clearSecret": "--no-secret",
    "currency": "--currency",
    "dueDate": "--due-date",
    "graceSeconds": "--grace",
    "name": "NAME",
    "newName": "NEW_NAME",
    "number": "NUMBER",
    "password": "the password",
    "prefix": "--prefix",
    "reason": "--reason",
    "remark": "--remark",
    "secret": "--secret",
    "startedBefore": "--before",
    "timeZone": "--tz",
    "type": "--type",
    "url": "URL",
}


class CliError(Exception):
    """A failure to report as one line on stderr with a non-zero exit."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int = 1) -> NoReturn:
    raise CliError(message, exit_code)


def engine(require_current_schema: bool = True) -> Engine:
    """The configured database. Only `db upgrade` (``require_current_schema=False``) may
    create an SQLite file: for any other command a missing file is a mistyped URL."""
    # Imported here: the store (SQLAlchemy, Alembic) is most of a command's start-up, and the
    # root command (`callrec --version`, a usage error) needs none of it.
    from callrec.store import make_engine
    from callrec.store.file_permissions import sqlite_path
    from callrec.store.migrate import is_current

    settings = Settings.from_env()
    path = sqlite_path(settings.database_url)
    if require_current_schema and path is not None and not path.exists():
        fail(
            f"no database at {path}: check CALLREC_DATABASE_URL (or --database-url), or run "
            "`callrec db upgrade` to create it"
        )
    result = make_engine(settings.database_url)
    if require_current_schema and not is_current(result):
        result.dispose()
        fail("the database schema is not current: run `callrec db upgrade` first")
    return result


@contextmanager
def database(require_current_schema: bool = True) -> Iterator[Engine]:
    """The configured database for one command, its connections closed afterwards."""
    target = engine(require_current_schema)
    try:
        yield target
    finally:
        target.dispose()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
