"""``callrec serve``: run the API. Every flag is also a CALLREC_* environment variable."""

from __future__ import annotations

import logging
import os
import socket

import typer

from callrec.cli.common import database, engine, fail
from callrec.observability.logs import configure_logging
from callrec.push.settings import PushSettings
from callrec.settings import Settings
from callrec.store.secret_box import box_from_env
from callrec.store.secret_rotation import check_master_key


def _env_option(default: object, flag: str, variable: str, help_text: str) -> object:
    return typer.Option(default, flag, envvar=variable, help=help_text, show_envvar=True)


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    if not isinstance(level, int):
        fail(f"--log-level: {name!r} is not one of critical, error, warning, info, debug")
    return level


def _check_port_free(host: str, port: int) -> None:
    """Say so in one line when the address is taken, before uvicorn's multi-line story."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes."),
    timestamp_tolerance: int = _env_option(
        1800,
        "--timestamp-tolerance",
        "CALLREC_TIMESTAMP_TOLERANCE",
        "Seconds a request's Timestamp may differ from the server's clock (-16 beyond).",
    ),
    max_window_days: int = _env_option(
        31,
        "--max-window-days",
        "CALLREC_MAX_WINDOW_DAYS",
        "Longest strTime..endTime window in days (-25 beyond).",
    ),
    lookback_days: int | None = _env_option(
        None,
        "--lookback-days",
        "CALLREC_LOOKBACK_DAYS",
        "How many days back strTime may reach (-25 beyond); unset: no limit.",
    ),
    lockout_failures: int = _env_option(
        100,
        "--lockout-failures",
        "CALLREC_LOCKOUT_FAILURES",
        "Failed signatures from one IPv4 address or IPv6 /64 within the lockout window that "
        "lock it out (-2).",
    ),
    lockout_key_failures: int = _env_option(
        10,
        "--lockout-key-failures",
        "CALLREC_LOCKOUT_KEY_FAILURES",
        "Failed signatures naming one Api-Key from one address (or /64) within the window that "
        "lock out that key from there (-2).",
    ),
    lockout_seconds: int = _env_option(
        600, "--lockout-seconds", "CALLREC_LOCKOUT_SECONDS", "The lockout window, in seconds."
    ),
    trusted_proxies: str = _env_option(
        "",
        "--trusted-proxies",
        "CALLREC_TRUSTED_PROXIES",
        "CIDRs of proxies whose X-Forwarded-For is believed (comma-separated).",
    ),
    deny_ips: str = _env_option(
        "", "--deny-ips", "CALLREC_DENY_IPS", "CIDRs that always get -2 (comma-separated)."
    ),
    redis_url: str = _env_option(
        "",
        "--redis-url",
        "CALLREC_REDIS_URL",
        "Redis for state shared by all server processes (lockout, rate limit); unset: "
        "in-process memory.",
    ),
    redis_timeout_ms: int = _env_option(
        200,
        "--redis-timeout-ms",
        "CALLREC_REDIS_TIMEOUT_MS",
        "Longest wait for one Redis call; beyond it the lockout and rate limit fail open.",
    ),
    redis_breaker_seconds: int = _env_option(
        30,
        "--redis-breaker-seconds",
        "CALLREC_REDIS_BREAKER_SECONDS",
        "After 3 failed Redis calls in a row, skip Redis this long before trying again.",
    ),
    rate_limit_per_minute: int = _env_option(
        0,
        "--rate-limit-per-minute",
        "CALLREC_RATE_LIMIT_PER_MINUTE",
        "Requests per minute each API key may make (-15 beyond); 0 turns the limit off.",
    ),
    rate_limit_burst: int = _env_option(
        10,
        "--rate-limit-burst",
        "CALLREC_RATE_LIMIT_BURST",
        "Requests a key may make at once before the per-minute rate applies.",
    ),
    push_worker: bool = _env_option(
        True,
        "--push-worker/--no-push-worker",
        "CALLREC_PUSH_IN_SERVE",
        "Run a push delivery worker in each server process (docs/push.md).",
    ),
    page_cache_mb: int = _env_option(
        16,
        "--page-cache-mb",
        "CALLREC_PAGE_CACHE_MB",
        "Memory per server process for cached answers (0 turns the cache off).",
    ),
    master_key_file: str = _env_option(
        "",
        "--master-key-file",
        "CALLREC_MASTER_KEY_FILE",
        "File holding the master key that secrets are encrypted under (or CALLREC_MASTER_KEY).",
    ),
    max_header_line_bytes: int = _env_option(
        8192,
        "--max-header-line-bytes",
        "CALLREC_MAX_HEADER_LINE_BYTES",
        "Longest request line or header line (431 beyond).",
    ),
    max_header_bytes: int = _env_option(
        32768,
        "--max-header-bytes",
        "CALLREC_MAX_HEADER_BYTES",
        "Largest request head, request line and headers together (431 beyond).",
    ),
    header_timeout: int = _env_option(
        10,
        "--header-timeout",
        "CALLREC_HEADER_TIMEOUT",
        "Seconds a new connection or request has to deliver its whole head (408 and close).",
    ),
    body_timeout: int = _env_option(
        60,
        "--body-timeout",
        "CALLREC_BODY_TIMEOUT",
        "Seconds a request has to deliver its whole body after its head (408 and close).",
    ),
    keepalive_timeout: int = _env_option(
        5,
        "--keepalive-timeout",
        "CALLREC_KEEPALIVE_TIMEOUT",
        "Seconds an idle keep-alive connection stays open between requests.",
    ),
    max_connections: int = _env_option(
        1000,
        "--max-connections",
        "CALLREC_MAX_CONNECTIONS",
        "Open connections per server process; beyond it new ones get 503 and are closed.",
    ),
    log_format: str = _env_option(
        "text",
        "--log-format",
        "CALLREC_LOG_FORMAT",
        "Log lines as text or json (one object per line); every request is logged once.",
    ),
    metrics_on_api: bool = _env_option(
        False,
        "--metrics-on-api/--no-metrics-on-api",
        "CALLREC_METRICS_ON_API",
        "Serve Prometheus metrics at /metrics on the API's own address (off by default).",
    ),
    metrics_listen: str = _env_option(
        "",
        "--metrics-listen",
        "CALLREC_METRICS_LISTEN",
        "Serve Prometheus metrics at /metrics on this separate host:port only "
        "(e.g. 127.0.0.1:9108); unset: no separate listener.",
    ),
    log_level: str = typer.Option(
        "info", "--log-level", help="Level for callrec's and uvicorn's log lines."
    ),
) -> None:
    """Serve POST /v3/number/record/queryPage, /healthz and the OpenAPI docs at /docs."""
    values = {
        "CALLREC_TIMESTAMP_TOLERANCE": timestamp_tolerance,
        "CALLREC_MAX_WINDOW_DAYS": max_window_days,
        "CALLREC_LOOKBACK_DAYS": lookback_days,
        "CALLREC_LOCKOUT_FAILURES": lockout_failures,
        "CALLREC_LOCKOUT_KEY_FAILURES": lockout_key_failures,
        "CALLREC_LOCKOUT_SECONDS": lockout_seconds,
        "CALLREC_TRUSTED_PROXIES": trusted_proxies,
        "CALLREC_DENY_IPS": deny_ips,
        "CALLREC_REDIS_URL": redis_url,
        "CALLREC_PAGE_CACHE_MB": page_cache_mb,
        "CALLREC_REDIS_TIMEOUT_MS": redis_timeout_ms,
        "CALLREC_REDIS_BREAKER_SECONDS": redis_breaker_seconds,
        "CALLREC_RATE_LIMIT_PER_MINUTE": rate_limit_per_minute,
        "CALLREC_RATE_LIMIT_BURST": rate_limit_burst,
        "CALLREC_PUSH_IN_SERVE": "1" if push_worker else "0",
        "CALLREC_MASTER_KEY_FILE": master_key_file,
        "CALLREC_MAX_HEADER_LINE_BYTES": max_header_line_bytes,
        "CALLREC_MAX_HEADER_BYTES": max_header_bytes,
        "CALLREC_HEADER_TIMEOUT": header_timeout,
        "CALLREC_BODY_TIMEOUT": body_timeout,
        "CALLREC_KEEPALIVE_TIMEOUT": keepalive_timeout,
        "CALLREC_MAX_CONNECTIONS": max_connections,
        "CALLREC_LOG_FORMAT": log_format,
        "CALLREC_METRICS_ON_API": "1" if metrics_on_api else "0",
        "CALLREC_METRICS_LISTEN": metrics_listen,
    }
    # Worker processes build the app from the environment: hand them the flags through it.
    for variable, value in values.items():
        os.environ[variable] = "" if value is None else str(value)
    PushSettings.from_env()
    settings = Settings.from_env()  # reject bad values here, with the variable's name
    configure_logging(settings.log_format, _level(log_level))
    engine().dispose()  # and a database that is unreachable or not migrated
    with database() as target:  # and stored secrets this master key cannot decrypt
        check_master_key(target, box_from_env())
    _check_port_free(host, port)
    if settings.metrics_listen is not None:
        _check_port_free(*settings.metrics_listen)
    # A log line, so that a JSON log stays all JSON.
    logging.getLogger("callrec.serve").info(
        "callrec serving on http://%s:%d (docs at /docs)", host, port
    )
    # Imported here: the web stack costs every other command ~0.4 s of start-up.
    from callrec.api import server

    server.serve(host, port, workers, log_level)
