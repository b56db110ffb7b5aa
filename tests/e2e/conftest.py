"""Browser tests of the admin: Playwright for Python driving Debian's Chromium (never `playwright install`).

CI installs Chromium (`.ci/run`); where /usr/bin/chromium is missing the tests skip, saying so.
Playwright's sync API runs an event loop in the test's thread, so Django's guard against ORM calls from
async code must be lifted for the test's own fixtures (the live server runs in its own thread).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"  # gitignored
PASSWORD = "a-long-e2e-passw0rd"
WIDTH = 1400  # the screen staff use: every page must fit it

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, name, full_page=False)` saves test-results/e2e/<name>.png when the run asks for
    screenshots (`pytest --screenshots`), and does nothing otherwise: they are for people to look at,
    and the tests' assertions never read them."""
    wanted = request.config.getoption("screenshots")

    def take(page, name: str, *, full_page: bool = False) -> None:
        if wanted:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    return take


@pytest.fixture
def superuser(transactional_db):
    from shared.models import User

    return User.objects.create_superuser(email="boss@tekup.dk", name="Boss", password=PASSWORD)


@pytest.fixture(scope="session")
def browser_context(browser, live_server):
    """One browser context for the run's browser tests, each test in pages of its own (`new_page`).
    A new context's first page cost Chromium 1.2 to 1.9 s of CPU, one in an open context 0.7 s; over the
    browser tests, 67 to 72 core-seconds against 72 to 73 with a context per test."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def new_page(browser_context, live_server):
    """`new_page(user=None, *, width=1280, at=None)`: a page of the shared context at `at` (None: no page
    yet), logged in as `user` by its session cookie (Django's `Client.force_login`, which sends
    `user_logged_in` as a form login does) or logged out; the login form itself is walked once, in
    test_admin.py::test_dashboard_after_login. The context's cookies are the last page's user's, so a
    test works as one user at a time. Its pages are closed when the test ends."""
    from django.conf import settings
    from django.test import Client

    opened = []

    def new(user=None, *, width: int = 1280, at: str | None = None):
        browser_context.clear_cookies()
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            browser_context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = browser_context.new_page()
        opened.append(page)
        page.set_viewport_size({"width": width, "height": 900})
        if at is not None:
            page.goto(at)
        return page

    yield new
    for page in opened:
        page.close()


@pytest.fixture
def page(new_page, superuser):
    """A browser page logged in to the admin as a superuser, on no page yet: each test opens the one
    it needs (the index, with its dashboard, is the slowest page to load)."""
    return new_page(superuser)


@pytest.fixture
def demo_page(request, page):
    """The logged-in page at 1,400 px over the demo data of `seed --size small`: every app's, or only
    those a test names with `@pytest.mark.demo_apps("crm", ...)` (a full seed costs two seconds)."""
    from operations.seeding import run_seed

    marker = request.node.get_closest_marker("demo_apps")
    run_seed(size="small", apps=list(marker.args) if marker else None)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    return page
