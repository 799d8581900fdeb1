"""/admin/v1/numbers over real HTTP: add, filter, get, update, move, remove."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.admin.conftest import Admin, TokenMaker, problem
from tests.api.support import callids, default_body, query, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record


def test_add_then_filter_by_workspace_app_type_and_prefix(operator: Admin, engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    accounts.create_workspace(engine, "beta")
    for number, ws, app, kind in [
        ("+91 502 702 1995", "acme", "app-1", "mobile"),
        ("915027021996", "acme", "app-2", "FIXED"),
        ("442071838750", "beta", "app-1", None),
    ]:
        added = operator.post(
            "/numbers", json={"number": number, "workspace": ws, "appId": app, "type": kind}
        )
        assert added.status_code == 201, added.text
    assert operator.get("/numbers/915027021995").json() == {
        "number": "915027021995", "workspace": "acme", "appId": "app-1", "type": "MOBILE",
        "dueDate": None, "autoRenew": False, "disabled": False, "state": 3, "outIp": "",
        "inIp": "", "inboundPrefix": "", "remark": "", "enableVoicemail": False,
        "voicemailFileId": None, "voicemailFileName": None, "voicemailMaxHangup": None,
    }  # fmt: skip

    def numbers(**filters: str) -> list[str]:
        answer = operator.get("/numbers", params=filters)
        assert answer.status_code == 200, answer.text
        return [n["number"] for n in answer.json()["items"]]

    assert numbers() == ["442071838750", "915027021995", "915027021996"]
    assert numbers(workspace="acme") == ["915027021995", "915027021996"]
    assert numbers(appId="app-1") == ["442071838750", "915027021995"]
    assert numbers(type="fixed") == ["915027021996"]
    assert numbers(prefix="44") == ["442071838750"]
    assert numbers(prefix="9150270219", workspace="acme", appId="app-2") == ["915027021996"]
    first = operator.get("/numbers", params={"limit": 2}).json()
    rest = operator.get("/numbers", params={"limit": 2, "cursor": first["nextCursor"]}).json()
    assert [n["number"] for n in first["items"] + rest["items"]] == numbers()
    problem(operator.get("/numbers", params={"prefix": "4x"}), 422, "prefix")
    problem(operator.get("/numbers", params={"type": "SATELLITE"}), 422, "type")
    problem(operator.get("/numbers", params={"workspace": "nope"}), 404)


def test_bad_numbers_are_422_naming_the_field(operator: Admin, engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    problem(operator.post("/numbers", json={"number": "91-CALL-NOW", "workspace": "acme"}),
            422, "number")  # fmt: skip
    problem(operator.post("/numbers", json={"number": "915027021995", "workspace": "acme",
                                            "type": "SATELLITE"}), 422, "type")  # fmt: skip
    problem(operator.post("/numbers", json={"number": "915027021995", "workspace": "acme",
                                            "appId": "x" * 65}), 422, "appId")  # fmt: skip
    problem(operator.post("/numbers", json={"number": "915027021995", "workspace": "nope"}), 404)
    assert accounts.list_numbers(engine) == []


def test_update_changes_app_id_and_type_and_null_clears(operator: Admin, engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    accounts.add_number(engine, "915027021995", "acme", "app-1", "MOBILE")
    changed = operator.patch("/numbers/915027021995", json={"appId": "app-9", "type": "FIXED"})
    assert (changed.json()["appId"], changed.json()["type"]) == ("app-9", "FIXED")
    cleared = operator.patch("/numbers/915027021995", json={"appId": None})
    assert (cleared.json()["appId"], cleared.json()["type"]) == (None, "FIXED")


def test_move_leaves_stored_records_with_the_old_workspace(
    operator: Admin, engine: Engine, tenant: Tenant, admin_server: RunningServer
) -> None:
    accounts.add_number(engine, "915027021995", "acme")
    accounts.create_workspace(engine, "beta")
    store(engine, tenant, [make_record("before-move", "2024-01-01T10:00:00+08:00")])
    moved = operator.post("/numbers/915027021995/move", json={"workspace": "beta"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["workspace"] == "beta"
    assert accounts.list_numbers(engine, "beta")[0].number == "915027021995"
    assert callids(query(admin_server, tenant, default_body())) == ["before-move"]
    problem(operator.post("/numbers/915027021995/move", json={"workspace": "nope"}), 404)


def test_remove_takes_the_number_out_of_the_inventory(operator: Admin, engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    accounts.add_number(engine, "915027021995", "acme")
    assert operator.delete("/numbers/915027021995").status_code == 200
    problem(operator.get("/numbers/915027021995"), 404)
    problem(operator.delete("/numbers/915027021995"), 404)
    assert accounts.list_numbers(engine) == []


def test_the_rental_is_the_operators_and_remark_and_app_id_the_workspaces(
    operator: Admin, engine: Engine, admin_as: Callable[[str | None], Admin], make_token: TokenMaker
) -> None:
    accounts.create_workspace(engine, "acme")
    added = operator.post(
        "/numbers",
        json={"number": "915027021995", "workspace": "acme", "dueDate": "2024-04-11",
              "autoRenew": True},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert (added.json()["dueDate"], added.json()["autoRenew"], added.json()["state"]) == (
        "2024-04-11", True, 3
    )  # fmt: skip
    disabled = operator.patch("/numbers/915027021995", json={"disabled": True})
    assert (disabled.json()["disabled"], disabled.json()["state"]) == (True, 5)
    cleared = operator.patch("/numbers/915027021995", json={"dueDate": None, "disabled": False})
    assert (cleared.json()["dueDate"], cleared.json()["state"]) == (None, 3)
    problem(operator.patch("/numbers/915027021995", json={"dueDate": "11/04/2024"}), 422, "dueDate")

    tenant = admin_as(make_token("acme"))
    labelled = tenant.patch("/numbers/915027021995", json={"remark": "front desk", "appId": "a"})
    assert (labelled.json()["remark"], labelled.json()["appId"]) == ("front desk", "a")
    for operators_only in ({"dueDate": "2030-01-01"}, {"autoRenew": False}, {"type": "FIXED"}):
        problem(tenant.patch("/numbers/915027021995", json=operators_only), 403)
    problem(tenant.patch("/numbers/915027021995", json={"remark": "x" * 51}), 422, "remark")
    assert operator.get("/numbers/915027021995").json()["remark"] == "front desk"
