"""The contract's authentication checks, in the contract's order (first match wins).

1. ``-2``  deny list or lockout; 2. ``-1`` missing or malformed headers; 3. ``-16`` timestamp
outside the tolerance; 4. ``-1`` unknown key or wrong sign (one reason for both);
5. ``-30`` key disabled, ``-29`` workspace disabled, ``-31`` IP not in the key's whitelist;
6. ``-15`` the key's rate limit, checked only once the sign is verified, so a stranger cannot
spend a customer's requests. Every ``-1`` counts as a failure for the client's network and
for the network with the key it named (lockout.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from callrec.api.breaker import CircuitBreaker
from callrec.api.client_ip import ClientIpResolver, IPAddress, in_networks
from callrec.api.lockout import FailureTracker, lockout_subjects
from callrec.api.rate_limit import RateLimiter
from callrec.observability.metrics import AUTH_FAILURES, GUARD_REFUSALS
from callrec.settings import Settings
from callrec.store.accounts import KeyCredentials
from callrec.wire.sign import compute_sign, sign_matches
from callrec.wire.status import RATE_LIMITED_REASON, ContractError, Status

AUTH_FAILED = "authentication failed: unknown Api-Key or wrong Sign"
# Compared against when the key is unknown, so both failures take the same time.
_UNKNOWN_KEY_SECRET = "callrec-unknown-key"


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    api_key: str
    timestamp: str
    sign: str


class RequestGuard:
    def __init__(
        self,
        settings: Settings,
        failures: FailureTracker,
        limiter: RateLimiter,
        client_ip: ClientIpResolver,
        clock: Callable[[], float] = time.time,
        redis_breaker: CircuitBreaker | None = None,
    ) -> None:
        self._settings = settings
        self._failures = failures
        self.limiter = limiter
        self.client_ip = client_ip
        self._clock = clock
        # Shared by the lockout and the rate limit when they live in Redis; None otherwise.
        self.redis_breaker = redis_breaker

    def reject(self, reason: str) -> ContractError:
        """A ``-1`` decided outside the guard (the body signature): ``count_refusal`` counts it
        toward the lockout like a bad sign."""
        return ContractError(Status.AUTHENTICATION, reason)

    async def precheck(self, ip: IPAddress | None, headers: Mapping[str, str]) -> SignedHeaders:
        """The checks that need no database: deny list, lockout, headers, timestamp."""
        if ip is not None:
            if in_networks(ip, self._settings.deny_ips):
                GUARD_REFUSALS.labels("deny_list").inc()
                raise ContractError(Status.IP_RESTRICTED, "IP restricted")
            if await self._failures.is_locked_out(lockout_subjects(ip, headers.get("Api-Key"))):
                GUARD_REFUSALS.labels("lockout").inc()
                raise ContractError(Status.IP_RESTRICTED, "IP restricted")
        missing = [name for name in ("Api-Key", "Timestamp", "Sign") if not headers.get(name)]
        if missing:
            raise ContractError(Status.AUTHENTICATION, f"missing header: {', '.join(missing)}")
        timestamp = headers["Timestamp"]
        if not (timestamp.isascii() and timestamp.isdigit()):
            raise ContractError(
                Status.AUTHENTICATION, "Timestamp must be Unix time in seconds, as digits"
            )
        # The length guard keeps absurd digit strings away from int() (and its size limit).
        if (
            len(timestamp) > 15
            or abs(int(self._clock()) - int(timestamp)) > self._settings.timestamp_tolerance
        ):
            raise ContractError(
                Status.TIMESTAMP_EXPIRED,
                f"Timestamp is more than {self._settings.timestamp_tolerance} seconds "
                "from the server's time",
            )
        return SignedHeaders(headers["Api-Key"], timestamp, headers["Sign"])

    def verify(
        self, ip: IPAddress | None, signed: SignedHeaders, credentials: KeyCredentials | None
    ) -> KeyCredentials:
        """The checks that need the key's record: sign, then key, workspace and whitelist."""
        secret = credentials.secret if credentials else _UNKNOWN_KEY_SECRET
        expected = compute_sign(signed.api_key, secret, signed.timestamp)
        if not sign_matches(expected, signed.sign) or credentials is None:
            credentials = self._signed_with_previous(signed, credentials)
        if not credentials.key_enabled:
            raise ContractError(Status.KEY_DISABLED, "API key disabled")
        if not credentials.workspace_enabled:
            raise ContractError(Status.WORKSPACE_DISABLED, "workspace disabled")
        if credentials.allow_ips and (ip is None or not in_networks(ip, credentials.allow_ips)):
            raise ContractError(Status.IP_NOT_WHITELISTED, "IP not in the API key's whitelist")
        return credentials

    def _signed_with_previous(
        self, signed: SignedHeaders, credentials: KeyCredentials | None
    ) -> KeyCredentials:
        """A key rotated with a grace period still signs with its old secret until the grace
        ends, judged by this clock on every request: cached credentials cannot outlive it.
        The credentials come back with the secret that signed (the body signature uses it)."""
        if (
            credentials is None
            or credentials.previous_secret is None
            or self._clock() * 1_000_000 >= credentials.previous_secret_until_us
        ):
            raise ContractError(Status.AUTHENTICATION, AUTH_FAILED)
        expected = compute_sign(signed.api_key, credentials.previous_secret, signed.timestamp)
        if not sign_matches(expected, signed.sign):
            raise ContractError(Status.AUTHENTICATION, AUTH_FAILED)
        return replace(credentials, secret=credentials.previous_secret)

    async def admit(self, credentials: KeyCredentials) -> None:
        """The key's rate limit: call only with credentials ``verify`` accepted."""
        if not await self.limiter.admit(credentials.api_key):
            GUARD_REFUSALS.labels("rate_limit").inc()
            raise ContractError(Status.RATE_LIMITED, RATE_LIMITED_REASON)

    async def network_refused(self, ip: IPAddress | None) -> bool:
        """Deny list or lockout of the caller's network: for faces other than queryPage (the
        admin API), which share the lockout with it."""
        return ip is not None and (
            in_networks(ip, self._settings.deny_ips)
            or await self._failures.is_locked_out(lockout_subjects(ip, None))
        )

    async def count_failed_credential(self, ip: IPAddress | None) -> None:
        """A wrong admin token counts against the caller's network like a wrong sign."""
        if ip is not None:
            await self._failures.record_failure(lockout_subjects(ip, None))

    async def count_refusal(
        self, ip: IPAddress | None, headers: Mapping[str, str], error: ContractError
    ) -> None:
        """Count a ``-1`` answer towards the lockout; other answers do not count."""
        if error.status is Status.AUTHENTICATION:
            AUTH_FAILURES.inc()
        if ip is not None and error.status is Status.AUTHENTICATION:
            await self._failures.record_failure(lockout_subjects(ip, headers.get("Api-Key")))
