"""Console fixtures: seeded tenants and users, a real server, and Debian's Chromium.

``console_server`` runs on both backends (through ``start_server``); ``browser_server`` is a
SQLite server for the browser tests, which look at pages rather than storage. The browser is
``/usr/bin/chromium`` driven by Playwright, never a downloaded one: without it the browser
tests are skipped with one line saying so, and fail under CI=true.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.users import create_user
from callrec.settings import Settings
from callrec.store import accounts, make_engine, upgrade
from tests.helpers import RunningServer, missing_prerequisite, run_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
CONSOLE = "/console"


@dataclass(frozen=True)
class Login:
    name: str
    password: str


UserMaker = Callable[..., Login]


def seed(engine: Engine) -> None:
    """acme (EUR, Asia/Kolkata) and rival, each with a key and a number."""
    accounts.create_workspace(engine, "acme", "EUR", "Asia/Kolkata")
    accounts.create_workspace(engine, "rival", "USD")
    for name, number in (("acme", "915027021995"), ("rival", "442071838750")):
        accounts.create_key(engine, name, api_key=f"{name[:4]}Key1")
        accounts.add_number(engine, number, name, "app-1", "MOBILE")


def user_maker(engine: Engine) -> UserMaker:
    counter = iter(range(1_000_000))

    def make(workspace: str | None = None, name: str | None = None,
             password: str = PASSWORD) -> Login:  # fmt: skip
        login = Login(name or f"user{next(counter)}", password)
        create_user(engine, CLI, login.name, login.password, workspace)
        return login

    return make


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


@pytest.fixture
def make_user(seeded: Engine) -> UserMaker:
    return user_maker(seeded)


@pytest.fixture
def console_server(start_server: Callable[..., RunningServer], seeded: Engine) -> RunningServer:
    # A test reads each page (BeautifulSoup) before asking for the next one; on a loaded
    # machine that took longer than the 5 s default keep-alive, and the server closed the
    # connection just as the next request went out on it ("Server disconnected").
    return start_server(keepalive_timeout_seconds=120)


class Session:
    """An httpx client logged in to the console (cookies kept), with form helpers."""

    def __init__(self, server: RunningServer) -> None:
        self.http = httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False)

    def login(self, login: Login) -> httpx.Response:
        answer = self.http.post(
            f"{CONSOLE}/login", data={"name": login.name, "password": login.password}
        )
        assert answer.status_code == 303, answer.text
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(CONSOLE + path, **kwargs)

    def page(self, path: str) -> BeautifulSoup:
        answer = self.get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:2000])
        return BeautifulSoup(answer.text, "html.parser")

    def csrf(self, path: str) -> str:
        """The CSRF token of the page at ``path`` (the logout form holds it on every page)."""
        field = self.page(path).select_one("input[name=csrf]")
        assert field is not None
        return str(field["value"])

    def post(self, path: str, data: dict[str, str], csrf_from: str | None = None,
             **kwargs: Any) -> httpx.Response:  # fmt: skip
        """A form POST with the session's token (read from ``csrf_from``, default ``path``)."""
        token = self.csrf(csrf_from or path)
        return self.http.post(CONSOLE + path, data={"csrf": token, **data}, **kwargs)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def session_for(console_server: RunningServer) -> Iterator[Callable[[Login | None], Session]]:
    opened: list[Session] = []

    def make(login: Login | None) -> Session:
        session = Session(console_server)
        opened.append(session)
        if login is not None:
            session.login(login)
        return session

    yield make
    for session in opened:
        session.close()


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def error_page(response: httpx.Response, status: int) -> BeautifulSoup:
    """The console's HTML error page with this status."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    page = soup(response)
    problem = page.select_one("section.problem")
    assert problem is not None, response.text[:2000]
    assert problem["data-status"] == str(status)
    return page


# The browser layer.


# Module scope, not session: Playwright's sync API runs an event loop in this thread while it
# is open, and any later test of the same process that calls asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        missing_prerequisite(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def browser_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
    upgrade(engine)
    seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def browser_user(browser_engine: Engine) -> UserMaker:
    return user_maker(browser_engine)


@pytest.fixture
def browser_server(browser_engine: Engine, tmp_path: Path) -> Iterator[RunningServer]:
    url = str(browser_engine.url)
    server = run_server(Settings(database_url=url, files_dir=str(tmp_path / "files")))
    yield server
    server.stop()


@pytest.fixture
def page(browser: Any, browser_server: RunningServer) -> Iterator[Any]:
    """A fresh browser context on ``browser_server``: ``page.goto("/console/...")`` works."""
    context = browser.new_context(
        base_url=browser_server.base_url, viewport={"width": 1280, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def login(page: Any, name: str, password: str) -> None:
    """Log in through the form, as a person would."""
    page.goto(f"{CONSOLE}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def snap(page: Any, name: str) -> Path:
    """A full-page screenshot under test-artifacts/screenshots/ (not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
