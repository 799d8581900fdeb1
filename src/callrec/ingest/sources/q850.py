"""A SIP final status for a call whose switch did not report one, from its Q.850 cause.

Used when a FreeSWITCH CDR has no ``sip_term_status`` (the call failed before SIP, or the
channel was not SIP). The rules, first match wins (docs/ingest.md):

1. an answered call: ``200``, whatever ended it later;
2. FreeSWITCH's own causes, which it reports with ``hangup_cause_q850`` 16 because Q.850 has
   no number for them: ``ORIGINATOR_CANCEL``, ``LOSE_RACE``, ``PICKED_OFF`` -> ``487``,
   ``USER_NOT_REGISTERED`` -> ``480``, ``GATEWAY_DOWN`` -> ``503``, ``PROGRESS_TIMEOUT`` -> ``408``;
3. the Q.850 cause number through RFC 3398's table (section 8.2.6.1); an unanswered 16
   (normal clearing) ends in a CANCEL, so ``487``;
4. a cause number the table does not list: ``500``, as RFC 3398 does;
5. no cause at all (or cause 0, ``NONE``): unknown (``None``).
"""

from __future__ import annotations

ANSWERED = "200"
NORMAL_CLEARING = 16
UNLISTED_CAUSE = "500"

# RFC 3398 section 8.2.6.1 (ISUP/Q.850 cause -> SIP response); 52 and 54 (calls barred) are
# the Q.850 siblings of 55 and are mapped like it.
Q850_TO_SIP: dict[int, str] = {
    1: "404", 2: "404", 3: "404",
    16: "487",
    17: "486", 18: "408", 19: "480", 20: "480", 21: "403", 22: "410", 23: "410",
    26: "404", 27: "502", 28: "484", 29: "501", 31: "480",
    34: "503", 38: "503", 41: "503", 42: "503", 47: "503",
    52: "403", 54: "403", 55: "403", 57: "403", 58: "503",
    65: "488", 70: "488", 79: "501", 87: "403", 88: "503",
    102: "504", 111: "500", 127: "500",
}  # fmt: skip

# Cause names FreeSWITCH writes, for a CDR that has the name but not the number.
CAUSE_NUMBERS: dict[str, int] = {
    "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2, "NO_ROUTE_DESTINATION": 3,
    "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21, "NUMBER_CHANGED": 22,
    "REDIRECTION_TO_NEW_DESTINATION": 23, "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28, "FACILITY_REJECTED": 29, "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34, "NETWORK_OUT_OF_ORDER": 38,
    "NORMAL_TEMPORARY_FAILURE": 41, "SWITCH_CONGESTION": 42, "OUTGOING_CALL_BARRED": 52,
    "INCOMING_CALL_BARRED": 54, "BEARERCAPABILITY_NOTAUTH": 57,
    "BEARERCAPABILITY_NOTAVAIL": 58, "BEARERCAPABILITY_NOTIMPL": 65,
    "SERVICE_NOT_IMPLEMENTED": 79, "INCOMPATIBLE_DESTINATION": 88,
    "RECOVERY_ON_TIMER_EXPIRE": 102, "PROTOCOL_ERROR": 111, "INTERWORKING": 127,
}  # fmt: skip

FREESWITCH_CAUSES_TO_SIP: dict[str, str] = {
    "ORIGINATOR_CANCEL": "487",
    "LOSE_RACE": "487",
    "PICKED_OFF": "487",
    "USER_NOT_REGISTERED": "480",
    "GATEWAY_DOWN": "503",
    "PROGRESS_TIMEOUT": "408",
}


def sip_code_for(answered: bool, q850: int | None, cause: str | None) -> str | None:
    if answered:
        return ANSWERED
    name = (cause or "").strip().upper()
    if name in FREESWITCH_CAUSES_TO_SIP:
        return FREESWITCH_CAUSES_TO_SIP[name]
    number = q850 if q850 is not None else CAUSE_NUMBERS.get(name)
    if not number:  # absent, or 0 ("NONE")
        return None
    return Q850_TO_SIP.get(number, UNLISTED_CAUSE)
