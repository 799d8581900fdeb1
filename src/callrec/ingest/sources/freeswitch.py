"""FreeSWITCH ``mod_json_cdr`` documents, one call leg each.

What is taken (docs/ingest.md): ``variables.uuid`` as the callid; ``start``/``answer``/
``end`` from the ``*_uepoch`` variables (microseconds), else the ``*_epoch`` ones (``"0"``
answer = never answered); ``billsec`` as the talk time; ``sip_term_status`` as ``sipCode``,
derived from the Q.850 cause when absent (``q850``); ``hangup_cause`` as ``hangupReason``;
``caller_id_number`` and ``destination_number`` from the variables, else from the caller
profile of the first (original) ``callflow`` entry; ``recording_file_url`` when the dialplan
sets it. With ``encode-values`` on (FreeSWITCH's default) every variable value is
URL-encoded, and is decoded here.

B-legs: FreeSWITCH logs both legs of a bridged call, and the B-leg repeats the A-leg. A leg is
a B-leg when another channel originated it: its caller profile carries an ``originator``
section (the test ``mod_json_cdr`` itself applies for ``log-b-leg``), or, on an outbound
channel, the ``originating_leg_uuid`` or ``originator`` variable names the leg that dialed
it. ``bridge_uuid``/``signal_bond`` are set on both legs and tell nothing; ``direction``
alone does not either (an API ``originate`` is outbound and has no A-leg). B-legs are skipped
unless the source keeps them or the call sets ``force_process_cdr``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from callrec.ingest.fields import FieldError
from callrec.ingest.items import Rejected, Skipped, SourceItem
from callrec.ingest.sources import cdr_fields
from callrec.ingest.sources.instants import MAX_EPOCH_SECONDS, MICROS
from callrec.ingest.sources.q850 import sip_code_for
from callrec.model import RawCdr

SOURCE_FILE = "file:freeswitch"
SOURCE_HTTP = "http:freeswitch"
B_LEG_SKIPPED = "B-leg of a bridged call (its A-leg carries the call); skipped"
# switch_true(): what FreeSWITCH itself reads as "on".
_TRUE_WORDS = frozenset({"yes", "on", "true", "t", "enabled", "enable", "active", "allow"})


@dataclass(frozen=True, slots=True)
class FreeswitchOptions:
    encode_values: bool = True  # mod_json_cdr's encode-values, on by default
    keep_b_legs: bool = False
    source: str = SOURCE_FILE


class DocumentError(ValueError):
    """The document is not a mod_json_cdr CDR at all."""


def switch_true(value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if text in _TRUE_WORDS:
        return True
    digits = text.removeprefix("-")
    return digits.isascii() and digits.isdigit() and digits.strip("0") != ""


class _Repeated(list[Any]):
    """The values of a repeated object key, in document order."""


def _keep_repeated_callflow(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Older versions repeat the ``callflow`` key instead of writing an array: keep them all."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        previous = result.get(key)
        if key == "callflow" and key in result:
            result[key] = _Repeated(
                [*previous, value] if isinstance(previous, _Repeated) else [previous, value]
            )
        else:
            result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_document(document: bytes) -> dict[str, Any]:
    try:
        value = json.loads(
            document,
            object_pairs_hook=_keep_repeated_callflow,
            parse_float=Decimal,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise DocumentError("a mod_json_cdr document is a JSON object")
    return value


def callflow_entries(value: object) -> list[dict[str, Any]]:
    """``callflow`` as an array, one object, or (repeated key) several objects or arrays."""
    entries: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            entries.append(item)
        elif isinstance(item, list):
            entries.extend(entry for entry in item if isinstance(entry, dict))
    return entries


def _original_profile(callflow: list[dict[str, Any]]) -> dict[str, Any]:
    """The caller profile the call arrived with: the lowest ``profile_index`` (FreeSWITCH lists
    the newest profile first, so without indexes it is the last entry)."""
    profiles = [(i, e) for i, e in enumerate(callflow) if isinstance(e.get("caller_profile"), dict)]
    if not profiles:
        return {}

    def order(pair: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        position, entry = pair
        index = str(entry.get("profile_index", ""))
        usable = index.isascii() and index.isdigit() and len(index) <= 6
        return (int(index) if usable else 1_000_000, -position)

    return dict(min(profiles, key=order)[1]["caller_profile"])


def _decoded(variables: dict[str, Any], encode_values: bool) -> dict[str, str]:
    result = {}
    for key, value in variables.items():
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        result[key] = unquote(text, errors="replace") if encode_values else text
    return result


def b_leg_evidence(
    variables: dict[str, str], callflow: list[dict[str, Any]], direction: str
) -> str | None:
    """Why this leg is the B-leg of a call another channel originated, or None."""
    for entry in callflow:
        profile = entry.get("caller_profile")
        if isinstance(profile, dict) and profile.get("originator"):
            return "callflow caller_profile.originator"
    if direction == "outbound":
        own = variables.get("uuid", "")
        for name in ("originating_leg_uuid", "originator"):
            value = variables.get(name, "").strip()
            if value and value != own:
                return f"variables.{name}"
    return None


def _instant(variables: dict[str, str], name: str) -> int | None:
    """``<name>_uepoch`` (µs) when present, else ``<name>_epoch`` (s); 0 means "never"."""
    for suffix, scale in (("_uepoch", 1), ("_epoch", MICROS)):
        field = f"variables.{name}{suffix}"
        text = variables.get(name + suffix, "").strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or len(text) > 20:
            raise FieldError(field, f"{text!r} is not epoch {'µs' if scale == 1 else 'seconds'}")
        micros = int(text) * scale
        if micros > MAX_EPOCH_SECONDS * MICROS:
            raise FieldError(field, f"{text} is out of range")
        if micros == 0:
            break
        return micros
    return None


def _required_instant(variables: dict[str, str], name: str) -> int:
    micros = _instant(variables, name)
    if micros is None:
        raise FieldError(f"variables.{name}_epoch", "is required")
    return micros


def _q850(variables: dict[str, str]) -> int | None:
    text = variables.get("hangup_cause_q850", "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None


def _sip_code(variables: dict[str, str], answered: bool) -> str | None:
    try:
        reported = cdr_fields.sip_status(
            variables.get("sip_term_status"), "variables.sip_term_status"
        )
    except FieldError:
        reported = None  # not a status code: derive one rather than lose the call
    if reported is not None:
        return reported
    return sip_code_for(answered, _q850(variables), variables.get("hangup_cause"))


def _party(variables: dict[str, str], profile: dict[str, Any], name: str, encoded: bool) -> str:
    value = variables.get(name, "").strip()
    if value:
        return value
    fallback = profile.get(name)
    if not isinstance(fallback, str):
        return ""
    return unquote(fallback, errors="replace").strip() if encoded else fallback.strip()


def cdr_from_document(document: dict[str, Any], options: FreeswitchOptions) -> RawCdr | str:
    """The leg's raw CDR, or why it is skipped; raises FieldError naming the unusable field."""
    raw_variables = document.get("variables")
    if not isinstance(raw_variables, dict):
        raise FieldError("variables", "is required: a mod_json_cdr document has a variables object")
    variables = _decoded(raw_variables, options.encode_values)
    callflow = callflow_entries(document.get("callflow"))
    channel_data = document.get("channel_data")
    direction = variables.get("direction", "")
    if not direction and isinstance(channel_data, dict):
        direction = str(channel_data.get("direction", ""))
    evidence = b_leg_evidence(variables, callflow, direction.strip().lower())
    if evidence and not options.keep_b_legs and not switch_true(variables.get("force_process_cdr")):
        return f"{B_LEG_SKIPPED} ({evidence})"
    profile = _original_profile(callflow)
    uuid = variables.get("uuid") or str(profile.get("uuid") or "")
    callid = cdr_fields.callid(uuid, "variables.uuid")
    start_us = _required_instant(variables, "start")
    answer_us = _instant(variables, "answer")
    end_us = _required_instant(variables, "end")
    cdr_fields.in_order(
        start_us,
        answer_us,
        end_us,
        ("variables.start_epoch", "variables.answer_epoch", "variables.end_epoch"),
    )
    talk = cdr_fields.seconds(variables.get("billsec"), "variables.billsec", required=False)
    caller = _party(variables, profile, "caller_id_number", options.encode_values)
    called = _party(variables, profile, "destination_number", options.encode_values)
    return RawCdr(
        callid=callid,
        caller=cdr_fields.party(caller, "variables.caller_id_number", required=False),
        called=cdr_fields.party(called, "variables.destination_number"),
        start_us=start_us,
        answer_us=answer_us,
        end_us=end_us,
        talk_seconds=talk,
        sip_code=_sip_code(variables, answer_us is not None),
        hangup_reason=cdr_fields.hangup_reason(
            variables.get("hangup_cause"), "variables.hangup_cause"
        ),
        recording_url=cdr_fields.recording_url(
            variables.get("recording_file_url"), "variables.recording_file_url"
        ),
        source=options.source,
    )


def parse_document(document: bytes, options: FreeswitchOptions, where: str) -> SourceItem:
    """One document to one item, located as ``where`` (a file name, ``cdr <uuid>``)."""
    try:
        result = cdr_from_document(load_document(document), options)
    except (DocumentError, FieldError) as exc:
        return Rejected(where, str(exc))
    if isinstance(result, str):
        return Skipped(where, result)
    return result


def cdr_files(path: Path) -> list[Path]:
    """A file, or every ``*.json`` file under a directory (mod_json_cdr's log-dir and
    err-log-dir), in name order."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.json") if p.is_file())
    return [path]


def read_cdr_files(
    path: Path, options: FreeswitchOptions, on_file: Callable[[int], None] | None = None
) -> Iterator[SourceItem]:
    """One item per file; ``on_file(size)`` is called after each file is read."""
    root = path if path.is_dir() else path.parent
    for file in cdr_files(path):
        where = str(file.relative_to(root))
        try:
            document = file.read_bytes()
        except OSError as exc:
            yield Rejected(where, f"cannot read the file: {exc.strerror or exc}")
            continue
        if on_file is not None:
            on_file(len(document))
        yield parse_document(document, options, where)
