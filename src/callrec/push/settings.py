"""The delivery worker's settings, read from ``CALLREC_PUSH_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from callrec.settings import SettingsError

MICROS = 1_000_000
MAX_BATCH_SIZE = 100
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name}: {raw!r} is not one of 1, true, yes, on, 0, false, no, off")


def _whole(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from exc
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}: must be between {minimum} and {maximum}, got {value}")
    return value


def _decimal(env: Mapping[str, str], name: str, default: str) -> Decimal:
    raw = env.get(name, "").strip() or default
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise SettingsError(f"{name}: {raw!r} is not a number") from exc
    if not value.is_finite() or value < 0:
        raise SettingsError(f"{name}: must be a number of at least 0, got {raw!r}")
    return value


def _micros(env: Mapping[str, str], name: str, default: str, minimum_micros: int) -> int:
    """A duration in seconds, fractions allowed (``0.05``), as whole microseconds."""
    value = int(_decimal(env, name, default) * MICROS)
    if value < minimum_micros:
        raise SettingsError(f"{name}: must be at least {Decimal(minimum_micros) / MICROS} s")
    return value


@dataclass(frozen=True, slots=True)
class PushSettings:
    """How deliveries are tried, retried and bounded. Durations are whole microseconds."""

    # Private, loopback and link-local receivers are refused unless the operator allows them.
    allow_private: bool = False
    # Whether `callrec serve` runs a delivery worker in each server process.
    in_serve: bool = True
    # Tries after the first one; the vendor's platform retries 3 times, 30 minutes apart.
    retries: int = 3
    retry_interval_us: int = 1800 * MICROS
    # Each wait is spread by up to ± this fraction, so failed batches do not retry in step.
    retry_jitter: Decimal = Decimal("0.1")
    # One delivery, from name lookup to the receiver's answer, is abandoned after this.
    timeout_us: int = 10 * MICROS
    # A claimed batch belongs to its worker this long; a killed worker's batch is claimable
    # again afterwards. Always longer than the timeout.
    lease_us: int = 120 * MICROS
    # How often an idle worker looks for work.
    poll_us: int = 1 * MICROS
    batch_size: int = MAX_BATCH_SIZE
    # Workspaces delivered to at the same time by one worker.
    concurrency: int = 32

    @property
    def attempts(self) -> int:
        return 1 + self.retries

    @property
    def timeout_seconds(self) -> float:
        return self.timeout_us / MICROS

    @property
    def poll_seconds(self) -> float:
        return self.poll_us / MICROS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PushSettings:
        env = os.environ if env is None else env
        jitter = _decimal(env, "CALLREC_PUSH_RETRY_JITTER", "0.1")
        if jitter > 1:
            raise SettingsError(f"CALLREC_PUSH_RETRY_JITTER: must be 0..1, got {jitter}")
        timeout_us = _micros(env, "CALLREC_PUSH_TIMEOUT_SECONDS", "10", 1000)
        lease_us = _micros(env, "CALLREC_PUSH_LEASE_SECONDS", "120", 1000)
        if lease_us <= timeout_us:
            raise SettingsError(
                "CALLREC_PUSH_LEASE_SECONDS: must be longer than CALLREC_PUSH_TIMEOUT_SECONDS "
                f"({Decimal(timeout_us) / MICROS} s), or a batch could be sent twice at once"
            )
        return cls(
            allow_private=_flag(env, "CALLREC_PUSH_ALLOW_PRIVATE", False),
            in_serve=_flag(env, "CALLREC_PUSH_IN_SERVE", True),
            retries=_whole(env, "CALLREC_PUSH_RETRIES", 3, 0, 1000),
            retry_interval_us=_micros(env, "CALLREC_PUSH_RETRY_SECONDS", "1800", 0),
            retry_jitter=jitter,
            timeout_us=timeout_us,
            lease_us=lease_us,
            poll_us=_micros(env, "CALLREC_PUSH_POLL_SECONDS", "1", 1000),
            batch_size=_whole(env, "CALLREC_PUSH_BATCH_SIZE", MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE),
            concurrency=_whole(env, "CALLREC_PUSH_CONCURRENCY", 32, 1, 10_000),
        )
