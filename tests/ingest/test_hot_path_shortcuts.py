"""Shortcuts the rated ingest path takes for the common case, each held to the general code it
skips: ``check_raw_cdr``'s glance at plainly storable CDRs (against the field-by-field
checks), ``party_digits`` (against ``normalise_number``; its own shortcut for digits in E.164
form is held to its general rule in tests/test_phone.py),
``RateDeck.lookup`` skipping prefixes the deck has no row for (against a plain scan), and
``routes_for`` sharing the routes of a batch (against routing each call afresh)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from callrec.ingest.field_error import FieldError
from callrec.ingest.routing import Route, party_digits, routes_for
from callrec.ingest.storable import (
    MAX_INSTANT_US,
    MAX_INT32,
    MIN_INSTANT_US,
    check_raw_cdr,
    check_raw_cdr_fields,
)
from callrec.model import RawCdr
from callrec.phone import NumberFormatError, normalise_number
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateDeck, RateRow
from callrec.store.accounts import NumberOwner

_texts = st.text(st.sampled_from("ab1 \x00é\ud800/"), max_size=6)
_instants = st.sampled_from(
    (MIN_INSTANT_US - 1, MIN_INSTANT_US, 0, 1_700_000_000_000_000, MAX_INSTANT_US,
     MAX_INSTANT_US + 1)
)  # fmt: skip
_talks = st.none() | st.sampled_from((-(2**31) - 1, -(2**31), 0, 61, MAX_INT32, MAX_INT32 + 1))


def _outcome(check: Callable[[], None]) -> str | None:
    try:
        check()
    except FieldError as exc:
        return str(exc)
    return None


@settings(max_examples=400, deadline=None)
@given(
    st.builds(
        RawCdr,
        callid=_texts,
        caller=_texts,
        called=_texts,
        start_us=_instants,
        answer_us=st.none() | _instants,
        end_us=_instants,
        talk_seconds=_talks,
        sip_code=st.none() | _texts,
        hangup_reason=st.none() | _texts,
        recording_url=_texts,
        source=st.just("test"),
    )
)
def test_check_raw_cdr_rejects_what_the_field_checks_reject_in_their_words(cdr: RawCdr) -> None:
    assert _outcome(lambda: check_raw_cdr(cdr)) == _outcome(lambda: check_raw_cdr_fields(cdr))


def _normalised_or_stripped(text: str) -> str:
    try:
        return normalise_number(text)
    except NumberFormatError:
        return text.strip()


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from("0123456789+ -()٣"), max_size=18))
@example("0044207183875")
@example("12")
@example("1234567890123456")
@example("٣٣٣٣")
def test_party_digits_are_normalise_numbers_answer(text: str) -> None:
    assert party_digits(text) == _normalised_or_stripped(text)


_ROWS = st.lists(
    st.builds(
        RateRow,
        prefix=st.text("1249", min_size=1, max_size=4),
        direction=st.sampled_from(("in", "out", "any")),
        effective_from_us=st.integers(0, 3),
        rate=st.integers(0, 99).map(Decimal),
        period=st.just(ChargedPeriod(1, 1)),
    ),
    max_size=12,
)


def _scan(rows: list[RateRow], digits: str, direction: str, at_us: int) -> RateRow | None:
    """docs/rating.md's rule, by brute force: the longest prefix with a row in force, a row
    of the call's own direction before an ``any`` one, the newest in force of each."""
    for length in range(len(digits), 0, -1):
        for wanted in (direction, "any"):
            in_force = [
                row for row in rows
                if row.prefix == digits[:length] and row.direction == wanted
                and row.effective_from_us <= at_us
            ]  # fmt: skip
            if in_force:
                newest = max(row.effective_from_us for row in in_force)
                return next(row for row in in_force if row.effective_from_us == newest)
    return None


@settings(max_examples=300, deadline=None)
@given(_ROWS, st.text("1249", max_size=6), st.sampled_from(("in", "out")), st.integers(0, 3))
def test_deck_lookup_is_the_longest_prefix_in_force(
    rows: list[RateRow], digits: str, direction: str, at_us: int
) -> None:
    found = RateDeck(rows).lookup(digits, direction, at_us)
    expected = _scan(rows, digits, direction, at_us)
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        key = (found.prefix, found.direction, found.effective_from_us)
        assert key == (expected.prefix, expected.direction, expected.effective_from_us)


_OWNERS = {
    "441": NumberOwner("441", 1, "a", None, "EUR"),
    "442": NumberOwner("442", 1, None, "MOBILE", "EUR"),
    "913": NumberOwner("913", 2, "b", "FIXED", "INR"),
}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[st.sampled_from(("441", "442", "913", "999", ""))] * 2), max_size=30))
def test_routes_shared_within_a_batch_are_each_calls_own(calls: list[tuple[str, str]]) -> None:
    memo: dict[tuple[str | None, str | None], tuple[Route, ...]] = {}
    for caller, called in calls:
        assert routes_for(caller, called, _OWNERS, memo) == routes_for(caller, called, _OWNERS)


def test_a_call_between_two_workspaces_routes_to_each_and_within_one_once() -> None:
    assert [(r.owner.workspace_id, r.direction) for r in routes_for("441", "913", _OWNERS)] == [
        (1, "out"),
        (2, "in"),
    ]
    assert [(r.owner.number, r.direction) for r in routes_for("441", "442", _OWNERS)] == [
        ("441", "out")
    ]
    assert routes_for("999", "", _OWNERS) == ()
