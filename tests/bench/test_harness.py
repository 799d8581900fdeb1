"""The benchmark harness's own logic: deterministic data that routes, honest verdicts.

Nothing here times anything: goals are for the benchmark to report against, never asserted.
"""

from __future__ import annotations

from pathlib import Path

from bench.dataset import DatasetPlan, _is_stale, load, migration_digests
from bench.dataset_calls import CallGenerator, calls_per_hour
from bench.dataset_spec import OWN_NUMBER_PLANS, own_numbers, workspace_specs
from bench.profile import summarise
from bench.report import Figure, Goal
from bench.signed import Window, page_body, page_body_template
from sqlalchemy import func, select

from callrec.demo.generator import DESTINATIONS
from callrec.store import make_engine
from callrec.store.schema import call_records, workspaces


def _generator(count: int, seed: int = 3) -> CallGenerator:
    specs = workspace_specs()
    return CallGenerator(count, seed, specs, own_numbers(specs, seed))


def test_calls_are_deterministic_ordered_and_unique() -> None:
    first = list(_generator(3000).fields())
    assert first == list(_generator(3000).fields())
    assert first != list(_generator(3000, seed=4).fields())
    assert len(first) == 3000
    assert [c[3] for c in first] == sorted(c[3] for c in first)
    assert len({c[0] for c in first}) == 3000


def test_hours_share_out_every_call() -> None:
    for count in (1, 999, 200_000):
        assert sum(calls_per_hour(count)) == count


def test_counts_per_workspace_and_day_add_up() -> None:
    generator = _generator(2000)
    list(generator)
    assert sum(generator.counts.by_workspace_day.values()) == 2000


def test_own_numbers_never_look_like_remote_parties() -> None:
    remote = [d.mobile_prefix for d in DESTINATIONS]
    for plan in OWN_NUMBER_PLANS:
        assert not any(p.startswith(plan.prefix) or plan.prefix.startswith(p) for p in remote)


def test_every_generated_call_is_routed_and_stored(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    try:
        manifest = load(engine, DatasetPlan(1500, seed=5))
        with engine.connect() as conn:
            stored = dict(
                conn.execute(
                    select(workspaces.c.name, func.count())
                    .join(call_records, call_records.c.workspace_id == workspaces.c.id)
                    .group_by(workspaces.c.name)
                ).all()
            )
    finally:
        engine.dispose()
    assert manifest["load"]["accepted"] == 1500
    assert manifest["load"]["quarantined"] == 0
    for workspace in manifest["workspaces"]:
        assert (
            stored.get(workspace["name"], 0) == workspace["calls"] == sum(workspace["daily_calls"])
        )


def test_a_dataset_is_stale_only_when_its_migrations_changed() -> None:
    current = migration_digests()
    assert _is_stale(None) == "not built yet (or its build did not finish)"
    assert _is_stale({}) == "its manifest predates migration tracking"
    assert _is_stale({"migrations": current}) is None
    older = dict(list(current.items())[:1])
    assert _is_stale({"migrations": older}) is None  # migrations added since: upgraded
    first = next(iter(current))
    edited = {**current, first: "0" * 16}
    assert _is_stale({"migrations": edited}) == f"migrations changed since it was built: {first}"


def test_verdicts_follow_the_goal_direction() -> None:
    at_least = Goal("ratio_at_least", 0.5, ">= 0.5 x stack")
    assert Figure("a", "x", 60, "req/s", "stack", 100, at_least).verdict == "met"
    assert Figure("a", "x", 40, "req/s", "stack", 100, at_least).verdict == "MISSED"
    at_most = Goal("ratio_at_most", 1.5, "<= 1.5 x 1-day")
    assert Figure("b", "x", 1.503, "ms", "1-day", 1.0, at_most).verdict == "MISSED"
    assert Figure("b", "x", 1.5, "ms", "1-day", 1.0, at_most).verdict == "met"
    ceiling = Goal("value_at_most", 150, "<= 150 MB")
    assert Figure("e", "x", 151, "MB", "stack", 50, ceiling).verdict == "MISSED"
    assert Figure("d", "x", 3, "ms", "SQL", 1).verdict == "reported"
    assert Figure("b", "x", 3, "ms", "SQL", 0, at_most).ratio is None


def test_the_wrk_body_template_is_the_body_with_a_page_number() -> None:
    window = Window(1_730_000_000_000_000, 1_730_086_400_000_000)
    assert page_body_template(window).replace("__PAGE__", "42").encode() == page_body(window, 42)


def test_profile_summary_counts_self_and_project_time() -> None:
    collapsed = (
        "main (callrec/cli/main.py:1);query_page (callrec/api/query_page.py:9);"
        "fetchall (sqlalchemy/engine/cursor.py:3) 30\n"
        "main (callrec/cli/main.py:1);send (uvicorn/protocols/http/httptools_impl.py:5) 10\n"
    )
    summary = summarise(collapsed, requests=10)
    assert summary["samples"] == 40
    assert summary["self"][0]["function"] == "fetchall (sqlalchemy/engine/cursor.py)"
    assert summary["self"][0]["percent"] == 75.0
    project = {row["function"]: row["percent"] for row in summary["project_inclusive"]}
    assert project == {"main (callrec/cli/main.py)": 100.0,
                       "query_page (callrec/api/query_page.py)": 75.0}  # fmt: skip
