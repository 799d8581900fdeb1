"""Running ``callrec fetch``/``query``/``summary`` against the real server, in-process or not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from typer.testing import CliRunner, Result

from callrec.cli import app
from callrec.cli.common import CliError
from tests.conftest import Tenant
from tests.helpers import RunningServer

CALLREC = [sys.executable, "-c", "from callrec.cli import main; main()"]


@dataclass(frozen=True)
class Remote:
    """Where the commands point: the server, the tenant's key, and the server's database."""

    server: RunningServer
    tenant: Tenant
    database_url: str

    def env(self, tenant: Tenant | None = None) -> dict[str, str]:
        tenant = tenant or self.tenant
        return {
            "CALLREC_API_KEY": tenant.api_key,
            "CALLREC_API_SECRET": tenant.secret,
            "CALLREC_BASE_URL": self.server.base_url,
            "CALLREC_DATABASE_URL": self.database_url,
        }

    def invoke(self, args: Sequence[str], tenant: Tenant | None = None) -> Result:
        """Run in this process (fast); exceptions end up in ``result.exception``."""
        return CliRunner().invoke(app, list(args), env=self.env(tenant))

    def refusal(self, args: Sequence[str], tenant: Tenant | None = None) -> tuple[int, str]:
        """Run in this process a command that must fail; its exit code and one-line message."""
        result = self.invoke(args, tenant)
        assert isinstance(result.exception, CliError), (result.output, result.exception)
        return result.exception.exit_code, str(result.exception)

    def process_env(self) -> dict[str, str]:
        """This environment without the caller's own CALLREC_* settings, then the remote's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
        return {**env, **self.env(), "NO_COLOR": "1", "COLUMNS": "200"}

    def popen(self, args: Sequence[str]) -> subprocess.Popen[bytes]:
        """Run as a real process, as a user would (and as a kill can reach)."""
        return subprocess.Popen(
            [*CALLREC, *args],
            env=self.process_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CALLREC, *args],
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
