"""Errors the store and the account operations raise; each face turns them into its form.

An ``InvalidValue`` names its field once, in the wire's spelling; each face names it its own
way (``--type`` on the CLI, ``type`` in a problem document or a ``-22`` reason), so one rule
has one message.
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
    """A value the rules refuse. ``field`` names it in the wire's spelling (``outIp``) when
    one field is to blame; the message then reads after the field's name ("has at most 50
    characters"), and each face puts its own name for the field in front (``naming``): a CLI
    flag, a ``-22`` reason, a problem document's detail and ``field`` member."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def naming(self, name: str | None = None) -> str:
        """The whole message, the field called ``name`` (default: its wire name)."""
        if self.field is None:
            return str(self)
        return f"{name or self.field} {self}"


class InvalidLines(InvalidValue):
    """An uploaded file refused whole: every bad line with its reason, numbered from 1."""

    def __init__(self, message: str, lines: list[tuple[int, str]], field: str = "body") -> None:
        super().__init__(message, field)
        self.lines = lines
