"""The import's progress bar is told about bytes read at most ten times a second."""

from __future__ import annotations

from callrec.cli.progress import ThrottledAdvance


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lines_read_within_a_tenth_of_a_second_reach_the_bar_once() -> None:
    clock = Clock()
    shown: list[int] = []
    advance = ThrottledAdvance(shown.append, clock)
    for _ in range(10_000):
        advance(100)
    assert shown == []  # no redraw due yet
    clock.now += 0.1
    advance(100)
    assert shown == [1_000_100]
    for _ in range(5):
        advance(7)
    clock.now += 0.05
    advance(7)
    assert shown == [1_000_100]
    clock.now += 0.05
    advance(7)
    advance.flush()
    assert shown == [1_000_100, 49]
    assert sum(shown) == 10_001 * 100 + 7 * 7  # every byte, once


def test_flush_passes_on_what_is_left_and_nothing_twice() -> None:
    shown: list[int] = []
    advance = ThrottledAdvance(shown.append, Clock())
    advance(5)
    advance.flush()
    advance.flush()
    assert shown == [5]
