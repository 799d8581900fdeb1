"""``callrec demo``: seed a demo workspace once, and show how to query it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shlex
from datetime import UTC, datetime, timedelta

import typer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.cli.common import database, out
from callrec.demo.generator import (
    DECK_EFFECTIVE_US,
    DEMO_CURRENCY,
    DEMO_EXCHANGE,
    DEMO_TIME_ZONE,
    OWN_NUMBERS,
    demo_deck,
    generate_cdrs,
)
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.operations import users
from callrec.operations.actor import CLI
from callrec.rating.fx import FxRate
from callrec.settings import BY_VARIABLE
from callrec.store import accounts
from callrec.store.errors import NotFound
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.schema import call_records, workspaces
from callrec.wire.times import datetime_from_micros, now_micros

DEMO_WORKSPACE = "demo"
DEMO_USER = "demo"  # a console user of the demo workspace (what a customer sees)


def demo_password(api_secret: str) -> str:
    """The demo login's password, derived from the demo key's secret (printed beside it, so
    it is no weaker): every run prints it again without storing it or resetting it."""
    digest = hmac.new(api_secret.encode(), b"callrec demo console login", hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:12]).decode()


def _demo_login(target: Engine, api_secret: str) -> str:
    """The demo login line: the demo workspace's console user, made on first use."""
    password = demo_password(api_secret)
    found = users.find_login(target, DEMO_USER)
    if found is None:
        users.create_user(target, CLI, DEMO_USER, password, DEMO_WORKSPACE)
    elif found.workspace != DEMO_WORKSPACE:
        return f"none (a user {DEMO_USER!r} of another kind exists)"
    elif not users.check_password(found, password):
        return f"{DEMO_USER} (its password was changed: callrec user password {DEMO_USER})"
    return f"{DEMO_USER} / {password}"


def _query_command(api_key: str, secret: str, day: datetime, port: int) -> str:
    start = day.strftime("%Y-%m-%dT00:00:00Z")
    end = (day + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    body = f'{{"current":1,"size":10,"params":{{"strTime":"{start}","endTime":"{end}"}}}}'
    return (
        f"TS=$(date +%s); SIGN=$(printf '%s' {shlex.quote(api_key + secret)}\"$TS\" | md5sum"
        " | cut -d' ' -f1); "
        f"curl -s -X POST http://127.0.0.1:{port}/v3/number/record/queryPage"
        " -H 'Content-Type: application/json;charset=UTF-8'"
        f' -H \'Api-Key: {api_key}\' -H "Timestamp: $TS" -H "Sign: $SIGN"'
        f" -d {shlex.quote(body)}"
    )


def _seed(target: Engine, calls: int) -> None:
    """The demo goes through the real path: raw CDRs are routed, rated and stored."""
    ws = accounts.create_workspace(target, DEMO_WORKSPACE, DEMO_CURRENCY, DEMO_TIME_ZONE)
    accounts.create_key(target, DEMO_WORKSPACE)
    for own in OWN_NUMBERS:
        accounts.add_number(target, own.number, DEMO_WORKSPACE, own.app_id, own.number_type)
    with target.begin() as conn:
        replace_deck_rows(conn, ws.id, demo_deck())
        set_fx_rate(conn, FxRate(DEMO_CURRENCY, DECK_EFFECTIVE_US, DEMO_EXCHANGE))
    report = run_ingest(Pipeline(target), generate_cdrs(calls, now_micros()))
    out.print(
        f"seeded workspace {DEMO_WORKSPACE!r}: {report.accepted} calls rated and stored",
        markup=False,
    )


def demo(
    calls: int = typer.Option(50_000, "--calls", help="How many calls to generate."),
    port: int = typer.Option(
        BY_VARIABLE["CALLREC_PORT"].default,
        "--port",
        envvar="CALLREC_PORT",
        help="The port the printed command calls.",
    ),
) -> None:
    """Seed a demo workspace once, then print the console's address and a demo login, the
    demo's key and a ready-to-paste query.

    The demo (quote currency EUR) gets a key, four numbers, a rate deck, an exchange rate and
    a month of raw CDRs that go through routing and rating, if the database has no workspace.
    """
    with database() as target:
        with target.connect() as conn:
            has_workspaces = conn.execute(select(func.count()).select_from(workspaces)).scalar()
        if not has_workspaces:
            _seed(target, calls)
        try:
            ws = accounts.get_workspace(target, DEMO_WORKSPACE)
        except NotFound:
            out.print(
                "the database already has workspaces and no demo; nothing seeded", markup=False
            )
            return
        keys = [k for k in accounts.list_keys(target, DEMO_WORKSPACE) if k.enabled]
        login = _demo_login(target, keys[0].secret) if keys else "none (no enabled API key)"
        with target.connect() as conn:
            newest = conn.execute(
                select(func.max(call_records.c.start_us)).where(
                    call_records.c.workspace_id == ws.id
                )
            ).scalar()
    out.print(f"console:         http://127.0.0.1:{port}/console/", markup=False)
    out.print(f"demo login:      {login}", markup=False)
    if not keys:
        out.print("the demo workspace has no enabled API key", markup=False)
        return
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=1
    )
    if newest is not None:
        newest_day = datetime_from_micros(newest).replace(hour=0, minute=0, second=0, microsecond=0)
        yesterday = min(yesterday, newest_day)
    key = keys[0]
    out.print(f"demo API key:    {key.api_key}", markup=False)
    out.print(f"demo API secret: {key.secret}", markup=False)
    out.print(f"query {yesterday:%Y-%m-%d} (UTC) once the server is up:", markup=False)
    out.print(_query_command(key.api_key, key.secret, yesterday, port), markup=False)
