"""Browser fixtures: Debian's chromium (never `playwright install`), a seeded server in a subprocess,
and artifacts (screenshots; on failure the page HTML and console log) under artifacts/browser/.

The server uses its own SQLite database in a temp folder in both suite runs (SQLite and PostgreSQL):
the journeys prove what a user sees in a real browser; the database matrix is the other suites' job."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of the seeded market; the server process is stopped by PID at the end of the session."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = tmp_path_factory.mktemp("browser-market")
    # the log is a file, not a pipe: a chatty server never blocks on it
    with open(data_dir / "server.log", "w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.browser.server", str(port), str(data_dir)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = proc.stdout.readline()  # blocks until the seed is done (or the process died)
            if line.strip() != "READY":
                proc.wait()
                log.seek(0)
                raise RuntimeError(f"browser test server did not start: {line}{log.read()[-2000:]}")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Shots:
    """Screenshots per journey step; on failure, every open page's HTML and console log."""

    def __init__(self, name: str):
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self.pages: list = []
        self.console: list[str] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def watch(self, page):
        self.pages.append(page)
        page.on("console", lambda msg: self.console.append(f"[{msg.type}] {page.url}: {msg.text}"))
        page.on("pageerror", lambda exc: self.console.append(f"[pageerror] {page.url}: {exc}"))
        return page

    def shot(self, page, step: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"), full_page=True)

    def save_failure(self) -> None:
        for n, page in enumerate(self.pages):
            if not page.is_closed():
                (ARTIFACTS / f"{self.name}-failed-{n}.html").write_text(page.content(), encoding="utf-8")
                page.screenshot(path=str(ARTIFACTS / f"{self.name}-failed-{n}.png"), full_page=True)
        (ARTIFACTS / f"{self.name}-console.log").write_text("\n".join(self.console), encoding="utf-8")


@pytest.fixture
def shots(request, page):
    s = Shots(request.node.name)
    s.watch(page)
    yield s
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        s.save_failure()


def log_in(page, base: str, username: str, password: str = "passw0rd!") -> None:
    page.goto(f"{base}/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) button[type=submit]").click()
    assert page.locator(".flash-success").count() == 1, page.content()[:2000]
