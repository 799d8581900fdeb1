"""Number operations: add, read, update, move to another workspace, remove.

Operators manage the inventory; a workspace token reads its own numbers and may change
their appId (its own label for them), nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts
from callrec.store.accounts import Number, NumberFilter, number_to_dict
from callrec.store.dialect import write_transaction
from callrec.store.errors import Forbidden

_UNSET: Any = object()


def _missing(number: str) -> str:
    return f"no number {number} in the inventory"


def _visible(conn: Connection, actor: Actor, number: str) -> tuple[str, int]:
    """The number's digits and its workspace id, or NotFound outside the actor's scope."""
    digits = accounts.normalise_phone_number(number)
    workspace_id = accounts.number_workspace_id(conn, digits)
    actor.check_sees(workspace_id, _missing(digits))
    assert workspace_id is not None
    return digits, workspace_id


def add_number(
    engine: Engine,
    actor: Actor,
    number: str,
    workspace: str,
    app_id: str | None = None,
    number_type: str | None = None,
) -> Number:
    with write_transaction(engine) as conn:
        ws = accounts.workspace_row(conn, workspace)
        actor.check_sees(ws.id, f"no workspace named {workspace!r}")
        actor.check_operator("add numbers")
        added = accounts.add_number(conn, number, workspace, app_id, number_type)
        record(conn, actor, "number.add", "number", added.number, ws.id,
               after=number_to_dict(added))  # fmt: skip
    return added


def get_number(engine: Engine, actor: Actor, number: str) -> Number:
    with engine.connect() as conn:
        digits, _ = _visible(conn, actor, number)
        return accounts.number_row(conn, digits)


def list_numbers(
    engine: Engine,
    actor: Actor,
    where: NumberFilter,
    after: str | None = None,
    limit: int | None = None,
) -> list[Number]:
    with engine.connect() as conn:
        if where.workspace is not None:
            ws = accounts.workspace_row(conn, where.workspace)
            actor.check_sees(ws.id, f"no workspace named {where.workspace!r}")
        elif actor.workspace_id is not None:
            own = accounts.workspace_by_id(conn, actor.workspace_id).name
            where = NumberFilter(own, where.app_id, where.type, where.prefix)
        return accounts.list_numbers(conn, where=where, after=after, limit=limit)


def update_number(
    engine: Engine,
    actor: Actor,
    number: str,
    *,
    app_id: str | None = _UNSET,
    number_type: str | None = _UNSET,
) -> Number:
    changes: dict[str, Any] = {}
    if app_id is not _UNSET:
        changes["app_id"] = app_id
    if number_type is not _UNSET:
        changes["number_type"] = number_type
    with write_transaction(engine) as conn:
        digits, workspace_id = _visible(conn, actor, number)
        actor.check_may_change()
        if "number_type" in changes and not actor.is_operator:
            raise Forbidden("only an operator token may change a number's type")
        before = accounts.number_row(conn, digits)
        after = accounts.update_number(conn, digits, **changes)
        record(conn, actor, "number.update", "number", digits, workspace_id,
               number_to_dict(before), number_to_dict(after))  # fmt: skip
    return after


def move_number(engine: Engine, actor: Actor, number: str, workspace: str) -> Number:
    """Records already stored stay with the old workspace; new ones go to the new one."""
    with write_transaction(engine) as conn:
        digits, workspace_id = _visible(conn, actor, number)
        actor.check_operator("move numbers")
        before = accounts.number_row(conn, digits)
        target = accounts.workspace_row(conn, workspace)
        after = accounts.move_number(conn, digits, target.name)
        record(conn, actor, "number.move", "number", digits, workspace_id,
               number_to_dict(before), number_to_dict(after))  # fmt: skip
        if target.id != workspace_id:  # the new owner's trail shows the arrival too
            record(conn, actor, "number.move", "number", digits, target.id,
                   number_to_dict(before), number_to_dict(after))  # fmt: skip
    return after


def remove_number(engine: Engine, actor: Actor, number: str) -> None:
    with write_transaction(engine) as conn:
        digits, workspace_id = _visible(conn, actor, number)
        actor.check_operator("remove numbers")
        before = accounts.number_row(conn, digits)
        accounts.remove_number(conn, digits)
        record(conn, actor, "number.remove", "number", digits, workspace_id,
               number_to_dict(before))  # fmt: skip
