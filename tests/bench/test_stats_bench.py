"""The overview benchmark (case g) runs end to end on a small workspace, on both backends."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bench import stats_bench


def test_the_overview_case_measures_both_ways_and_they_agree(engine: Engine) -> None:
    figure = stats_bench.run(engine.dialect.name, engine, records=3_000, runs=2)
    assert figure["case"] == "g"
    assert figure["value"] > 0
    assert figure["baseline"] > 0
    assert figure["verdict"] in ("met", "MISSED")
