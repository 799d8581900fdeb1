"""What every face of the HTTP service shares while it runs: settings, database, guard."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callrec.api.database import DatabaseRunner
from callrec.api.vendor.guard import RequestGuard
from callrec.api.vendor.page_cache import PageCache
from callrec.api.vendor.page_reader import PageReader
from callrec.ingest.pipeline import Pipeline
from callrec.push.settings import PushSettings
from callrec.settings import Settings
from callrec.store.greetings import GreetingStore


@dataclass(frozen=True, slots=True)
class ServiceState:
    settings: Settings
    database: DatabaseRunner  # ingest and health checks (SQLAlchemy, on threads)
    guard: RequestGuard
    pipeline: Pipeline  # one per process, so its rating cache stays warm across requests
    reader: PageReader  # the query path's reads, on the event loop
    pages: PageCache = field(default_factory=PageCache)
    greetings: GreetingStore = field(default_factory=lambda: GreetingStore("callrec-files"))
    # The time that decides a number's state (expired after its due date); tests move it.
    clock: Callable[[], float] = time.time
    # Delivery settings; the admin API checks push URLs by their allow_private rule.
    push: PushSettings = field(default_factory=PushSettings)
