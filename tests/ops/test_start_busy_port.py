"""`manage.py start` as a process on a port something else listens on: it says so and exits 1."""

import socket

import pytest


@pytest.mark.django_db(transaction=True)
def test_start_as_a_process_on_a_busy_port_exits_1(manage):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = manage("start", str(port), "--no-seed")
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Serving" not in result.stdout
