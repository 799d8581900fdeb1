"""Setting a workspace's push target: the URL and the secret are checked before they are stored."""

from __future__ import annotations

from callrec.push.url_safety import UnsafeUrl, check_push_url
from callrec.store.errors import InvalidValue

MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200


def check_secret(secret: str) -> str:
    if secret != secret.strip() or not secret.isprintable():
        raise InvalidValue("must be printable, without spaces at either end", "secret")
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise InvalidValue(
            f"must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters "
            "(for example: openssl rand -hex 32)",
            "secret",
        )
    return secret


def check_push_target(
    url: str, secret: str | None, clear_secret: bool, allow_private: bool
) -> tuple[str, str | None]:
    """The URL as it will be stored and the secret, once both are accepted.

    The URL's host is resolved here (every address must be allowed), so call it before
    opening a transaction: a slow name lookup must not hold the database's write lock.
    """
    if secret is not None and clear_secret:
        raise InvalidValue("cannot be combined with a new secret", "clearSecret")
    try:
        checked = check_push_url(url, allow_private)
    except UnsafeUrl as exc:
        raise InvalidValue(f"is refused: {exc}", "url") from exc
    return str(checked.url), None if secret is None else check_secret(secret)
