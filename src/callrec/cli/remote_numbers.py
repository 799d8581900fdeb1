"""``callrec numbers`` and ``callrec number-edit``: the number API of callrec or the vendor,
as a customer sees it (signed with the API key, like ``callrec query``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from callrec.cli.common import fail, out, print_json
from callrec.cli.remote import USAGE_ERROR, api_key_option, base_url_option, connect
from callrec.cli.tables import print_whole_table
from callrec.client import NumberInfo

_STATES = {3: "in use", 4: "expired", 5: "disabled"}


def numbers_table(numbers: list[NumberInfo]) -> Table:
    table = Table(caption=f"{len(numbers)} numbers", caption_justify="left")
    for name in ("number", "appId", "country", "type", "due date", "renew", "state", "inIp",
                 "prefix", "voicemail"):  # fmt: skip
        table.add_column(name)
    for n in numbers:
        voicemail = (
            f"on, {n.voicemail_max_hangup}s"
            + (f", {n.voicemail_file_name}" if n.voicemail_file_name else "")
            if n.enable_voicemail
            else "off"
        )
        table.add_row(
            n.number,
            n.app_id,
            n.country,
            n.type,
            n.due_date.isoformat() if n.due_date else "-",
            "yes" if n.auto_renew else "no",
            f"{n.state} {_STATES.get(n.state, '?')}",
            n.in_ip,
            n.inbound_prefix,
            voicemail,
        )
    return table


def numbers(
    app_id: str | None = typer.Option(None, "--app-id", help="Only this application's numbers."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the records as the server sent them."
    ),
    base_url: str | None = base_url_option(),
    api_key: str | None = api_key_option(),
) -> None:
    """List the key's numbers, every page (the vendor's /v3/number/queryPage)."""
    with connect(base_url, api_key) as client:
        found = list(client.iter_numbers(app_id))
    if as_json:
        print_json([n.raw for n in found])
    else:
        print_whole_table(out, numbers_table(found))


def _greeting(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"--greeting {str(path)!r}: {exc.strerror or exc}", USAGE_ERROR)


def number_edit(
    number: str = typer.Argument(..., help="The number, digits with the country code."),
    app_id: str = typer.Option(..., "--app-id", help="Its application id (must match)."),
    voicemail: bool = typer.Option(
        ..., "--voicemail/--no-voicemail", help="Voicemail on or off (the API requires it)."
    ),
    max_hangup: str | None = typer.Option(
        None, "--max-hangup", help='Longest voicemail message, 1..999 s ("" clears).'
    ),
    out_ip: str | None = typer.Option(
        None, "--out-ip", help='Outgoing IP whitelist, comma-separated ("" clears).'
    ),
    in_ip: str | None = typer.Option(
        None, "--in-ip", help='Where incoming calls go, host:port ("" clears).'
    ),
    inbound_prefix: str | None = typer.Option(
        None, "--inbound-prefix", help='Prefix for incoming calls ("" clears).'
    ),
    remark: str | None = typer.Option(
        None, "--remark", help='Free text, up to 50 characters ("" clears).'
    ),
    greeting: Path | None = typer.Option(
        None, "--greeting", help="Greeting file to upload (.mp3, .wav, .m4a)."
    ),
    clear_greeting: bool = typer.Option(False, "--clear-greeting", help="Remove the greeting."),
    as_json: bool = typer.Option(False, "--json", help="Print the number as it is afterwards."),
    base_url: str | None = base_url_option(),
    api_key: str | None = api_key_option(),
) -> None:
    """Configure one number (the vendor's /v3/number/edit). Options left out stay as they are."""
    if greeting is not None and clear_greeting:
        fail("--greeting and --clear-greeting exclude each other", USAGE_ERROR)
    content = _greeting(greeting)
    with connect(base_url, api_key) as client:
        client.edit_number(
            number,
            app_id,
            voicemail,
            out_ip=out_ip,
            in_ip=in_ip,
            inbound_prefix=inbound_prefix,
            remark=remark,
            voicemail_max_hangup=max_hangup,
            greeting=content,
            greeting_file_name=greeting.name if greeting else None,
            clear_greeting=clear_greeting,
        )
        if as_json:
            after = next((n for n in client.iter_numbers(app_id) if n.number == number), None)
            print_json(after.raw if after else None)
            return
    out.print(f"number {number} updated", markup=False)
