"""Every ``CALLREC_*`` setting, declared once: variable, type, default, bounds and help.

The rule (README, docs/operations.md): every setting is an environment variable and a
``callrec serve`` flag, and the flag wins. A setting is one ``setting(...)`` field below: the
``Settings`` (server) and ``PushVariables`` (delivery) dataclasses take their fields, defaults
and parsing from it, ``callrec serve`` generates its flags from ``SETTINGS``, and a test checks
that every ``CALLREC_*`` variable read in ``src/`` is here and documented. The few variables
that are not server settings (the client's, the master key) are in ``OTHER_VARIABLES``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_DATABASE_URL = "sqlite:///callrec.db"
_SETTING = "callrec.setting"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
LOG_FORMATS = ("text", "json")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


class Kind(Enum):
    """How a setting's text becomes a value."""

    TEXT = "text"  # a string; empty means the default
    WHOLE = "whole"  # an integer within [minimum, maximum]
    DECIMAL = "decimal"  # a decimal number within [minimum, maximum], fractions allowed
    SWITCH = "switch"  # 1/true/yes/on or 0/false/no/off
    NETWORKS = "networks"  # comma- or space-separated CIDRs
    LISTEN = "listen"  # host:port ([v6]:port for IPv6)


@dataclass(frozen=True, slots=True)
class Setting:
    """One ``CALLREC_*`` variable. ``flag`` is None for the few that are never flags."""

    variable: str
    default: Any
    help: str
    kind: Kind = Kind.TEXT
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    flag: str | None = (
        ""  # "": derived from the variable (CALLREC_LOCKOUT_SECONDS: --lockout-seconds)
    )
    choices: tuple[str, ...] = ()  # TEXT only: the values allowed, compared in lower case

    @property
    def option(self) -> str | None:
        """The ``callrec serve`` flag, or None when the setting is an environment variable only."""
        if self.flag is None:
            return None
        return self.flag or "--" + self.variable.removeprefix("CALLREC_").lower().replace("_", "-")

    def read(self, env: Mapping[str, str]) -> Any:
        """This setting's value in ``env``: the default when unset or empty."""
        raw = env.get(self.variable, "").strip()
        if not raw:
            return self.default
        return _PARSERS[self.kind](self, raw)

    def fail(self, problem: str) -> SettingsError:
        return SettingsError(f"{self.variable}: {problem}")


def _whole(setting: Setting, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise setting.fail(f"{raw!r} is not a whole number") from exc
    _check_bounds(setting, value)
    return value


def _decimal(setting: Setting, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise setting.fail(f"{raw!r} is not a number") from exc
    if not value.is_finite():
        raise setting.fail(f"{raw!r} is not a number")
    _check_bounds(setting, value)
    return value


def _check_bounds(setting: Setting, value: int | Decimal) -> None:
    low, high = setting.minimum, setting.maximum
    if low is not None and high is not None and not low <= value <= high:
        raise setting.fail(f"must be between {low} and {high}, got {value}")
    if low is not None and value < low:
        raise setting.fail(f"must be at least {low}, got {value}")
    if high is not None and value > high:
        raise setting.fail(f"must be at most {high}, got {value}")


def _switch(setting: Setting, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise setting.fail(f"{raw!r} is not one of 1, true, yes, on, 0, false, no, off")


def _networks(setting: Setting, raw: str) -> tuple[IPNetwork, ...]:
    return parse_networks(raw, setting.variable)


def _text(setting: Setting, raw: str) -> str:
    if not setting.choices:
        return raw
    if raw.lower() not in setting.choices:
        raise setting.fail(f"must be {' or '.join(setting.choices)}, got {raw!r}")
    return raw.lower()


def parse_listen(value: str, variable: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) into its host and port."""
    host, sep, port = value.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{variable}: {value!r} is not host:port (e.g. 127.0.0.1:9108)")
    return host, int(port)


_PARSERS: dict[Kind, Callable[[Setting, str], Any]] = {
    Kind.TEXT: _text,
    Kind.WHOLE: _whole,
    Kind.DECIMAL: _decimal,
    Kind.SWITCH: _switch,
    Kind.NETWORKS: _networks,
    Kind.LISTEN: lambda setting, raw: parse_listen(raw, setting.variable),
}


def parse_networks(value: str, variable: str) -> tuple[IPNetwork, ...]:
    """Parse a comma- or space-separated list of CIDRs (a bare address is a /32 or /128)."""
    networks = []
    for item in value.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise SettingsError(f"{variable}: {item!r} is not an IP address or CIDR") from exc
    return tuple(networks)


def setting(
    variable: str,
    default: Any,
    help: str,
    kind: Kind = Kind.TEXT,
    *,
    minimum: int | Decimal | None = None,
    maximum: int | Decimal | None = None,
    flag: str | None = "",
    choices: tuple[str, ...] = (),
) -> Any:
    """A dataclass field that is also an entry of the settings table."""
    entry = Setting(variable, default, help, kind, minimum, maximum, flag, choices)
    return field(default=default, metadata={_SETTING: entry})


def table(cls: type) -> tuple[Setting, ...]:
    """The settings a ``setting(...)``-declared dataclass holds, in declaration order."""
    return tuple(f.metadata[_SETTING] for f in fields(cls))


_T = TypeVar("_T")


def read_env(cls: type[_T], env: Mapping[str, str] | None = None) -> _T:
    """An instance of ``cls`` with every field read from ``env`` (default: the environment)."""
    env = os.environ if env is None else env
    return cls(**{f.name: f.metadata[_SETTING].read(env) for f in fields(cls)})  # type: ignore[arg-type]


WHOLE, DECIMAL, SWITCH, NETWORKS, LISTEN = (
    Kind.WHOLE,
    Kind.DECIMAL,
    Kind.SWITCH,
    Kind.NETWORKS,
    Kind.LISTEN,
)


@dataclass(frozen=True, slots=True)
class Settings:
    """The server's settings (API, guard, HTTP limits); ``PushVariables`` has delivery's."""

    database_url: str = setting(
        "CALLREC_DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "SQLAlchemy URL; postgresql://user@host/db uses psycopg 3 (also `callrec --database-url`).",
    )
    host: str = setting("CALLREC_HOST", "127.0.0.1", "Address to listen on.")
    port: int = setting("CALLREC_PORT", 8080, "Port to listen on.", WHOLE, minimum=0, maximum=65535)
    workers: int = setting("CALLREC_WORKERS", 1, "Server processes.", WHOLE, minimum=1)
    log_level: str = setting(
        "CALLREC_LOG_LEVEL",
        "info",
        "Level of callrec's and uvicorn's log lines (critical, error, warning, info, debug).",
    )
    timestamp_tolerance: int = setting(
        "CALLREC_TIMESTAMP_TOLERANCE",
        1800,
        "Seconds a request's Timestamp may differ from the server's clock (-16 beyond).",
        WHOLE,
        minimum=0,
    )
    max_window_days: int = setting(
        "CALLREC_MAX_WINDOW_DAYS",
        31,
        "Longest strTime..endTime window in days (-25 beyond).",
        WHOLE,
        minimum=1,
    )
    lookback_days: int | None = setting(
        "CALLREC_LOOKBACK_DAYS",
        None,
        "How many days back strTime may reach (-25 beyond); unset: no limit.",
        WHOLE,
        minimum=1,
    )
    lockout_failures: int = setting(
        "CALLREC_LOCKOUT_FAILURES",
        100,
        "Failed signatures from one IPv4 address or IPv6 /64 within the lockout window that "
        "lock it out (-2).",
        WHOLE,
        minimum=1,
    )
    lockout_key_failures: int = setting(
        "CALLREC_LOCKOUT_KEY_FAILURES",
        10,
        "Failed signatures naming one Api-Key from one address (or /64) within the window that "
        "lock out that key from there (-2).",
        WHOLE,
        minimum=1,
    )
    lockout_seconds: int = setting(
        "CALLREC_LOCKOUT_SECONDS",
        600,
        "The lockout's sliding window, in seconds.",
        WHOLE,
        minimum=1,
    )
    trusted_proxies: tuple[IPNetwork, ...] = setting(
        "CALLREC_TRUSTED_PROXIES",
        (),
        "CIDRs of proxies whose X-Forwarded-For is believed (comma-separated).",
        NETWORKS,
    )
    deny_ips: tuple[IPNetwork, ...] = setting(
        "CALLREC_DENY_IPS", (), "CIDRs that always get -2 (comma-separated).", NETWORKS
    )
    redis_url: str | None = setting(
        "CALLREC_REDIS_URL",
        None,
        "Redis for state shared by all server processes (lockout, rate limit); unset: "
        "in-process memory.",
    )
    redis_prefix: str = setting(
        "CALLREC_REDIS_PREFIX",
        "callrec:",
        "Prefix of callrec's Redis keys, for deployments sharing one Redis.",
    )
    page_cache_mb: int = setting(
        "CALLREC_PAGE_CACHE_MB",
        16,
        "Memory per server process for cached answers (0 turns the cache off).",
        WHOLE,
        minimum=0,
    )
    redis_timeout_ms: int = setting(
        "CALLREC_REDIS_TIMEOUT_MS",
        200,
        "Longest wait for one Redis call; beyond it the lockout and rate limit fail open.",
        WHOLE,
        minimum=1,
    )
    redis_breaker_seconds: int = setting(
        "CALLREC_REDIS_BREAKER_SECONDS",
        30,
        "After 3 failed Redis calls in a row, skip Redis this long before trying again.",
        WHOLE,
        minimum=1,
    )
    rate_limit_per_minute: int = setting(
        "CALLREC_RATE_LIMIT_PER_MINUTE",
        0,
        "Requests per minute each API key may make (-15 beyond); 0 turns the limit off.",
        WHOLE,
        minimum=0,
    )
    rate_limit_burst: int = setting(
        "CALLREC_RATE_LIMIT_BURST",
        10,
        "Requests a key may make at once before the per-minute rate applies.",
        WHOLE,
        minimum=1,
    )
    master_key_file: str | None = setting(
        "CALLREC_MASTER_KEY_FILE",
        None,
        "File holding the master key that secrets are encrypted under (or CALLREC_MASTER_KEY).",
    )
    # HTTP limits against hostile and slow peers (docs/operations.md, "Limits on connections").
    max_header_line_bytes: int = setting(
        "CALLREC_MAX_HEADER_LINE_BYTES",
        8192,
        "Longest request line or header line (431 beyond).",
        WHOLE,
        minimum=256,
    )
    max_header_bytes: int = setting(
        "CALLREC_MAX_HEADER_BYTES",
        32768,
        "Largest request head, request line and headers together (431 beyond).",
        WHOLE,
        minimum=256,
    )
    header_timeout_seconds: float = setting(
        "CALLREC_HEADER_TIMEOUT",
        10,
        "Seconds a new connection or request has to deliver its whole head (408 and close).",
        WHOLE,
        minimum=1,
    )
    body_timeout_seconds: float = setting(
        "CALLREC_BODY_TIMEOUT",
        60,
        "Seconds a request has to deliver its whole body after its head (408 and close).",
        WHOLE,
        minimum=1,
    )
    keepalive_timeout_seconds: float = setting(
        "CALLREC_KEEPALIVE_TIMEOUT",
        5,
        "Seconds an idle keep-alive connection stays open between requests.",
        WHOLE,
        minimum=1,
    )
    max_connections: int = setting(
        "CALLREC_MAX_CONNECTIONS",
        1000,
        "Open connections per server process; beyond it new ones get 503 and are closed.",
        WHOLE,
        minimum=1,
    )
    # Voicemail greetings uploaded through /v3/number/edit (callrec.store.greetings).
    files_dir: str = setting(
        "CALLREC_FILES_DIR",
        "callrec-files",
        "Directory for uploaded files (voicemail greetings from /v3/number/edit).",
    )
    # Observability (docs/operations.md, "Metrics" and "Logs"); metrics are off by default.
    log_format: str = setting(
        "CALLREC_LOG_FORMAT",
        "text",
        "Log lines as text or json (one object per line); every request is logged once.",
        choices=LOG_FORMATS,
    )
    metrics_on_api: bool = setting(
        "CALLREC_METRICS_ON_API",
        False,
        "Serve Prometheus metrics at /metrics on the API's own address (off by default).",
        SWITCH,
    )
    metrics_listen: tuple[str, int] | None = setting(
        "CALLREC_METRICS_LISTEN",
        None,
        "Serve Prometheus metrics at /metrics on this separate host:port only "
        "(e.g. 127.0.0.1:9108); unset: no separate listener.",
        LISTEN,
    )
    # The web console's sessions (docs/console.md).
    console_idle_minutes: int = setting(
        "CALLREC_CONSOLE_IDLE_MINUTES",
        30,
        "A console session ends after this many minutes without a request.",
        WHOLE,
        minimum=1,
        maximum=7 * 24 * 60,
    )
    console_session_hours: int = setting(
        "CALLREC_CONSOLE_SESSION_HOURS",
        12,
        "A console session ends this many hours after login, however busy.",
        WHOLE,
        minimum=1,
        maximum=30 * 24,
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        return read_env(cls, env)

    @property
    def metrics_enabled(self) -> bool:
        return self.metrics_on_api or self.metrics_listen is not None


@dataclass(frozen=True, slots=True)
class PushVariables:
    """Push delivery's settings as the operator writes them; ``push.settings`` derives from it."""

    allow_private: bool = setting(
        "CALLREC_PUSH_ALLOW_PRIVATE",
        False,
        "Allow receivers at loopback, private and link-local addresses.",
        SWITCH,
    )
    in_serve: bool = setting(
        "CALLREC_PUSH_IN_SERVE",
        True,
        "Run a push delivery worker in each server process (docs/push.md).",
        SWITCH,
        flag="--push-worker/--no-push-worker",
    )
    # The vendor's platform retries 3 times, 30 minutes apart.
    retries: int = setting(
        "CALLREC_PUSH_RETRIES",
        3,
        "Tries after the first before a batch is parked.",
        WHOLE,
        minimum=0,
        maximum=1000,
    )
    retry_seconds: Decimal = setting(
        "CALLREC_PUSH_RETRY_SECONDS",
        Decimal(1800),
        "Wait before each retry, in seconds; fractions allowed.",
        DECIMAL,
        minimum=0,
    )
    retry_jitter: Decimal = setting(
        "CALLREC_PUSH_RETRY_JITTER",
        Decimal("0.1"),
        "Each wait is spread by up to plus or minus this fraction (0 to 1).",
        DECIMAL,
        minimum=0,
        maximum=1,
    )
    timeout_seconds: Decimal = setting(
        "CALLREC_PUSH_TIMEOUT_SECONDS",
        Decimal(10),
        "One delivery, from name lookup to the complete answer, in seconds.",
        DECIMAL,
        minimum=Decimal("0.001"),
    )
    lease_seconds: Decimal = setting(
        "CALLREC_PUSH_LEASE_SECONDS",
        Decimal(120),
        "How long a claimed batch belongs to its worker, in seconds; longer than the timeout.",
        DECIMAL,
        minimum=Decimal("0.001"),
    )
    poll_seconds: Decimal = setting(
        "CALLREC_PUSH_POLL_SECONDS",
        Decimal(1),
        "How often an idle worker looks for new records, in seconds.",
        DECIMAL,
        minimum=Decimal("0.001"),
    )
    batch_size: int = setting(
        "CALLREC_PUSH_BATCH_SIZE", 100, "Most records in one push.", WHOLE, minimum=1, maximum=100
    )
    concurrency: int = setting(
        "CALLREC_PUSH_CONCURRENCY",
        32,
        "Workspaces one worker delivers to at the same time.",
        WHOLE,
        minimum=1,
        maximum=10_000,
    )


# Variables that are not server settings, so not `callrec serve` flags.
OTHER_VARIABLES: tuple[Setting, ...] = (
    # A secret on a command line is visible to every user of the machine (ps, /proc).
    Setting("CALLREC_MASTER_KEY", None, "The master key itself (base64).", flag=None),
    Setting(
        "CALLREC_OLD_MASTER_KEY",
        None,
        "The previous master key, for `callrec secrets rotate`.",
        flag=None,
    ),
    Setting("CALLREC_DEBUG", None, "Any value: the CLI shows tracebacks.", flag=None),
    Setting("CALLREC_BASE_URL", None, "The server client commands ask.", flag=None),
    Setting("CALLREC_API_KEY", None, "The API key client commands sign with.", flag=None),
    Setting("CALLREC_API_SECRET", None, "The API secret client commands sign with.", flag=None),
    # Scripts set console users' passwords without a terminal; never a flag (ps shows those).
    Setting(
        "CALLREC_USER_PASSWORD",
        None,
        "The password `callrec user create` and `user password` set, instead of asking.",
        flag=None,
    ),
)

SETTINGS: tuple[Setting, ...] = table(Settings) + table(PushVariables) + OTHER_VARIABLES
BY_VARIABLE: dict[str, Setting] = {entry.variable: entry for entry in SETTINGS}


def log_format_from_env(env: Mapping[str, str] | None = None) -> str:
    """CALLREC_LOG_FORMAT alone, for the CLI's logging before any other setting is read."""
    return str(BY_VARIABLE["CALLREC_LOG_FORMAT"].read(os.environ if env is None else env))
