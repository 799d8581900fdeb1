"""The console's templates and static files ship inside the package, cached by content hash."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from callrec.console.render import environment
from callrec.console.static_files import FOREVER, content_hash, static_url
from tests.console.conftest import Session

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_FILES = resources.files("callrec.console")


def _package_files(kind: str) -> list[str]:
    """Every file under the package's ``kind`` folder, as a path inside it (``vendor/x.js``)."""
    found: list[str] = []

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif not entry.name.endswith((".pyc",)):
                found.append(prefix + entry.name)

    walk(CONSOLE_FILES / kind, "")
    return sorted(found)


def test_the_wheel_holds_every_template_and_static_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    wheel = next(tmp_path.glob("callrec-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in ("templates", "static"):
        files = _package_files(kind)
        assert files, kind
        for name in files:
            assert f"callrec/console/{kind}/{name}" in names, name


def test_every_template_compiles() -> None:
    for name in _package_files("templates"):
        if name.endswith(".html"):
            environment.get_template(name)


def test_static_urls_carry_the_content_hash_and_are_cached_forever(
    session_for: object,
) -> None:
    url = static_url("console.css")
    assert url == f"/console/static/console.css?v={content_hash('console.css')}"
    session: Session = session_for(None)  # type: ignore[operator]
    current = session.http.get(url)
    assert current.status_code == 200
    assert current.headers["cache-control"] == FOREVER
    assert current.headers["content-type"].startswith("text/css")
    stale = session.http.get("/console/static/console.css?v=0000")
    assert stale.headers["cache-control"] == "no-cache"
    assert session.http.get("/console/static/nope.css").status_code == 404
    assert session.http.get("/console/static/../templates/base.html").status_code == 404
    login = session.get("/login").text
    assert url in login


def test_pages_are_not_cached_or_framed(session_for: object) -> None:
    session: Session = session_for(None)  # type: ignore[operator]
    answer = session.get("/login")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
