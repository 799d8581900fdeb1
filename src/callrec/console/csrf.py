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

from callrec.console.forms import MAX_FORM_BYTES, Form, read_form

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
    # Host names only: a proxy's `Host $host` drops a non-default port the browser keeps in
    # Origin. Another port of the same host is still stopped by the token.
    host = urlsplit("//" + request.headers.get("host", "")).hostname
    if origin == "null" or urlsplit(origin).hostname != host or host is None:
        raise CsrfRefused("this form was sent from another site")


def check(request: Request, form: Mapping[str, str]) -> None:
    """Refuse a POST from elsewhere, or without the session's token."""
    check_origin(request)
    user = getattr(request.state, "console_user", None)
    sent = form.get(FIELD, "")
    if user is None or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise CsrfRefused("the form's security token is missing or out of date: reload the page")


async def checked_form(request: Request, max_bytes: int = MAX_FORM_BYTES) -> Form:
    """A POSTed form, read (callrec.console.forms) and refused unless it passes ``check``."""
    form = await read_form(request, max_bytes)
    check(request, form)
    return form
