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


def logged_in_page(browser, live_server, user, *, width: int = 1280, at: str | None = "/admin/"):
    """A new browser page at `at` (the admin's index; None: no page yet), logged in as `user` by its
    session cookie (Django's `Client.force_login`, which sends `user_logged_in` as a form login does):
    the login form itself is walked once, in test_admin.py::test_dashboard_after_login."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    if at is not None:
        page.goto(at)
    return page


@pytest.fixture
def page(browser, live_server, superuser):
    """A browser page logged in to the admin as a superuser, on no page yet: each test opens the one
    it needs (the index, with its dashboard, is the slowest page to load)."""
    page = logged_in_page(browser, live_server, superuser, at=None)
    yield page
    page.context.close()


@pytest.fixture
def demo_page(request, page):
    """The logged-in page at 1,400 px over the demo data of `seed --size small`: every app's, or only
    those a test names with `@pytest.mark.demo_apps("crm", ...)` (a full seed costs two seconds)."""
    from operations.seeding import run_seed

    marker = request.node.get_closest_marker("demo_apps")
    run_seed(size="small", apps=list(marker.args) if marker else None)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    return page
