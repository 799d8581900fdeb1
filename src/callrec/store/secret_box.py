"""Secrets at rest: API and push secrets sealed under a master key, opened in one place.

The vendor's md5 sign and the push HMAC both need the plain secret, so secrets cannot be
stored as one-way hashes. With ``CALLREC_MASTER_KEY`` set (32 random bytes, base64) they are
sealed with AES-256-GCM; the stored value is versioned so plain (legacy) and sealed ones can
sit side by side until ``callrec secrets rotate`` seals them all:

- ``plain:<secret>``: stored as given (no master key when it was written);
- ``v1:<key id>:<base64url(nonce || ciphertext || tag)>``: AES-256-GCM, 12-byte random nonce,
  the row it belongs to (``context``) as associated data, so a sealed value copied onto
  another row does not open there. The key id (8 hex digits of a SHA-256 of the key) names
  the key without revealing it, so a missing or wrong key is reported before any decryption.

Every read of a stored secret goes through :func:`SecretBox.reveal`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from callrec.settings import SettingsError

MASTER_KEY_VARIABLE = "CALLREC_MASTER_KEY"
MASTER_KEY_FILE_VARIABLE = "CALLREC_MASTER_KEY_FILE"
PLAIN_PREFIX = "plain:"
SEALED_PREFIX = "v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class MasterKeyError(SettingsError):
    """The master key is missing, malformed or not the one a secret was sealed with."""


@dataclass(frozen=True, slots=True)
class MasterKey:
    material: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"callrec master key id\0" + self.material).hexdigest()[:8]

    @classmethod
    def parse(cls, text: str, variable: str = MASTER_KEY_VARIABLE) -> MasterKey:
        """32 bytes in base64 (standard or URL-safe alphabet, padding optional)."""
        cleaned = text.strip().replace("-", "+").replace("_", "/")
        try:
            material = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MasterKeyError(
                f"{variable} is not base64; make one with `callrec secrets new-key`"
            ) from exc
        if len(material) != KEY_BYTES:
            raise MasterKeyError(
                f"{variable} must be {KEY_BYTES} bytes in base64, got {len(material)} bytes; "
                "make one with `callrec secrets new-key`"
            )
        return cls(material)


def new_master_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def sealed_key_id(stored: str) -> str | None:
    """The key id a stored value was sealed under; None for a plain value."""
    if stored.startswith(SEALED_PREFIX):
        return stored[len(SEALED_PREFIX) :].split(":", 1)[0]
    return None


class SecretBox:
    """Seals secrets for storage under the master key (if any) and reveals stored ones."""

    def __init__(self, key: MasterKey | None) -> None:
        self.key = key
        self._cipher = AESGCM(key.material) if key is not None else None

    @property
    def key_id(self) -> str | None:
        return None if self.key is None else self.key.key_id

    def seal(self, plain: str, context: str) -> str:
        if self._cipher is None or self.key is None:
            return PLAIN_PREFIX + plain
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher.encrypt(nonce, plain.encode("utf-8"), context.encode("utf-8"))
        encoded = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{SEALED_PREFIX}{self.key.key_id}:{encoded}"

    def reveal(self, stored: str, context: str) -> str:
        """The plain secret of a stored value; MasterKeyError names what is wrong."""
        if stored.startswith(PLAIN_PREFIX):
            return stored[len(PLAIN_PREFIX) :]
        key_id = sealed_key_id(stored)
        if key_id is None:
            raise MasterKeyError(
                f"stored secret for {context} has no version prefix; run `callrec db upgrade`"
            )
        if self._cipher is None:
            raise MasterKeyError(
                f"{MASTER_KEY_VARIABLE} is not set, but secrets are encrypted "
                f"(under key id {key_id})"
            )
        if key_id != self.key_id:
            raise MasterKeyError(
                f"{MASTER_KEY_VARIABLE} (key id {self.key_id}) is not the key the secrets were "
                f"encrypted with (key id {key_id})"
            )
        try:
            raw = base64.urlsafe_b64decode(stored.rsplit(":", 1)[1])
            plain = self._cipher.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8")
            )
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise MasterKeyError(
                f"stored secret for {context} does not decrypt under {MASTER_KEY_VARIABLE} "
                "(altered, or moved from another row)"
            ) from exc
        return plain.decode("utf-8")


@functools.lru_cache(maxsize=4)
def _box_for(text: str) -> SecretBox:
    return SecretBox(MasterKey.parse(text) if text else None)


def master_key_text(env: Mapping[str, str] | None = None) -> str:
    """``CALLREC_MASTER_KEY``, or the content of the file ``CALLREC_MASTER_KEY_FILE`` names."""
    env = os.environ if env is None else env
    text = env.get(MASTER_KEY_VARIABLE, "").strip()
    path = env.get(MASTER_KEY_FILE_VARIABLE, "").strip()
    if text or not path:
        return text
    return _key_file_text(path)


@functools.lru_cache(maxsize=4)
def _key_file_text(path: str) -> str:
    """Read once per process: credentials are opened on the query path, per request."""
    try:
        with open(path, encoding="ascii") as file:
            return file.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"{MASTER_KEY_FILE_VARIABLE}: cannot read {path!r}: {exc}") from exc


def box_from_env(env: Mapping[str, str] | None = None) -> SecretBox:
    """The box for this process's master key (no key: new secrets are stored plain)."""
    return _box_for(master_key_text(env))


def api_key_context(api_key: str) -> str:
    return f"api_keys:{api_key}"


def push_target_context(workspace_id: int) -> str:
    return f"push_targets:{workspace_id}"


def idempotency_context(token_id: int, key: str) -> str:
    return f"idempotency_keys:{token_id}:{key}"
