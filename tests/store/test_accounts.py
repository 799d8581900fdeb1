"""Workspaces, keys and numbers: what the store refuses, and with which error."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from callrec.store import AlreadyExists, NotFound, accounts
from callrec.store.errors import InvalidValue


def test_workspace_names_are_unique_and_currencies_are_iso_codes(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme", "eur")
    with pytest.raises(AlreadyExists, match="'acme' already exists"):
        accounts.create_workspace(engine, "acme")
    with pytest.raises(AlreadyExists):
        accounts.create_workspace(engine, "  acme  ")  # names are trimmed first
    for currency in ("EURO", "E1R", "", "€UR"):
        with pytest.raises(InvalidValue, match="ISO 4217"):
            accounts.create_workspace(engine, "other", currency)
    with pytest.raises(InvalidValue, match="needs a name"):
        accounts.create_workspace(engine, "  ")
    assert [(w.name, w.currency) for w in accounts.list_workspaces(engine)] == [("acme", "EUR")]


def test_unknown_workspaces_are_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        accounts.get_workspace(engine, "nope")
    with pytest.raises(NotFound):
        accounts.set_workspace_enabled(engine, "nope", False)
    with pytest.raises(NotFound):
        accounts.create_key(engine, "nope")
    with pytest.raises(NotFound):
        accounts.list_keys(engine, "nope")
    with pytest.raises(NotFound):
        accounts.add_number(engine, "915027021995", "nope")


def test_keys_refuse_bad_cidrs_and_taken_names(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    with pytest.raises(InvalidValue, match=r"'10\.0\.0\.0/33'"):
        accounts.create_key(engine, "acme", ["10.0.0.0/8", "10.0.0.0/33"])
    accounts.create_key(engine, "acme", api_key="bDqJFiq9", secret="7bz1lzh9")
    with pytest.raises(AlreadyExists, match="bDqJFiq9"):
        accounts.create_key(engine, "acme", api_key="bDqJFiq9")
    with pytest.raises(NotFound):
        accounts.set_key_enabled(engine, "NoSuchKy", False)
    assert [k.api_key for k in accounts.list_keys(engine)] == ["bDqJFiq9"]


def test_credentials_follow_the_key_and_workspace_switches(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    key = accounts.create_key(engine, "acme", ["192.0.2.7", "2001:db8::/32"])

    def lookup() -> accounts.KeyCredentials:
        with engine.connect() as conn:
            found = accounts.lookup_credentials(conn, key.api_key)
        assert found is not None
        return found

    assert [str(n) for n in lookup().allow_ips] == ["192.0.2.7/32", "2001:db8::/32"]
    accounts.set_key_enabled(engine, key.api_key, False)
    accounts.set_workspace_enabled(engine, "acme", False)
    assert (lookup().key_enabled, lookup().workspace_enabled) == (False, False)
    accounts.set_key_enabled(engine, key.api_key, True)
    accounts.set_workspace_enabled(engine, "acme", True)
    assert (lookup().key_enabled, lookup().workspace_enabled) == (True, True)
    with engine.connect() as conn:
        assert accounts.lookup_credentials(conn, "NoSuchKy") is None


def test_numbers_are_normalised_unique_and_typed(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    accounts.create_workspace(engine, "beta")
    added = accounts.add_number(engine, "+44 20 7183 8750", "acme", "app", "fixed")
    assert added == accounts.Number("442071838750", "acme", "app", "FIXED")
    with pytest.raises(AlreadyExists, match="442071838750"):
        accounts.add_number(engine, "00442071838750", "beta")
    with pytest.raises(InvalidValue, match="MOBILE or FIXED"):
        accounts.add_number(engine, "915027021995", "acme", number_type="VOIP")
    for bad in ("12", "abc", "+", "1" * 16):
        with pytest.raises(InvalidValue, match="not a phone number"):
            accounts.add_number(engine, bad, "acme")
    assert accounts.list_numbers(engine, "beta") == []
    assert accounts.list_numbers(engine) == [added]


def test_names_longer_than_their_columns_are_refused_alike_on_every_backend(
    engine: Engine,
) -> None:
    accounts.create_workspace(engine, "w" * 200)
    with pytest.raises(InvalidValue, match="at most 200 characters"):
        accounts.create_workspace(engine, "w" * 201)
    accounts.add_number(engine, "915027021995", "w" * 200, app_id="a" * 64)
    with pytest.raises(InvalidValue, match="at most 64 characters"):
        accounts.add_number(engine, "915027021996", "w" * 200, app_id="a" * 65)
    assert [n.number for n in accounts.list_numbers(engine)] == ["915027021995"]
