"""Phone numbers: the shortcut for digits already in stored form, held to the general rule."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from callrec.phone import NumberFormatError, _normalise_written, normalise_number


def _answer(normalise: object, text: str) -> str:
    try:
        return normalise(text)  # type: ignore[operator, no-any-return]
    except NumberFormatError:
        return "refused"


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from("0123456789+ -()٣"), max_size=18))
@example("0044207183875")
@example("12")
@example("123")
@example("123456789012345")
@example("1234567890123456")
@example("٣٣٣٣")
def test_the_stored_form_shortcut_gives_the_general_answer(text: str) -> None:
    assert _answer(normalise_number, text) == _answer(_normalise_written, text)


@pytest.mark.parametrize("text", ["00", "12", "0044", "1234567890123456"])
def test_digits_out_of_the_stored_form_are_still_refused(text: str) -> None:
    with pytest.raises(NumberFormatError):
        normalise_number(text)
