"""Pages from Jinja2 templates (autoescaped), with what every page needs in its context.

``render(request, "page.html", **context)`` adds the user, the workspace the page is of,
the nav, the CSRF token, the workspace switcher's choices and the ``static()`` URL helper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from callrec.console.paths import (
    OPERATOR_PAGES,
    PREFIX,
    WORKSPACE_PAGES,
    operator_url,
    workspace_url,
)
from callrec.console.session import ConsoleUser
from callrec.console.static_files import static_url
from callrec.store.accounts import Workspace
from callrec.wire.times import datetime_from_micros

environment = Environment(
    loader=PackageLoader("callrec.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a misspelt name is an error in tests, not an empty cell
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(
    static=static_url, workspace_url=workspace_url, operator_url=operator_url, PREFIX=PREFIX
)

# Pages that must never be cached or framed by another site.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    label: str
    url: str
    current: bool


def _page_key(request: Request) -> str:
    """``numbers`` for /console/w/acme/numbers, ``audit`` for /console/audit."""
    parts = request.url.path.removeprefix(PREFIX).strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "w":
        return parts[2].removesuffix(".csv")
    return parts[0]


def nav(user: ConsoleUser | None, workspace: Workspace | None, current: str) -> list[NavItem]:
    if user is None:
        return []
    items = []
    if workspace is not None:
        items += [
            NavItem(key, label, workspace_url(workspace.name, key), key == current)
            for key, label in WORKSPACE_PAGES
        ]
    if user.is_operator:
        items += [
            NavItem(key, label, operator_url(key), key == current) for key, label in OPERATOR_PAGES
        ]
    return items


def page_workspace(request: Request, user: ConsoleUser | None) -> Workspace | None:
    """The page's workspace, else the one the nav's workspace links go to (the user's own,
    or an operator's first)."""
    found: Workspace | None = getattr(request.state, "workspace", None)
    if found is not None or user is None or not user.workspaces:
        return found
    return user.workspaces[0]


def local_time(time_zone: str) -> Callable[[int | None], str]:
    """Microseconds since the epoch as ``2026-11-29 18:05`` in ``time_zone`` (the page's
    workspace's, named in the header)."""
    zone = ZoneInfo(time_zone)

    def show(micros: int | None) -> str:
        if micros is None:
            return ""
        return datetime_from_micros(micros).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return show


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    user: ConsoleUser | None = getattr(request.state, "console_user", None)
    workspace = page_workspace(request, user)
    current = _page_key(request)
    values = {
        "request": request,
        "user": user,
        "workspace": workspace,
        "page_key": current,
        "nav": nav(user, workspace, current),
        "csrf_token": user.csrf_token if user else "",
        "when": local_time(workspace.time_zone if workspace else "UTC"),
        "utc": local_time("UTC"),
        **context,
    }
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code, headers={**SECURITY_HEADERS, **(headers or {})})
