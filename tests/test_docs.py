"""The README documents every command, option and issue code, so contributors can rely on it."""

from __future__ import annotations

import re

import pytest

import build
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(build.cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name):
    assert f"python build.py {name}" in README


@pytest.mark.parametrize("name, option", [(name, opt) for name in COMMANDS
                                          for param in build.cli.commands[name].params
                                          for opt in param.opts if opt.startswith("--")])
def test_every_option_is_in_the_readme(name, option):
    heading = next(line for line in README.splitlines() if line.startswith(f"### `python build.py {name}"))
    assert option in heading, f"{option} of {name} is not in the README heading {heading!r}"


def issue_codes() -> set[str]:
    codes = set()
    for path in (ROOT / "opentally").glob("*.py"):
        codes |= set(re.findall(r'(?:error|warning)\(\s*"([a-z][a-z-]+)"', path.read_text(encoding="utf-8")))
    return codes


@pytest.mark.parametrize("code", sorted(issue_codes()))
def test_every_issue_code_is_in_the_readme(code):
    assert f"`{code}`" in README


def test_the_readme_gives_the_two_set_up_commands_and_ci_runs_the_test_one():
    assert "make site" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
