"""``query_page`` against the real server: typed records, exact money, times in the asked offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from callrec.client import Client, Page
from callrec.wire.sign import compute_sign
from tests.client.support import ScriptedServer, empty_page, eur_record, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

SINGAPORE = timezone(timedelta(hours=8))


def _client(server: RunningServer, tenant: Tenant) -> Client:
    return Client(tenant.api_key, tenant.secret, base_url=server.base_url)


def test_records_are_typed_with_exact_money_and_aware_times(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(
        engine,
        tenant,
        [
            eur_record("eur-1", "2024-01-01T09:00:00.750Z"),
            make_record("usd-1", "2024-01-01T10:00:00Z", ccode=None, country=None, sip_code=None),
        ],
    )
    with _client(server, tenant) as client:
        page = client.query_page("2024-01-01T00:00:00+08:00", "2024-01-02T00:00:00+08:00")
    assert isinstance(page, Page)
    assert (page.total, page.size, page.current, page.pages) == (2, 100, 1, 1)
    eur, usd = page.records
    assert eur.callid == "eur-1"
    assert eur.start_time == datetime(2024, 1, 1, 17, 0, 0, tzinfo=SINGAPORE)
    assert eur.start_time.utcoffset() == timedelta(hours=8)
    assert eur.end_time - eur.start_time == timedelta(seconds=10)
    assert isinstance(eur.pay, Decimal)
    assert eur.pay == Decimal("0.025600")
    assert str(eur.pay) == "0.025600"  # the six places survive
    assert eur.customer_rate == Decimal("0.0128")
    assert eur.quote_exchange == Decimal("1.0832")
    assert (eur.settle_rate, eur.settle_pay) == (Decimal("0.013865"), Decimal("0.027730"))
    assert eur.currency == "EUR"
    assert (eur.call_source, eur.call_duration, eur.charged_duration) == (3, 75, 120)
    assert eur.recording_file_url == "https://rec.example/abc.mp3"
    assert eur.raw["startTime"] == "2024-01-01 17:00:00"
    assert eur.raw["QuoteExchange"] == "1.0832"
    assert (usd.currency, usd.quote_exchange, usd.settle_pay) == (None, None, None)
    assert (usd.ccode, usd.country, usd.sip_code) == (None, None, None)
    assert usd.recording_file_url == ""


def test_the_same_instant_asked_in_another_offset_reads_back_equal(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record("c1", "2024-03-10T01:30:00Z")])
    with _client(server, tenant) as client:
        utc = client.query_page("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z").records[0]
        west = client.query_page(
            datetime(2024, 3, 9, 12, tzinfo=ZoneInfo("America/New_York")),
            datetime(2024, 3, 10, 23, tzinfo=ZoneInfo("America/New_York")),
        ).records[0]
    assert utc.raw["startTime"] == "2024-03-10 01:30:00"
    assert west.raw["startTime"] == "2024-03-09 20:30:00"  # EST, the offset of the start
    assert utc.start_time == west.start_time == datetime(2024, 3, 10, 1, 30, tzinfo=UTC)
    assert west.start_time.utcoffset() == timedelta(hours=-5)


def test_paging_follows_the_server(engine: Engine, tenant: Tenant, server: RunningServer) -> None:
    store(engine, tenant, [make_record(f"c{i:02}", "2024-01-01T09:00:00Z") for i in range(5)])
    with _client(server, tenant) as client:
        pages = [
            client.query_page("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", n, 2)
            for n in (1, 2, 3, 4)
        ]
    assert [[r.callid for r in p.records] for p in pages] == [
        ["c00", "c01"], ["c02", "c03"], ["c04"], []
    ]  # fmt: skip
    assert {(p.total, p.pages) for p in pages} == {(5, 3)}


def test_the_request_is_signed_and_shaped_as_the_contract_says() -> None:
    scripted = ScriptedServer([empty_page()])
    client = Client(
        "bDqJFiq9", "7bz1lzh9", transport=scripted.transport(), clock=lambda: 1630468800.9
    )
    client.query_page(datetime(2022, 1, 31, tzinfo=SINGAPORE), "2022-02-01T00:00:00.5+08:00", 3, 7)
    (request,) = scripted.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.laaffic.com/v3/number/record/queryPage"
    assert request.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert request.headers["Api-Key"] == "bDqJFiq9"
    assert request.headers["Timestamp"] == "1630468800"
    assert request.headers["Sign"] == "05d7a50893e22a5c4bb3216ae3396c7c"  # the vendor's vector
    assert request.headers["Sign"] == compute_sign("bDqJFiq9", "7bz1lzh9", "1630468800")
    assert scripted.bodies() == [
        {
            "current": 3,
            "size": 7,
            "params": {
                "strTime": "2022-01-31T00:00:00+08:00",
                "endTime": "2022-02-01T00:00:00.500000+08:00",
            },
        }
    ]


def test_credentials_and_base_url_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALLREC_API_KEY", "envkey")
    monkeypatch.setenv("CALLREC_API_SECRET", "envsecret")
    monkeypatch.setenv("CALLREC_BASE_URL", "http://callrec.internal:8080/prefix")
    scripted = ScriptedServer([empty_page()])
    with Client(transport=scripted.transport(), clock=lambda: 100.0) as client:
        client.query_page("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    (request,) = scripted.requests
    assert str(request.url) == "http://callrec.internal:8080/prefix/v3/number/record/queryPage"
    assert request.headers["Api-Key"] == "envkey"
    assert request.headers["Sign"] == compute_sign("envkey", "envsecret", "100")


def test_missing_credentials_are_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CALLREC_API_KEY", raising=False)
    monkeypatch.delenv("CALLREC_API_SECRET", raising=False)
    with pytest.raises(ValueError, match="CALLREC_API_KEY"):
        Client()
    with pytest.raises(ValueError, match="CALLREC_API_SECRET"):
        Client("key")


@pytest.mark.parametrize(
    "bad_start",
    [
        datetime(2024, 1, 1),  # no offset: the server would refuse it too
        "2024-01-01T00:00:00",
        "2024-01-01",
        datetime(2024, 1, 1, tzinfo=timezone(timedelta(seconds=30))),  # not whole minutes
    ],
)
def test_a_time_without_a_usable_offset_is_refused_locally(bad_start: datetime | str) -> None:
    client = Client("k", "s", transport=ScriptedServer([empty_page()]).transport())
    with pytest.raises(ValueError, match="start"):
        client.query_page(bad_start, "2024-01-02T00:00:00Z")
