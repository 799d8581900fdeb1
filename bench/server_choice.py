"""Which ASGI server: wrk on page 1 of queryPage (signed) against each, one worker each.

Servers: ``callrec serve`` (uvicorn + httptools with callrec's limits), the old launch (plain
uvicorn, no limits) and granian (when its command is installed: ``pip install granian``).
The database is a demo month (``callrec demo``) in a temporary SQLite file. Bounded: each
server gets a warm-up and ``--rounds`` runs of ``--seconds``; the best round is reported.

    .venv/bin/python -m bench.server_choice --seconds 10 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import LOOPBACK, free_port
from bench.servers import Server, _callrec_command
from bench.signed import QUERY_PAGE_PATH, Credentials, Window, page_body
from bench.wrk import LoadSpec, run_wrk

DAY_US = 86_400 * 1_000_000
CONNECTIONS = 32


def _seed(env: dict[str, str]) -> Credentials:
    shown = subprocess.run(
        [*_callrec_command(), "demo", "--calls", "5000"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = dict(line.split(":", 1) for line in shown.splitlines() if line.startswith("demo API"))
    return Credentials(lines["demo API key"].strip(), lines["demo API secret"].strip())


def _servers(env: dict[str, str], log_dir: Path) -> list[Server]:
    app = "callrec.api:create_app_from_env"
    port = free_port()
    callrec = [*_callrec_command(), "serve", "--host", LOOPBACK, "--port", str(port)]
    servers = [Server("callrec serve", [*callrec, "--log-level", "warning"], env, log_dir / "c")]
    port = free_port()
    plain = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", LOOPBACK]
    plain += ["--port", str(port), "--log-level", "warning", "--no-server-header"]
    servers.append(Server("plain uvicorn", plain, env, log_dir / "u"))
    granian = shutil.which("granian") or str(Path(sys.executable).with_name("granian"))
    if Path(granian).exists():
        port = free_port()
        command = [granian, "--interface", "asgi", "--factory", "--host", LOOPBACK]
        command += ["--port", str(port), "--log-level", "warning", app]
        servers.append(Server("granian", command, env, log_dir / "g"))
    else:
        print("granian is not installed: skipped", file=sys.stderr)
    return servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="each round (at most 60)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server (at most 10)")
    args = parser.parse_args(argv)
    seconds, rounds = min(args.seconds, 60), min(args.rounds, 10)
    with tempfile.TemporaryDirectory(prefix="callrec-server-choice-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
        env["CALLREC_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'callrec.db'}"
        subprocess.run([*_callrec_command(), "db", "upgrade"], env=env, check=True)
        credentials = _seed(env)
        now_us = time.time_ns() // 1000
        body = page_body(Window(now_us - 30 * DAY_US, now_us), 1, 100)
        load = LoadSpec(headers=credentials.headers(), body=body)
        results = []
        for server in _servers(env, Path(tmp)):
            with server:
                url = server.base_url + QUERY_PAGE_PATH
                run_wrk(url, load, 2, CONNECTIONS)  # warm-up
                runs = [run_wrk(url, load, seconds, CONNECTIONS) for _ in range(rounds)]
            best = max(runs, key=lambda run: run.requests_per_second)
            results.append({"server": server.name, **best.as_json()})
            print(
                f"{server.name}: {best.requests_per_second:.0f} req/s, "
                f"p99 {best.latency_p99_ms:.1f} ms, errors {best.errors} "
                f"(rounds: {', '.join(f'{r.requests_per_second:.0f}' for r in runs)})",
                flush=True,
            )
    print(json.dumps({"seconds": seconds, "rounds": rounds, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
