"""Exchange rates over real HTTP: the rate a decimal string both ways, never a float."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from callrec.admin.paging import encode_cursor
from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store.rating_data import list_fx_rates
from tests.admin.conftest import Admin, TokenMaker, problem


def stored(engine: Engine) -> list[tuple[str, int, Decimal]]:
    with engine.connect() as conn:
        return [(r.currency, r.effective_from_us, r.rate) for r in list_fx_rates(conn)]


def test_set_then_list_keeps_every_digit(operator: Admin, engine: Engine) -> None:
    eur = {"currency": "eur", "rate": "1.08321234567891", "effectiveFrom": "2024-01-01"}
    made = operator.post("/exchange-rates", json=eur)
    assert made.status_code == 200, made.text
    eur_shown = {
        "currency": "EUR",
        "rate": "1.08321234567891",
        "effectiveFrom": "2024-01-01T00:00:00Z",
    }
    assert made.json() == eur_shown
    inr = {"currency": "INR", "rate": "0.012", "effectiveFrom": "2024-02-01T05:30:00+05:30"}
    operator.post("/exchange-rates", json=inr)
    listed = operator.get("/exchange-rates").json()
    inr_shown = {"currency": "INR", "rate": "0.012", "effectiveFrom": "2024-02-01T00:00:00Z"}
    assert listed == {"items": [eur_shown, inr_shown], "nextCursor": None}
    assert stored(engine)[0][2] == Decimal("1.08321234567891")


def test_setting_the_same_moment_again_replaces_it_and_the_audit_shows_both(
    operator: Admin, engine: Engine
) -> None:
    body = {"currency": "EUR", "rate": "1.08", "effectiveFrom": "2024-01-01T00:00:00Z"}
    operator.post("/exchange-rates", json=body)
    operator.post("/exchange-rates", json={**body, "rate": "1.09"})
    assert [r[2] for r in stored(engine)] == [Decimal("1.09")]
    entries = [e for e in list_audit(engine, CLI) if e.action == "fx.set"]
    assert [e.object_id for e in entries] == ["EUR@2024-01-01T00:00:00Z"] * 2
    assert entries[0].before == {**body, "rate": "1.08"}
    assert entries[0].after == {**body, "rate": "1.09"}
    assert entries[1].before is None
    assert entries[0].actor.startswith("token:")


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"rate": 1.0832}, "rate", "not a JSON number"),
        ({"rate": 1}, "rate", "not a JSON number"),
        ({"rate": "1,08"}, "rate", "is not a decimal number"),
        ({"rate": "1e3"}, "rate", "is not a decimal number"),
        ({"rate": "NaN"}, "rate", "is not a decimal number"),
        ({"rate": "0"}, "rate", "greater than 0"),
        ({"rate": "-1.2"}, "rate", "greater than 0"),
        ({"rate": "0." + "0" * 40 + "1"}, "rate", "more than 40 characters"),
        ({"rate": None}, "rate", ""),
        ({"currency": "EURO"}, "currency", ""),
        ({"currency": "E1R"}, "currency", "ISO 4217"),
        ({"currency": "usd"}, "currency", "settle currency"),
        ({"effectiveFrom": "2024-13-01"}, "effectiveFrom", ""),
        ({"effectiveFrom": "2024-01-01T00:00:00"}, "effectiveFrom", ""),
        ({"colour": "red"}, "colour", ""),
    ],
)
def test_bad_values_are_422_naming_the_field_and_store_nothing(
    operator: Admin, engine: Engine, change: dict[str, object], field: str, says: str
) -> None:
    body = {"currency": "EUR", "rate": "1.08", "effectiveFrom": "2024-01-01"} | change
    found = problem(operator.post("/exchange-rates", json=body), 422, field)
    assert says in found["detail"]
    assert stored(engine) == []


def test_a_missing_member_is_named(operator: Admin) -> None:
    problem(operator.post("/exchange-rates", json={"currency": "EUR", "rate": "1.1"}),
            422, "effectiveFrom")  # fmt: skip


@pytest.mark.usefixtures("two_tenants")
def test_any_token_reads_only_an_operator_writes(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, operator: Admin,
    engine: Engine,
) -> None:  # fmt: skip
    body = {"currency": "EUR", "rate": "1.08", "effectiveFrom": "2024-01-01"}
    assert operator.post("/exchange-rates", json=body).status_code == 200
    for token in (make_token("acme"), make_token(read_only=True)):
        reader = admin_as(token)
        assert reader.get("/exchange-rates").json()["items"][0]["rate"] == "1.08"
        problem(reader.post("/exchange-rates", json={**body, "rate": "9"}), 403)
    for token in (None, "cra_wrong"):
        problem(admin_as(token).get("/exchange-rates"), 401)
        problem(admin_as(token).post("/exchange-rates", json=body), 401)
    assert [r[2] for r in stored(engine)] == [Decimal("1.08")]


def test_a_retried_set_replays_and_a_reused_key_with_another_body_is_refused(
    operator: Admin,
) -> None:
    body = {"currency": "EUR", "rate": "1.08", "effectiveFrom": "2024-01-01"}
    headers = {"Idempotency-Key": "fx-2024-01"}
    first = operator.post("/exchange-rates", json=body, headers=headers)
    again = operator.post("/exchange-rates", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = operator.post("/exchange-rates", json={**body, "rate": "1.2"}, headers=headers)
    problem(other, 422, "Idempotency-Key")


def test_the_list_comes_in_pages(operator: Admin) -> None:
    for currency, day in (("EUR", "2024-01-01"), ("EUR", "2024-02-01"), ("GBP", "2024-01-01")):
        operator.post("/exchange-rates", json={"currency": currency, "rate": "1.2",
                                               "effectiveFrom": day})  # fmt: skip
    first = operator.get("/exchange-rates", params={"limit": 2}).json()
    assert [(r["currency"], r["effectiveFrom"][:10]) for r in first["items"]] == [
        ("EUR", "2024-01-01"), ("EUR", "2024-02-01"),
    ]  # fmt: skip
    rest = operator.get("/exchange-rates", params={"limit": 2, "cursor": first["nextCursor"]})
    assert [r["currency"] for r in rest.json()["items"]] == ["GBP"]
    problem(operator.get("/exchange-rates", params={"cursor": "bm9wZQ"}), 422, "cursor")
    # A forged position: a wrong shape, a true for a number, more than a BIGINT holds.
    for forged in (["EUR"], ["EUR", True], ["EUR", 10**30], [1, 2]):
        cursor = encode_cursor(forged)
        problem(operator.get("/exchange-rates", params={"cursor": cursor}), 422, "cursor")
