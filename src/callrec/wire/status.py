"""The contract's status codes. They travel as strings (``"-22"``), never as numbers."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SUCCESS = "0"
    AUTHENTICATION = "-1"
    IP_RESTRICTED = "-2"
    RATE_LIMITED = "-15"
    TIMESTAMP_EXPIRED = "-16"
    SYSTEM_ERROR = "-18"
    DATA_EXISTS = "-20"  # platform-wide; reserved, no endpoint here answers it yet
    PARAMETER_ERROR = "-22"
    DATA_NOT_FOUND = "-24"
    TIME_RANGE = "-25"
    WORKSPACE_DISABLED = "-29"
    KEY_DISABLED = "-30"
    IP_NOT_WHITELISTED = "-31"


# The vendor's published table has no -15 text; this is the platform's wording for it.
RATE_LIMITED_REASON = "query too frequently"
# One reason for a missing number, another workspace's number and a wrong appId, so a caller
# cannot probe which numbers other tenants rent.
DATA_NOT_FOUND_REASON = "data does not exist"


class ContractError(Exception):
    """A request the contract answers with a non-zero status and a reason."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(f"{status.value}: {reason}")
        self.status = status
        self.reason = reason


def parameter_error(reason: str) -> ContractError:
    return ContractError(Status.PARAMETER_ERROR, reason)
