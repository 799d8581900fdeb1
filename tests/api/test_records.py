"""The records on the wire: every key, in order, with the contract's types and money forms;
and each workspace sees only its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.wire.times import parse_iso_instant
from tests.api.support import RECORD_KEYS, callids, ok_data, query, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

INTEGER_KEYS = {"callSource", "callDuration", "chargedDuration"}
SIX_PLACES = re.compile(r"-?\d+\.\d{6}")
WALL_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
START = "2024-01-01T09:00:00Z"


def eur_record(callid: str = "eur-1") -> Any:
    return make_record(
        callid,
        START,
        customer_rate=Decimal("0.0118"),
        pay=Decimal("0.0118"),
        currency="EUR",
        quote_exchange=Decimal("1.0874"),
        settle_rate=Decimal("0.012831"),
        settle_pay=Decimal("0.012831"),
        recording_url="https://rec.example/eur-1.wav",
    )


def _only_record(server: RunningServer, tenant: Tenant) -> dict[str, Any]:
    [record] = ok_data(query(server, tenant))["records"]
    assert isinstance(record, dict)
    return record


def test_page_envelope_has_its_keys_in_order(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record("c1", START)])
    document = query(server, tenant)
    assert list(document) == ["status", "reason", "data"]
    assert list(document["data"]) == ["total", "size", "current", "pages", "records"]


@pytest.mark.parametrize("kind", ["usd", "eur"])
def test_record_has_every_key_in_the_contract_order(
    engine: Engine, tenant: Tenant, server: RunningServer, kind: str
) -> None:
    store(engine, tenant, [make_record("c1", START) if kind == "usd" else eur_record()])
    assert list(_only_record(server, tenant)) == RECORD_KEYS


def test_record_with_no_optional_values_still_has_every_key(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    bare = make_record(
        "bare",
        START,
        number_type=None,
        ccode=None,
        country=None,
        sip_code=None,
        hangup_reason=None,
        app_id=None,
        charged_period=None,
        customer_rate=None,
    )
    store(engine, tenant, [bare])
    record = _only_record(server, tenant)
    assert list(record) == RECORD_KEYS
    for key in ("type", "ccode", "country", "sipCode", "hangupReason", "appId"):
        assert record[key] is None, key
    for key in ("chargedPeriod", "customerRate", "currency", "QuoteExchange"):
        assert record[key] is None, key
    assert record["SeptleRate"] is None
    assert record["SettlePay"] is None
    assert record["recordingFileUrl"] == ""


def test_record_value_types(engine: Engine, tenant: Tenant, server: RunningServer) -> None:
    store(engine, tenant, [eur_record()])
    record = _only_record(server, tenant)
    for key in RECORD_KEYS:
        expected = int if key in INTEGER_KEYS else str
        assert type(record[key]) is expected, (key, record[key])


def test_usd_record_values(engine: Engine, tenant: Tenant, server: RunningServer) -> None:
    store(engine, tenant, [make_record("23101311543100378", START)])
    record = _only_record(server, tenant)
    assert record == {
        "callid": "23101311543100378",
        "number": "915027021995",
        "type": "MOBILE",
        "caller": "915027021995",
        "called": "915027021999",
        "ccode": "91",
        "country": "India",
        "callSource": 3,
        "callDuration": 10,
        "chargedDuration": 60,
        "startTime": "2024-01-01 17:00:00",
        "endTime": "2024-01-01 17:00:10",
        "pay": "0.012832",
        "sipCode": "200",
        "recordingFileUrl": "",
        "hangupReason": "NORMAL_CLEARING",
        "appId": "app-1",
        "chargedPeriod": "60+60",
        "customerRate": "0.012832",
        "currency": None,
        "QuoteExchange": None,
        "SeptleRate": None,
        "SettlePay": None,
    }


def test_eur_record_carries_currency_and_settle_fields(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [eur_record()])
    record = _only_record(server, tenant)
    assert record["pay"] == "0.011800"
    assert record["customerRate"] == "0.0118"
    assert record["currency"] == "EUR"
    assert record["QuoteExchange"] == "1.0874"
    assert record["SeptleRate"] == "0.012831"
    assert record["SettlePay"] == "0.012831"
    assert record["recordingFileUrl"] == "https://rec.example/eur-1.wav"


def test_incoming_call_source_is_the_integer_2(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record("in-1", START, call_source=2)])
    assert _only_record(server, tenant)["callSource"] == 2


@pytest.mark.parametrize(
    ("pay", "wire"),
    [
        (Decimal("0"), "0.000000"),
        (Decimal("0.5"), "0.500000"),
        (Decimal("12"), "12.000000"),
        (Decimal("1234.000001"), "1234.000001"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("9876543.21"), "9876543.210000"),
        (Decimal("1E-6"), "0.000001"),
    ],
    ids=["zero", "half", "whole", "smallest-step", "one-micro", "large", "exponent-input"],
)
def test_pay_has_exactly_six_decimal_places(
    engine: Engine, tenant: Tenant, server: RunningServer, pay: Decimal, wire: str
) -> None:
    store(engine, tenant, [make_record("c1", START, pay=pay)])
    assert _only_record(server, tenant)["pay"] == wire


@pytest.mark.parametrize(
    ("settle", "wire"),
    [(Decimal("0.1"), "0.100000"), (Decimal("3"), "3.000000"), (Decimal("0.000001"), "0.000001")],
    ids=["tenth", "whole", "one-micro"],
)
def test_settle_amounts_have_exactly_six_decimal_places(
    engine: Engine, tenant: Tenant, server: RunningServer, settle: Decimal, wire: str
) -> None:
    record = make_record(
        "c1",
        START,
        currency="EUR",
        quote_exchange=Decimal("1.1"),
        settle_rate=settle,
        settle_pay=settle,
    )
    store(engine, tenant, [record])
    rendered = _only_record(server, tenant)
    assert rendered["SeptleRate"] == wire
    assert rendered["SettlePay"] == wire


@pytest.mark.parametrize(
    ("rate", "wire"),
    [
        (Decimal("0.0128"), "0.0128"),
        (Decimal("0.01280"), "0.0128"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("1.5E+1"), "15"),
        (Decimal("0.123456789"), "0.123456789"),
    ],
    ids=["plain", "trailing-zero", "tiny", "exponent", "more-than-six-places"],
)
def test_rates_are_plain_decimals_as_precise_as_stored(
    engine: Engine, tenant: Tenant, server: RunningServer, rate: Decimal, wire: str
) -> None:
    record = make_record(
        "c1",
        START,
        customer_rate=rate,
        currency="EUR",
        quote_exchange=rate,
        settle_rate=Decimal("0.01"),
        settle_pay=Decimal("0.01"),
    )
    store(engine, tenant, [record])
    rendered = _only_record(server, tenant)
    assert rendered["customerRate"] == wire
    assert rendered["QuoteExchange"] == wire


def test_money_and_time_strings_have_the_contract_forms(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [eur_record()])
    record = _only_record(server, tenant)
    for key in ("pay", "SeptleRate", "SettlePay"):
        assert SIX_PLACES.fullmatch(record[key]), (key, record[key])
    for key in ("startTime", "endTime"):
        assert WALL_CLOCK.fullmatch(record[key]), (key, record[key])


def test_workspace_sees_only_its_own_records(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    alpha, beta, empty = make_tenant(), make_tenant(), make_tenant()
    store(engine, alpha, [make_record("a1", START), make_record("shared-id", START)])
    store(
        engine,
        beta,
        [
            make_record("b1", START),
            make_record("b2", "2024-01-01T09:00:01Z"),
            make_record("shared-id", START, caller="beta-caller"),
        ],
    )
    assert callids(query(server, alpha)) == ["a1", "shared-id"]
    beta_data = ok_data(query(server, beta))
    assert [r["callid"] for r in beta_data["records"]] == ["b1", "shared-id", "b2"]
    assert beta_data["total"] == 3
    assert next(r for r in beta_data["records"] if r["callid"] == "shared-id")["caller"] == (
        "beta-caller"
    )
    assert ok_data(query(server, empty)) == {
        "total": 0,
        "size": 100,
        "current": 1,
        "pages": 0,
        "records": [],
    }


def test_second_key_of_a_workspace_sees_the_same_records(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record("c1", START)])
    second = accounts.create_key(engine, tenant.workspace.name)
    other = Tenant(tenant.workspace, second.api_key, second.secret)
    assert callids(query(server, other)) == ["c1"]


def test_docs_say_how_a_deck_rate_is_served_and_it_is(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    """Defect 6: docs/api.md promised "as precise as the rate deck"; a deck's 0.0300 is "0.03".

    The decision (docs/decisions.md) keeps the canonical form; the docs now say so, with an
    example this test rates through the deck and reads back over the API.
    """
    api_md = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text("utf-8")
    example = re.search(r"a deck rate written `([0-9.]+)` is served as `\"([0-9.]+)\"`", api_md)
    assert example is not None, "docs/api.md no longer shows how a deck rate is served"
    written, served = example.groups()
    own = "915027021995"
    accounts.add_number(engine, own, tenant.workspace.name)
    since = parse_iso_instant("2023-01-01T00:00:00Z").micros
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            tenant.workspace.id,
            [RateRow("91", "out", since, Decimal(written), ChargedPeriod(60, 60))],
        )
        set_fx_rate(conn, FxRate("EUR", since, Decimal("1.0832")))
    start = parse_iso_instant(START).micros
    cdr = RawCdr("deck-1", own, "919812345678", start, start, start + 30_000_000, None,
                 "200", "NORMAL_CLEARING", "", "test")  # fmt: skip
    assert run_ingest(Pipeline(engine), [cdr]).accepted == 1
    assert _only_record(server, tenant)["customerRate"] == served
