"""The number inventory's rental fields and state (callrec.store.numbers), the migration that
adds them, and the greeting checks (callrec.store.greetings)."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine, upgrade
from callrec.store import numbers as inventory
from callrec.store.errors import InvalidValue, NotFound
from callrec.store.greetings import MAX_GREETING_BYTES, decode_greeting, decoded_size
from callrec.wire.numbers import UNCHANGED

DUE = date(2024, 4, 11)


@pytest.mark.parametrize(
    ("disabled", "due", "renews", "today", "state"),
    [
        (False, None, False, date(2999, 1, 1), 3),
        (False, DUE, False, DUE, 3),
        (False, DUE, False, date(2024, 4, 12), 4),
        (False, DUE, True, date(2030, 1, 1), 3),
        (True, None, False, DUE, 5),
        (True, DUE, False, date(2030, 1, 1), 5),
    ],
)
def test_state_is_derived_disabled_then_expired_then_in_use(
    disabled: bool, due: date | None, renews: bool, today: date, state: int
) -> None:
    assert inventory.number_state(disabled, due, renews, today) == state


def test_today_is_the_workspaces_date_not_utcs() -> None:
    moment = 1712860200.0  # 2024-04-11 18:30:00 UTC = 2024-04-12 00:00 in Kolkata
    assert inventory.today_in("UTC", moment) == date(2024, 4, 11)
    assert inventory.today_in("Asia/Kolkata", moment) == date(2024, 4, 12)
    assert inventory.today_in("America/Los_Angeles", moment) == date(2024, 4, 11)


def test_existing_numbers_survive_the_migration_with_defaults_that_never_expire(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO workspaces (name, enabled, currency, created_us, time_zone) "
                    "VALUES ('old', true, 'USD', 0, 'UTC')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO numbers (number, workspace_id, app_id, type, created_us) "
                    "SELECT '915027021995', id, 'app-1', 'MOBILE', 0 FROM workspaces"
                )
            )
        upgrade(engine)
        [number] = inventory.list_numbers(engine)
        assert (number.number, number.app_id, number.type) == ("915027021995", "app-1", "MOBILE")
        assert (number.due_date, number.auto_renew, number.disabled) == (None, False, False)
        assert (number.out_ip, number.in_ip, number.inbound_prefix, number.remark) == ("",) * 4
        assert not number.enable_voicemail
        assert number.voicemail_max_hangup is None
        assert number.state(4_000_000_000) == inventory.IN_USE
    finally:
        engine.dispose()


def test_the_operator_sets_and_clears_the_rental(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    accounts.add_number(engine, "915027021995", "acme", rental=inventory.Rental(DUE, True, False))
    number = inventory.get_number(engine, "+91 5027021995")
    assert (number.due_date, number.auto_renew, number.disabled) == (DUE, True, False)
    updated = inventory.update_number(
        engine, "915027021995", inventory.Rental(auto_renew=False, disabled=True)
    )
    assert (updated.due_date, updated.auto_renew, updated.disabled) == (DUE, False, True)
    cleared = inventory.update_number(
        engine, "915027021995", inventory.Rental(due_date=None), number_type="fixed"
    )
    assert (cleared.due_date, cleared.type, cleared.disabled) == (None, "FIXED", True)
    same = inventory.update_number(engine, "915027021995", inventory.Rental())
    assert same == cleared


def test_updating_an_unknown_number_or_a_bad_value_is_refused_with_the_field(
    engine: Engine,
) -> None:
    accounts.create_workspace(engine, "acme")
    with pytest.raises(NotFound, match="not in the inventory"):
        inventory.update_number(engine, "915027021995", inventory.Rental(disabled=True))
    accounts.add_number(engine, "915027021995", "acme")
    with pytest.raises(InvalidValue) as refused:
        inventory.update_number(engine, "915027021995", inventory.Rental(), UNCHANGED, "SAT")
    assert refused.value.field == "type"
    with pytest.raises(InvalidValue) as bad_date:
        inventory.parse_due_date("2024-4-11")
    assert bad_date.value.field == "dueDate"
    assert inventory.parse_due_date("") is None


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 100, 101, 102])
def test_decoded_size_is_exact_before_decoding(size: int) -> None:
    text = base64.b64encode(b"\x00" * size).decode()
    assert decoded_size(text) == size


def test_a_greeting_is_checked_by_its_content_not_its_name() -> None:
    wav = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 32
    assert decode_greeting(base64.b64encode(wav).decode(), "Hello.WAV") == wav
    with pytest.raises(InvalidValue, match="content is wav audio, not the mp3") as refused:
        decode_greeting(base64.b64encode(wav).decode(), "hello.mp3")
    assert refused.value.field == "voicemailFile"


def test_the_size_limit_is_checked_before_the_text_is_decoded() -> None:
    # Not base64 at all past the first block: only the size is looked at, so the size speaks.
    text = "SUQz" + "!" * (MAX_GREETING_BYTES // 3 * 4 + 4)
    with pytest.raises(InvalidValue, match="larger than 5242880 bytes"):
        decode_greeting(text, "a.mp3")
