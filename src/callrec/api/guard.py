"""The contract's authentication checks, in the contract's order (first match wins).

1. ``-2``  deny list or lockout; 2. ``-1`` missing or malformed headers; 3. ``-16`` timestamp
outside the tolerance; 4. ``-1`` unknown key or wrong sign (one reason for both);
5. ``-30`` key disabled, ``-29`` workspace disabled, ``-31`` IP not in the key's whitelist.
Every ``-1`` counts as a failure for the client IP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callrec.api.client_ip import IPAddress, in_networks
from callrec.api.lockout import FailureTracker
from callrec.settings import Settings
from callrec.store.accounts import KeyCredentials
from callrec.wire.sign import compute_sign, sign_matches
from callrec.wire.status import ContractError, Status

AUTH_FAILED = "authentication failed: unknown Api-Key or wrong Sign"
# Compared against when the key is unknown, so both failures take the same time.
_UNKNOWN_KEY_SECRET = "callrec-unknown-key"


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    api_key: str
    timestamp: str
    sign: str


class RequestGuard:
    def __init__(self, settings: Settings, failures: FailureTracker) -> None:
        self._settings = settings
        self._failures = failures

    def _fail(self, ip: IPAddress | None, reason: str) -> ContractError:
        if ip is not None:
            self._failures.record_failure(str(ip))
        return ContractError(Status.AUTHENTICATION, reason)

    def reject(self, ip: IPAddress | None, reason: str) -> ContractError:
        """A ``-1`` decided outside the guard (the body signature), counted like a bad sign."""
        return self._fail(ip, reason)

    def precheck(
        self, ip: IPAddress | None, headers: Mapping[str, str], now_seconds: int
    ) -> SignedHeaders:
        """The checks that need no database: deny list, lockout, headers, timestamp."""
        if ip is not None and (
            in_networks(ip, self._settings.deny_ips) or self._failures.is_locked_out(str(ip))
        ):
            raise ContractError(Status.IP_RESTRICTED, "IP restricted")
        missing = [name for name in ("Api-Key", "Timestamp", "Sign") if not headers.get(name)]
        if missing:
            raise self._fail(ip, f"missing header: {', '.join(missing)}")
        timestamp = headers["Timestamp"]
        if not (timestamp.isascii() and timestamp.isdigit()):
            raise self._fail(ip, "Timestamp must be Unix time in seconds, as digits")
        # The length guard keeps absurd digit strings away from int() (and its size limit).
        if (
            len(timestamp) > 15
            or abs(now_seconds - int(timestamp)) > self._settings.timestamp_tolerance
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
            raise self._fail(ip, AUTH_FAILED)
        if not credentials.key_enabled:
            raise ContractError(Status.KEY_DISABLED, "API key disabled")
        if not credentials.workspace_enabled:
            raise ContractError(Status.WORKSPACE_DISABLED, "workspace disabled")
        if credentials.allow_ips and (ip is None or not in_networks(ip, credentials.allow_ips)):
            raise ContractError(Status.IP_NOT_WHITELISTED, "IP not in the API key's whitelist")
        return credentials
