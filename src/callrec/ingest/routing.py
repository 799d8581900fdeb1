"""Which workspace a call belongs to, and in which direction, from the numbers inventory.

If the caller is a workspace's number the call is outgoing for it (``callSource`` 3); if the
called party is, incoming (2). A call between numbers of two workspaces is stored for each;
between two numbers of one workspace, once, as outgoing.
"""

from __future__ import annotations

from dataclasses import dataclass

from callrec.phone import NumberFormatError, normalise_number
from callrec.rating.deck import INCOMING, OUTGOING
from callrec.store.accounts import NumberOwner

CALL_SOURCE = {INCOMING: 2, OUTGOING: 3}


@dataclass(frozen=True, slots=True)
class Route:
    owner: NumberOwner
    direction: str  # "in" | "out"

    @property
    def call_source(self) -> int:
        return CALL_SOURCE[self.direction]


def party_digits(text: str) -> str:
    """E.164 digits when the party is a number; otherwise the text as the switch wrote it."""
    try:
        return normalise_number(text)
    except NumberFormatError:
        return text.strip()


def routes_for(
    caller: str,
    called: str,
    owners: dict[str, NumberOwner],
    memo: dict[tuple[str | None, str | None], tuple[Route, ...]] | None = None,
) -> tuple[Route, ...]:
    """The call's routes; none when no workspace owns either party.

    With ``memo`` (one per ``owners``), each distinct answer is made once and shared: a batch
    has thousands of calls but a few owned numbers, and a Route a CDR outlives the young
    generations of the garbage collector, whose full collections it would bring on.
    """
    caller_owner = owners.get(caller)
    called_owner = owners.get(called)
    if caller_owner is None and called_owner is None:
        return ()
    if memo is None:
        return _routes(caller_owner, called_owner)
    key = (None if caller_owner is None else caller, None if called_owner is None else called)
    routes = memo.get(key)
    if routes is None:
        routes = memo[key] = _routes(caller_owner, called_owner)
    return routes


def _routes(
    caller_owner: NumberOwner | None, called_owner: NumberOwner | None
) -> tuple[Route, ...]:
    routes = []
    if caller_owner is not None:
        routes.append(Route(caller_owner, OUTGOING))
    if called_owner is not None and (
        caller_owner is None or caller_owner.workspace_id != called_owner.workspace_id
    ):
        routes.append(Route(called_owner, INCOMING))
    return tuple(routes)
