"""Planning a walk over a window: the server-sized windows it takes, and when a window ends."""

from __future__ import annotations

from dataclasses import dataclass

from callrec.client._models import Page
from callrec.client._seen import Checkpoint, SeenRecords
from callrec.client._windows import Window


@dataclass(frozen=True, slots=True)
class Leg:
    """One window short enough for the server, with its own memory of what it yielded."""

    window: Window
    seen: SeenRecords


def plan_walk(window: Window, max_days: int, checkpoint: Checkpoint | None = None) -> list[Leg]:
    """Consecutive legs covering the window, starting at the checkpoint's second if later."""
    if checkpoint is not None:
        resume = checkpoint.start_time.replace(microsecond=0).astimezone(window.tz)
        if resume >= window.end:
            return []
        if resume > window.start:
            window = Window(resume, window.end)
    legs = [Leg(piece, SeenRecords()) for piece in window.split(max_days)]
    if checkpoint is not None and legs:
        legs[0] = Leg(legs[0].window, SeenRecords(checkpoint))
    return legs


def is_last_page(page: Page, current: int) -> bool:
    """A window is done at the server's last page, or at an empty page (nothing more there)."""
    return not page.records or current >= page.pages
