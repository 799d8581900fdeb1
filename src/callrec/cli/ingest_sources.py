"""``callrec ingest-source``: the switches and systems allowed to push CDRs over HTTP."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, out, print_json
from callrec.operations import ingest_sources
from callrec.operations.actor import CLI
from callrec.store.ingest_sources import NewSource, source_to_dict

app = typer.Typer(
    rich_markup_mode=None,
    help="Ingest sources: credentials for POST /ingest/*.",
    no_args_is_help=True,
)


def _print_secret(new: NewSource, as_json: bool) -> None:
    source, secret = new.source, new.secret
    if as_json:
        print_json(
            {"name": source.name, "username": source.username, "password": secret, "token": secret}
        )
        return
    out.print(f"ingest source: {source.name}", markup=False)
    out.print(f"user name:     {source.username}", markup=False)
    out.print(f"password:      {secret}", markup=False)
    out.print(f"token:         {secret}  (Bearer, for POST /ingest/cdrs)", markup=False)
    out.print(
        f'json_cdr.conf.xml: <param name="cred" value="{source.username}:{secret}"/>',
        markup=False,
    )
    out.print("The password is not stored and cannot be shown again.", markup=False)


@app.command("create")
def create(
    name: str,
    no_encode_values: bool = typer.Option(
        False,
        "--no-encode-values",
        help="The switch posts with encode-values=false: do not URL-decode values.",
    ),
    keep_b_legs: bool = typer.Option(
        False, "--keep-b-legs", help="Store FreeSWITCH B-legs too (skipped by default)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an ingest source; its password (= Bearer token) is shown once, here."""
    with database() as target:
        created = ingest_sources.create_source(
            target, CLI, name, encode_values=not no_encode_values, skip_b_legs=not keep_b_legs
        )
    _print_secret(created, as_json)


@app.command("list")
def list_sources(as_json: bool = JSON_OPTION) -> None:
    """List ingest sources (secrets are never shown again)."""
    with database() as target:
        sources = ingest_sources.list_sources(target, CLI)
    if as_json:
        print_json([source_to_dict(s) for s in sources])
        return
    table = Table("name", "user name", "encode-values", "B-legs", "enabled", "created")
    for s in sources:
        table.add_row(
            s.name,
            s.username,
            "on" if s.encode_values else "off",
            "skipped" if s.skip_b_legs else "kept",
            "yes" if s.enabled else "no",
            source_to_dict(s)["createdAt"],
        )
    out.print(table)


def _set_enabled(name: str, enabled: bool) -> None:
    with database() as target:
        ingest_sources.set_source_enabled(target, CLI, name, enabled)
    out.print(f"ingest source {name} {'enabled' if enabled else 'disabled'}", markup=False)


@app.command("disable")
def disable(name: str) -> None:
    """Disable a source: its requests get 403 until it is enabled again."""
    _set_enabled(name, False)


@app.command("enable")
def enable(name: str) -> None:
    """Enable a source."""
    _set_enabled(name, True)


@app.command("rotate")
def rotate(name: str, as_json: bool = JSON_OPTION) -> None:
    """Give a source a new password (= Bearer token), shown once here; the old one is refused
    from now on, so update the switch's configuration next."""
    with database() as target:
        rotated = ingest_sources.rotate_secret(target, CLI, name)
    _print_secret(rotated, as_json)


@app.command("delete")
def delete(name: str) -> None:
    """Delete a source: its requests get 401 from now on (records it sent stay)."""
    with database() as target:
        ingest_sources.delete_source(target, CLI, name)
    out.print(f"ingest source {name} deleted", markup=False)
