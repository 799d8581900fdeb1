"""A workspace's API keys: list, create and rotate (the secret shown once), disable/enable.

The secret is in the answer to the POST that made it and nowhere else: no redirect to a
URL that could show it again, and the page is never cached (render's headers).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from callrec.console import csrf
from callrec.console.paths import workspace_url
from callrec.console.render import render
from callrec.console.session import ConsoleUser, current_user, service, workspace_page
from callrec.operations import keys
from callrec.store.accounts import ApiKey, Workspace
from callrec.store.errors import InvalidValue, NotFound

router = APIRouter()

# The grace choices the rotate form offers, in seconds (the rule itself is the store's).
GRACE_CHOICES = ((0, "none: the old secret stops now"), (3600, "1 hour"), (86400, "24 hours"),
                 (7 * 86400, "7 days"))  # fmt: skip


async def _list_page(
    request: Request,
    user: ConsoleUser,
    workspace: Workspace,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    state = service(request)
    found = await state.database.run(
        keys.list_keys, state.database.engine, user.actor, workspace.name
    )
    return render(request, "keys.html", status_code=status, keys=found,
                  errors=errors or {}, form=form or {}, grace_choices=GRACE_CHOICES)  # fmt: skip


def _secret_page(request: Request, key: ApiKey, rotated: bool) -> Response:
    return render(request, "key_secret.html", key=key, rotated=rotated)


def _ips(text: str) -> list[str]:
    return text.replace(",", " ").split()


async def _own_key(
    request: Request, user: ConsoleUser, workspace: Workspace, api_key: str
) -> ApiKey:
    state = service(request)
    key = await state.database.run(keys.get_key, state.database.engine, user.actor, api_key)
    if key.workspace != workspace.name:  # an operator's URL naming another workspace's key
        raise NotFound(f"no API key {api_key!r}")
    return key


@router.get("/w/{workspace}/keys")
async def keys_page(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    return await _list_page(request, user, workspace)


@router.post("/w/{workspace}/keys")
async def create_key(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    try:
        key = await state.database.run(
            keys.create_key, state.database.engine, user.actor, workspace.name,
            _ips(form.get("allowIps", "")), form.get("requireBodySignature") == "on",
        )  # fmt: skip
    except InvalidValue as error:
        errors = {error.field or "form": _message(error)}
        return await _list_page(request, user, workspace, 422, errors, form)
    return _secret_page(request, key, rotated=False)


_LABELS = {"allowIps": "Allowed IPs", "graceSeconds": "The grace"}


def _message(error: InvalidValue) -> str:
    """The store's message with the form's name for the field."""
    return error.naming(_LABELS.get(error.field or ""))


@router.post("/w/{workspace}/keys/{api_key}/rotate")
async def rotate_key(
    request: Request,
    api_key: str,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    form = await csrf.checked_form(request)
    key = await _own_key(request, user, workspace, api_key)
    grace = form.get("graceSeconds", "0").strip()
    state = service(request)
    try:
        if not grace.isascii() or not grace.isdigit() or len(grace) > 9:
            raise InvalidValue("must be a whole number of seconds", "graceSeconds")
        rotated = await state.database.run(
            keys.rotate_key, state.database.engine, user.actor, key.api_key, int(grace)
        )
    except InvalidValue as error:
        return await _list_page(request, user, workspace, 422, {key.api_key: _message(error)})
    return _secret_page(request, rotated, rotated=True)


@router.post("/w/{workspace}/keys/{api_key}/enabled")
async def set_enabled(
    request: Request,
    api_key: str,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    form = await csrf.checked_form(request)
    key = await _own_key(request, user, workspace, api_key)
    state = service(request)
    await state.database.run(
        keys.set_key_enabled, state.database.engine, user.actor, key.api_key,
        form.get("enabled") == "1",
    )  # fmt: skip
    return RedirectResponse(workspace_url(workspace.name, "keys"), status_code=303)
