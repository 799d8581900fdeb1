"""/admin/v1/workspaces over real HTTP: create, page, get, update, rename, delete, purge."""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.workspaces import delete_workspace
from callrec.store import accounts
from callrec.store.schema import call_record_ids, call_records
from tests.admin.conftest import Admin, problem
from tests.api.support import store
from tests.conftest import Tenant
from tests.helpers import make_record


def test_create_get_and_list_in_pages(operator: Admin) -> None:
    for name in ("c", "a", "b"):
        created = operator.post("/workspaces", json={"name": name, "currency": "eur"})
        assert created.status_code == 201, created.text
    assert created.json()["currency"] == "EUR"
    assert set(created.json()) == {"name", "enabled", "currency", "timeZone", "createdAt"}
    got = operator.get("/workspaces/b").json()
    assert got == {**created.json(), "name": "b", "createdAt": got["createdAt"]}
    first = operator.get("/workspaces", params={"limit": 2}).json()
    assert [w["name"] for w in first["items"]] == ["a", "b"]
    second = operator.get("/workspaces", params={"limit": 2, "cursor": first["nextCursor"]})
    assert [w["name"] for w in second.json()["items"]] == ["c"]
    assert second.json()["nextCursor"] is None


def test_bad_values_are_422_naming_the_field(operator: Admin) -> None:
    problem(operator.post("/workspaces", json={"name": "x", "currency": "EURO"}), 422, "currency")
    problem(operator.post("/workspaces", json={"name": "x", "timeZone": "Mars/Base"}), 422,
            "timeZone")  # fmt: skip
    problem(operator.post("/workspaces", json={"name": "a/b"}), 422, "name")
    problem(operator.post("/workspaces", json={"name": "x" * 201}), 422, "name")
    problem(operator.post("/workspaces", json={"name": "x", "colour": "red"}), 422, "colour")
    problem(operator.post("/workspaces", json={}), 422, "name")
    problem(operator.get("/workspaces", params={"cursor": "garbage!"}), 422, "cursor")
    problem(operator.get("/workspaces", params={"limit": 0}), 422, "limit")
    assert operator.get("/workspaces").json()["items"] == []


def test_a_second_workspace_with_the_same_name_is_409(operator: Admin) -> None:
    assert operator.post("/workspaces", json={"name": "acme"}).status_code == 201
    problem(operator.post("/workspaces", json={"name": "acme"}), 409)


def test_update_renames_and_changes_settings_keeping_keys_and_numbers(
    operator: Admin, engine: Engine, tenant: Tenant
) -> None:
    accounts.add_number(engine, "915027021995", "acme")
    changed = operator.patch(
        "/workspaces/acme",
        json={"name": "acme-ltd", "currency": "inr", "timeZone": "Asia/Kolkata", "enabled": False},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "acme-ltd"
    assert (changed.json()["currency"], changed.json()["timeZone"]) == ("INR", "Asia/Kolkata")
    assert changed.json()["enabled"] is False
    problem(operator.get("/workspaces/acme"), 404)
    assert [k.api_key for k in accounts.list_keys(engine, "acme-ltd")] == [tenant.api_key]
    assert [n.workspace for n in accounts.list_numbers(engine)] == ["acme-ltd"]
    accounts.create_workspace(engine, "taken")
    problem(operator.patch("/workspaces/acme-ltd", json={"name": "taken"}), 409)
    problem(operator.patch("/workspaces/acme-ltd", json={"currency": "x"}), 422, "currency")


def test_delete_is_refused_while_records_remain_unless_purged(
    operator: Admin, engine: Engine, tenant: Tenant
) -> None:
    store(engine, tenant, [make_record(f"c{i}", "2024-01-01T10:00:00+08:00") for i in range(3)])
    refused = problem(operator.delete("/workspaces/acme"), 409)
    assert "purge" in refused["detail"]
    assert accounts.get_workspace(engine, "acme").name == "acme"
    deleted = operator.delete("/workspaces/acme", params={"purge": "true"})
    assert deleted.json() == {"deleted": "acme", "purgedRecords": 3}
    problem(operator.get("/workspaces/acme"), 404)
    assert accounts.list_keys(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(call_records)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(call_record_ids)).scalar() == 0


def test_an_empty_workspace_is_deleted_with_its_keys_and_numbers(
    operator: Admin, engine: Engine, tenant: Tenant
) -> None:
    accounts.add_number(engine, "915027021995", "acme")
    assert operator.delete("/workspaces/acme").status_code == 200
    assert accounts.list_numbers(engine) == []
    assert accounts.list_keys(engine) == []


def test_purge_deletes_in_bounded_batches(engine: Engine, tenant: Tenant) -> None:
    """Each batch is its own transaction: with batch=2, seven records take four deletes."""
    store(engine, tenant, [make_record(f"c{i}", "2024-01-01T10:00:00+08:00") for i in range(7)])
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM CALL_RECORDS"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert delete_workspace(engine, CLI, "acme", purge=True, batch=2) == 7
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 4
