"""The console's URLs, written in one place (the app is mounted at PREFIX)."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

PREFIX = "/console"
LOGIN = f"{PREFIX}/login"

# The pages of one workspace, in nav order: (path segment, label).
WORKSPACE_PAGES: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("calls", "Calls"),
    ("numbers", "Numbers"),
    ("keys", "API keys"),
    ("webhook", "Webhook"),
)
# The operator's pages, across workspaces: (path segment, label).
OPERATOR_PAGES: tuple[tuple[str, str], ...] = (
    ("workspaces", "Workspaces"),
    ("quarantine", "Quarantine"),
    ("rate-decks", "Rate decks"),
    ("audit", "Audit log"),
)
WORKSPACE_PAGE_KEYS = frozenset(key for key, _ in WORKSPACE_PAGES)


def workspace_url(workspace: str, page: str = "overview") -> str:
    """``/console/w/{workspace}/{page}``; ``page`` may hold more segments (``calls/ID``)."""
    return f"{PREFIX}/w/{quote(workspace, safe='')}/{page}"


def operator_url(page: str) -> str:
    return f"{PREFIX}/{page}"


def safe_next(target: str | None) -> str | None:
    """A login's ``next``: only a path inside the console, never another site."""
    if not target or not target.startswith(PREFIX + "/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return None
    path = target.split("?", 1)[0]
    if posixpath.normpath(path) != path.rstrip("/") and path != PREFIX + "/":
        return None  # dot segments: a browser would resolve them outside the console
    return target
