"""``/admin/v1/audit``: the audit log, newest first (a workspace token reads its own)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from callrec.admin.auth import Caller, caller, service
from callrec.admin.models import AuditEntry, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, page
from callrec.admin.responses import problems
from callrec.operations.audit import audit_to_dict, list_audit

router = APIRouter(tags=["admin: audit"])


@router.get(
    "/audit",
    response_model=Page[AuditEntry],
    summary="Who changed what, when, with the object before and after",
    responses=problems(),
)
async def audit(
    request: Request, who: Caller = Depends(caller), limit: int = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    state = service(request)
    entries = await state.database.run(
        list_audit, state.database.engine, who.actor, decode_cursor(cursor, int), limit + 1
    )
    return page(entries, limit, lambda e: e.id, audit_to_dict)
