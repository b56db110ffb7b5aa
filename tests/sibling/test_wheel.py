"""The wheel a sibling installs: every app with everything it needs, and nothing of the project's own."""

import subprocess
import zipfile

import pytest

from tekupdb.db.routers import TEKUP_APP_LABELS

from .conftest import PROJECT, source_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel_files(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if ".dist-info/" not in name}


def test_the_wheel_holds_every_file_of_every_app_and_the_backend(wheel_files):
    # Every file the apps have in the source (models, services, admin, commands, migrations, templates,
    # static files, fixtures), as listed from the checkout: a file type the packaging misses shows here.
    expected = {
        name
        for name in source_files()
        if name.split("/", 1)[0] in TEKUP_APP_LABELS or name.startswith("tekupdb/db/")
    }
    assert "billy/migrations/0001_create_schema.py" in expected
    assert "billy/templates/admin/billy/usagemetric/chart.html" in expected
    assert expected - wheel_files == set()
    assert {
        "tekupdb/db/backend/base.py",
        "tekupdb/db/routers.py",
        "tekupdb/db/operations.py",
        "shared/checks.py",
        "shared/management/commands/makemigrations.py",
    } <= wheel_files


def test_the_wheel_leaves_out_the_project_tests_benchmarks_and_secrets(wheel, wheel_files):
    top_level = {name.split("/", 1)[0] for name in wheel_files}
    assert top_level == TEKUP_APP_LABELS | {"tekupdb"}
    tekupdb_files = {name for name in wheel_files if name.startswith("tekupdb/")}
    assert tekupdb_files == {name for name in tekupdb_files if name.startswith("tekupdb/db/")}, (
        "only tekupdb.db ships: no settings, urls, wsgi, admin site or operations commands"
    )
    assert not {"tekupdb/settings.py", "tekupdb/urls.py", "tekupdb/wsgi.py", "manage.py"} & wheel_files
    # Each app's demo data travels with the app (`<app>/demo.py`, on `shared.seeding`); the operations app
    # and its `seed` command, which run it, do not.
    assert {"shared/seeding.py", "shared/demo.py", "billy/demo.py", "renos/demo/__init__.py"} <= wheel_files
    assert not [name for name in wheel_files if name.startswith("operations/") or "/commands/seed" in name]
    assert not [name for name in wheel_files if "/tests/" in name or name.startswith(("tests/", "bench/"))]
    assert not [name for name in wheel_files if name.rsplit("/", 1)[-1].startswith(".env")]
    assert not [name for name in wheel_files if name.endswith((".pyc", ".lock")) or "__pycache__" in name]
    # The development secret of the settings, and the sibling test project, are nowhere in it.
    with zipfile.ZipFile(wheel) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    assert b"django-insecure" not in contents
    assert b"sibling-tests-only" not in contents and PROJECT.name.encode() + b"/manage.py" not in contents


def test_the_sibling_imports_the_apps_from_the_wheel(sibling_python):
    result = subprocess.run(
        [str(sibling_python), "-c", "import billy, shared, tekupdb.db.routers as r; print(billy.__file__)"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages/billy/__init__.py" in result.stdout
    assert str(PROJECT.parents[2]) not in result.stdout
