"""Where a client's credentials and base URL come from: arguments first, then the environment.

There is no default base URL: a forgotten ``CALLREC_BASE_URL`` would otherwise send requests
signed with the user's key to a third party (the vendor's public API).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from callrec.client._protocol import Credentials

VENDOR_BASE_URL = "https://api.laaffic.com"
LOCAL_BASE_URL = "http://127.0.0.1:8080"
API_KEY_VARIABLE = "CALLREC_API_KEY"
API_SECRET_VARIABLE = "CALLREC_API_SECRET"
BASE_URL_VARIABLE = "CALLREC_BASE_URL"


class CredentialsMissing(ValueError):
    """No API key or secret was given, neither as an argument nor in the environment."""

    def __init__(self, what: str, variable: str) -> None:
        super().__init__(f"no API {what}: pass api_{what} or set {variable}")
        self.what = what
        self.variable = variable


class BaseUrlMissing(ValueError):
    """No base URL was given, neither as an argument nor in the environment."""

    def __init__(self) -> None:
        super().__init__(
            f"no base URL: pass base_url or set {BASE_URL_VARIABLE}, e.g. {VENDOR_BASE_URL} "
            f"(the vendor) or {LOCAL_BASE_URL} (callrec on this machine)"
        )


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
    resolved = base_url or env.get(BASE_URL_VARIABLE, "").strip()
    if not resolved:
        raise BaseUrlMissing
    return resolved
