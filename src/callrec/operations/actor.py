"""Who asks for an operation, and the scope rules every operation applies the same way.

An operator (the CLI, an operator token) sees every workspace. A workspace token sees one:
another workspace's objects are "not found", exactly like objects that do not exist, so ids
cannot be probed. A read-only actor changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from callrec.store.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class Actor:
    name: str  # as the audit log names it: "cli" or "token:NAME"
    workspace_id: int | None = None  # None: every workspace
    read_only: bool = False

    @property
    def is_operator(self) -> bool:
        return self.workspace_id is None

    def sees(self, workspace_id: int | None) -> bool:
        return self.workspace_id is None or self.workspace_id == workspace_id

    def check_sees(self, workspace_id: int | None, missing: str) -> None:
        """``missing`` is the message for an object that does not exist at all."""
        if workspace_id is None or not self.sees(workspace_id):
            raise NotFound(missing)

    def check_may_change(self) -> None:
        if self.read_only:
            raise Forbidden("this token is read-only")

    def check_operator(self, what: str) -> None:
        self.check_may_change()
        if not self.is_operator:
            raise Forbidden(f"only an operator token may {what}")


CLI = Actor("cli")
