"""Who is asking: the console user behind the session cookie, and the workspace a page is of.

``current_user`` and ``workspace_page`` are FastAPI dependencies; without a live session
the request is sent to the login page. Another tenant's workspace is the same "not found"
as a missing one (callrec.operations.workspaces.get_workspace decides).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from callrec.api.state import ServiceState
from callrec.operations import users
from callrec.operations.actor import Actor
from callrec.operations.workspaces import get_workspace, list_workspaces
from callrec.store.accounts import Workspace

COOKIE = "callrec_console"


class LoginRequired(Exception):
    """No live session: the console's error handler redirects to the login page."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    name: str
    actor: Actor
    csrf_token: str
    workspace: str | None  # a workspace user's workspace; None for an operator
    # What the workspace switcher offers (an operator's every workspace, else just the own).
    workspaces: tuple[Workspace, ...] = ()

    @property
    def is_operator(self) -> bool:
        return self.actor.is_operator


def service(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.callrec
    return state


def session_policy(state: ServiceState) -> users.SessionPolicy:
    settings = state.settings
    return users.SessionPolicy(
        idle_us=settings.console_idle_minutes * 60_000_000,
        lifetime_us=settings.console_session_hours * 3_600_000_000,
    )


def now_us(state: ServiceState) -> int:
    """The service's clock (tests move it to expire sessions)."""
    return int(state.clock() * 1_000_000)


async def current_user(request: Request) -> ConsoleUser:
    known: ConsoleUser | None = getattr(request.state, "console_user", None)
    if known is not None:
        return known
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired
    state = service(request)
    engine = state.database.engine
    session = await state.database.run(
        users.resume_session, engine, token, session_policy(state), now_us(state)
    )
    if session is None:
        raise LoginRequired
    row = session.user
    actor = Actor(f"user:{row.name}", row.workspace_id)
    visible = await state.database.run(list_workspaces, engine, actor)
    user = ConsoleUser(row.name, actor, session.csrf_token, row.workspace, tuple(visible))
    request.state.console_user = user
    return user


async def operator_user(user: ConsoleUser = Depends(current_user)) -> ConsoleUser:
    """An operator page: a workspace user gets the "not found" anyone gets for no page."""
    if not user.is_operator:
        raise HTTPException(404)
    return user


async def workspace_page(
    workspace: str, request: Request, user: ConsoleUser = Depends(current_user)
) -> Workspace:
    """The workspace named in the path, if the user may see it (else NotFound: 404)."""
    state = service(request)
    found = await state.database.run(get_workspace, state.database.engine, user.actor, workspace)
    request.state.workspace = found
    return found
