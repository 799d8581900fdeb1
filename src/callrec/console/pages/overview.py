"""The overview pages (filled in by the console-pages work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
