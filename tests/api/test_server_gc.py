"""The served process takes what start-up left alive out of the cycle collector's reach."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SERVED = textwrap.dedent(
    """
    import gc, socket, threading, urllib.request
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from callrec.api.server import _FrozenAfterStartup, listening_socket

    async def frozen(request):
        return PlainTextResponse(str(gc.get_freeze_count()))

    app = Starlette(routes=[Route("/frozen", frozen)])
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = _FrozenAfterStartup(uvicorn.Config(app, log_level="warning", lifespan="on"))
    before = gc.get_freeze_count()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/frozen", timeout=10) as answer:
        print(before, answer.read().decode())
    server.should_exit = True
    thread.join(10)
    """
)


def test_a_served_process_freezes_what_start_up_left_alive() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVED], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = (int(n) for n in done.stdout.split())
    assert before == 0
    assert after > 10_000  # the modules, the app and its state
