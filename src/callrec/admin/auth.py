"""Bearer admin tokens: who the caller is, as an operations Actor.

A missing, wrong or revoked token is 401 and counts toward the per-network lockout the
queryPage API keeps (callrec.api.lockout); a locked-out or denied network gets 429 before
any token is looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from callrec.admin.problems import Problem
from callrec.api.state import ServiceState
from callrec.operations.actor import Actor
from callrec.store.admin_tokens import authenticate

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="cra_…",
    description="An admin token from `callrec admin token create` (docs/admin-api.md).",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="callrec-admin"'}


@dataclass(frozen=True, slots=True)
class Caller:
    actor: Actor
    token_id: int


def service(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.callrec
    return state


async def caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Caller:
    state = service(request)
    ip = state.guard.client_ip(request)
    if await state.guard.network_refused(ip):
        raise Problem(429, "too many failed attempts from this address; try again later")
    if credentials is None:
        raise Problem(401, "an admin token is required: Authorization: Bearer …",
                      headers=_CHALLENGE)  # fmt: skip
    engine = state.database.engine
    token = await state.database.run(authenticate, engine, credentials.credentials)
    if token is None:
        await state.guard.count_failed_credential(ip)
        raise Problem(401, "unknown or revoked admin token", headers=_CHALLENGE)
    actor = Actor(f"token:{token.name}", token.workspace_id, token.read_only)
    return Caller(actor, token.id)
