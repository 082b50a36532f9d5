"""The browser tests' world: a real server on a throw-away demo database, and Chromium.

Once per session (``make test-browser``):

1. a SQLite database in a temporary directory is migrated and seeded with a small demo
   shop (``seed_demo``, ``seed_demo_campaign``, ``compute_analytics``), like ``.ci/api_fuzz``;
2. the static files are collected into a temporary ``STATIC_ROOT`` (manifest storage);
3. gunicorn serves the project with ``DEBUG`` off, whitenoise serving those files, Celery
   eager (no broker in the environment), on a free port of 127.0.0.1;
   (``BROWSER_SEEDED_DB=path`` copies an already seeded SQLite file instead of step 1);
4. Debian's Chromium (``/usr/bin/chromium``, ``make browser`` installs it; ``CHROMIUM=``
   overrides) is launched headless by Playwright — never a browser Playwright downloads.

Every page a test opens goes through :class:`Watch`, which records console errors,
uncaught exceptions, failed requests, answers ≥ 400 and requests to any other origin.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ROLES = ["admin", "ops", "manager", "analyst"]
PASSWORD = "demo"
WIDTH = 1400
SCREENSHOTS = os.environ.get("SCREENSHOTS", "") not in ("", "0", "false")
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
# Seed sizes: enough for every report to have data, small enough for CI (1-2.5 min with
# collectstatic, depending on the load of the machine).
SEED = ["--customers", "400", "--orders", "3000", "--events", "20000", "--no-progress"]
# The environment of everything the fixture starts: its own database, no broker (Celery
# eager), no shared cache; production-like security except HTTPS.
DROP = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL", "CACHE_URL")


def waits_for(*url_names: str) -> pytest.MarkDecorator:
    """A mark: skip the test while a page it needs is not on this branch (the pages of
    issue #8 are built on other branches and merged later); it runs once they are. The
    skip is decided at collection, so a run where everything waits seeds nothing.
    ``BROWSER_REQUIRE_PAGES=1`` runs them anyway (after the merge: a missing page fails)."""
    missing = [name for name in url_names if not url_exists(name)]
    required = os.environ.get("BROWSER_REQUIRE_PAGES", "") not in ("", "0")
    return pytest.mark.skipif(
        bool(missing) and not required,
        reason=f"waits for the pages {', '.join(missing)} (not merged on this branch)",
    )


def url_exists(name: str) -> bool:
    for args in ([], [1]):
        try:
            reverse(name, args=args)
            return True
        except NoReverseMatch:
            continue
    return False


@dataclass
class Server:
    url: str
    database: Path
    log: Path

    def rows(self, sql: str) -> list[tuple]:
        """Rows of a read-only query on the server's database (ids for detail pages)."""
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def ids(self, sql: str) -> list:
        return [row[0] for row in self.rows(sql)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict, log: Path) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}); see {log}")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    work = tmp_path_factory.mktemp("browser")
    database, static, log = work / "demo.sqlite3", work / "static", work / "server.log"
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="tests.browser.server_settings",
        BROWSER_STATIC_ROOT=str(static),
        DEBUG="false",
        SECRET_KEY="browser-tests-" + secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    started = time.monotonic()

    def seed():
        if seeded := os.environ.get("BROWSER_SEEDED_DB"):  # a quicker re-run while editing
            shutil.copyfile(seeded, database)
            return
        _run([*manage, "migrate", "--noinput", "-v0"], env, work / "seed.log")
        _run([*manage, "seed_demo", *SEED], env, work / "seed.log")
        _run([*manage, "seed_demo_campaign"], env, work / "seed.log")
        _run([*manage, "compute_analytics", "--no-progress"], env, work / "seed.log")

    with ThreadPoolExecutor(2) as pool:  # collectstatic does not need the database
        jobs = [
            pool.submit(seed),
            pool.submit(
                _run, [*manage, "collectstatic", "--noinput", "-v0"], env, work / "static.log"
            ),
        ]
        for job in jobs:
            job.result()
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "ecomops.wsgi",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz/", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log}") from None
                time.sleep(0.3)
        print(f"\nbrowser tests: server ready at {url} in {time.monotonic() - started:.0f} s")
        yield Server(url, database, log)
    finally:
        process.terminate()
        process.wait(timeout=20)
    # 403s and 404s are logged as warnings; a server error is logged as ERROR.
    errors = [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line]
    assert not errors, f"the server logged errors (see {log}):\n" + "\n".join(errors[:20])


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@dataclass
class Watch:
    """What went wrong while a page was open; ``expect`` lists answers a test asked for
    (a 403 it provokes on purpose)."""

    origin: str
    problems: list[str] = field(default_factory=list)
    expect: set[tuple[int, str]] = field(default_factory=set)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught exception: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("request", self._request)

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _failed(self, request) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        path = response.url.removeprefix(self.origin)
        if response.status >= 400 and (response.status, path) not in self.expect:
            self.problems.append(f"{response.status} for {response.url}")

    def _request(self, request) -> None:
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            self.problems.append(f"request to another origin: {request.url}")

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def new_context(browser: Browser, server: Server) -> BrowserContext:
    context = browser.new_context(
        base_url=server.url, viewport={"width": WIDTH, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(15_000)
    return context


def log_in(context: BrowserContext, server: Server, username: str) -> None:
    """Through the login form, as a person would."""
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/")
    assert page.get_by_text(username, exact=True).first.is_visible()
    page.close()


@pytest.fixture(scope="session")
def contexts(browser, server):
    """``contexts[role]``: a browser context signed in as that demo user (one login each)."""
    made: dict[str, BrowserContext] = {}

    class Contexts(dict):
        def __missing__(self, role: str) -> BrowserContext:
            context = new_context(browser, server)
            log_in(context, server, role)
            made[role] = self[role] = context
            return context

    yield Contexts()
    for context in made.values():
        context.close()


@pytest.fixture
def open_as(contexts, server):
    """``page, watch = open_as("manager")``: a new tab of that role's context, watched;
    the test fails at teardown if anything went wrong that it did not ``take()``."""
    opened: list[tuple[Page, Watch]] = []

    def open_page(role: str) -> tuple[Page, Watch]:
        page = contexts[role].new_page()
        watch = Watch(server.url)
        watch.attach(page)
        opened.append((page, watch))
        return page, watch

    yield open_page
    leftovers = []
    for page, watch in opened:
        leftovers += watch.take()
        page.close()
    assert not leftovers, "\n".join(leftovers)


# --- What a page must show --------------------------------------------------------------

CHARTS_READY = """() => window.Chart !== undefined && Array.isArray(window.ecomopsCharts)
    && window.ecomopsCharts.length === document.querySelectorAll("canvas[data-chart]").length"""

# For each chart canvas: its id, size, and how many pixels differ from a blank canvas of
# the same size (alpha > 0: Chart.js draws on a transparent background).
CANVAS_PIXELS = """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((c) => {
    const blank = document.createElement("canvas");
    blank.width = c.width; blank.height = c.height;
    let painted = 0;
    if (c.width && c.height) {
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    }
    return {id: c.dataset.chart, width: c.width, height: c.height, painted: painted,
            differs: c.width > 0 && c.toDataURL() !== blank.toDataURL()};
})"""


def chart_problems(page: Page) -> list[str]:
    """Every ``canvas[data-chart]`` is drawn by pages.js and is not blank."""
    if not page.locator("canvas[data-chart]").count():
        return []  # a page without charts (the admin's import jobs)
    try:
        page.wait_for_function(CHARTS_READY, timeout=10_000)
    except Exception:  # reported below with what is known
        drawn = page.evaluate("() => (window.ecomopsCharts || []).length")
        total = page.locator("canvas[data-chart]").count()
        return [f"{page.url}: {drawn} of {total} charts drawn (is Chart.js loaded?)"]
    problems = []
    for canvas in page.evaluate(CANVAS_PIXELS):
        if not canvas["differs"] or canvas["painted"] < 100:
            problems.append(f"{page.url}: chart {canvas['id']} is blank ({canvas})")
    return problems


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
