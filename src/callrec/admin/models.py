"""The admin API's request and answer bodies, in the contract's camelCase.

Requests refuse unknown members (a typo is a 422 naming it, not a silent no-op). Value rules
(names, currencies, zones, CIDRs) live in callrec.store.accounts, a number's in
callrec.store.numbers, once; the limits
here only bound what is read.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from callrec.store.accounts import MAX_ALLOW_IPS, MAX_WORKSPACE_NAME, WORKSPACE_NAME_PATTERN
from callrec.store.numbers import MAX_APP_ID, MAX_REMARK

T = TypeVar("T")
MAX_GRACE_SECONDS = 30 * 24 * 3600


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


Name = Field(min_length=1, max_length=MAX_WORKSPACE_NAME)
# What callrec.store.accounts accepts for a new name, stated for the OpenAPI document:
# printable, no "/" (names are path segments), no surrounding spaces.
NAME_PATTERN = f"^(?:{WORKSPACE_NAME_PATTERN})$"
CURRENCY_PATTERN = r"^[A-Za-z]{3}$"


class WorkspaceCreate(Body):
    name: str = Field(min_length=1, max_length=MAX_WORKSPACE_NAME, pattern=NAME_PATTERN)
    currency: str = Field("USD", pattern=CURRENCY_PATTERN, description="ISO 4217 code.")
    time_zone: str = Field("UTC", max_length=64, description="IANA zone name.")


class WorkspaceUpdate(Body):
    name: str | None = Field(None, min_length=1, max_length=MAX_WORKSPACE_NAME,
                             pattern=NAME_PATTERN,
                             description="A new name: renames the workspace.")  # fmt: skip
    currency: str | None = Field(None, pattern=CURRENCY_PATTERN)
    time_zone: str | None = Field(None, max_length=64)
    enabled: bool | None = None


class Workspace(Answer):
    name: str
    enabled: bool
    currency: str
    time_zone: str
    created_at: str


AllowIps = Field(default_factory=list, max_length=MAX_ALLOW_IPS,
                 description="Allowed caller CIDRs; empty: any address.")  # fmt: skip


class KeyCreate(Body):
    allow_ips: list[str] = AllowIps
    require_body_signature: bool = False


class KeyUpdate(Body):
    enabled: bool | None = None
    allow_ips: list[str] | None = Field(None, max_length=MAX_ALLOW_IPS)
    require_body_signature: bool | None = None


class KeyRotate(Body):
    grace_seconds: int = Field(
        0, ge=0, le=MAX_GRACE_SECONDS, description="How long the old secret keeps working."
    )


class Key(Answer):
    api_key: str
    workspace: str
    enabled: bool
    allow_ips: list[str]
    require_body_signature: bool
    created_at: str
    previous_secret_valid_until: str | None = None


class KeyWithSecret(Key):
    api_secret: str = Field(description="Shown only in this answer.")


DUE_DATE = "YYYY-MM-DD in the workspace's time zone; null: the rental never expires."


class NumberCreate(Body):
    number: str = Field(max_length=40)
    workspace: str = Name
    app_id: str | None = Field(None, max_length=MAX_APP_ID)
    type: str | None = Field(None, max_length=8, description="MOBILE or FIXED.")
    due_date: str | None = Field(None, max_length=10, description=DUE_DATE)
    auto_renew: bool = False
    disabled: bool = False


class NumberUpdate(Body):
    """Workspace tokens may change appId and remark; the rest is the operator's."""

    app_id: str | None = Field(None, max_length=MAX_APP_ID)
    remark: str = Field("", max_length=MAX_REMARK)
    type: str | None = Field(None, max_length=8, description="MOBILE or FIXED; null clears.")
    due_date: str | None = Field(None, max_length=10, description=DUE_DATE)
    auto_renew: bool = False
    disabled: bool = False


class NumberMove(Body):
    workspace: str = Name


class Number(Answer):
    """callrec.store.numbers.settings_to_dict; ``state`` as the number API spells it:
    3 in use, 4 expired, 5 disabled."""

    number: str
    workspace: str
    app_id: str | None
    type: str | None
    due_date: str | None
    auto_renew: bool
    disabled: bool
    state: int
    out_ip: str
    in_ip: str
    inbound_prefix: str
    remark: str
    enable_voicemail: bool
    voicemail_file_id: str | None
    voicemail_file_name: str | None
    voicemail_max_hangup: int | None


class AuditEntry(Answer):
    id: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any


class Page(Answer, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class Deleted(Answer):
    deleted: str
    purged_records: int = 0


class ProblemDocument(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = Field(None, description="The request member the problem is about.")
    errors: list[dict[str, str]] | None = None
