"""The benchmark dataset: N calls for workspaces of very different sizes, loaded through the
project's own import path (raw CDRs routed, rated and stored by ``callrec.ingest``).

    .venv/bin/python -m bench.dataset                 # 10M calls, every reachable backend
    .venv/bin/python -m bench.dataset --quick         # 200k calls
    .venv/bin/python -m bench.dataset --backend sqlite --count 1000000 --rebuild

Built once per (N, seed, generator version) and kept between runs:
- SQLite: ``bench/data/callrec-<key>.db`` (gitignored) with its manifest beside it;
- PostgreSQL: the schema ``bench_dataset_<key>``, its manifest in the schema's comment.
Before each use the dataset is migrated to head, as an operator's database would be. A
half-built dataset has no manifest and is rebuilt, and so is one whose migrations were edited
or removed since it was built (the manifest keeps a digest of each migration file); new
migrations alone do not force a rebuild. ``--rebuild`` rebuilds anyway.

Loading 10M calls takes a while: about 21 minutes on SQLite on 2 busy cores (the calls are
generated in a second process; the ingest pipeline is the bottleneck). PostgreSQL's ingest
is slower still (over an hour for 10M on 2 busy cores), so a PostgreSQL dataset of more than
``COPY_FROM_SQLITE_ABOVE`` calls is the SQLite dataset of the same plan moved by ``callrec db
copy`` (``callrec.store.copy``: the operator's way to PostgreSQL, every table verified by
count and digest); its manifest says so, and its load figure is the copy's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import Engine

from bench.common import (
    DATA,
    POSTGRES_DSN,
    Stopwatch,
    backends,
    postgres_schema_url,
    sqlite_url,
)
from bench.dataset_calls import DAY_US, DAYS, END_US, start_us
from bench.dataset_feed import BackgroundCalls
from bench.dataset_spec import FX_TO_USD, WorkspaceSpec, deck_for, own_numbers, workspace_specs
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.ingest.runner import run_ingest
from callrec.model import RawCdr
from callrec.rating.fx import FxRate
from callrec.store import accounts, make_engine, upgrade
from callrec.store.copy import copy_database
from callrec.store.migrate import MIGRATIONS_DIR, current_revision
from callrec.store.rating_data import replace_deck_rows, set_fx_rate

GENERATOR_VERSION = 1  # bump when the generated calls change: cached datasets are rebuilt
FULL_COUNT = 10_000_000
COPY_FROM_SQLITE_ABOVE = 1_000_000
QUICK_COUNT = 200_000
DEFAULT_SEED = 7


@dataclass(frozen=True, slots=True)
class DatasetPlan:
    count: int
    seed: int = DEFAULT_SEED

    @property
    def key(self) -> str:
        return f"v{GENERATOR_VERSION}_n{self.count}_s{self.seed}"


@dataclass(frozen=True, slots=True)
class WorkspaceInfo:
    name: str
    id: int
    currency: str
    numbers: int
    calls: int
    api_key: str
    secret: str
    daily_calls: list[int]  # calls per day, from the period's first day


@dataclass(frozen=True, slots=True)
class Dataset:
    """A loaded dataset, ready for a server: its URL and what is in it."""

    backend: str
    url: str
    plan: DatasetPlan
    manifest: dict[str, Any]

    @property
    def workspaces(self) -> list[WorkspaceInfo]:
        return [WorkspaceInfo(**w) for w in self.manifest["workspaces"]]

    def workspace(self, name: str) -> WorkspaceInfo:
        return next(w for w in self.workspaces if w.name == name)

    @property
    def biggest(self) -> WorkspaceInfo:
        return max(self.workspaces, key=lambda w: w.calls)

    @property
    def start_us(self) -> int:
        return int(self.manifest["start_us"])


class TimedIterator(Iterator[RawCdr]):
    """Counts the time spent producing items, so generating is told apart from loading."""

    def __init__(self, items: Iterable[RawCdr]) -> None:
        self._items = iter(items)
        self.seconds = 0.0

    def __next__(self) -> RawCdr:
        started = time.perf_counter()
        try:
            return next(self._items)
        finally:
            self.seconds += time.perf_counter() - started


def migration_digests() -> dict[str, str]:
    """A digest of each migration file, by name."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    }


def _is_stale(manifest: dict[str, Any] | None) -> str | None:
    """Why a cached dataset cannot be used, or None when it can.

    A migration added since the build is fine (the dataset is upgraded before use, as an
    operator's database would be); one changed or removed since the build is not, since the
    dataset's tables were made by a migration that no longer exists.
    """
    if manifest is None:
        return "not built yet (or its build did not finish)"
    built_under = manifest.get("migrations")
    if not isinstance(built_under, dict):
        return "its manifest predates migration tracking"
    current = migration_digests()
    changed = sorted(name for name, digest in built_under.items() if current.get(name) != digest)
    if changed:
        return f"migrations changed since it was built: {', '.join(changed)}"
    return None


def _credentials(plan: DatasetPlan, index: int) -> tuple[str, str]:
    """A key name (8 alphanumerics, like the vendor's) and secret, fixed by the seed."""
    digest = hashlib.sha256(f"callrec-bench:{plan.seed}:{index}".encode()).hexdigest()
    return f"bk{index:06d}", digest[:32]


def _set_up_accounts(engine: Engine, plan: DatasetPlan, specs: list[WorkspaceSpec]) -> list[Any]:
    numbers = own_numbers(specs, plan.seed)
    with engine.begin() as conn:
        for currency, rate in sorted(FX_TO_USD.items()):
            set_fx_rate(conn, FxRate(currency, 0, rate))
    created = []
    for index, spec in enumerate(specs):
        workspace = accounts.create_workspace(engine, spec.name, spec.currency)
        api_key, secret = _credentials(plan, index)
        accounts.create_key(engine, spec.name, api_key=api_key, secret=secret)
        for own in numbers[spec.name]:
            accounts.add_number(engine, own.number, spec.name, own.app_id, own.number_type)
        with engine.begin() as conn:
            replace_deck_rows(conn, workspace.id, deck_for(spec, plan.seed))
        created.append((spec, workspace.id, api_key, secret, len(numbers[spec.name])))
    return created


def _progress(count: int, started: float) -> Callable[[IngestReport], None]:
    step = max(count // 20, 1)
    next_report = [step]

    def report(progress: IngestReport) -> None:
        done = progress.accepted + progress.duplicates + progress.quarantined
        if done >= next_report[0]:
            elapsed = time.perf_counter() - started
            print(
                f"  loaded {done:,}/{count:,} calls in {elapsed:.0f} s ({done / elapsed:,.0f}/s)",
                file=sys.stderr,
                flush=True,
            )
            next_report[0] += step

    return report


def load(engine: Engine, plan: DatasetPlan) -> dict[str, Any]:
    """Migrate, create the accounts, then feed every call through the ingest pipeline."""
    migrations = migration_digests()
    upgrade(engine)
    specs = workspace_specs()
    with Stopwatch() as setup:
        created = _set_up_accounts(engine, plan, specs)
    with BackgroundCalls(plan.count, plan.seed) as generator, Stopwatch() as ingest:
        timed = TimedIterator(generator)
        report = run_ingest(
            Pipeline(engine), timed, on_batch=_progress(plan.count, time.perf_counter())
        )
    workspaces = []
    for spec, workspace_id, api_key, secret, number_count in created:
        daily = [generator.of(spec.name, day) for day in range(DAYS)]
        info = WorkspaceInfo(
            spec.name, workspace_id, spec.currency, number_count, sum(daily), api_key, secret, daily
        )
        workspaces.append(asdict(info))
    return {
        "generator_version": GENERATOR_VERSION,
        "count": plan.count,
        "seed": plan.seed,
        "start_us": start_us(),
        "end_us": END_US,
        "days": DAYS,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_revision": current_revision(engine),
        "migrations": migrations,
        "workspaces": workspaces,
        "load": {
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "quarantined": report.quarantined,
            "setup_seconds": round(setup.seconds, 3),
            "wall_seconds": round(ingest.seconds, 3),
            "waiting_for_generator_seconds": round(timed.seconds, 3),
            "rows_per_second": round(report.accepted / ingest.seconds),
        },
    }


def _sqlite_paths(plan: DatasetPlan) -> tuple[Path, Path]:
    return DATA / f"callrec-{plan.key}.db", DATA / f"callrec-{plan.key}.json"


def _remove_sqlite_files(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _sqlite_dataset(plan: DatasetPlan, rebuild: bool) -> Dataset:
    database, manifest_path = _sqlite_paths(plan)
    manifest = None
    if database.exists() and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
    stale = "--rebuild" if rebuild else _is_stale(manifest)
    if stale is not None:
        print(f"building the SQLite dataset {plan.key}: {stale}", file=sys.stderr, flush=True)
        DATA.mkdir(parents=True, exist_ok=True)
        manifest_path.unlink(missing_ok=True)
        _remove_sqlite_files(database)
        partial = database.with_suffix(".partial.db")
        _remove_sqlite_files(partial)
        engine = make_engine(sqlite_url(partial))
        try:
            manifest = load(engine, plan)
        finally:
            engine.dispose()  # the last connection checkpoints and removes the WAL
        os.replace(partial, database)
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    assert manifest is not None
    url = sqlite_url(database)
    _upgrade(url)
    return Dataset("sqlite", url, plan, manifest)


def _schema(plan: DatasetPlan) -> str:
    return f"bench_dataset_{plan.key}"


def _schema_manifest(schema: str) -> dict[str, Any] | None:
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        row = conn.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchone()
    if row is None or not row[0]:
        return None
    manifest: dict[str, Any] = json.loads(row[0])
    return manifest


def _postgres_dataset(plan: DatasetPlan, rebuild: bool) -> Dataset:
    schema = _schema(plan)
    url = postgres_schema_url(schema)
    manifest = _schema_manifest(schema)
    stale = "--rebuild" if rebuild else _is_stale(manifest)
    if stale is not None:
        print(f"building the PostgreSQL dataset {schema}: {stale}", file=sys.stderr, flush=True)
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        engine = make_engine(url)
        try:
            if plan.count > COPY_FROM_SQLITE_ABOVE:
                manifest = _copied_from_sqlite(engine, plan)
            else:
                manifest = load(engine, plan)
        finally:
            engine.dispose()
        with psycopg.connect(url, autocommit=True) as conn:
            # What autovacuum would have done by the time anyone queries a month of calls:
            # fresh statistics and a visibility map, so plans and index-only scans are steady.
            conn.execute("VACUUM (ANALYZE)")
            conn.execute(
                sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                    sql.Identifier(schema), sql.Literal(json.dumps(manifest))
                )
            )
    assert manifest is not None
    _upgrade(url)
    return Dataset("postgresql", url, plan, manifest)


def _copied_from_sqlite(target: Engine, plan: DatasetPlan) -> dict[str, Any]:
    """The SQLite dataset of ``plan`` (built first if missing) moved by ``callrec db copy``."""
    source_dataset = _sqlite_dataset(plan, rebuild=False)
    source = make_engine(source_dataset.url)
    shown = {"table": "", "at": 0.0}

    def progress(table: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if table != shown["table"] or done == total or now - shown["at"] >= 30:
            print(f"  copying {table}: {done:,}/{total:,} rows", file=sys.stderr, flush=True)
            shown.update(table=table, at=now)

    try:
        with Stopwatch() as copying:
            report = copy_database(source, target, batch_rows=20_000, progress=progress)
    finally:
        source.dispose()
    if not report.verified:
        raise RuntimeError(f"callrec db copy did not verify: {report.tables}")
    manifest = dict(source_dataset.manifest)
    manifest["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    manifest["load"] = {
        **manifest["load"],
        "copied_from_sqlite": True,
        "copied_rows": report.rows,
        "wall_seconds": round(copying.seconds, 3),
        "rows_per_second": round(report.rows / copying.seconds),
    }
    return manifest


def _upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def ensure_dataset(backend: str, plan: DatasetPlan, rebuild: bool = False) -> Dataset:
    """The cached dataset for ``plan`` on ``backend``, built first if missing."""
    if backend == "sqlite":
        return _sqlite_dataset(plan, rebuild)
    return _postgres_dataset(plan, rebuild)


def describe(dataset: Dataset) -> str:
    load_stats = dataset.manifest["load"]
    biggest = dataset.biggest
    return (
        f"{dataset.backend}: {load_stats['accepted']:,} calls in "
        f"{len(dataset.workspaces)} workspaces (biggest {biggest.name!r}: {biggest.calls:,}), "
        f"loaded in {load_stats['wall_seconds']:,.1f} s = {load_stats['rows_per_second']:,}/s "
        f"(generated in a second process; {load_stats['waiting_for_generator_seconds']:,.1f} s "
        "of it waiting for calls)"
    )


def day_us(dataset: Dataset, day: int) -> int:
    """The instant day ``day`` of the period starts (UTC midnight)."""
    return dataset.start_us + day * DAY_US


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT:,} calls")
    parser.add_argument("--count", type=int, help=f"number of calls (default {FULL_COUNT:,})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    count = args.count or (QUICK_COUNT if args.quick else FULL_COUNT)
    plan = DatasetPlan(count, args.seed)
    for backend in args.backend or backends():
        print(describe(ensure_dataset(backend, plan, args.rebuild)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
