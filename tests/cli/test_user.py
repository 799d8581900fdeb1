"""``callrec user``: console users from the command line, passwords never on it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.operations.users import check_password, find_login
from callrec.store import accounts
from tests.cli.conftest import sqlite_only
from tests.cli.support import CALLREC, cli_env, run_cli

PASSWORD = "a long enough secret"


def test_create_list_disable_enable_password_delete(database_url: str, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    made = run_cli(database_url, "user", "create", "alice", "--workspace", "acme", "--json",
                   env={"CALLREC_USER_PASSWORD": PASSWORD}).json()  # fmt: skip
    assert made["name"] == "alice"
    assert made["role"] == "workspace"
    assert made["workspace"] == "acme"
    run_cli(database_url, "user", "create", "olga", "--operator",
            env={"CALLREC_USER_PASSWORD": PASSWORD}).ok()  # fmt: skip
    listed = run_cli(database_url, "user", "list", "--json").json()
    assert [(u["name"], u["role"], u["enabled"]) for u in listed] == [
        ("alice", "workspace", True),
        ("olga", "operator", True),
    ]
    assert check_password(find_login(migrated, "alice"), PASSWORD)

    run_cli(database_url, "user", "disable", "alice").ok()
    assert find_login(migrated, "alice").enabled is False  # type: ignore[union-attr]
    run_cli(database_url, "user", "enable", "alice").ok()
    run_cli(database_url, "user", "password", "alice",
            env={"CALLREC_USER_PASSWORD": "another long secret"}).ok()  # fmt: skip
    alice = find_login(migrated, "alice")
    assert check_password(alice, "another long secret")
    assert not check_password(alice, PASSWORD)
    run_cli(database_url, "user", "delete", "alice").ok()
    assert find_login(migrated, "alice") is None

    actions = [e.action for e in reversed(list_audit(migrated, CLI))]
    assert actions[-6:] == [
        "user.create", "user.create", "user.disable", "user.enable", "user.password",
        "user.delete",
    ]  # fmt: skip
    trail = repr(list_audit(migrated, CLI))
    assert PASSWORD not in trail
    assert "argon2" not in trail


@sqlite_only
def test_refusals_are_one_line_naming_what_is_wrong(database_url: str, migrated: Engine) -> None:
    """The CLI's own refusals; the operation's (names, duplicates) are in
    tests/console/test_users.py."""
    accounts.create_workspace(migrated, "acme")
    cases = [
        (("create", "bob", "--workspace", "acme"), "short",
         "error: the password must be at least 12 characters"),
        (("create", "bob", "--workspace", "acme", "--operator"), PASSWORD,
         "error: give exactly one of --workspace W and --operator"),
        (("create", "bob", "--operator"), None,
         "error: no terminal to ask the password on: set CALLREC_USER_PASSWORD"),
    ]  # fmt: skip
    for args, password, line in cases:
        env = {} if password is None else {"CALLREC_USER_PASSWORD": password}
        result = run_cli(database_url, "user", *args, env=env)
        assert (result.returncode, result.stderr.strip()) == (1, line), result


def _read_until(fd: int, wanted: bytes, seen: bytearray) -> None:
    deadline = time.monotonic() + 60
    while wanted not in seen:
        assert time.monotonic() < deadline, bytes(seen)
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                seen += os.read(fd, 1024)
            except OSError:
                return


@sqlite_only
def test_the_password_is_asked_twice_on_the_terminal_without_echo(
    database_url: str, migrated: Engine
) -> None:
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [CALLREC, "user", "create", "tess", "--operator"],
        stdin=terminal, stdout=terminal, stderr=terminal, env=cli_env(database_url),
        close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    seen = bytearray()
    try:
        _read_until(main, b"Password:", seen)
        os.write(main, PASSWORD.encode() + b"\n")
        _read_until(main, b"Repeat for confirmation:", seen)
        os.write(main, PASSWORD.encode() + b"\n")
        _read_until(main, b"created", seen)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        os.close(main)
    assert PASSWORD.encode() not in seen
    assert check_password(find_login(migrated, "tess"), PASSWORD)
