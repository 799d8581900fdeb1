"""deploy/nginx/callrec.conf: accepted by ``nginx -t``, then real requests through it.

The example is used as shipped except for what only an installation knows: certificate
paths and ports. nginx runs under its own prefix in the test's directory; a real
``callrec serve`` behind it believes X-Forwarded-For from 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.ingest_sources import create_source
from tests.cli.support import free_port, serving
from tests.deploy.support import DEPLOY, self_signed_certificate
from tests.helpers import QUERY_PAGE, page_body, signed_headers

EXAMPLE = DEPLOY / "nginx" / "callrec.conf"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
)
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed: deploy/nginx/callrec.conf not checked"
)
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass(frozen=True)
class Nginx:
    prefix: Path
    config: Path
    http_port: int
    https_port: int
    certificate: Path

    def command(self, *flags: str) -> list[str]:
        assert NGINX is not None
        error_log = str(self.prefix / "error.log")
        return [NGINX, "-p", str(self.prefix), "-c", str(self.config), "-e", error_log, *flags]


def installed_example(prefix: Path, upstream_port: int) -> Nginx:
    """The example with this test's certificate and ports, inside a minimal nginx.conf."""
    certificate, key = self_signed_certificate(prefix)
    http_port, https_port = free_port(), free_port()
    site = EXAMPLE.read_text()
    replacements = {
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/cdr.example.com/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/cdr.example.com/privkey.pem": str(key),
    }
    for shipped, local in replacements.items():
        assert shipped in site, f"{shipped!r} is no longer in {EXAMPLE}"
        site = site.replace(shipped, local)
    # The loopback has no IPv6 in every container; the IPv4 listeners cover the test.
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (prefix / "callrec.conf").write_text(site)
    temp = {name: prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for directory in temp.values():
        directory.mkdir()
    main = prefix / "nginx.conf"
    main.write_text(
        "user root;\n"  # ignored with a warning when the test does not run as root
        "worker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "  access_log off;\n"
        + "".join(f"  {name}_temp_path {path};\n" for name, path in temp.items()).replace(
            "body_temp_path", "client_body_temp_path"
        )
        + f"  include {prefix / 'callrec.conf'};\n"
        "}\n"
    )
    return Nginx(prefix, main, http_port, https_port, certificate)


def _wait_for_port(port: int, process: subprocess.Popen[str], deadline_seconds: float = 15) -> None:
    deadline = time.monotonic() + deadline_seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited {process.returncode}: {process.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx did not listen on {port}") from None
            time.sleep(0.05)


@pytest.fixture
def behind_nginx(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[Nginx]:
    """callrec serve, and nginx in front of it configured from the example."""
    callrec_port = free_port()
    nginx = installed_example(tmp_path, callrec_port)
    env = {"CALLREC_TRUSTED_PROXIES": "127.0.0.1"}
    with serving(database_url, callrec_port, env=env):
        process = subprocess.Popen(
            nginx.command("-g", "daemon off;"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            _wait_for_port(nginx.https_port, process)
            yield nginx
        finally:
            process.terminate()
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _client(nginx: Nginx, from_address: str) -> httpx.Client:
    """HTTPS to nginx from a chosen loopback address, trusting the test's certificate."""
    context = ssl.create_default_context(cafile=str(nginx.certificate))
    transport = httpx.HTTPTransport(verify=context, local_address=from_address)
    base_url = f"https://127.0.0.1:{nginx.https_port}"
    return httpx.Client(base_url=base_url, transport=transport, timeout=30)


@needs_nginx
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    nginx = installed_example(tmp_path, free_port())
    checked = subprocess.run(
        nginx.command("-t"), capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@needs_nginx
@sqlite_only
def test_callrec_sees_the_callers_address_through_nginx_and_no_forged_one(
    behind_nginx: Nginx, engine: Engine
) -> None:
    accounts.create_workspace(engine, "acme")
    key = accounts.create_key(engine, "acme", ["127.0.0.2/32"])
    body = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")

    with _client(behind_nginx, "127.0.0.2") as allowed:
        answer = allowed.post(
            QUERY_PAGE, headers=signed_headers(key.api_key, key.secret), json=body
        )
        assert answer.status_code == 200
        assert answer.json()["status"] == "0"
        assert "max-age" in answer.headers["strict-transport-security"]

    with _client(behind_nginx, "127.0.0.3") as elsewhere:
        forged = {**signed_headers(key.api_key, key.secret), "X-Forwarded-For": "127.0.0.2"}
        assert elsewhere.post(QUERY_PAGE, headers=forged, json=body).json()["status"] == "-31"
        assert elsewhere.get("/metrics").status_code == 403

    plain = httpx.get(f"http://127.0.0.1:{behind_nginx.http_port}/healthz", timeout=10)
    assert plain.status_code == 301
    assert plain.headers["location"].startswith("https://")


@needs_nginx
@sqlite_only
def test_callrec_answers_an_oversized_ingest_body_itself_and_nginx_anything_larger(
    behind_nginx: Nginx, engine: Engine
) -> None:
    token = create_source(engine, "pbx1").secret
    bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with _client(behind_nginx, "127.0.0.2") as http:
        over = b" " * (10 * 1024 * 1024 + 1)
        just_over = http.post("/ingest/cdrs", headers=bearer, content=over)
        assert just_over.status_code == 413
        assert "10485760 bytes" in just_over.text  # callrec's answer, naming its limit
        far_over = http.post("/ingest/cdrs", headers=bearer, content=b" " * (12 * 1024 * 1024))
        assert far_over.status_code == 413
        assert "nginx" in far_over.text
