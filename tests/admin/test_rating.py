"""Rate decks over real HTTP: upload (CSV), versions, rows, lookup, unrated and rerate;
errors that name the CSV line; scope; the audit trail."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store import accounts
from callrec.store.rating_data import deck_rows
from callrec.store.schema import call_records
from callrec.wire.times import parse_iso_instant
from tests.admin.conftest import PREFIX, Admin, TokenMaker, problem
from tests.helpers import RunningServer

pytestmark = pytest.mark.usefixtures("two_tenants")
ACME_NUMBER = "915027021995"
CSV = {"Content-Type": "text/csv"}
DECK = (
    "prefix,rate,chargedPeriod,direction,effectiveFrom\n"
    "91,0.0128,60+60,out,2024-01-01\n"
    "9198,0.0100,1+1,out,2024-01-01\n"
    "91,0.0200,60+60,any,2024-01-01\n"
    "91,0.0110,60+60,out,2024-06-01T00:00:00+05:30\n"
)


def upload(client: Admin, csv: str | bytes, workspace: str = "acme", **kw: Any) -> httpx.Response:
    body = csv.encode() if isinstance(csv, str) else csv
    headers = {**CSV, **kw.pop("headers", {})}
    return client.post(f"/workspaces/{workspace}/rates", content=body, headers=headers, **kw)


def acme_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return deck_rows(conn, accounts.get_workspace(conn, "acme").id)


def test_upload_then_versions_rows_and_the_rate_a_call_would_get(operator: Admin) -> None:
    done = upload(operator, DECK)
    assert done.status_code == 200, done.text
    assert done.json() == {
        "workspace": "acme",
        "imported": 4,
        "effectiveFrom": ["2024-01-01T00:00:00Z", "2024-05-31T18:30:00Z"],
    }
    versions = operator.get("/workspaces/acme/rates").json()
    assert versions == {
        "items": [
            {"effectiveFrom": "2024-01-01T00:00:00Z", "rows": 3},
            {"effectiveFrom": "2024-05-31T18:30:00Z", "rows": 1},
        ],
        "nextCursor": None,
    }
    rows = operator.get("/workspaces/acme/rates/rows", params={"effectiveFrom": "2024-01-01"})
    assert rows.json()["items"] == [
        {"prefix": "91", "rate": "0.02", "chargedPeriod": "60+60", "direction": "any",
         "effectiveFrom": "2024-01-01T00:00:00Z"},
        {"prefix": "91", "rate": "0.0128", "chargedPeriod": "60+60", "direction": "out",
         "effectiveFrom": "2024-01-01T00:00:00Z"},
        {"prefix": "9198", "rate": "0.01", "chargedPeriod": "1+1", "direction": "out",
         "effectiveFrom": "2024-01-01T00:00:00Z"},
    ]  # fmt: skip
    paged = operator.get("/workspaces/acme/rates/rows", params={"limit": 3}).json()
    rest = operator.get("/workspaces/acme/rates/rows",
                        params={"limit": 3, "cursor": paged["nextCursor"]}).json()  # fmt: skip
    assert [r["effectiveFrom"] for r in rest["items"]] == ["2024-05-31T18:30:00Z"]
    assert rest["nextCursor"] is None

    def lookup(**params: str) -> dict[str, Any]:
        answer = operator.get("/workspaces/acme/rates/lookup", params=params)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    longest = lookup(number="+919812345678", at="2024-03-01T00:00:00Z")
    assert longest == {
        "number": "919812345678", "direction": "out", "at": "2024-03-01T00:00:00Z",
        "currency": "USD",
        "match": {"prefix": "9198", "rate": "0.01", "chargedPeriod": "1+1", "direction": "out",
                  "effectiveFrom": "2024-01-01T00:00:00Z"},
    }  # fmt: skip
    newer = lookup(number="917000000000", at="2024-07-01")["match"]
    assert (newer["prefix"], newer["rate"]) == ("91", "0.011")
    incoming = lookup(number="917000000000", direction="in", at="2024-07-01")["match"]
    assert (incoming["direction"], incoming["rate"]) == ("any", "0.02")
    assert lookup(number="917000000000", at="2023-12-31T23:59:59Z")["match"] is None
    assert lookup(number="447000000000")["match"] is None
    assert lookup(number="917000000000")["match"]["rate"] == "0.011"  # now: the newest


def test_a_bad_deck_is_refused_whole_naming_every_bad_line(operator: Admin, engine: Engine) -> None:
    bad_lines = (
        "44,abc,60+60,out,2024-01-01\n1,0.01,60,sideways,2024-01-01\n91,0.05,60+60,out,2024-01-01\n"
    )
    bad = problem(upload(operator, DECK + bad_lines), 422, "body")
    assert bad["detail"] == "rate deck not imported: 3 bad line(s); nothing was stored"
    assert [(e["line"], e["detail"].split(":")[0]) for e in bad["errors"]] == [
        ("6", "rate"),
        ("7", "chargedPeriod"),
        ("8", "repeats the prefix, direction and effectiveFrom of line 2"),
    ]
    not_utf8 = problem(upload(operator, b"91,0.01,60+60,out,2024-01-01\n\xff\xfe,1\n"), 422)
    assert not_utf8["errors"][0]["line"] == "2"
    assert "UTF-8" in not_utf8["errors"][0]["detail"]
    nul = problem(upload(operator, b"9\x001,0.01,60+60,out,2024-01-01\n"), 422)
    assert nul["errors"][0]["detail"].startswith("prefix:")
    huge_field = problem(upload(operator, b'"' + b"9" * 200_000 + b'"\n'), 422)
    assert huge_field["errors"][0]["line"] == "1"
    assert acme_rows(engine) == []


def test_a_deck_must_be_sent_as_text_csv(operator: Admin, engine: Engine) -> None:
    as_json = operator.post("/workspaces/acme/rates", json={"csv": DECK})
    assert "text/csv" in problem(as_json, 415, "Content-Type")["detail"]
    problem(operator.post("/workspaces/acme/rates", content=DECK.encode()), 415, "Content-Type")
    with_charset = upload(operator, DECK, headers={"Content-Type": "text/csv; charset=utf-8"})
    assert with_charset.status_code == 200, with_charset.text
    assert len(acme_rows(engine)) == 4


def _declared_length_answer(server: RunningServer, token: str, length: int) -> bytes:
    """Send only the headers of a POST declaring ``length`` bytes; return the status line."""
    where = urlsplit(server.base_url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        conn.sendall(
            f"POST {PREFIX}/workspaces/acme/rates HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        return conn.recv(4096).split(b"\r\n", 1)[0]


def test_a_deck_may_be_bigger_than_other_bodies_but_not_over_16_mib(
    operator: Admin, engine: Engine, admin_server: RunningServer, make_token: TokenMaker
) -> None:
    big = "".join(f"{n},0.01,60+60,out,2024-01-01\n" for n in range(100_000, 103_000))
    assert len(big) > 64 * 1024
    done = upload(operator, big)
    assert done.status_code == 200, done.text
    assert done.json()["imported"] == 3000
    answer = _declared_length_answer(admin_server, make_token(), 16 * 1024 * 1024 + 1)
    assert answer == b"HTTP/1.1 413 Request Entity Too Large"
    problem(operator.post("/workspaces", json={"name": "x" * 70_000}), 413, "body")


def test_the_audit_entry_holds_counts_not_the_csv(operator: Admin, engine: Engine) -> None:
    upload(operator, DECK)
    [entry] = [e for e in list_audit(engine, CLI) if e.action == "rates.import"]
    assert (entry.object_type, entry.object_id, entry.before) == ("rate_deck", "acme", None)
    assert entry.after["rows"] == 4
    assert entry.after["effectiveFrom"] == ["2024-01-01T00:00:00Z", "2024-05-31T18:30:00Z"]
    assert entry.after["csvBytes"] == len(DECK)
    assert len(entry.after["csvSha256"]) == 64
    assert "0.0128" not in str(entry.after)


def test_a_retried_upload_replays_and_a_reused_key_with_another_deck_is_refused(
    operator: Admin, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "deck-2024"}
    first = upload(operator, DECK, headers=headers)
    again = upload(operator, DECK, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    imports = [e for e in list_audit(engine, CLI) if e.action == "rates.import"]
    assert len(imports) == 1
    problem(upload(operator, DECK + "44,0.1,60+60,out,2024-01-01\n", headers=headers),
            422, "Idempotency-Key")  # fmt: skip


def _raw(callid: str, called: str, start: str, talk: int) -> RawCdr:
    at = parse_iso_instant(start).micros
    return RawCdr(callid, ACME_NUMBER, called, at, at, at + talk * 1_000_000, talk, "200",
                  "NORMAL_CLEARING", "", "test")  # fmt: skip


def test_unrated_then_a_new_deck_and_a_rerate_over_http(operator: Admin, engine: Engine) -> None:
    upload(operator, "91,0.0128,60+60,out,2024-01-01\n")
    Pipeline(engine).process(
        [
            _raw("rated", "919812345678", "2024-03-10T10:00:00Z", 10),
            _raw("nigeria", "2348031234567", "2024-03-10T11:00:00Z", 90),
        ]
    )
    unrated = operator.get("/workspaces/acme/rates/unrated").json()
    assert unrated == {
        "items": [{"direction": "out", "prefix": "234803", "calls": 1, "talkSeconds": 90}]
    }
    upload(operator, "234,0.06,60+60,out,2024-01-01\n")
    window = {"from": "2024-03-01T00:00:00Z", "to": "2024-04-01T00:00:00Z"}
    report = operator.post("/workspaces/acme/rerate", json=window)
    assert report.status_code == 200, report.text
    assert report.json() == {
        "examined": 2,
        "changed": 1,
        "payBefore": "0.000000",
        "payAfter": "0.120000",
        "statusChanges": {"unrated->rated": 1},
    }
    with engine.connect() as conn:
        pays = dict(conn.execute(select(call_records.c.callid, call_records.c.pay_micros)).all())
    assert pays == {"rated": 12800, "nigeria": 120000}
    assert operator.get("/workspaces/acme/rates/unrated").json() == {"items": []}
    [entry] = [e for e in list_audit(engine, CLI) if e.action == "records.rerate"]
    assert entry.after["changed"] == 1
    assert entry.after["from"] == "2024-03-01T00:00:00Z"
    problem(operator.post("/workspaces/acme/rerate", json={**window, "to": window["from"]}),
            422, "to")  # fmt: skip
    problem(operator.post("/workspaces/acme/rerate", json={**window, "from": "March"}), 422, "from")
    problem(operator.post("/workspaces/acme/rerate", json={"from": window["from"]}), 422, "to")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"number": "917000000000", "direction": "sideways"}, "direction"),
        ({"number": "917000000000", "direction": "any"}, "direction"),
        ({"number": "not a number"}, "number"),
        ({"number": "917000000000", "at": "yesterday"}, "at"),
        ({}, "number"),
    ],
)
def test_a_bad_lookup_is_422_naming_the_parameter(
    operator: Admin, params: dict[str, str], field: str
) -> None:
    problem(operator.get("/workspaces/acme/rates/lookup", params=params), 422, field)


RIVAL_VS_MISSING: list[tuple[str, str, Any]] = [
    ("GET", "/workspaces/{ws}/rates", None),
    ("GET", "/workspaces/{ws}/rates/rows", None),
    ("GET", "/workspaces/{ws}/rates/lookup?number=442071838750", None),
    ("GET", "/workspaces/{ws}/rates/unrated", None),
    ("POST", "/workspaces/{ws}/rerate", {"from": "2024-01-01T00:00:00Z",
                                         "to": "2024-02-01T00:00:00Z"}),
]  # fmt: skip


def test_a_workspace_token_reads_its_own_deck_and_cannot_detect_anothers(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, operator: Admin,
    engine: Engine,
) -> None:  # fmt: skip
    upload(operator, DECK)
    upload(operator, "44,0.5,60+60,out,2024-01-01\n", "rival")
    for token in (make_token("acme"), make_token("acme", read_only=True)):
        acme = admin_as(token)
        assert len(acme.get("/workspaces/acme/rates/rows").json()["items"]) == 4
        assert acme.get("/workspaces/acme/rates").status_code == 200
        lookup = acme.get("/workspaces/acme/rates/lookup", params={"number": "919800000000"})
        assert lookup.json()["match"]["prefix"] == "9198"
        assert acme.get("/workspaces/acme/rates/unrated").status_code == 200
        for method, path, body in RIVAL_VS_MISSING:
            rival = problem(acme.request(method, path.format(ws="rival"), json=body), 404)
            missing = problem(acme.request(method, path.format(ws="nosuch"), json=body), 404)
            assert rival["detail"].replace("rival", "X") == missing["detail"].replace(
                "nosuch", "X"
            ), path
        rival_upload = problem(upload(acme, "44,9,60+60,out,2024-01-01\n", "rival"), 404)
        missing_upload = problem(upload(acme, "44,9,60+60,out,2024-01-01\n", "nosuch"), 404)
        assert rival_upload["detail"].replace("rival", "X") == missing_upload["detail"].replace(
            "nosuch", "X"
        )
        # Its own deck: reading yes, changing no.
        problem(upload(acme, "44,9,60+60,out,2024-01-01\n"), 403)
        problem(acme.post("/workspaces/acme/rerate", json=RIVAL_VS_MISSING[-1][2]), 403)
    auditor = admin_as(make_token(read_only=True))
    assert auditor.get("/workspaces/rival/rates").status_code == 200
    problem(upload(auditor, "44,9,60+60,out,2024-01-01\n"), 403)
    for token in (None, "cra_wrong"):
        problem(upload(admin_as(token), DECK), 401)
        problem(admin_as(token).get("/workspaces/acme/rates"), 401)
    assert len(acme_rows(engine)) == 4
    assert [e.action for e in list_audit(engine, CLI)].count("rates.import") == 2
