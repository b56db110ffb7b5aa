"""The environment variables the code reads, against the files that set them: `.env.example` lists every
one, and render.yaml and docker-compose.yml give production each variable it needs.

The variables are read from the source (`ast`), not from a list kept by hand: a new `env.str("X")` in the
settings fails here until the files know it. What production needs is decided here, once, with the reason:

- `DATABASE_URL`: without it the settings start the embedded development server (and turn DEBUG on);
- `DEBUG`: stated `False` rather than inferred from `DATABASE_URL`, so that no deploy depends on the rule;
- `SECRET_KEY`, `ALLOWED_HOSTS`, `TEKUPDB_ENCRYPTION_KEY`: the settings refuse to start without them when
  DEBUG is off;
- `VAULT_EMBEDDER`, `VAULT_EMBEDDING_API_KEY`, `VAULT_EMBEDDING_BASE_URL`, `VAULT_EMBEDDING_MODEL`: with
  DEBUG off the embedder is "openai", which cannot embed a document or a search query without its key;
  the endpoint and the model are stated because every stored vector was made by them (a deploy that
  changed model silently would mix incomparable vectors).

Every other variable has a default that suits production (pool sizes, time zone, replica, backups, the
vault's tuning): optional, and commented out in `.env.example` (`# NAME=default`), where the uncommented
lines are exactly what a deploy must fill in.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

PRODUCTION = {
    "DATABASE_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "TEKUPDB_ENCRYPTION_KEY",
    "VAULT_EMBEDDER",
    "VAULT_EMBEDDING_API_KEY",
    "VAULT_EMBEDDING_BASE_URL",
    "VAULT_EMBEDDING_MODEL",
}
# Set by the platform or read by a tool, not by the project's code.
PLATFORM = {"PYTHON_VERSION"}
# django-environ's readers of one variable (`db_url_config` and friends parse a value, not a name).
ENV_READERS = {"str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "db", "cache", "path"}
EXAMPLE_LINE = re.compile(r"^(?P<comment>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=", re.MULTILINE)


def settings_file() -> Path:
    """The settings module the project runs with (manage.py's and pytest's)."""
    return Path(importlib.util.find_spec(os.environ.get("DJANGO_SETTINGS_MODULE", "tekupdb.settings")).origin)


def _variable_name_node(call: ast.Call) -> ast.expr | None:
    """The argument naming the variable, if `call` reads one from the environment."""
    func = call.func
    is_env = isinstance(func, ast.Name) and func.id == "env"
    is_env_reader = (
        isinstance(func, ast.Attribute)
        and func.attr in ENV_READERS
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
    )
    # os.environ.get(...) and os.getenv(...)
    is_os_get = isinstance(func, ast.Attribute) and (
        (func.attr == "get" and ast.unparse(func.value) == "os.environ")
        or (func.attr == "getenv" and ast.unparse(func.value) == "os")
    )
    if (is_env or is_env_reader or is_os_get) and call.args:
        return call.args[0]
    return None


def environment_variables(path: Path) -> set[str]:
    """Every variable `path` reads: `env(...)`, `env.str/bool/int/list/...(...)`, `os.environ[...]`,
    `os.environ.get(...)`, `os.getenv(...)`. A name passed through a helper's parameter
    (`_required_in_production("SECRET_KEY", ...)` reading `env.str(name)`) is resolved to the helper's
    call sites; a name that cannot be resolved fails, so that no read hides from this test."""
    tree = ast.parse(path.read_text())
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    enclosing = {
        child: function
        for function in functions.values()
        for child in ast.walk(function)
        if child is not function
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            argument = _variable_name_node(node)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and ast.unparse(node.value) == "os.environ"
        ):
            argument = node.slice
        else:
            continue
        if argument is None:
            continue
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
            continue
        function = enclosing.get(node)
        parameters = [arg.arg for arg in function.args.args] if function else []
        if not (isinstance(argument, ast.Name) and argument.id in parameters):
            raise AssertionError(f"{path.name}:{node.lineno} reads a variable this test cannot name")
        position = parameters.index(argument.id)
        calls = [
            call
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == function.name
        ]
        assert calls, f"{function.name} is never called"
        for call in calls:
            value = call.args[position]
            assert isinstance(value, ast.Constant), f"{path.name}:{call.lineno}: a name this test cannot read"
            names.add(value.value)
    return names


def settings_variables() -> set[str]:
    return environment_variables(settings_file())


def all_variables() -> set[str]:
    """What the settings and the gunicorn configuration read."""
    return settings_variables() | environment_variables(REPO / "gunicorn.conf.py")


def env_example() -> dict[str, bool]:
    """Each variable of `.env.example`: True when its line is commented out (optional)."""
    lines = EXAMPLE_LINE.finditer((REPO / ".env.example").read_text())
    found: dict[str, bool] = {}
    for match in lines:
        found[match["name"]] = found.get(match["name"], True) and bool(match["comment"])
    return found


def render_envvars(service_type: str) -> dict[str, dict]:
    render = yaml.safe_load((REPO / "render.yaml").read_text())
    (service,) = [s for s in render["services"] if s["type"] == service_type]
    return {variable["key"]: variable for variable in service["envVars"]}


def compose_environment(service: str) -> dict[str, str]:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return compose["services"][service]["environment"]


# --- the reader ------------------------------------------------------------------------------------


def test_the_reader_finds_direct_reads_and_reads_through_a_helper(tmp_path):
    source = tmp_path / "example.py"
    source.write_text(
        "import os\n"
        "def _required(name, default):\n"
        "    return env.str(name, default='') or default\n"
        "A = env('A')\n"
        "B = env.bool('B', default=False)\n"
        "C = os.environ['C']\n"
        "D = os.environ.get('D', '')\n"
        "E = _required('E', 1)\n"
        "F = env.db_url_config(A)\n"
        "del os.environ[A]\n"
    )
    assert environment_variables(source) == {"A", "B", "C", "D", "E"}
    source.write_text("NAME = 'X'\nX = env.str(NAME)\n")
    with pytest.raises(AssertionError, match="cannot name"):
        environment_variables(source)


def test_settings_read_every_variable_production_needs():
    found = settings_variables()
    # The helper that refuses to start without a value is resolved too.
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DB_POOL_TIMEOUT", "TEKUPDB_BACKUP_DIR"} <= found
    assert found >= PRODUCTION, f"stale in PRODUCTION: {sorted(PRODUCTION - found)}"


# --- .env.example ----------------------------------------------------------------------------------


def test_env_example_lists_every_variable_the_code_reads():
    missing = all_variables() - set(env_example())
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_env_example_leaves_uncommented_exactly_what_production_needs():
    example = env_example()
    read = all_variables()
    required = {name for name in read if not example.get(name, True)}
    assert required == PRODUCTION, (
        f"uncomment (production needs them): {sorted(PRODUCTION - required)}; "
        f"comment out (optional, with their default): {sorted(required - PRODUCTION)}"
    )


# --- the deploy files ------------------------------------------------------------------------------


def test_render_web_service_sets_every_variable_production_needs_and_no_unknown_one():
    variables = render_envvars("web")
    assert not PRODUCTION - set(variables), f"missing in render.yaml: {sorted(PRODUCTION - set(variables))}"
    unknown = set(variables) - all_variables() - PLATFORM
    assert not unknown, f"render.yaml sets variables nothing reads: {sorted(unknown)}"
    # A secret is asked for in the dashboard (or generated), never written in the file.
    assert variables["VAULT_EMBEDDING_API_KEY"] == {"key": "VAULT_EMBEDDING_API_KEY", "sync": False}
    assert variables["VAULT_EMBEDDER"]["value"] == "openai"


def test_render_cron_job_reads_only_known_variables():
    unknown = set(render_envvars("cron")) - all_variables() - PLATFORM
    assert not unknown, f"render.yaml's cron job sets variables nothing reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", ["migrate", "web"])
def test_compose_services_set_every_variable_production_needs_and_no_unknown_one(service):
    environment = compose_environment(service)
    assert not PRODUCTION - set(environment), f"missing in {service}: {sorted(PRODUCTION - set(environment))}"
    unknown = set(environment) - all_variables()
    assert not unknown, f"docker-compose.yml's {service} sets variables nothing reads: {sorted(unknown)}"
    # The key comes from .env, required: compose stops and names it (test_files checks every secret).
    assert environment["VAULT_EMBEDDING_API_KEY"].startswith("${VAULT_EMBEDDING_API_KEY:?")
    assert environment["VAULT_EMBEDDER"] == "${VAULT_EMBEDDER:-openai}"
