"""Number operations: add, read, update, move to another workspace, remove.

The rules on a number's values live in callrec.store.numbers; this layer adds who may do
what and the audit entry. Operators manage the inventory; a workspace token reads its own
numbers and may change their appId and remark (its own labels for them), nothing else. A
customer's ``/v3/number/edit`` goes through ``edit_number`` here, audited as its API key.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts
from callrec.store import numbers as inventory
from callrec.store.dialect import write_transaction
from callrec.store.errors import Forbidden
from callrec.store.greetings import GreetingStore
from callrec.store.numbers import (
    NumberFilter,
    NumberSettings,
    Rental,
    number_to_dict,
)
from callrec.wire.numbers import UNCHANGED, NumberEditBody, Unchanged


def _visible(conn: Connection, actor: Actor, number: str) -> tuple[str, int]:
    """The number's digits and its workspace id, or NotFound outside the actor's scope."""
    digits = inventory.normalise_digits(number)
    workspace_id = inventory.number_workspace_id(conn, digits)
    actor.check_sees(workspace_id, f"number {digits} is not in the inventory")
    assert workspace_id is not None
    return digits, workspace_id


def add_number(
    engine: Engine,
    actor: Actor,
    number: str,
    workspace: str,
    app_id: str | None = None,
    number_type: str | None = None,
    rental: Rental | None = None,
) -> NumberSettings:
    with write_transaction(engine) as conn:
        ws = accounts.workspace_row(conn, workspace)
        actor.check_sees(ws.id, f"no workspace named {workspace!r}")
        actor.check_operator("add numbers")
        added = accounts.add_number(conn, number, workspace, app_id, number_type, rental)
        found = inventory.number_row(conn, added.number)
        record(conn, actor, "number.add", "number", found.number, ws.id,
               after=number_to_dict(found))  # fmt: skip
    return found


def get_number(engine: Engine, actor: Actor, number: str) -> NumberSettings:
    with engine.connect() as conn:
        digits, _ = _visible(conn, actor, number)
        return inventory.number_row(conn, digits)


def list_numbers(
    engine: Engine,
    actor: Actor,
    where: NumberFilter,
    after: str | None = None,
    limit: int | None = None,
) -> list[NumberSettings]:
    with engine.connect() as conn:
        if where.workspace is not None:
            ws = accounts.workspace_row(conn, where.workspace)
            actor.check_sees(ws.id, f"no workspace named {where.workspace!r}")
        elif actor.workspace_id is not None:
            own = accounts.workspace_by_id(conn, actor.workspace_id).name
            where = NumberFilter(own, where.app_id, where.type, where.prefix)
        return inventory.list_numbers(conn, where, after, limit)


def update_number(
    engine: Engine,
    actor: Actor,
    number: str,
    rental: Rental | None = None,
    app_id: str | Unchanged | None = UNCHANGED,
    number_type: str | Unchanged | None = UNCHANGED,
    remark: str | Unchanged = UNCHANGED,
) -> NumberSettings:
    rental = rental or Rental()
    with write_transaction(engine) as conn:
        digits, workspace_id = _visible(conn, actor, number)
        actor.check_may_change()
        if not actor.is_operator and (
            not isinstance(number_type, Unchanged) or inventory.rental_values(rental)
        ):
            raise Forbidden("only an operator token may change a number's type or rental")
        before = inventory.number_row(conn, digits)
        after = inventory.update_number(conn, digits, rental, app_id, number_type, remark)
        record(conn, actor, "number.update", "number", digits, workspace_id,
               number_to_dict(before), number_to_dict(after))  # fmt: skip
    return after


def move_number(engine: Engine, actor: Actor, number: str, workspace: str) -> NumberSettings:
    """Records already stored stay with the old workspace; new ones go to the new one."""
    with write_transaction(engine) as conn:
        digits, workspace_id = _visible(conn, actor, number)
        actor.check_operator("move numbers")
        before = inventory.number_row(conn, digits)
        target = accounts.workspace_row(conn, workspace)
        after = inventory.move_number(conn, digits, target.name)
        record(conn, actor, "number.move", "number", digits, workspace_id,
               number_to_dict(before), number_to_dict(after))  # fmt: skip
        if target.id != workspace_id:  # the new owner's trail shows the arrival too
            record(conn, actor, "number.move", "number", digits, target.id,
                   number_to_dict(before), number_to_dict(after))  # fmt: skip
    return after


def remove_number(
    engine: Engine, actor: Actor, number: str, greetings: GreetingStore | None = None
) -> None:
    """Remove a number; its voicemail greeting file goes too (after the commit, and only
    when no other number refers to it) when ``greetings`` is the store that holds it."""
    with write_transaction(engine) as conn:
        digits, workspace_id = _visible(conn, actor, number)
        actor.check_operator("remove numbers")
        before = inventory.number_row(conn, digits)
        inventory.remove_number(conn, digits)
        record(conn, actor, "number.remove", "number", digits, workspace_id,
               number_to_dict(before))  # fmt: skip
    if greetings is not None and before.voicemail_file_id is not None:
        inventory.forget_greeting(engine, greetings, before.voicemail_file_id)


def edit_number(
    engine: Engine,
    greetings: GreetingStore,
    actor: Actor,
    workspace_id: int,
    edit: NumberEditBody,
) -> None:
    """A customer's ``/v3/number/edit`` (callrec.store.numbers.edit_number); a change is
    recorded in the audit log, in the edit's transaction."""

    def audit(conn: Connection, before: NumberSettings, after: NumberSettings) -> None:
        record(conn, actor, "number.edit", "number", edit.number, workspace_id,
               number_to_dict(before), number_to_dict(after))  # fmt: skip

    inventory.edit_number(engine, greetings, workspace_id, edit, audit)
