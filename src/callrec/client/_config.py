"""Where a client's credentials and base URL come from: arguments first, then the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from callrec.client._protocol import Credentials

DEFAULT_BASE_URL = "https://api.laaffic.com"
API_KEY_VARIABLE = "CALLREC_API_KEY"
API_SECRET_VARIABLE = "CALLREC_API_SECRET"
BASE_URL_VARIABLE = "CALLREC_BASE_URL"


class CredentialsMissing(ValueError):
    """No API key or secret was given, neither as an argument nor in the environment."""

    def __init__(self, what: str, variable: str) -> None:
        super().__init__(f"no API {what}: pass api_{what} or set {variable}")
        self.what = what
        self.variable = variable


def resolve_credentials(
    api_key: str | None, api_secret: str | None, env: Mapping[str, str] | None = None
) -> Credentials:
    env = os.environ if env is None else env
    key = api_key or env.get(API_KEY_VARIABLE, "").strip()
    secret = api_secret or env.get(API_SECRET_VARIABLE, "").strip()
    if not key:
        raise CredentialsMissing("key", API_KEY_VARIABLE)
    if not secret:
        raise CredentialsMissing("secret", API_SECRET_VARIABLE)
    return Credentials(key, secret)


def resolve_base_url(base_url: str | None, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return base_url or env.get(BASE_URL_VARIABLE, "").strip() or DEFAULT_BASE_URL
