"""Exchange-rate operations: set a rate from a moment on, list them.

Rates are shared by every workspace: any token reads them, only an operator sets one. The
rate arrives as text and is read as a Decimal here, once, for every face.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.rating.deck import MAX_RATE_TEXT
from callrec.rating.fx import SETTLE_CURRENCY, FxRate
from callrec.store import rating_data
from callrec.store.accounts import iso_instant, normalise_currency
from callrec.store.dialect import write_transaction
from callrec.store.errors import InvalidValue
from callrec.wire.money import MoneyError, parse_decimal, plain
from callrec.wire.times import TimeFormatError, parse_date_or_instant


def fx_to_dict(rate: FxRate) -> dict[str, str]:
    """The JSON shape of an exchange rate: the rate as a decimal string, never a float."""
    return {
        "currency": rate.currency,
        "rate": plain(rate.rate),
        "effectiveFrom": iso_instant(rate.effective_from_us),
    }


def parse_fx_rate(currency: str, rate: str, effective_from: str) -> FxRate:
    code = normalise_currency(currency)
    if code == SETTLE_CURRENCY:
        raise InvalidValue(f"{code} is the settle currency; it needs no exchange rate", "currency")
    try:
        value = parse_decimal(rate)
    except MoneyError as exc:
        raise InvalidValue(str(exc), "rate") from exc
    if value <= 0:
        raise InvalidValue("must be greater than 0", "rate")
    if len(plain(value)) > MAX_RATE_TEXT:
        raise InvalidValue(f"has more than {MAX_RATE_TEXT} characters", "rate")
    try:
        start = parse_date_or_instant(effective_from)
    except TimeFormatError as exc:
        raise InvalidValue(str(exc), "effectiveFrom") from exc
    return FxRate(code, start, value)


def set_fx_rate(
    engine: Engine, actor: Actor, currency: str, rate: str, effective_from: str
) -> FxRate:
    """Set (or replace) the rate that applies from ``effective_from`` on: USD per unit of
    ``currency``. Re-pricing stored calls is a separate step (``rerate``)."""
    actor.check_operator("set exchange rates")
    new = parse_fx_rate(currency, rate, effective_from)
    with write_transaction(engine) as conn:
        old = rating_data.fx_rate_from(conn, new.currency, new.effective_from_us)
        rating_data.set_fx_rate(conn, new)
        object_id = f"{new.currency}@{iso_instant(new.effective_from_us)}"
        record(conn, actor, "fx.set", "fx_rate", object_id, None,
               None if old is None else fx_to_dict(old), fx_to_dict(new))  # fmt: skip
    return new


def list_fx_rates(
    engine: Engine,
    actor: Actor,
    after: tuple[str, int] | None = None,
    limit: int | None = None,
) -> list[FxRate]:
    """Every token may read them: they are no workspace's own."""
    with engine.connect() as conn:
        return rating_data.list_fx_rates(conn, after, limit)
