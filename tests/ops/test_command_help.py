"""Every command of this project says in `--help` what its exit codes mean and which values its options
accept, and docs/operations.md covers every one of them.

The commands are found, not listed: every `manage.py` command whose app is a package of this repository
(Django's and the libraries' commands are theirs to document). The help is the text `manage.py <command>
--help` prints, built by the command's own parser.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

REPO = Path(__file__).resolve().parents[2]
# One phrase, in this order, in every command's help: "Exit codes: 0 …; 1 …; 2 …." (2: argparse's exit
# status for a usage error, which every command has).
EXIT_CODES = re.compile(r"Exit codes: 0 \S.*?; 1 \S.*?; 2 \S.*?\.")


def project_commands() -> dict[str, str]:
    """{command name: app} of the commands this repository defines (overrides of Django's included)."""
    found = {}
    for name, app in get_commands().items():
        spec = importlib.util.find_spec(app)
        if not (spec and spec.origin):
            continue
        origin = Path(spec.origin).resolve()
        # In the repository, but not an installed package: CI's virtual environments live inside it.
        if origin.is_relative_to(REPO) and "site-packages" not in origin.parts:
            found[name] = app
    return found


def parser_of(name: str):
    return load_command_class(project_commands()[name], name).create_parser("manage.py", name)


def help_text(name: str) -> str:
    """`manage.py <name> --help`, its line breaks (which follow the terminal's width) made spaces."""
    return " ".join(parser_of(name).format_help().split())


def test_the_project_commands_are_found():
    commands = project_commands()
    assert {"health", "seed", "billy_clear_cache", "vault_import", "setup_groups"} <= set(commands)
    assert commands["makemigrations"] == "shared", "the project's override counts as the project's"
    assert "migrate" not in commands and "axes_reset_ip" not in commands


@pytest.mark.parametrize("name", sorted(project_commands()))
def test_help_states_the_exit_codes(name):
    assert EXIT_CODES.search(help_text(name)), f"`{name} --help` has no 'Exit codes: 0 …; 1 …; 2 ….'"


@pytest.mark.parametrize("name", sorted(project_commands()))
def test_help_lists_every_choice_of_every_option(name):
    text = help_text(name)
    for action in parser_of(name)._actions:
        for choice in action.choices or ():
            assert str(choice) in text, f"`{name} --help` does not list {choice!r} of {action.dest}"


@pytest.mark.parametrize(
    ("name", "option"),
    [("seed", "size"), ("vault_import", "source"), ("vault_embed", "source"), ("import_prisma", "only")],
)
def test_options_with_a_fixed_set_of_values_declare_it(name, option):
    (action,) = [action for action in parser_of(name)._actions if action.dest == option]
    assert action.choices, f"{name} --{option} takes one of a fixed set: declare choices="
    # The option's own line names the values too (the usage line hides them behind a metavar).
    own_help = " ".join((action.help or "").split())
    assert "%(choices)s" in own_help or all(str(choice) in own_help for choice in action.choices)


def test_seed_sizes_are_small_medium_and_large():
    (action,) = [action for action in parser_of("seed")._actions if action.dest == "size"]
    assert list(action.choices) == ["small", "medium", "large"]
    assert "small, medium, large" in help_text("seed")


def test_db_roles_help_says_how_the_roles_get_their_passwords():
    """docs/operations.md sends the reader there."""
    assert "ALTER ROLE" in help_text("db_roles") and "PASSWORD" in help_text("db_roles")


def test_a_value_outside_the_choices_exits_with_code_2_as_the_help_says():
    assert "2 usage error" in help_text("seed")
    result = subprocess.run(
        [sys.executable, "manage.py", "seed", "--size", "huge"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "invalid choice: 'huge'" in result.stderr


# --- docs/operations.md ----------------------------------------------------------------------------


def documented_commands() -> set[str]:
    """The commands in the first column of operations.md's table under "## Every command"."""
    text = (REPO / "docs" / "operations.md").read_text()
    section = text.split("\n## Every command", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)`", section, re.MULTILINE))


def test_operations_md_lists_every_project_command_and_no_other():
    documented = documented_commands()
    commands = set(project_commands())
    assert not commands - documented, f"not in docs/operations.md: {sorted(commands - documented)}"
    assert not documented - commands, f"no such command: {sorted(documented - commands)}"


# --- every command line in the docs ----------------------------------------------------------------

AFTER_MANAGE_PY = re.compile(r"manage\.py (\w+)([^`\n|;&)#]*)")
CODE_SPAN = re.compile(r"`(\w+)((?: [^`\n]*)?)`")


def unknown_in(text: str) -> list[str]:
    """What a command line in `text` names that does not exist: `manage.py X --y` anywhere, and
    `` `X --y` `` in code spans where X is a command (a missing command counts only after manage.py)."""
    commands = get_commands()
    problems = []
    lines = [(m[1], m[2], True) for m in AFTER_MANAGE_PY.finditer(text)]
    lines += [(m[1], m[2], False) for m in CODE_SPAN.finditer(text)]
    for name, rest, after_manage_py in lines:
        if name not in commands:
            if after_manage_py:
                problems.append(f"no command {name!r}")
            continue
        parser = load_command_class(commands[name], name).create_parser("manage.py", name)
        problems += [
            f"{name} has no {option}"
            for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", rest)
            if option not in parser._option_string_actions
        ]
    return problems


def test_the_check_of_command_lines_finds_a_wrong_one():
    text = "run `python manage.py seed --size small --colour red`, then `health --json` and manage.py nosuch"
    assert unknown_in(text) == ["seed has no --colour", "no command 'nosuch'"]


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (REPO / "docs").glob("*.md"))])
def test_every_command_line_in_the_docs_names_a_real_command_and_options(doc):
    path = REPO / doc if doc == "README.md" else REPO / "docs" / doc
    assert unknown_in(path.read_text()) == []
