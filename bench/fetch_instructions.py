"""Fetching a 100-record page through sqlite3 and through APSW, to count under callgrind.

    valgrind --tool=callgrind .venv/bin/python -m bench.fetch_instructions sqlite3 110
    valgrind --tool=callgrind .venv/bin/python -m bench.fetch_instructions sqlite3 10

The difference in instructions over the difference in pages is one page's fetch. ``apsw``
for APSW; a ``_callid`` suffix (``sqlite3_callid``) reads the callid column only, SQLite's
stepping without the conversions. Uses the quick SQLite dataset (bench/data). APSW is no
longer a dependency (docs/decisions.md says why): ``pip install apsw`` to compare.
"""

import random
import sqlite3
import sys

from callrec.wire.records import STORED_COLUMNS

path = "bench/data/callrec-v1_n200000_s7.db"
COLS = ", ".join(STORED_COLUMNS)
W = (
    "FROM call_records WHERE workspace_id = ? AND start_us >= ? AND start_us < ? "
    "ORDER BY start_us, callid LIMIT ? OFFSET ?"
)
which, n = sys.argv[1], int(sys.argv[2])
cols = "callid" if which.endswith("_callid") else COLS
sql = f"SELECT {cols} {W}"
if which.startswith("apsw"):
    import apsw

    c = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY)
else:
    c = sqlite3.connect(path, isolation_level=None)
ws = c.execute("select id from workspaces where name='huge'").fetchall()[0][0]
lo, hi = c.execute(
    "select min(start_us), max(start_us) from call_records where workspace_id=?", (ws,)
).fetchall()[0]
rng = random.Random(1)
for _ in range(n + 1):
    s = lo + rng.randrange(hi - lo - 86400_000_000)
    c.execute(sql, (ws, s, s + 86400_000_000, 100, 0)).fetchall()
