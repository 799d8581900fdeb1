"""Errors the store raises for the CLI and API to turn into one clear line."""


class StoreError(Exception):
    pass


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class InvalidValue(StoreError):
    pass
