"""The stack baseline: the same server and framework as ``callrec serve`` answering the same
route with a precomputed response of the same size; no auth, no database.

    .venv/bin/python -m bench.stack_app --port 8181 --body-file page.json

It runs uvicorn with the settings ``callrec serve`` uses (one worker, uvloop and httptools
when installed, access log at level info, no server header, no proxy headers), so the ratio
of callrec to this app is what the service itself costs on top of the stack.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bench.signed import JSON_CONTENT_TYPE, QUERY_PAGE_PATH

BODY_FILE_VARIABLE = "CALLREC_BENCH_STACK_BODY_FILE"


def create_app() -> FastAPI:
    """The factory uvicorn imports; the response body comes from the file the variable names."""
    body = Path(os.environ[BODY_FILE_VARIABLE]).read_bytes()
    app = FastAPI(title="callrec stack baseline")

    async def query_page(request: Request) -> Response:
        await request.body()  # callrec reads the body too
        return Response(body, media_type=JSON_CONTENT_TYPE)

    async def switch_number(number: str) -> Response:
        return Response(body, media_type="application/json")

    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.add_api_route(QUERY_PAGE_PATH, query_page, methods=["POST"])
    app.add_api_route("/switch/v1/numbers/{number}", switch_number, methods=["GET"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--log-level", default="info", help="as `callrec serve` (info)")
    args = parser.parse_args(argv)
    os.environ[BODY_FILE_VARIABLE] = str(args.body_file.resolve())
    uvicorn.run(
        "bench.stack_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        log_level=args.log_level,
        server_header=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
