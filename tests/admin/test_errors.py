"""Every admin API error is a problem document: unknown routes, methods, bodies, sizes."""

from __future__ import annotations

from collections.abc import Iterator

from tests.admin.conftest import Admin, problem
from tests.conftest import Tenant


def test_unknown_routes_methods_and_broken_bodies(operator: Admin, tenant: Tenant) -> None:
    problem(operator.get("/nowhere"), 404)
    problem(operator.put("/workspaces/acme", json={}), 405)
    broken = operator.post("/workspaces", content=b"{not json",
                           headers={"Content-Type": "application/json"})  # fmt: skip
    problem(broken, 422)
    problem(operator.post("/workspaces", json=["acme"]), 422, "body")
    problem(operator.patch(f"/keys/{tenant.api_key}", json={"enabled": "maybe"}), 422, "enabled")
    typed = problem(operator.patch(f"/keys/{tenant.api_key}", json={"allowIps": [1]}), 422)
    assert typed["field"] == "allowIps[0]"


def test_an_oversize_body_is_413_declared_or_streamed(operator: Admin) -> None:
    huge = {"name": "x", "currency": "USD", "pad": "y" * 70_000}
    problem(operator.post("/workspaces", json=huge), 413, "body")

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 4096

    problem(operator.post("/workspaces", content=chunks(),
                          headers={"Content-Type": "application/json"}), 413)  # fmt: skip
    assert operator.get("/workspaces").json()["items"] == []


def test_a_path_the_mount_cannot_match_is_still_a_problem_document(operator: Admin) -> None:
    """Found by schemathesis: a newline in a name fell through to the main app's 404."""
    problem(operator.get("/workspaces/a%0Ab"), 404)


def test_a_body_that_is_not_utf8_is_422_naming_the_body(operator: Admin) -> None:
    """Found by schemathesis: FastAPI's own 400 was undocumented."""
    answer = operator.post("/workspaces", content=b"\xff\xfe{",
                           headers={"Content-Type": "application/json"})  # fmt: skip
    problem(answer, 422, "body")


def test_a_repeated_query_parameter_is_422_naming_it(operator: Admin, tenant: Tenant) -> None:
    """It was read as its last value alone (schemathesis' negative mode found it)."""
    problem(operator.get("/quarantine", params=[("caller", "a"), ("caller", "b")]), 422, "caller")
    problem(
        operator.get(f"/workspaces/{tenant.workspace.name}/records",
                     params=[("number", "1"), ("number", "2")]),
        422, "number",
    )  # fmt: skip
    assert operator.get("/quarantine", params={"caller": "a"}).status_code == 200
