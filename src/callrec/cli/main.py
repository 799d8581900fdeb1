"""The root command and the error boundary: every failure is one line, never a traceback."""

from __future__ import annotations

import logging
import os
import sys
from importlib.metadata import version as package_version

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from typer.exceptions import TyperException

from callrec.cli import (
    admin_tokens,
    audit,
    cdr,
    db,
    demo,
    fetch,
    ingest_sources,
    keys,
    numbers,
    purge,
    push,
    quarantine,
    query,
    rating,
    records,
    remote_numbers,
    secrets,
    serve,
    summary,
    users,
    workspaces,
)
from callrec.cli.common import FIELD_FLAGS, CliError, err, out
from callrec.observability.logs import configure_logging
from callrec.settings import BY_VARIABLE, SettingsError, log_format_from_env
from callrec.store.errors import InvalidValue, StoreError

app = typer.Typer(
    rich_markup_mode=None,
    name="callrec",
    help="Call detail records: store, rate and serve them through the queryPage API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(requested: bool) -> None:
    if requested:
        out.print(f"callrec {package_version('callrec')}", markup=False)
        raise typer.Exit()


@app.callback()
def root(
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="CALLREC_DATABASE_URL",
        help=f"Database URL (default {BY_VARIABLE['CALLREC_DATABASE_URL'].default}); also a "
        "`serve` flag.",
        show_envvar=True,
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print callrec's version and exit.",
    ),
) -> None:
    if database_url:
        os.environ["CALLREC_DATABASE_URL"] = database_url


app.add_typer(db.app, name="db")
app.add_typer(workspaces.app, name="workspace")
app.add_typer(keys.app, name="key")
app.add_typer(numbers.app, name="number")
app.add_typer(admin_tokens.app, name="admin")
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(records.app, name="records")
cdr.app.command("unrouted")(quarantine.unrouted)
cdr.app.command("reprocess")(quarantine.reprocess)
app.add_typer(cdr.app, name="cdr")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(ingest_sources.app, name="ingest-source")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.add_typer(rating.rates_app, name="rates")
app.add_typer(rating.fx_app, name="fx")
app.command("rerate")(rating.rerate)
app.command("purge")(purge.purge)
app.command("fetch")(fetch.fetch)
app.command("query")(query.query)
app.command("numbers")(remote_numbers.numbers)
app.command("number-edit")(remote_numbers.number_edit)
app.command("summary")(summary.summary)
app.add_typer(push.app, name="push")
app.add_typer(secrets.app, name="secrets")


def _one_line(message: object) -> str:
    """Drivers put hints on further lines (psycopg: "Is the server running..."); join them."""
    return " ".join(str(message).split())


def main() -> None:
    try:
        configure_logging(log_format_from_env(), logging.WARNING)
    except SettingsError as exc:
        configure_logging("text")
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `callrec key` alone: show the help
            err.print(str(exc), markup=False)
            sys.exit(exc.exit_code)
        # Usage errors (a missing option, an unknown command) as one line, not a box.
        err.print(f"error: {_one_line(exc.format_message())} (see --help)", markup=False)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(1)
    except CliError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except InvalidValue as exc:
        err.print(f"error: {exc.naming(FIELD_FLAGS.get(exc.field or ''))}", markup=False)
        sys.exit(1)
    except (StoreError, SettingsError) as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except OperationalError as exc:
        err.print(f"error: database unavailable: {_one_line(exc.orig)}", markup=False)
        sys.exit(1)
    except SQLAlchemyError as exc:
        # The driver's own message, without SQLAlchemy's "[SQL: ...]" and parameter dump.
        detail = _one_line(getattr(exc, "orig", None) or exc)
        err.print(f"error: database error: {exc.__class__.__name__}: {detail}", markup=False)
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("CALLREC_DEBUG"):
            raise
        err.print(
            f"error: unexpected {exc.__class__.__name__}: {_one_line(exc)} "
            "(set CALLREC_DEBUG=1 for the traceback, and please report it)",
            markup=False,
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
