"""Project-wide fixtures. Tests run against the real PostgreSQL (embedded unless DATABASE_URL is set)."""

import os
from collections import Counter

import pytest

FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="save the browser tests' screenshots of the admin in test-results/e2e/, for people to look at "
        "(off by default: each costs Chromium about a quarter of a second)",
    )


def pytest_configure(config):
    """One cheap hasher for the whole run, set once as a setting (as cookiecutter-django's test settings
    and healthchecks' test runner do): admin_client, the factories and the commands create users in
    most tests, and PBKDF2's 1,000,000 rounds cost about half a second a hash on these machines.

    Set here, after pytest-django has configured Django and before any fixture, collection or live
    server thread hashes a password, it holds in every folder without a fixture to request. No test
    starts a process that creates a user (`manage.py start` in tests/ops exits on the busy port first),
    so the settings module keeps production's hashers. Tests of hashing itself override it back."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The longest files first, in a stable sort: the parallel run hands out a file at a time in this
    order (`--dist loadfile --no-loadscope-reorder`, pyproject.toml), so the long files start early on
    whichever worker is free and the many quick ones fill in at the end, instead of one worker finishing
    the embedded-server tests alone. A file's length is guessed from its tests: those that start
    processes, servers or a browser (marked `slow` or `e2e`) first, the most of them first; then the
    others, the most tests first (xdist's own order)."""
    slow_tests: Counter = Counter()
    tests: Counter = Counter()
    for item in items:
        tests[item.path] += 1
        if item.get_closest_marker("slow") or item.get_closest_marker("e2e"):
            slow_tests[item.path] += 1
    items.sort(key=lambda item: (-slow_tests[item.path], -tests[item.path]))


# Folders whose tests share something costly made per worker (a package-scoped fixture, a session one):
# their files go to one worker together, one after the other, so it is made once.
RUN_WHOLE = {
    "tests/replica/": "the streaming replica (pg_basebackup and a second server), package-scoped",
    "tests/e2e/": "the browser and the live server, session-scoped",
}


@pytest.hookimpl(optionalhook=True)  # xdist's hook: no error where xdist is not installed
def pytest_xdist_make_scheduler(config, log):
    """xdist's `loadfile` scheduling, but a folder of RUN_WHOLE is one unit of work (xdist's documented
    hook for a custom grouping). Other modes are xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileOrFolderScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return next((folder for folder in RUN_WHOLE if path.startswith(folder)), path)

    return LoadFileOrFolderScheduling(config, log)


@pytest.fixture
def staff_user(db):
    from shared.services import create_user

    return create_user(email="staff@tekup.dk", name="Staff", password="a-long-test-passw0rd", is_staff=True)


@pytest.fixture(scope="session")
def worker_database_template(tmp_path_factory):
    """In a parallel run, the template the workers' test databases are made from (tests.support.database)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    from tests.support.database import WorkerDatabaseTemplate
    from tests.support.once import run_directory

    return WorkerDatabaseTemplate(run_directory(tmp_path_factory))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, worker_database_template):
    """pytest-django's hook before the test databases are made: this worker's is made from the run's
    template when there is one (or this worker makes it)."""
    if worker_database_template is not None:
        worker_database_template.before_setup()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, worker_database_template):
    """Django's test database (in a parallel run, made from the run's template: worker_database_template),
    dropped at the end of the run even when idle pooled connections remain.

    Django closes the pool of each alias before dropping the test database, but a test that overrides
    DATABASES (or a replica alias that comes and goes) makes Django build new connection wrappers: the
    pools of the old ones are never closed, and their idle connections made the drop fail ("is being
    accessed by other users"), leaving test_tekup behind. They are this run's own idle sessions, so
    they are ended here, just before Django's teardown drops the database."""
    if worker_database_template is not None:
        with django_db_blocker.unblock():
            worker_database_template.after_setup()
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
            )
        connections["default"].close()
        connections["default"].close_pool()
        if worker_database_template is not None:
            worker_database_template.drop()
