"""Errors the store and the account operations raise; each face turns them into its form.

A message may name the field it is about as ``{field}``: the CLI puts its flag there
(``--type``), the admin API the JSON member (``type``), so one rule has one message.
"""

from __future__ import annotations


class StoreError(Exception):
    pass


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class Conflict(StoreError):
    """The request is valid but the object's state refuses it (a workspace holding records)."""


class Forbidden(StoreError):
    """The caller may see the object but not do this to it (a read-only token, a workspace
    token asking for an operator's action)."""


class InvalidValue(StoreError):
    def __init__(self, message: str, field: str | None = None) -> None:
        self.template = message
        self.field = field
        super().__init__(self.render(field or "value"))

    def render(self, field_name: str) -> str:
        """The message with the field named as this face names it."""
        return self.template.replace("{field}", field_name)
