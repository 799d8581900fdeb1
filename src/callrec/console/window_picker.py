"""The window picker the overview and the calls page share: today, yesterday, the last 7
or 30 days, or custom dates, always whole days in the workspace's zone (the rule itself is
callrec.operations.stats.local_window; this is only its form)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from callrec.operations.stats import WINDOW_CHOICES, WINDOW_LABELS, LocalWindow

DEFAULT_WINDOW = "7d"


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    label: str
    url: str
    current: bool


@dataclass(frozen=True, slots=True)
class Picker:
    choices: list[Choice]
    choice: str
    first: str  # the custom form's dates: the shown window's, or what was typed
    last: str
    error: str
    error_field: str
    keep: dict[str, str]  # the page's other parameters, hidden in the custom form


def picker(
    path: str,
    choice: str,
    window: LocalWindow | None,
    first: str | None,
    last: str | None,
    keep: dict[str, str] | None = None,
    error: str = "",
    error_field: str = "",
) -> Picker:
    """The picker for a page at ``path``; ``keep`` holds the page's other parameters (the
    calls page's filters), carried along when another window is picked."""
    keep = keep or {}
    choices = [
        Choice(key, WINDOW_LABELS[key], f"{path}?{urlencode({**keep, 'window': key})}",
               key == choice)
        for key in WINDOW_CHOICES
        if key != "custom"
    ]  # fmt: skip
    return Picker(
        choices=choices,
        choice=choice,
        first=str(window.first_day) if window else (first or "")[:10],
        last=str(window.last_day) if window else (last or "")[:10],
        error=error,
        error_field=error_field,
        keep=keep,
    )
