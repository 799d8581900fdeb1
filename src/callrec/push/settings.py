"""The delivery worker's settings, derived from ``callrec.settings.PushVariables``.

The variables (``CALLREC_PUSH_*``), their defaults and bounds are declared once in
``callrec.settings``; here they become the units the worker counts in (whole microseconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from callrec.settings import BY_VARIABLE, PushVariables, SettingsError, read_env

MICROS = 1_000_000
_DEFAULTS = PushVariables()
MAX_BATCH_SIZE = int(BY_VARIABLE["CALLREC_PUSH_BATCH_SIZE"].maximum or 100)


def _micros(seconds: Decimal) -> int:
    return int(seconds * MICROS)


@dataclass(frozen=True, slots=True)
class PushSettings:
    """How deliveries are tried, retried and bounded. Durations are whole microseconds."""

    # Private, loopback and link-local receivers are refused unless the operator allows them.
    allow_private: bool = _DEFAULTS.allow_private
    # Whether `callrec serve` runs a delivery worker in each server process.
    in_serve: bool = _DEFAULTS.in_serve
    retries: int = _DEFAULTS.retries
    retry_interval_us: int = _micros(_DEFAULTS.retry_seconds)
    # Each wait is spread by up to ± this fraction, so failed batches do not retry in step.
    retry_jitter: Decimal = _DEFAULTS.retry_jitter
    # One delivery, from name lookup to the receiver's answer, is abandoned after this.
    timeout_us: int = _micros(_DEFAULTS.timeout_seconds)
    # A claimed batch belongs to its worker this long; a killed worker's batch is claimable
    # again afterwards. Always longer than the timeout.
    lease_us: int = _micros(_DEFAULTS.lease_seconds)
    # How often an idle worker looks for work.
    poll_us: int = _micros(_DEFAULTS.poll_seconds)
    batch_size: int = _DEFAULTS.batch_size
    # Workspaces delivered to at the same time by one worker.
    concurrency: int = _DEFAULTS.concurrency
    # Where `callrec push worker` serves its metrics (the server's are CALLREC_METRICS_*).
    metrics_listen: tuple[str, int] | None = _DEFAULTS.metrics_listen

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
        given = read_env(PushVariables, env)
        if given.lease_seconds <= given.timeout_seconds:
            raise SettingsError(
                "CALLREC_PUSH_LEASE_SECONDS: must be longer than CALLREC_PUSH_TIMEOUT_SECONDS "
                f"({given.timeout_seconds} s), or a batch could be sent twice at once"
            )
        return cls(
            allow_private=given.allow_private,
            in_serve=given.in_serve,
            retries=given.retries,
            retry_interval_us=_micros(given.retry_seconds),
            retry_jitter=given.retry_jitter,
            timeout_us=_micros(given.timeout_seconds),
            lease_us=_micros(given.lease_seconds),
            poll_us=_micros(given.poll_seconds),
            batch_size=given.batch_size,
            concurrency=given.concurrency,
            metrics_listen=given.metrics_listen,
        )
