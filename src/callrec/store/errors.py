"""Errors the store raises for the CLI and API to turn into one clear line."""


class StoreError(Exception):
    pass


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class InvalidValue(StoreError):
    """A value the rules refuse; ``field`` names it in the wire's spelling (``outIp``) when
    one field is to blame, so every face can point at it (a CLI flag, a ``-22`` reason)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
