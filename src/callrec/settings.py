"""Service settings, read from ``CALLREC_*`` environment variables.

Every setting is also a ``callrec serve`` flag; the CLI writes flags into the
environment so that worker processes started by uvicorn read the same values.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_DATABASE_URL = "sqlite:///callrec.db"
LOG_FORMATS = ("text", "json")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def parse_networks(value: str, variable: str) -> tuple[IPNetwork, ...]:
    """Parse a comma- or space-separated list of CIDRs (a bare address is a /32 or /128)."""
    networks = []
    for item in value.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise SettingsError(f"{variable}: {item!r} is not an IP address or CIDR") from exc
    return tuple(networks)


def _optional_int(env: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from exc
    if value < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {value}")
    return value


def parse_listen(value: str, variable: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) into its host and port."""
    host, sep, port = value.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{variable}: {value!r} is not host:port (e.g. 127.0.0.1:9108)")
    return host, int(port)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name}: {raw!r} is not on or off (1/0, true/false, yes/no)")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    value = _optional_int(env, name, minimum)
    return default if value is None else value


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timestamp_tolerance: int = 1800
    max_window_days: int = 31
    lookback_days: int | None = None
    lockout_failures: int = 100
    lockout_key_failures: int = 10
    lockout_seconds: int = 600
    trusted_proxies: tuple[IPNetwork, ...] = field(default_factory=tuple)
    deny_ips: tuple[IPNetwork, ...] = field(default_factory=tuple)
    redis_url: str | None = None
    redis_prefix: str = "callrec:"
    page_cache_mb: int = 16
    redis_timeout_ms: int = 200
    redis_breaker_seconds: int = 30
    rate_limit_per_minute: int = 0
    rate_limit_burst: int = 10
    # HTTP limits against hostile and slow peers (docs/operations.md, "Limits on connections").
    max_header_line_bytes: int = 8192
    max_header_bytes: int = 32768
    header_timeout_seconds: float = 10
    body_timeout_seconds: float = 60
    keepalive_timeout_seconds: float = 5
    max_connections: int = 1000
    # Observability (docs/operations.md, "Metrics" and "Logs"); metrics are off by default.
    log_format: str = "text"
    metrics_on_api: bool = False
    metrics_listen: tuple[str, int] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("CALLREC_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            timestamp_tolerance=_int(env, "CALLREC_TIMESTAMP_TOLERANCE", 1800, 0),
            max_window_days=_int(env, "CALLREC_MAX_WINDOW_DAYS", 31, 1),
            lookback_days=_optional_int(env, "CALLREC_LOOKBACK_DAYS", 1),
            lockout_failures=_int(env, "CALLREC_LOCKOUT_FAILURES", 100, 1),
            lockout_key_failures=_int(env, "CALLREC_LOCKOUT_KEY_FAILURES", 10, 1),
            lockout_seconds=_int(env, "CALLREC_LOCKOUT_SECONDS", 600, 1),
            trusted_proxies=parse_networks(
                env.get("CALLREC_TRUSTED_PROXIES", ""), "CALLREC_TRUSTED_PROXIES"
            ),
            deny_ips=parse_networks(env.get("CALLREC_DENY_IPS", ""), "CALLREC_DENY_IPS"),
            redis_url=env.get("CALLREC_REDIS_URL", "").strip() or None,
            redis_prefix=env.get("CALLREC_REDIS_PREFIX", "").strip() or "callrec:",
            page_cache_mb=_int(env, "CALLREC_PAGE_CACHE_MB", 16, 0),
            redis_timeout_ms=_int(env, "CALLREC_REDIS_TIMEOUT_MS", 200, 1),
            redis_breaker_seconds=_int(env, "CALLREC_REDIS_BREAKER_SECONDS", 30, 1),
            rate_limit_per_minute=_int(env, "CALLREC_RATE_LIMIT_PER_MINUTE", 0, 0),
            rate_limit_burst=_int(env, "CALLREC_RATE_LIMIT_BURST", 10, 1),
            max_header_line_bytes=_int(env, "CALLREC_MAX_HEADER_LINE_BYTES", 8192, 256),
            max_header_bytes=_int(env, "CALLREC_MAX_HEADER_BYTES", 32768, 256),
            header_timeout_seconds=_int(env, "CALLREC_HEADER_TIMEOUT", 10, 1),
            body_timeout_seconds=_int(env, "CALLREC_BODY_TIMEOUT", 60, 1),
            keepalive_timeout_seconds=_int(env, "CALLREC_KEEPALIVE_TIMEOUT", 5, 1),
            max_connections=_int(env, "CALLREC_MAX_CONNECTIONS", 1000, 1),
            log_format=log_format_from_env(env),
            metrics_on_api=_flag(env, "CALLREC_METRICS_ON_API"),
            metrics_listen=_optional_listen(env, "CALLREC_METRICS_LISTEN"),
        )

    @property
    def metrics_enabled(self) -> bool:
        return self.metrics_on_api or self.metrics_listen is not None


def _optional_listen(env: Mapping[str, str], name: str) -> tuple[str, int] | None:
    raw = env.get(name, "").strip()
    return parse_listen(raw, name) if raw else None


def log_format_from_env(env: Mapping[str, str] | None = None) -> str:
    """CALLREC_LOG_FORMAT: text (the default) or json; read alone by the CLI's logging."""
    value = (os.environ if env is None else env).get("CALLREC_LOG_FORMAT", "").strip().lower()
    if value not in ("", *LOG_FORMATS):
        raise SettingsError(f"CALLREC_LOG_FORMAT: must be text or json, got {value!r}")
    return value or "text"
