"""``callrec ingest-source``: the switches and systems allowed to push CDRs over HTTP."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import database, out, print_json
from callrec.store import ingest_sources
from callrec.wire.times import datetime_from_micros

app = typer.Typer(
    rich_markup_mode=None,
    help="Ingest sources: credentials for POST /ingest/*.",
    no_args_is_help=True,
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def _created(micros: int) -> str:
    return datetime_from_micros(micros).isoformat(timespec="seconds")


def _source_json(source: ingest_sources.IngestSource) -> dict[str, object]:
    return {
        "name": source.name,
        "username": source.username,
        "encodeValues": source.encode_values,
        "skipBLegs": source.skip_b_legs,
        "enabled": source.enabled,
        "created": _created(source.created_us),
    }


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
            target, name, encode_values=not no_encode_values, skip_b_legs=not keep_b_legs
        )
    source, secret = created.source, created.secret
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


@app.command("list")
def list_sources(as_json: bool = JSON_OPTION) -> None:
    """List ingest sources (secrets are never shown again)."""
    with database() as target:
        sources = ingest_sources.list_sources(target)
    if as_json:
        print_json([_source_json(s) for s in sources])
        return
    table = Table("name", "user name", "encode-values", "B-legs", "enabled", "created")
    for s in sources:
        table.add_row(
            s.name,
            s.username,
            "on" if s.encode_values else "off",
            "skipped" if s.skip_b_legs else "kept",
            "yes" if s.enabled else "no",
            _created(s.created_us),
        )
    out.print(table)


def _set_enabled(name: str, enabled: bool) -> None:
    with database() as target:
        ingest_sources.set_source_enabled(target, name, enabled)
    out.print(f"ingest source {name} {'enabled' if enabled else 'disabled'}", markup=False)


@app.command("disable")
def disable(name: str) -> None:
    """Disable a source: its requests get 403 until it is enabled again."""
    _set_enabled(name, False)


@app.command("enable")
def enable(name: str) -> None:
    """Enable a source."""
    _set_enabled(name, True)
