"""docs/api.md's number API examples, run as written: the curl recipe and the Python code
without callrec, against a real server with a real greeting."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.api.number_support import add, mp3, record_of
from tests.conftest import Tenant
from tests.helpers import RunningServer, missing_prerequisite

API_DOC = Path(__file__).parents[2] / "docs" / "api.md"


def _block(language: str, after: str) -> str:
    section = API_DOC.read_text().split("## The number API", 1)[1]
    match = re.search(re.escape(after) + rf"\n\n```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"docs/api.md lost its number API {language} example after {after!r}"
    return match.group(1)


@pytest.fixture
def greeting(tmp_path: Path) -> Path:
    path = tmp_path / "hello.mp3"
    path.write_bytes(mp3(4000))
    return path


def test_the_curl_recipe_lists_and_uploads_a_greeting(
    engine: Engine, tenant: Tenant, server: RunningServer, greeting: Path
) -> None:
    for tool in ("curl", "md5sum", "base64"):
        if shutil.which(tool) is None:
            missing_prerequisite(f"{tool} is not installed (docs/api.md's recipe uses it)")
    add(engine, tenant)
    script = (
        _block("sh", "curl:")
        .replace("KEY=bDqJFiq9 SECRET=7bz1lzh9", f"KEY={tenant.api_key} SECRET={tenant.secret}")
        .replace("http://127.0.0.1:8080", server.base_url)
    )
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=greeting.parent,
    )
    listed, edited = (
        json.loads(line) for line in completed.stdout.replace("}{", "}\n{").splitlines()
    )
    assert listed["data"]["records"][0]["number"] == "915027021995"
    assert edited == {"status": "0", "reason": "success", "data": None}
    assert record_of(server, tenant, "915027021995")["voicemailFileName"] == "hello.mp3"


def test_the_python_example_walks_every_page_and_uploads_a_greeting(
    engine: Engine, tenant: Tenant, server: RunningServer, greeting: Path
) -> None:
    add(engine, tenant)
    code = _block("python", "Python, without callrec installed:").replace(
        "http://127.0.0.1:8080", server.base_url
    )
    namespace = {"KEY": tenant.api_key, "SECRET": tenant.secret}
    here = Path.cwd()
    os.chdir(greeting.parent)
    try:
        exec(code, namespace)
    finally:
        os.chdir(here)
    assert [n["number"] for n in namespace["numbers"]] == ["915027021995"]  # type: ignore[index]
    record = record_of(server, tenant, "915027021995")
    assert (record["voicemailFileName"], record["voicemailMaxHangup"]) == ("hello.mp3", 60)
