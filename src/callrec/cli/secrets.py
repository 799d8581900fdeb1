"""``callrec secrets``: the master key that API and push secrets are encrypted under."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from callrec.cli.common import database, err, fail, out, print_json
from callrec.store.secret_box import (
    MASTER_KEY_VARIABLE,
    MasterKey,
    MasterKeyError,
    SecretBox,
    box_from_env,
    new_master_key_text,
)
from callrec.store.secret_rotation import inventory, rotate_secrets

OLD_KEY_VARIABLE = "CALLREC_OLD_MASTER_KEY"

app = typer.Typer(
    rich_markup_mode=None, help="Secrets at rest and the master key.", no_args_is_help=True
)


@app.command("new-key")
def new_key() -> None:
    """Print a new random master key (32 bytes, base64) for CALLREC_MASTER_KEY."""
    out.print(new_master_key_text(), markup=False)


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How many stored secrets are plain and which key ids the others are encrypted under."""
    current = box_from_env().key_id
    with database() as target:
        found = inventory(target)
    if as_json:
        print_json({"plain": found.plain, "encrypted": found.sealed, "currentKeyId": current})
        return
    out.print(f"plain:     {found.plain}", markup=False)
    for key_id, count in sorted(found.sealed.items()):
        mark = " (CALLREC_MASTER_KEY)" if key_id == current else ""
        out.print(f"key {key_id}: {count}{mark}", markup=False)


def _old_box(old_key_file: Path | None, fallback: SecretBox) -> SecretBox:
    if old_key_file is not None:
        try:
            text = old_key_file.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--old-key-file: cannot read {str(old_key_file)!r}: {exc}")
        return SecretBox(MasterKey.parse(text, "--old-key-file"))
    text = os.environ.get(OLD_KEY_VARIABLE, "").strip()
    return SecretBox(MasterKey.parse(text, OLD_KEY_VARIABLE)) if text else fallback


@app.command("rotate")
def rotate(
    old_key_file: Path | None = typer.Option(
        None,
        "--old-key-file",
        help=f"File holding the key secrets are encrypted under now (or set {OLD_KEY_VARIABLE}).",
    ),
    to_plain: bool = typer.Option(
        False, "--to-plain", help="Decrypt every secret instead (to stop using a master key)."
    ),
) -> None:
    """Re-encrypt every API and push secret under CALLREC_MASTER_KEY, in one transaction.

    Plain secrets are encrypted too. Secrets under the old key are read with the key from
    --old-key-file or CALLREC_OLD_MASTER_KEY.
    """
    current = box_from_env()
    new = SecretBox(None) if to_plain else current
    if new.key_id is None and not to_plain:
        fail(f"{MASTER_KEY_VARIABLE} is not set: it is the key to encrypt under")
    # Decrypting to plain: the secrets are under the current key unless told otherwise.
    old = _old_box(old_key_file, current if to_plain else SecretBox(None))
    with database() as target:
        try:
            count = rotate_secrets(target, old, new)
        except MasterKeyError as exc:
            fail(f"{exc}; give the old key with --old-key-file or {OLD_KEY_VARIABLE}")
    where = "stored plain" if new.key_id is None else f"encrypted under key id {new.key_id}"
    err.print(f"{count} secrets {where}", markup=False)
