"""The error every ingest check raises: which field of an item is unusable, and why."""

from __future__ import annotations


class FieldError(ValueError):
    """One field of one item is unusable; the message starts with the field's name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
