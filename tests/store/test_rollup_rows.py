"""``rollups.stored_rows`` (ingest's rollup rows on SQLite) against the general path it stands
in for, ``rows_of(add_facts(...))``, which rerate and purge still use."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from callrec.store.rollups import DAY_US, HOUR_US, add_facts, rows_of, stored_rows

_facts = st.tuples(
    # start_us: around the epoch (negative too: floor to the hour, not toward zero), a few
    # hours and days apart so that keys repeat
    st.integers(-3 * DAY_US, 3 * DAY_US).map(lambda us: us // 7 * 7),
    st.sampled_from((None, "", "India", "Nigeria")),  # country
    st.sampled_from((2, 3, 4)),  # call_source
    st.sampled_from(("915027021995", "14155550123")),  # number
    st.sampled_from((None, "", "USD", "EUR", "INR")),  # currency
    st.integers(0, 4000),  # call_duration
    st.integers(0, 4000),  # charged_duration
    st.integers(0, 2**62),  # pay_micros
    st.none() | st.integers(0, 2**62),  # settle_pay_micros
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_facts, max_size=60), st.integers(1, 2**31 - 1))
def test_stored_rows_are_the_general_paths_rows_in_the_same_order(
    facts: list[tuple[object, ...]], workspace_id: int
) -> None:
    expected, emptied = rows_of(workspace_id, add_facts({}, facts))
    assert emptied == []
    assert stored_rows(workspace_id, facts) == [tuple(row) for row in expected]


def test_many_records_in_one_hour_add_up_in_one_row() -> None:
    facts = [(5 * HOUR_US + i, "India", 3, "915027021995", "EUR", i, i, i, None)
             for i in range(1000)]  # fmt: skip
    rows = stored_rows(1, facts)
    expected, _ = rows_of(1, add_facts({}, facts))
    assert rows == [tuple(row) for row in expected]
    assert len(rows) == 8  # one hourly and one daily row per dimension
    assert {row[6] for row in rows} == {1000}
