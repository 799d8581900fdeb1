"""The operator's audit log: every change to an account object, newest first, paged."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from callrec.console.render import render
from callrec.console.session import ConsoleUser, operator_user, service
from callrec.operations.audit import list_audit

router = APIRouter()
PAGE_SIZE = 50


@router.get("/audit")
async def audit_page(
    request: Request,
    before: int | None = Query(None, ge=1, le=2**63 - 1),
    user: ConsoleUser = Depends(operator_user),
) -> Response:
    state = service(request)
    entries = await state.database.run(
        list_audit, state.database.engine, user.actor, before, PAGE_SIZE + 1
    )
    names = {ws.id: ws.name for ws in user.workspaces}
    shown = entries[:PAGE_SIZE]
    older = shown[-1].id if len(entries) > PAGE_SIZE else None
    return render(request, "audit.html", entries=shown, older=older, names=names,
                  as_json=lambda value: json.dumps(value, indent=1, sort_keys=True))  # fmt: skip
