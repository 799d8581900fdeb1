"""docs/api.md's curl + openssl recipe for the body signature, run as written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.conftest import Tenant
from tests.helpers import RunningServer, missing_prerequisite

API_DOC = Path(__file__).parents[2] / "docs" / "api.md"


def _recipe() -> str:
    text = API_DOC.read_text()
    section = text.split("## The body signature (opt-in)", 1)[1]
    match = re.search(r"curl and openssl:\n\n```sh\n(.*?)```", section, re.DOTALL)
    assert match, "docs/api.md lost its curl + openssl recipe"
    return match.group(1)


def test_the_documented_curl_recipe_passes_a_key_that_requires_the_body_signature(
    tenant: Tenant, server: RunningServer, engine: Engine
) -> None:
    for tool in ("curl", "openssl", "md5sum"):
        if shutil.which(tool) is None:
            missing_prerequisite(f"{tool} is not installed (docs/api.md's recipe uses it)")
    accounts.set_key_requires_body_signature(engine, tenant.api_key, True)
    script = (
        _recipe()
        .replace("KEY=bDqJFiq9 SECRET=7bz1lzh9", f"KEY={tenant.api_key} SECRET={tenant.secret}")
        .replace("http://127.0.0.1:8080", server.base_url)
    )
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(completed.stdout)
    assert answer["status"] == "0", answer

    # The same signed headers with another body sent: refused.
    replay = script.replace('--data-binary "$BODY"', '--data-binary "${BODY/10/11}"')
    assert replay != script
    replayed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", replay],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(replayed.stdout)["status"] == "-1"
