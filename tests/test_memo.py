"""The hot paths' memo: what it makes, what it keeps, and its bound."""

from __future__ import annotations

from callrec.memo import ClearingMemo


def test_a_value_is_made_once_and_then_read() -> None:
    made: list[int] = []

    def square(key: int) -> int:
        made.append(key)
        return key * key

    memo = ClearingMemo(square, limit=10)
    assert [memo[3], memo[3], memo[4]] == [9, 9, 16]
    assert made == [3, 4]


def test_a_full_memo_starts_over_and_stays_bounded() -> None:
    memo = ClearingMemo(str, limit=3)
    for key in range(10):
        assert memo[key] == str(key)
        assert len(memo) <= 3
    assert 9 in memo
    assert 0 not in memo


def test_a_key_it_may_not_keep_is_made_every_time() -> None:
    memo = ClearingMemo(str.upper, limit=5, keep=lambda text: len(text) <= 3)
    assert memo["abcd"] == "ABCD"
    assert "abcd" not in memo
    assert memo["abc"] == "ABC"
    assert "abc" in memo
