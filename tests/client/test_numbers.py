"""The client's number API against a real callrec: every page, edits with absent vs ``""``,
greetings, ``-24`` as ``DataNotFoundError``, and the body signature on the right path."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import Engine

from callrec.client import (
    AsyncClient,
    Client,
    DataNotFoundError,
    NumberInfo,
    ParameterError,
)
from callrec.store import accounts
from tests.api.number_support import add, mp3
from tests.conftest import Tenant
from tests.helpers import RunningServer


def _client(server: RunningServer, tenant: Tenant) -> Client:
    return Client(tenant.api_key, tenant.secret, base_url=server.base_url)


def test_iter_numbers_walks_every_page_in_order(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    wanted = [f"9150270219{n:02d}" for n in range(7)]
    for number in reversed(wanted):
        add(engine, tenant, number, app_id="app-1" if number != wanted[3] else "app-2")
    with _client(server, tenant) as client:
        every = list(client.iter_numbers(size=2))
        only = list(client.iter_numbers(app_id="app-2"))
        page = client.query_numbers(2, 3)
    assert [n.number for n in every] == wanted
    assert all(isinstance(n, NumberInfo) for n in every)
    assert every[0].country == "India"
    assert (every[0].state, every[0].due_date, every[0].voicemail_file_id) == (3, None, None)
    assert [n.number for n in only] == [wanted[3]]
    assert (page.total, page.pages, [n.number for n in page.numbers]) == (7, 3, wanted[3:6])


def test_edit_number_sends_only_what_is_given_and_empty_strings_clear(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    with _client(server, tenant) as client:
        client.edit_number(
            "915027021995",
            "app-1",
            True,
            in_ip="10.0.0.1:5060",
            remark="desk",
            voicemail_max_hangup=30,
            greeting=mp3(500),
            greeting_file_name="hi.mp3",
        )
        client.edit_number("915027021995", "app-1", False, remark="")
        [after] = client.iter_numbers()
        assert (after.in_ip, after.remark, after.enable_voicemail) == ("10.0.0.1:5060", "", False)
        assert (after.voicemail_max_hangup, after.voicemail_file_name) == (30, "hi.mp3")
        client.edit_number("915027021995", "app-1", False, clear_greeting=True)
        [cleared] = client.iter_numbers()
        assert cleared.voicemail_file_id is None


def test_refusals_are_typed_errors(engine: Engine, tenant: Tenant, server: RunningServer) -> None:
    add(engine, tenant)
    with _client(server, tenant) as client:
        with pytest.raises(DataNotFoundError) as missing:
            client.edit_number("915027021995", "other-app", False)
        assert missing.value.reason == "data does not exist"
        with pytest.raises(ParameterError, match=r"^-22: inIp "):
            client.edit_number("915027021995", "app-1", False, in_ip="nowhere:99999")


def test_keys_that_require_a_body_signature_can_use_the_number_api(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    accounts.set_key_requires_body_signature(engine, tenant.api_key, True)
    add(engine, tenant)
    with _client(server, tenant) as client:
        client.edit_number("915027021995", "app-1", False, remark="signed")
        assert [n.remark for n in client.iter_numbers()] == ["signed"]


def test_the_async_client_has_the_same_number_methods(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    for n in range(3):
        add(engine, tenant, f"91502702199{n}")

    async def run() -> list[str]:
        async with AsyncClient(tenant.api_key, tenant.secret, base_url=server.base_url) as client:
            await client.edit_number("915027021991", "app-1", False, remark="async")
            return [f"{n.number}:{n.remark}" async for n in client.iter_numbers(size=2)]

    assert asyncio.run(run()) == ["915027021990:", "915027021991:async", "915027021992:"]
