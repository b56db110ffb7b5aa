"""Login throttling (django-axes): 10 failures for one username from one address lock that login for 15
minutes, with a clear message, even for the right password; the lock is written to the audit."""

import datetime

from django.conf import settings

from shared.models import AuditLog
from shared.services import create_user

LOGIN = "/admin/login/"
PASSWORD = "a-long-test-passw0rd"


def attempt(client, password, address="10.0.0.1", email="staff@tekup.dk"):
    return client.post(
        LOGIN, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_ten_failures_lock_the_login_even_for_the_right_password(client, db):
    create_user(email="staff@tekup.dk", name="Staff", password=PASSWORD, is_staff=True)

    for _ in range(9):
        assert attempt(client, "wrong-password").status_code == 200  # the form again, with its error
    locked = attempt(client, "wrong-password")  # the tenth
    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.content.decode()
    entry = AuditLog.objects.get(action="login.locked")
    assert entry.metadata == {"username": "staff@tekup.dk", "ip_address": "10.0.0.1"}

    right = attempt(client, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action="login.locked").count() == 2  # each refused attempt too

    # Another address is not locked: the lock is for the username from that address.
    assert attempt(client, PASSWORD, address="10.0.0.2").status_code == 302
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME and settings.AXES_FAILURE_LIMIT == 10


def test_fewer_failures_then_the_right_password_logs_in(client, db):
    create_user(email="staff@tekup.dk", name="Staff", password=PASSWORD, is_staff=True)
    for _ in range(9):
        attempt(client, "wrong-password")

    assert attempt(client, PASSWORD).status_code == 302
    assert not AuditLog.objects.filter(action="login.locked").exists()
