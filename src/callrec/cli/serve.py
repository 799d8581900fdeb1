"""``callrec serve``: run the API. Its flags are generated from ``callrec.settings.SETTINGS``.

Every flag is also a ``CALLREC_*`` environment variable and the flag wins: a given flag is
written into the environment, over the variable, so that the worker processes uvicorn starts
read the same values; ``Settings.from_env`` then parses and checks them all in one place.
"""

from __future__ import annotations

import inspect
import os
import socket
from typing import Any

import typer

from callrec.cli.common import database, engine, err, fail
from callrec.push.settings import PushSettings
from callrec.settings import SETTINGS, Kind, Setting, Settings
from callrec.store.secret_box import box_from_env
from callrec.store.secret_rotation import check_master_key

FLAG_SETTINGS: tuple[Setting, ...] = tuple(entry for entry in SETTINGS if entry.option)


def _parameter_name(entry: Setting) -> str:
    return entry.variable.removeprefix("CALLREC_").lower()


def _shown_default(entry: Setting) -> str:
    if entry.kind is Kind.SWITCH:
        return "on" if entry.default else "off"
    if entry.default in (None, ()):
        return "unset"
    return str(entry.default)


def _option_names(entry: Setting) -> str:
    names = str(entry.option)
    if entry.kind is Kind.SWITCH and "/" not in names:
        return f"{names}/--no-{names.removeprefix('--')}"
    return names


_METAVARS = {Kind.TEXT: "TEXT", Kind.WHOLE: "N", Kind.DECIMAL: "NUMBER", Kind.NETWORKS: "CIDRS"}


def _parameter(entry: Setting) -> inspect.Parameter:
    """A flag that is None unless given, so that an unset flag leaves the variable alone."""
    switch = entry.kind is Kind.SWITCH
    option = typer.Option(
        None,
        _option_names(entry),
        help=f"{entry.help} (env {entry.variable}, default {_shown_default(entry)})",
        show_default=False,
        metavar=None if switch else _METAVARS[entry.kind],
    )
    annotation: Any = bool | None if switch else str | None
    return inspect.Parameter(
        _parameter_name(entry),
        inspect.Parameter.KEYWORD_ONLY,
        default=option,
        annotation=annotation,
    )


def _check_port_free(host: str, port: int) -> None:
    """Say so in one line when the address is taken, before uvicorn's multi-line story."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def serve(**flags: Any) -> None:
    """Serve POST /v3/number/record/queryPage, /healthz and the OpenAPI docs at /docs.

    Every flag is also a CALLREC_* environment variable; a given flag wins over it.
    """
    for entry in FLAG_SETTINGS:
        value = flags.get(_parameter_name(entry))
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        os.environ[entry.variable] = str(value)
    # Reject bad values here, with the variable's name, before starting anything.
    PushSettings.from_env()
    settings = Settings.from_env()
    engine().dispose()  # and a database that is unreachable or not migrated
    with database() as target:  # and stored secrets this master key cannot decrypt
        check_master_key(target, box_from_env())
    _check_port_free(settings.host, settings.port)
    err.print(
        f"callrec serving on http://{settings.host}:{settings.port} (docs at /docs)", markup=False
    )
    # Imported here: the web stack costs every other command ~0.4 s of start-up.
    from callrec.api import server

    server.serve(settings.host, settings.port, settings.workers, settings.log_level)


serve.__signature__ = inspect.Signature([_parameter(entry) for entry in FLAG_SETTINGS])  # type: ignore[attr-defined]
serve.__annotations__ = {}
