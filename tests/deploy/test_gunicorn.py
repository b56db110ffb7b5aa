"""gunicorn serving the project as production does (DEBUG off, gunicorn.conf.py, whitenoise, behind a TLS
proxy), on 127.0.0.1, against the test database of the embedded (or configured) PostgreSQL."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from .conftest import REPO, production_env

pytestmark = pytest.mark.slow

START_DEADLINE = 90  # seconds: two workers importing Django on a busy 2-core machine
SECURE = {"X-Forwarded-Proto": "https"}  # what Render's TLS proxy adds


def database_url_of(settings: dict) -> str:
    """The test connection's settings as a DATABASE_URL (the embedded server listens on a socket)."""
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    host, port, name = settings["HOST"], str(settings["PORT"] or ""), quote(settings["NAME"], safe="")
    if host.startswith("/"):
        query = {"host": host, **({"port": port} if port else {})}
        return f"postgres://{credentials}/{name}?{urlencode(query)}"
    return f"postgres://{credentials}{host}{':' + port if port else ''}/{name}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, port: int, stdout: Path, stderr: Path):
        self.process, self.port, self.stdout, self.stderr = process, port, stdout, stderr

    def fetch(self, path: str, *, method="GET", headers: dict | None = None, body: bytes | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def output(self) -> str:
        return f"stdout:\n{self.stdout.read_text()[-3000:]}\nstderr:\n{self.stderr.read_text()[-3000:]}"


def pause_unless_exited(process: subprocess.Popen, seconds: float) -> None:
    """The pause between two polls, cut short if the process dies."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}\n{server.output()}")
        try:
            status, _, _ = server.fetch("/healthz")
            if status == 200:
                return
        except OSError:
            pass
        pause_unless_exited(server.process, 0.25)
    pytest.fail(f"gunicorn did not answer /healthz within {START_DEADLINE}s\n{server.output()}")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, collected_static, tmp_path_factory):
    from django.db import connection

    with django_db_blocker.unblock():
        connection.ensure_connection()  # starts the embedded server and records its socket in HOST
    port = free_port()
    env = production_env(
        DATABASE_URL=database_url_of(connection.settings_dict),
        STATIC_ROOT=str(collected_static),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="2",
        # As on Render, where the proxy is not on the loopback: gunicorn itself does not trust the
        # forwarded headers, Django's SECURE_PROXY_SSL_HEADER alone decides what is secure.
        FORWARDED_ALLOW_IPS="192.0.2.1",
    )
    logs = tmp_path_factory.mktemp("gunicorn")
    stdout, stderr = logs / "stdout.log", logs / "stderr.log"
    with open(stdout, "w") as out, open(stderr, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tekupdb.wsgi"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=err,
        )
    running = Server(process, port, stdout, stderr)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        process.terminate()  # SIGTERM: gunicorn's graceful shutdown, as on a deploy
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_healthz_answers_ok_over_plain_http(server):
    """Render's health checks reach the instance directly: /healthz is exempt from the HTTPS redirect."""
    status, headers, body = server.fetch("/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    assert "no-cache" in headers["Cache-Control"]


def test_the_admin_redirects_plain_http_to_https(server):
    status, headers, _ = server.fetch("/admin/login/")
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{server.port}/admin/login/"


def login_page(server):
    status, headers, body = server.fetch("/admin/login/", headers=SECURE)
    assert status == 200, body[:500]
    return headers, body.decode()


def test_the_admin_login_page_behind_the_tls_proxy(server):
    headers, page = login_page(server)
    assert 'name="csrfmiddlewaretoken"' in page
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    cookie = SimpleCookie(headers["Set-Cookie"])["csrftoken"]
    assert cookie["secure"]


def hashed_stylesheet(page: str) -> str:
    match = re.search(r"/static/admin/css/base\.[0-9a-f]{12}\.css", page)
    assert match, "the login page does not link the hashed admin stylesheet"
    return match[0]


def test_admin_static_files_are_compressed_and_cached_forever(server, collected_static):
    _, page = login_page(server)
    url = hashed_stylesheet(page)
    on_disk = (collected_static / url.removeprefix("/static/")).read_bytes()

    status, headers, body = server.fetch(url, headers={**SECURE, "Accept-Encoding": "gzip, br"})
    assert status == 200
    assert headers["Content-Encoding"] in {"gzip", "br"}
    if headers["Content-Encoding"] == "gzip":
        assert gzip.decompress(body) == on_disk
    assert "Accept-Encoding" in headers["Vary"]
    cache_control = headers["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    assert int(re.search(r"max-age=(\d+)", cache_control)[1]) >= 31536000

    status, headers, body = server.fetch(url, headers=SECURE)
    assert status == 200 and "Content-Encoding" not in headers
    assert body == on_disk


def test_unhashed_static_names_are_cached_briefly(server):
    """Their content changes at the next deploy, so no far-future caching for them."""
    status, headers, _ = server.fetch("/static/admin/css/base.css", headers=SECURE)
    assert status == 200
    assert headers["Cache-Control"] == "max-age=60, public"


@pytest.mark.django_db(transaction=True)
def test_staff_log_in_through_the_tls_proxy(server, settings):
    """Secure cookies, CSRF and the proxy header together: a browser login over HTTPS works."""
    from django.conf import global_settings

    from shared.services import create_user

    # gunicorn runs the production hashers: the user's hash must be one of theirs, not the tests' fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS

    create_user(email="ops@tekup.dk", name="Ops", password="a-long-test-passw0rd", is_staff=True)
    headers, page = login_page(server)
    csrf_cookie = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = urlencode(
        {"csrfmiddlewaretoken": token, "username": "ops@tekup.dk", "password": "a-long-test-passw0rd"}
    )
    origin = f"https://127.0.0.1:{server.port}"
    status, headers, body = server.fetch(
        "/admin/login/?next=/admin/",
        method="POST",
        body=form.encode(),
        headers={
            **SECURE,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Origin": origin,
            "Referer": f"{origin}/admin/login/",
        },
    )
    assert status == 302, body[:1000]
    assert headers["Location"] == "/admin/"
    cookies = SimpleCookie()
    for header in headers.get_all("Set-Cookie"):
        cookies.load(header)
    session = cookies["sessionid"]
    assert session["secure"] and session["httponly"]

    status, _, body = server.fetch("/admin/", headers={**SECURE, "Cookie": f"sessionid={session.value}"})
    assert status == 200
    assert "Tekup Database" in body.decode()


def test_access_log_goes_to_stdout(server):
    server.fetch("/healthz?from=access-log-test")
    deadline = time.monotonic() + 10
    while "GET /healthz?from=access-log-test" not in server.stdout.read_text():
        if time.monotonic() > deadline:
            pytest.fail(f"no access log line on stdout\n{server.output()}")
        pause_unless_exited(server.process, 0.1)
