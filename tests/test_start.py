import io

import pytest
from django.core.management import call_command

from operations import startup
from shared.models import User
from tests.support.concurrency import run_together


@pytest.fixture
def data_dir(tmp_path, settings, monkeypatch):
    settings.TEKUPDB_DATA_DIR = tmp_path / ".pgdata"
    settings.DEBUG = True  # the test runner forces DEBUG off; start behaves as in development
    monkeypatch.delenv("DJANGO_SUPERUSER_EMAIL", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    return tmp_path / ".pgdata"


def run_start():
    out = io.StringIO()
    call_command("start", "--no-serve", "--no-seed", stdout=out)
    return out.getvalue()


def test_start_creates_a_superuser_with_a_generated_password_kept_beside_the_data_dir(db, data_dir):
    output = run_start()

    # never inside PostgreSQL's own directory (a base backup of the server would trip over it)
    assert startup.password_file() == data_dir.parent / ".pgdata.admin-password.txt"

    password = startup.password_file().read_text().strip()
    user = User.objects.get(email=startup.DEFAULT_ADMIN_EMAIL)
    assert user.is_superuser and user.check_password(password)
    assert f"as {startup.DEFAULT_ADMIN_EMAIL} with password {password}" in output
    assert startup.password_file().stat().st_mode & 0o077 == 0


def test_a_password_file_inside_the_data_dir_is_moved_out_and_still_used(db, data_dir):
    run_start()
    password = startup.password_file().read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    startup.password_file().rename(data_dir / "admin-password.txt")  # where earlier versions kept it

    output = run_start()

    assert f"with password {password}" in output
    assert not (data_dir / "admin-password.txt").exists()
    assert startup.password_file().read_text().strip() == password


def test_every_start_prints_the_same_login_and_creates_no_second_user(db, data_dir):
    first = run_start()
    second = run_start()

    assert User.objects.count() == 1
    assert first.splitlines()[-1] == second.splitlines()[-1]


def test_start_uses_the_superuser_from_the_environment(db, data_dir, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Tekup.dk")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "env-given-passw0rd")

    output = run_start()

    assert User.objects.get(email="boss@tekup.dk").check_password("env-given-passw0rd")
    assert "DJANGO_SUPERUSER_PASSWORD" in output and "env-given-passw0rd" not in output
    assert not startup.password_file().exists()


def test_start_does_not_overwrite_a_password_changed_on_purpose(db, data_dir):
    run_start()
    user = User.objects.get(email=startup.DEFAULT_ADMIN_EMAIL)
    user.set_password("my-own-new-passw0rd")
    user.save()

    output = run_start()

    user.refresh_from_db()
    assert user.check_password("my-own-new-passw0rd")
    assert "the password you set" in output


def test_start_with_debug_off_creates_no_superuser(db, data_dir, settings):
    settings.DEBUG = False

    output = run_start()

    assert not User.objects.exists()
    assert "createsuperuser" in output


def test_healthz_answers_ok_after_a_round_trip(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_create_one_superuser_and_agree_on_its_password(data_dir):
    logins = run_together([lambda: startup.ensure_admin_login(debug=True)] * 4)

    password = startup.password_file().read_text().strip()
    assert User.objects.count() == 1
    assert User.objects.get().check_password(password)
    assert sum(login.created for login in logins) == 1
    assert all(password in login.message for login in logins)


def _listening_socket():
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    return busy


def test_start_on_a_busy_port_names_it_and_how_to_choose_another(db, data_dir):
    from django.core.management.base import CommandError

    with _listening_socket() as busy:
        port = busy.getsockname()[1]
        out = io.StringIO()
        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is already in use") as caught:
            call_command("start", f"127.0.0.1:{port}", "--no-seed", stdout=out)
    assert f"manage.py start 127.0.0.1:{port + 1}" in str(caught.value)
    assert "Serving" not in out.getvalue() and "migrated" not in out.getvalue()
