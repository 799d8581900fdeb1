"""A priced record in the contract's form, to vary one field at a time."""

from __future__ import annotations

from typing import Any

ITEM: dict[str, Any] = {
    "callid": "23101311543100378", "number": "915027021995", "type": "MOBILE",
    "caller": "915027021995", "called": "915027021999", "ccode": "91", "country": "India",
    "callSource": 3, "callDuration": 10, "chargedDuration": 60,
    "startTime": "2024-01-01T09:00:00+08:00", "endTime": "2024-01-01T09:00:10+08:00",
    "pay": "0.012832", "sipCode": "200", "recordingFileUrl": "https://rec.invalid/1.mp3",
    "hangupReason": "NORMAL_CLEARING", "appId": "app-1", "chargedPeriod": "60+60",
    "customerRate": "0.012832", "currency": "EUR", "QuoteExchange": "1.0832",
    "SeptleRate": "0.013900", "SettlePay": "0.013900",
}  # fmt: skip


def item(**changes: Any) -> dict[str, Any]:
    """ITEM with ``changes``; a change to ``...`` removes the key."""
    merged = {**ITEM, **changes}
    return {k: v for k, v in merged.items() if v is not ...}


def usd(**changes: Any) -> dict[str, Any]:
    none = dict.fromkeys(("currency", "QuoteExchange", "SeptleRate", "SettlePay"), ...)
    return item(**{**none, **changes})
