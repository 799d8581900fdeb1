"""``callrec user``: the web console's users (docs/console.md).

The password is asked twice on the terminal without echo, or read from
CALLREC_USER_PASSWORD (for scripts); never a flag, which every user of the machine could
read in ``ps``.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, fail, out, print_json
from callrec.operations import users
from callrec.operations.actor import CLI
from callrec.store.console_users import user_to_dict

PASSWORD_VARIABLE = "CALLREC_USER_PASSWORD"

app = typer.Typer(rich_markup_mode=None, help="Web console users.", no_args_is_help=True)


def _password() -> str:
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is not None:
        users.check_password_rules(given)
        return given
    if not sys.stdin.isatty():
        fail(f"no terminal to ask the password on: set {PASSWORD_VARIABLE}")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    users.check_password_rules(password)
    return password


@app.command("create")
def user_create(
    name: str,
    workspace: str | None = typer.Option(
        None, "--workspace", help="The workspace the user sees (and only it)."
    ),
    operator: bool = typer.Option(
        False, "--operator", help="An operator: sees every workspace and the operator pages."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a console user of one workspace, or an operator."""
    if operator == (workspace is not None):
        fail("give exactly one of --workspace W and --operator")
    with database() as engine:
        user = users.create_user(engine, CLI, name, _password(), workspace)
    if as_json:
        print_json(user_to_dict(user))
        return
    role = "operator" if user.is_operator else f"workspace {user.workspace}"
    out.print(f"console user {user.name} created ({role})", markup=False)


@app.command("list")
def user_list(
    workspace: str | None = typer.Option(None, "--workspace", help="Only this workspace's."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List console users (never their passwords)."""
    with database() as engine:
        found = users.list_users(engine, CLI, workspace)
    if as_json:
        print_json([user_to_dict(u) for u in found])
        return
    table = Table("name", "role", "workspace", "enabled", "created")
    for u in found:
        shown = user_to_dict(u)
        table.add_row(u.name, shown["role"], u.workspace or "-", "yes" if u.enabled else "no",
                      shown["createdAt"])  # fmt: skip
    out.print(table)


@app.command("disable")
def user_disable(name: str) -> None:
    """Disable a user: their sessions end now and they cannot log in."""
    with database() as engine:
        users.set_user_enabled(engine, CLI, name, False)
    out.print(f"console user {name} disabled", markup=False)


@app.command("enable")
def user_enable(name: str) -> None:
    """Enable a disabled user again."""
    with database() as engine:
        users.set_user_enabled(engine, CLI, name, True)
    out.print(f"console user {name} enabled", markup=False)


@app.command("password")
def user_password(name: str) -> None:
    """Set a user's password; their sessions end."""
    with database() as engine:
        users.set_password(engine, CLI, name, _password())
    out.print(f"console user {name}: password changed", markup=False)


@app.command("delete")
def user_delete(name: str) -> None:
    """Delete a user and end their sessions."""
    with database() as engine:
        users.delete_user(engine, CLI, name)
    out.print(f"console user {name} deleted", markup=False)
