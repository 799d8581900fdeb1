"""The file store for voicemail greetings: one file per upload in a directory.

Files are named by an opaque id (``secrets.token_hex``), never by the customer's file name,
so a name cannot steer where a file lands. A file is written to a temporary name and renamed
into place, so a reader never sees half a greeting.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path, PurePosixPath

import filetype

from callrec.store.errors import InvalidValue

MAX_GREETING_BYTES = 5 * 1024 * 1024
# The audio types the vendor accepts, by extension, each checked against the content.
GREETING_EXTENSIONS = ("mp3", "wav", "m4a")
AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4"}
MAX_FILE_NAME = 255  # numbers.voicemail_file_name
_FILE_ID = re.compile(r"[0-9a-f]{32}")


def greeting_extension(file_name: str) -> str:
    """The file name's audio extension (lower case), or ``InvalidValue`` naming the field."""
    if not file_name or len(file_name) > MAX_FILE_NAME:
        raise InvalidValue(
            f"must be a file name of 1 to {MAX_FILE_NAME} characters", "voicemailFileName"
        )
    if "/" in file_name or "\\" in file_name or not file_name.isprintable():
        raise InvalidValue("must be a bare file name, without a path", "voicemailFileName")
    extension = PurePosixPath(file_name).suffix.lower().removeprefix(".")
    if extension not in GREETING_EXTENSIONS:
        raise InvalidValue("must end in .mp3, .wav or .m4a", "voicemailFileName")
    return extension


def decoded_size(text: str) -> int:
    """The size base64 ``text`` decodes to, known before decoding a byte of it."""
    padding = len(text) - len(text.rstrip("="))
    return len(text) // 4 * 3 - min(padding, 2)


def decode_greeting(text: str, file_name: str) -> bytes:
    """The greeting's audio bytes: base64, at most MAX_GREETING_BYTES, and of the type its
    name says judged by its content (filetype's signatures), not by the name alone."""
    extension = greeting_extension(file_name)
    if len(text) % 4 or not text:
        raise InvalidValue("is not base64", "voicemailFile")
    if decoded_size(text) > MAX_GREETING_BYTES:
        raise InvalidValue(
            f"is larger than {MAX_GREETING_BYTES} bytes ({MAX_GREETING_BYTES // 1024 // 1024} MiB)",
            "voicemailFile",
        )
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidValue("is not base64", "voicemailFile") from exc
    detected = filetype.audio_match(content)
    if detected is None or detected.extension != extension:
        found = f"{detected.extension} audio" if detected else "no mp3, wav or m4a audio"
        raise InvalidValue(
            f"content is {found}, not the {extension} its file name says", "voicemailFile"
        )
    return content


class GreetingStore:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path_of(self, file_id: str) -> Path | None:
        """Where the file with this id would be; None for a string that is no file id."""
        if not _FILE_ID.fullmatch(file_id):
            return None
        return self.directory / file_id

    def save(self, content: bytes) -> str:
        """Store ``content`` under a new id and return the id."""
        self.directory.mkdir(parents=True, exist_ok=True)
        file_id = secrets.token_hex(16)
        final = self.directory / file_id
        partial = self.directory / f".{file_id}.partial"
        with open(partial, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(final)
        return file_id

    def read(self, file_id: str) -> bytes | None:
        path = self.path_of(file_id)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, file_id: str) -> None:
        path = self.path_of(file_id)
        if path is not None:
            path.unlink(missing_ok=True)
