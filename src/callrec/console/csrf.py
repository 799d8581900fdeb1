"""Cross-site request forgery: every POST carries the session's token and comes from here.

Two checks, either of which stops a forged form: the hidden ``csrf`` field must equal the
session's token, and the browser's own ``Sec-Fetch-Site`` / ``Origin`` headers must not name
another site (the login form, which has no session yet, relies on the second alone).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request

FIELD = "csrf"
_SAME_SITE_VALUES = {"same-origin", "none"}  # "none": the user's own navigation


class CsrfRefused(Exception):
    """The console's error handler answers it with a 403 page."""


def check_origin(request: Request) -> None:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.lower() not in _SAME_SITE_VALUES:
        raise CsrfRefused("this form was sent from another site")
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise CsrfRefused("this form was sent from another site")


def check(request: Request, form: Mapping[str, str]) -> None:
    """Refuse a POST from elsewhere, or without the session's token."""
    check_origin(request)
    user = getattr(request.state, "console_user", None)
    sent = form.get(FIELD, "")
    if user is None or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise CsrfRefused("the form's security token is missing or out of date: reload the page")
