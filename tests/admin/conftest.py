"""Admin API fixtures: a real server on a port, and tokens of each scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.tokens import create_token
from callrec.store import accounts
from tests.helpers import RunningServer

PREFIX = "/admin/v1"
TokenMaker = Callable[..., str]


@pytest.fixture
def make_token(engine: Engine) -> TokenMaker:
    counter = iter(range(1_000_000))

    def make(workspace: str | None = None, read_only: bool = False) -> str:
        _, plain = create_token(engine, CLI, f"t{next(counter)}", workspace, read_only)
        return plain

    return make


@pytest.fixture
def admin_server(start_server: Callable[..., RunningServer]) -> RunningServer:
    return start_server()


class Admin:
    """An httpx client on /admin/v1 with one token."""

    def __init__(self, server: RunningServer, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=server.base_url + PREFIX, headers=headers, timeout=10)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)


@pytest.fixture
def admin_as(admin_server: RunningServer) -> Iterator[Callable[[str | None], Admin]]:
    clients: list[Admin] = []

    def make(token: str | None) -> Admin:
        client = Admin(admin_server, token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()


@pytest.fixture
def operator(admin_as: Callable[[str | None], Admin], make_token: TokenMaker) -> Admin:
    return admin_as(make_token())


@pytest.fixture
def two_tenants(engine: Engine) -> None:
    """Workspaces acme and rival, each with a key and a number."""
    for name, number in (("acme", "915027021995"), ("rival", "442071838750")):
        accounts.create_workspace(engine, name)
        accounts.create_key(engine, name, api_key=f"{name[:4]}Key1")
        accounts.add_number(engine, number, name, "app-1", "MOBILE")


def problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The answer is an RFC 9457 problem document with this status (and field)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert isinstance(body["title"], str), body
    assert body["title"], body
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    if field is not None:
        assert body.get("field") == field, body
    return body


def admin_client(server: RunningServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url + PREFIX,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
