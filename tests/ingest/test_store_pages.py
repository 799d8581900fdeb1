"""A file import's storing connection keeps more of SQLite's pages than the default 2 MiB
(issue 15); other pipelines (the API's, with a pool of connections) keep the default."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from callrec.ingest.parallel import STORE_CACHE_MIB, ChunkImporter, chunks
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.sources.tabular import read_jsonl
from callrec.model import RawCdr
from tests.cli.test_cdr_import_jobs import good
from tests.ingest.sources.support import set_up_acme, stored

SQLITE_DEFAULT_CACHE = -2000  # KiB


def _cache_sizes(engine: Engine) -> set[int]:
    """``PRAGMA cache_size`` of every connection the engine's pool holds."""
    sizes = set()
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        for connection in held:
            cursor = connection.cursor()
            sizes.add(cursor.execute("PRAGMA cache_size").fetchone()[0])
            cursor.close()
    finally:
        for connection in held:
            connection.close()
    return sizes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_import_stores_with_a_larger_page_cache(engine: Engine) -> None:
    set_up_acme(engine)
    importer = ChunkImporter(Pipeline(engine), "jsonl", None)
    for chunk in chunks([good(f"p{n}", n) for n in range(5)], size=2):
        importer.import_chunk(chunk)
    assert len(stored(engine)) == 5
    assert _cache_sizes(engine) == {-STORE_CACHE_MIB * 1024}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_other_pipelines_keep_the_default_page_cache(engine: Engine) -> None:
    set_up_acme(engine)
    items = read_jsonl([good(f"q{n}", n) for n in range(5)], None)
    report = Pipeline(engine).process([item for item in items if isinstance(item, RawCdr)])
    assert report.accepted == 5
    assert _cache_sizes(engine) == {SQLITE_DEFAULT_CACHE}
