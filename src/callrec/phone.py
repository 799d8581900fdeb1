"""Phone numbers in the vendor's stored form: E.164 digits without the ``+``."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")


class NumberFormatError(ValueError):
    pass


def normalise_number(text: str) -> str:
    """``"+91 502-702 1995"``, ``"0091502..."`` and ``"91502..."`` all become ``"91502..."``."""
    if text.isascii() and text.isdigit() and 3 <= len(text) <= 15 and text[:2] != "00":
        return text  # already the stored form (every CDR party on the ingest path): no regex
    return _normalise_written(text)


def _normalise_written(text: str) -> str:
    compact = _SEPARATORS.sub("", text.strip())
    if compact.startswith("+"):
        compact = compact[1:]
    elif compact.startswith("00"):
        compact = compact[2:]
    if not compact.isascii() or not compact.isdigit() or not 3 <= len(compact) <= 15:
        raise NumberFormatError(f"{text!r} is not a phone number in international form")
    return compact
