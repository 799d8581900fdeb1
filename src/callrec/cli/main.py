"""The root command and the error boundary: every failure is one line, never a traceback."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from callrec.cli.common import FIELD_FLAGS, CliError, err, out
from callrec.observability.logs import configure_logging
from callrec.settings import BY_VARIABLE, SettingsError, log_format_from_env

# Every command, in the order `callrec --help` lists them (typer lists single commands before
# groups): the module that defines it, that module's attribute, and whether it is a group.
# A command's module is imported when the command runs (or a help lists it), not at start-up:
# importing all of them cost every `callrec` process ~1.2 s and the server ~3 MB it never used.
_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "serve": ("serve", "serve", False),
    "demo": ("demo", "demo", False),
    "rerate": ("rating", "rerate", False),
    "purge": ("purge", "purge", False),
    "fetch": ("fetch", "fetch", False),
    "query": ("query", "query", False),
    "numbers": ("remote_numbers", "numbers", False),
    "number-edit": ("remote_numbers", "number_edit", False),
    "summary": ("summary", "summary", False),
    "db": ("db", "app", True),
    "workspace": ("workspaces", "app", True),
    "key": ("keys", "app", True),
    "number": ("numbers", "app", True),
    "admin": ("admin_tokens", "app", True),
    "user": ("users", "app", True),
    "audit": ("audit", "app", True),
    "records": ("records", "app", True),
    "cdr": ("cdr", "app", True),
    "quarantine": ("quarantine", "app", True),
    "ingest-source": ("ingest_sources", "app", True),
    "rates": ("rating", "rates_app", True),
    "fx": ("rating", "fx_app", True),
    "push": ("push", "app", True),
    "secrets": ("secrets", "app", True),
}
_TYPER_SETTINGS: dict[str, Any] = {
    "rich_markup_mode": None,
    "add_completion": False,
    "pretty_exceptions_enable": False,
}


def _load(name: str) -> Any:
    """The click command ``name``, built by typer exactly as if registered on the root."""
    module_name, attribute, is_group = _COMMANDS[name]
    module = importlib.import_module(f"callrec.cli.{module_name}")
    target = getattr(module, attribute)
    if name == "cdr":
        from callrec.cli import quarantine

        if not any(info.name == "unrouted" for info in target.registered_commands):
            target.command("unrouted")(quarantine.unrouted)
            target.command("reprocess")(quarantine.reprocess)
    holder = typer.Typer(**_TYPER_SETTINGS)
    if is_group:
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


class _LazyCommands(MutableMapping[str, Any]):
    """The root's subcommands by name; each is built on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in _COMMANDS:
                raise KeyError(name)
            self._built[name] = _load(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from _COMMANDS
        yield from (name for name in self._built if name not in _COMMANDS)

    def __len__(self) -> int:
        return len(set(_COMMANDS) | set(self._built))


class _LazyGroup(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands()

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)


app = typer.Typer(
    **_TYPER_SETTINGS,
    cls=_LazyGroup,
    name="callrec",
    help="Call detail records: store, rate and serve them through the queryPage API.",
    no_args_is_help=True,
)


def _print_version(requested: bool) -> None:
    if requested:
        from importlib.metadata import version as package_version

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


def _one_line(message: object) -> str:
    """Drivers put hints on further lines (psycopg: "Is the server running..."); join them."""
    return " ".join(str(message).split())


def _known_failure(exc: Exception) -> str | None:
    """The one line for a store, settings or database error; None for anything else. The
    store's and SQLAlchemy's errors are looked up only if their modules were loaded: a command
    that never imported them cannot have raised them (and `--version` need not import them)."""
    errors = sys.modules.get("callrec.store.errors")
    if errors is not None and isinstance(exc, errors.InvalidValue):
        return exc.naming(FIELD_FLAGS.get(exc.field or ""))
    if isinstance(exc, SettingsError):
        return str(exc)
    if errors is not None and isinstance(exc, errors.StoreError):
        return str(exc)
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(exc, database.OperationalError):
        return f"database unavailable: {_one_line(exc.orig)}"
    if database is not None and isinstance(exc, database.SQLAlchemyError):
        # The driver's own message, without SQLAlchemy's "[SQL: ...]" and parameter dump.
        detail = _one_line(getattr(exc, "orig", None) or exc)
        return f"database error: {exc.__class__.__name__}: {detail}"
    return None


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
    except Exception as exc:
        known = _known_failure(exc)
        if known is not None:
            err.print(f"error: {known}", markup=False)
            sys.exit(1)
        if os.environ.get("CALLREC_DEBUG"):
            raise
        err.print(
            f"error: unexpected {exc.__class__.__name__}: {_one_line(exc)} "
            "(set CALLREC_DEBUG=1 for the traceback, and please report it)",
            markup=False,
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
