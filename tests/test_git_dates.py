"""The last-changed date read from git history: only the project's own repository, and nothing in it
(or in a repository a contributor ships inside datapackages/) can start a program."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from opentally.plan import _git_modified

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(cwd: Path, *args: str, date: str = "2020-05-04T12:00:00") -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})


def signed_commit(repo: Path, changed: Path, when: int) -> None:
    """Commit a change to ``changed`` as a commit that carries a (dummy) signature, as an attacker can."""
    changed.write_text(changed.read_text(encoding="utf-8") + " ", encoding="utf-8")
    git(repo, "add", "-A")
    run = lambda *args, **kw: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                                             env=GIT_ENV, **kw).stdout.strip()
    tree, parent = run("write-tree"), run("rev-parse", "HEAD")
    body = (f"tree {tree}\nparent {parent}\nauthor t <t@example.org> {when} +0000\n"
            f"committer t <t@example.org> {when} +0000\n"
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\nsigned\n")
    commit = run("hash-object", "-t", "commit", "-w", "--stdin", input=body)
    run("update-ref", "HEAD", commit)


def signing_trap(repo: Path, marker: Path) -> None:
    """Configure ``repo`` so that any git that shows signatures runs a program that writes ``marker``."""
    program = repo / "sign.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    program.chmod(0o755)
    git(repo, "config", "log.showSignature", "true")
    git(repo, "config", "gpg.program", str(program))


def test_the_date_comes_from_the_project_repository_and_no_config_starts_a_program(tmp_path):
    root = tmp_path / "project"
    package = root / "datapackages" / "pkg"
    package.mkdir(parents=True)
    (package / "datapackage.json").write_text("{}", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data", date="2020-01-01T10:00:00")
    signed_commit(root, package / "datapackage.json", 1614679200)  # 2 March 2021
    marker = tmp_path / "PROGRAM-RAN"
    signing_trap(root, marker)
    assert _git_modified(package) == "2021-03-02"
    assert not marker.exists()


def test_a_repository_inside_datapackages_is_never_read(tmp_path):
    root = tmp_path / "project"
    package = root / "datapackages" / "pkg"
    package.mkdir(parents=True)
    (package / "datapackage.json").write_text("{}", encoding="utf-8")
    inner = root / "datapackages"
    git(inner, "init", "-q")
    git(inner, "add", "-A")
    git(inner, "commit", "-q", "-m", "contributor's history", date="2099-01-01T00:00:00")
    signed_commit(inner, package / "datapackage.json", 4070908800)  # 2099
    marker = tmp_path / "PROGRAM-RAN"
    signing_trap(inner, marker)
    assert _git_modified(package) == ""  # the project itself is no repository: no date, and not the contributor's
    git(root, "init", "-q")  # now the project is one, but has not committed the package
    assert _git_modified(package) == ""
    assert not marker.exists()


def test_a_repository_the_project_sits_in_is_not_read(tmp_path):
    outer = tmp_path
    git(outer, "init", "-q")
    package = outer / "project" / "datapackages" / "pkg"
    package.mkdir(parents=True)
    (package / "datapackage.json").write_text("{}", encoding="utf-8")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "outer")
    assert _git_modified(package) == ""
