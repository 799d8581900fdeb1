"""Kamailio as a CDR source under load (issue 16): SIPp places answered calls of 1, 2 and 3 s
at a steady rate through Kamailio with deploy/kamailio/kamailio.cfg, which posts each CDR to
``callrec serve``. Reported: CDRs stored per second and the lag from the BYE to the stored
record (median, p99), beside the same CDRs posted directly to ``POST /ingest/cdrs`` on the
same schedule (each CDR sent when its call ended, in 50 ms batches like Kamailio's).

    .venv/bin/python -m bench.kamailio_bench --backend sqlite            # quick: 10 s
    BENCH_MODE=full .venv/bin/python -m bench.kamailio_bench               # 60 s

Lag is ``stored_us - end_us`` per record: ``end_us`` is when Kamailio saw the BYE (or, for
direct posts, when the CDR was sent), ``stored_us`` when callrec wrote the record, inside the
transaction that commits it a moment later; after that commit queryPage returns it (its
page cache is keyed by the records revision, so it is never stale).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bench.common import backends, fresh_database, write_result
from bench.kamailio_rig import Batch, missing_tools, switch
from bench.servers import callrec_server
from callrec.rating.deck_csv import parse_deck
from callrec.store import accounts, ingest_sources
from callrec.store.rating_data import replace_deck_rows
from callrec.store.schema import call_records

RATE_PER_SECOND = 100
SECONDS = {"quick": 10, "full": 60}
HOLDS_MS = (1000, 2000, 3000)
OWN_NUMBERS = [f"4420794{n:05d}" for n in range(100)]
TICK_SECONDS = 0.05  # Kamailio's delivery timer (kamailio.cfg, rtimer "callrec")


def _prepare(engine: Engine) -> str:
    workspace = accounts.create_workspace(engine, "bench")
    rows, errors = parse_deck(
        ["prefix,rate,chargedPeriod,direction,effectiveFrom", "1,0.0120,6+6,out,2024-01-01"]
    )
    assert not errors, errors
    with engine.begin() as conn:
        replace_deck_rows(conn, workspace.id, rows)
    for number in OWN_NUMBERS:
        accounts.add_number(engine, f"+{number}", "bench", "app-bench", "FIXED")
    return ingest_sources.create_source(engine, "kamailio").secret


def _batches(calls: int) -> list[Batch]:
    per_hold = calls // len(HOLDS_MS)
    return [
        Batch(
            f"load{hold}",
            "answer",
            tuple(
                (OWN_NUMBERS[n % len(OWN_NUMBERS)], f"1415{n % 10_000_000:07d}")
                for n in range(per_hold)
            ),
            hold,
        )
        for hold in HOLDS_MS
    ]


def _stored(engine: Engine, prefix: str) -> list[tuple[int, int]]:
    """(end_us, stored_us) of the records whose callid starts with ``prefix``."""
    query = select(call_records.c.end_us, call_records.c.stored_us).where(
        call_records.c.callid.startswith(prefix)
    )
    with engine.connect() as conn:
        return [(int(end), int(stored)) for end, stored in conn.execute(query)]


def _wait_stored(engine: Engine, prefix: str, count: int, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while len(_stored(engine, prefix)) < count and time.monotonic() < deadline:
        time.sleep(0.25)


def _summary(rows: Sequence[tuple[int, int]], expected: int) -> dict[str, Any]:
    lags_ms = sorted((stored - end) / 1000 for end, stored in rows)
    stored_times = sorted(stored for _, stored in rows)
    span_s = (stored_times[-1] - stored_times[0]) / 1e6 if len(rows) > 1 else 0
    return {
        "cdrs": expected,
        "stored": len(rows),
        "stored_per_second": len(rows) / span_s if span_s else 0.0,
        "lag_median_ms": statistics.median(lags_ms) if lags_ms else None,
        "lag_p99_ms": lags_ms[min(len(lags_ms) - 1, int(len(lags_ms) * 0.99))] if lags_ms else None,
        "lag_max_ms": lags_ms[-1] if lags_ms else None,
    }


def _post_directly(base_url: str, token: str, lines: list[str]) -> None:
    """The CDRs Kamailio logged, re-keyed, each sent when its call ended (relative to the
    first), its times shifted so that its end is the moment it is sent."""
    cdrs = [json.loads(line) for line in lines]
    cdrs.sort(key=lambda cdr: Decimal(cdr["endTime"]))
    first_end = Decimal(cdrs[0]["endTime"])
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        pending = 0
        while pending < len(cdrs):
            elapsed = Decimal(str(time.monotonic() - started))
            due = []
            while pending < len(cdrs) and Decimal(cdrs[pending]["endTime"]) - first_end <= elapsed:
                due.append(cdrs[pending])
                pending += 1
            if due:
                now = Decimal(str(time.time()))
                for cdr in due:
                    shift = now - Decimal(cdr["endTime"])
                    cdr["callid"] = "direct-" + cdr["callid"]
                    for field in ("startTime", "answerTime", "endTime"):
                        cdr[field] = f"{Decimal(cdr[field]) + shift:.6f}"
                body = "".join(json.dumps(cdr) + "\n" for cdr in due)
                answer = client.post("/ingest/cdrs", content=body.encode())
                answer.raise_for_status()
            time.sleep(TICK_SECONDS)


def run(backend: str, mode_name: str, rate: int = RATE_PER_SECOND) -> dict[str, Any]:
    seconds = SECONDS[mode_name]
    calls = rate * seconds
    with (
        fresh_database(backend) as (url, engine),
        tempfile.TemporaryDirectory(prefix="callrec-kamailio-") as folder,
    ):
        token = _prepare(engine)
        workdir = Path(folder)
        with callrec_server(url, workdir) as server:
            batches = _batches(calls)
            expected = sum(len(batch.parties) for batch in batches)
            with switch(workdir / "switch", f"{server.base_url}/ingest/cdrs", token) as sip:
                sip.place(batches, rate=rate / len(batches))
                _wait_stored(engine, "load", expected, deadline_s=60)
                lines = sip.logged_cdr_lines()
            through_kamailio = _summary(_stored(engine, "load"), expected)
            _post_directly(server.base_url, token, lines)
            _wait_stored(engine, "direct-", len(lines), deadline_s=60)
            direct = _summary(_stored(engine, "direct-"), len(lines))
    return {
        "backend": backend,
        "mode": mode_name,
        "calls_per_second": rate,
        "seconds": seconds,
        "holds_ms": list(HOLDS_MS),
        "through_kamailio": through_kamailio,
        "posted_directly": direct,
    }


def summary_line(result: dict[str, Any]) -> str:
    k, d = result["through_kamailio"], result["posted_directly"]
    return (
        f"  kamailio: {k['stored']}/{k['cdrs']} stored, {k['stored_per_second']:.1f}/s, "
        f"BYE->stored median {k['lag_median_ms']:.1f} ms, p99 {k['lag_p99_ms']:.1f} ms | "
        f"direct: {d['stored']}/{d['cdrs']}, {d['stored_per_second']:.1f}/s, "
        f"median {d['lag_median_ms']:.1f} ms, p99 {d['lag_p99_ms']:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(SECONDS), default=None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--rate", type=int, default=RATE_PER_SECOND, help="calls per second")
    args = parser.parse_args(argv)
    problem = missing_tools()
    if problem:
        print(f"kamailio bench skipped: {problem}")
        return 2
    from bench.modes import mode_from_env

    mode_name = args.mode or mode_from_env().name
    for backend in args.backend or backends():
        result = run(backend, mode_name, args.rate)
        print(summary_line(result), flush=True)
        path = write_result(f"kamailio-{mode_name}", backend, result)
        print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
