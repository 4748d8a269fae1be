"""The golden output: a small project built and compared file by file with the tree kept in the repository.

tests/fixtures/golden/project/ holds two packages (figures with their quotes and source document; a
table of every kind of input others publish) and two pages that use every macro. Its built site is
kept in tests/fixtures/golden/expected/: every file the build writes itself, byte for byte, and, for
the files that come as they are from the theme and from vl-convert (Material's scripts, styles and
images, the Vega bundle), their SHA-256 in THIRD-PARTY.sha256. Any change to the output shows up in
review as a change to that tree.

After an intended change, rewrite the tree with

    .venv/bin/python -m pytest tests/test_golden.py --update-golden

and read the diff (`git diff --stat tests/fixtures/golden/expected`) before committing it.
"""

from __future__ import annotations

import hashlib
import shutil

from conftest import ROOT
from opentally.pipeline import Project, build_site

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
EXPECTED = GOLDEN / "expected"
THIRD_PARTY = ("assets/javascripts/", "assets/stylesheets/", "assets/images/", "assets/opentally/vega-embed.js")
MANIFEST = "THIRD-PARTY.sha256"


def _built(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(GOLDEN / "project", project)
    shutil.copytree(ROOT / "templates", project / "templates")
    out = tmp_path / "site"
    result = build_site(Project(project), out)
    assert result.ok, result.report
    return out


def _own_and_third_party(site) -> tuple[dict[str, bytes], str]:
    own, third = {}, []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        relative = path.relative_to(site).as_posix()
        if relative.startswith(THIRD_PARTY):
            third.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {relative}\n")
        else:
            own[relative] = path.read_bytes()
    return own, "".join(third)


def test_the_golden_project_builds_to_the_expected_tree(tmp_path, request):
    own, third = _own_and_third_party(_built(tmp_path))
    if request.config.getoption("--update-golden"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for relative, data in own.items():
            (EXPECTED / relative).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / relative).write_bytes(data)
        (EXPECTED / MANIFEST).write_text(third, encoding="utf-8")
    expected = {p.relative_to(EXPECTED).as_posix(): p.read_bytes() for p in sorted(EXPECTED.rglob("*"))
                if p.is_file() and p.name != MANIFEST}
    assert sorted(own) == sorted(expected), "files added or removed: run with --update-golden after an intended change"
    changed = [name for name in own if own[name] != expected[name]]
    assert changed == [], f"changed files (run with --update-golden after an intended change): {changed}"
    assert third == (EXPECTED / MANIFEST).read_text(encoding="utf-8")
