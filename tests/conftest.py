"""Shared fixtures: the project's paths, temporary working folders and the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import build

ROOT = Path(__file__).resolve().parents[1]
NEXUS = ROOT / "datapackages" / "operation-nexus"
LETTER = NEXUS / "sources" / "mps-operation-nexus-letter-2013-07-24.txt"
# Packages published by others, kept unchanged as test input (copied from ../shared/corpus).
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty project folder with a datapackages/ folder, made the working folder."""
    (tmp_path / "datapackages").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def nexus_copy(workdir) -> Path:
    """A copy of the Operation Nexus package to break, inside ``workdir``."""
    target = workdir / "datapackages" / "operation-nexus"
    shutil.copytree(NEXUS, target)
    return target


def run_cli(*args: str):
    """Run ``build.py`` in-process, the way a user would call it, and return click's result."""
    return CliRunner().invoke(build.cli, list(args), catch_exceptions=False)
