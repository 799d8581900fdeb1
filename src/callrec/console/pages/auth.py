"""Logging in and out, the console's front door, and the workspace switcher.

A failed login counts toward the per-network lockout the APIs share (callrec.api.lockout)
and is answered the same for a wrong name as for a wrong password; the password is checked
off the event loop (argon2 is slow on purpose).
"""

from __future__ import annotations

import logging

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from callrec.console import csrf
from callrec.console.forms import read_form
from callrec.console.paths import LOGIN, PREFIX, WORKSPACE_PAGE_KEYS, safe_next, workspace_url
from callrec.console.render import render
from callrec.console.session import (
    COOKIE,
    ConsoleUser,
    LoginRequired,
    current_user,
    now_us,
    service,
    session_policy,
)
from callrec.operations import users

log = logging.getLogger("callrec.console")
router = APIRouter()

WRONG = "Wrong user name or password."
LOCKED = "Too many failed attempts from your network; try again later."
DISABLED = "This account is disabled; ask your operator."


def _login_page(request: Request, status: int = 200, error: str = "", name: str = "",
                next_url: str | None = None) -> Response:  # fmt: skip
    return render(request, "login.html", status_code=status, error=error, name=name,
                  next_url=next_url or "")  # fmt: skip


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    try:
        await current_user(request)
    except LoginRequired:
        return _login_page(request, next_url=safe_next(next))
    return RedirectResponse(safe_next(next) or PREFIX + "/", status_code=303)


@router.post("/login")
async def login(request: Request) -> Response:
    csrf.check_origin(request)
    form = await read_form(request)
    name, password = form.get("name", "").strip(), form.get("password", "")
    next_url = safe_next(form.get("next"))
    state = service(request)
    ip = state.guard.client_ip(request)
    if await state.guard.network_refused(ip):
        return _login_page(request, 429, LOCKED, name, next_url)
    engine = state.database.engine
    user = await state.database.run(users.find_login, engine, name)
    if not await anyio.to_thread.run_sync(users.check_password, user, password):
        await state.guard.count_failed_credential(ip)
        log.info("console login failed for %r from %s", name[:64], ip)
        return _login_page(request, 401, WRONG, name, next_url)
    assert user is not None
    if not await state.database.run(users.may_log_in, engine, user):
        return _login_page(request, 403, DISABLED, name, next_url)
    policy = session_policy(state)
    token, _ = await state.database.run(users.start_session, engine, user, policy, now_us(state))
    response = RedirectResponse(next_url or PREFIX + "/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=policy.lifetime_us // 1_000_000,
        path=PREFIX,
        secure=state.guard.client_ip.is_https(request),
        httponly=True,
        samesite="lax",
    )
    log.info("console login: %s from %s", user.name, ip)
    return response


@router.post("/logout")
async def logout(request: Request, user: ConsoleUser = Depends(current_user)) -> Response:
    await csrf.checked_form(request)
    state = service(request)
    await state.database.run(users.end_session, state.database.engine, request.cookies[COOKIE])
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="lax")
    return response


@router.get("/")
async def front_door(user: ConsoleUser = Depends(current_user)) -> Response:
    """The user's (first) workspace's overview; an operator with none yet: the workspaces."""
    if not user.workspaces:
        return RedirectResponse(PREFIX + "/workspaces", status_code=303)
    return RedirectResponse(workspace_url(user.workspaces[0].name), status_code=303)


@router.get("/switch")
async def switch(
    workspace: str = "", page: str = "overview", user: ConsoleUser = Depends(current_user)
) -> Response:
    """The switcher's form: the same page of another workspace (which may still be a 404)."""
    target = workspace or (user.workspaces[0].name if user.workspaces else "")
    if not target:
        return RedirectResponse(PREFIX + "/", status_code=303)
    page = page if page in WORKSPACE_PAGE_KEYS else "overview"
    return RedirectResponse(workspace_url(target, page), status_code=303)
