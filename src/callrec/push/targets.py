"""Setting a workspace's push target: the URL is checked before it is stored."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.push.url_safety import UnsafeUrl, check_push_url
from callrec.store.errors import InvalidValue
from callrec.store.push_targets import PushTarget, set_push_target

MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200


def check_secret(secret: str) -> str:
    if secret != secret.strip() or not secret.isprintable():
        raise InvalidValue("--secret must be printable, without spaces at either end")
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise InvalidValue(
            f"--secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters "
            "(for example: openssl rand -hex 32)"
        )
    return secret


def configure_push_target(
    engine: Engine,
    workspace: str,
    url: str,
    secret: str | None,
    clear_secret: bool,
    allow_private: bool,
) -> PushTarget:
    """Check the URL (scheme, and every address its host resolves to), then store it."""
    if secret is not None and clear_secret:
        raise InvalidValue("give --secret or --no-secret, not both")
    try:
        checked = check_push_url(url, allow_private)
    except UnsafeUrl as exc:
        raise InvalidValue(str(exc)) from exc
    return set_push_target(
        engine,
        workspace,
        str(checked.url),
        None if secret is None else check_secret(secret),
        clear_secret,
    )
