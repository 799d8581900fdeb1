"""Signed queryPage requests, as a client builds them (contract: md5(key + secret + ts))."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from callrec.wire.sign import compute_sign

QUERY_PAGE_PATH = "/v3/number/record/queryPage"  # the contract's route
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
MICROS = 1_000_000
PAGE_PLACEHOLDER = "__PAGE__"  # where wrk's Lua script puts a page number


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window of start times, ``[start_us, end_us)``."""

    start_us: int
    end_us: int

    @property
    def days(self) -> float:
        return (self.end_us - self.start_us) / (86_400 * MICROS)


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: str
    secret: str

    def headers(self, now: int | None = None) -> dict[str, str]:
        """Headers valid for the server's timestamp tolerance (1800 s) from ``now``."""
        timestamp = str(int(time.time()) if now is None else now)
        return {
            "Content-Type": JSON_CONTENT_TYPE,
            "Api-Key": self.api_key,
            "Timestamp": timestamp,
            "Sign": compute_sign(self.api_key, self.secret, timestamp),
        }


def iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / MICROS, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def page_body(window: Window, current: int | str, size: int = 100) -> bytes:
    params = {"strTime": iso(window.start_us), "endTime": iso(window.end_us)}
    text = json.dumps({"current": current, "size": size, "params": params}, separators=(",", ":"))
    return text.encode()


def page_body_template(window: Window, size: int = 100) -> str:
    """The body with the page number left as a placeholder (a bare JSON integer once set)."""
    return (
        page_body(window, PAGE_PLACEHOLDER, size)
        .decode()
        .replace(f'"{PAGE_PLACEHOLDER}"', PAGE_PLACEHOLDER)
    )


def fresh_window_template(size: int = 100) -> str:
    """Page 1 with the window's bounds left as ``__STR__`` and ``__END__`` (wrk sets them)."""
    params = {"strTime": "__STR__", "endTime": "__END__"}
    return json.dumps({"current": 1, "size": size, "params": params}, separators=(",", ":"))
