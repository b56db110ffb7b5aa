"""gunicorn settings: `gunicorn -c gunicorn.conf.py tekupdb.wsgi` (Dockerfile, docker compose, Render).

Everything comes from the environment, like the Django settings:

| variable | default | |
|---|---|---|
| `GUNICORN_BIND` | `0.0.0.0:$PORT` if `PORT` is set, else `127.0.0.1:8000` | the image, Render set `PORT` |
| `WEB_CONCURRENCY` | 2 | worker processes |
| `GUNICORN_THREADS` | 4 | threads per worker (gthread): keep at most `DB_POOL_MAX_SIZE` |
| `GUNICORN_TIMEOUT` | 60 | seconds a request may run before its worker is killed and replaced |
| `GUNICORN_GRACEFUL_TIMEOUT` | 30 | seconds in-flight requests get to finish after SIGTERM (deploys) |
| `GUNICORN_KEEPALIVE` | 5 | seconds to hold an idle keep-alive connection (above the proxy's) |
| `GUNICORN_MAX_REQUESTS` | 1000 | a worker is recycled after this many requests (0: never), with jitter |
| `FORWARDED_ALLOW_IPS` | `127.0.0.1,::1` | read by gunicorn itself |

Each worker process holds its own connection pool of up to `DB_POOL_MAX_SIZE` connections, so the
database sees at most `WEB_CONCURRENCY * DB_POOL_MAX_SIZE` connections from the web service.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a whole number.") from None


_port = os.environ.get("PORT", "").strip()
# Inside a container or on Render the platform forwards to the port, so listen on every interface;
# on a laptop stay on the loopback interface.
bind = [os.environ.get("GUNICORN_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")]

workers = _int("WEB_CONCURRENCY", 2)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10

# Not preloaded: each worker imports Django and opens its own psycopg pool after the fork. With
# preload_app the master would import the project first, and anything it opened before forking (a pool
# with its background threads, a connection made while importing) would be copied into every worker:
# threads do not survive fork(), and two processes talking over one inherited PostgreSQL socket corrupt
# the protocol stream. It also lets `kill -HUP` reload new code. The price is a little more memory.
preload_app = False

# Logs to stdout/stderr, where docker and Render collect them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# The heartbeat file on tmpfs where there is one: a disk-backed /tmp can stall workers (gunicorn's docs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# gunicorn >= 25 opens a control socket under $HOME; the container's user has no writable home, and two
# servers on one machine would fight over the same path. Nothing here uses it.
control_socket_disable = True
