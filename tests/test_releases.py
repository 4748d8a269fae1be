"""Releases and revisions (issue 12), tested where readers and publishers meet them: sites built from
temporary git repositories with several releases of a package, a correction, a breaking change, a
release calendar with a cancelled release, and clones without the whole history.

One repository is made for the module; sites are built from it at two points of its history, and
once more to prove the same history gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from atom_schema import validate_atom
from conftest import ROOT

PACKAGE = "arrests"
FIELDS = [{"name": "id", "type": "string", "title": "Figure id"}, {"name": "label", "type": "string", "title": "Label"},
          {"name": "value", "type": "integer", "title": "Value"}]
RENAMED = [FIELDS[0], {"name": "title", "type": "string", "title": "Title"}, FIELDS[2]]
CORRECTION_NOTE = "Corrected the number removed from the UK: the letter says 38, not 37."
HOSTILE_MESSAGE = "Add <script>alert(1)</script> reporting & conditions"


def git(root: Path, *args: str, when: str = "2026-01-10T09:00:00+00:00") -> str:
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when, "GIT_AUTHOR_NAME": "Tester",
           "GIT_AUTHOR_EMAIL": "tester@example.org", "GIT_COMMITTER_NAME": "Tester",
           "GIT_COMMITTER_EMAIL": "tester@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True, text=True).stdout


def descriptor(version: str, fields: list[dict], changes: list[dict] | None = None) -> dict:
    d = {"name": PACKAGE, "title": "Arrests and removals", "version": version, "created": "2026-01-10T00:00:00Z",
         "description": "Figures from a letter.",
         "licenses": [{"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
                       "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}],
         "sources": [{"title": "A letter", "path": "https://example.org/letter.pdf"}],
         "resources": [{"name": PACKAGE, "path": "data/arrests.csv", "title": "Arrests", "profile": "tabular-data-resource",
                        "schema": {"fields": fields, "primaryKey": ["id"]}}]}
    if changes:
        d["changes"] = changes
    return d


def write_release(project: Path, version: str, fields: list[dict], rows: list[str], changes=None) -> None:
    folder = project / "datapackages" / PACKAGE
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "datapackage.json").write_text(json.dumps(descriptor(version, fields, changes), indent=2) + "\n")
    (folder / "data" / "arrests.csv").write_text("\n".join([",".join(f["name"] for f in fields), *rows]) + "\n")


CALENDAR = """\
releases:
  - id: arrests-correction
    title: Arrests, corrected figures
    package: arrests
    expected: 2026-02-01
    status: published
    version: 1.0.1
  - id: arrests-quarterly
    title: Arrests, next quarter
    package: arrests
    expected: 2026-03-20
    status: confirmed
  - id: arrests-cancelled
    title: Arrests, a survey that will not run
    package: arrests
    expected: 2026-05
    status: cancelled
    reason: The survey was stopped.
"""


def make_project(root: Path) -> dict[str, Path]:
    """The shipped project plus the package "arrests", committed release by release. Gives the project
    and the sites built at 1.0.0 and at the end."""
    project = root / "project"
    for name in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    git(project, "init", "-q", "-b", "main")
    (project / "site_src" / "commentary" / "arrests.md").write_text(
        '# Arrests\n\nThe letter says {{ figure("arrests/arrests/removed") }} people were removed from the UK.\n')
    write_release(project, "1.0.0", FIELDS, ["removed,Removed from the UK,37", "detained,Detained,977"])
    git(project, "add", "-A")
    git(project, "commit", "-qm", "First release of the arrests figures")
    sites = {"first": root / "site-1.0.0"}
    build(project, sites["first"])
    (project / "site_src" / "about.md").write_text((project / "site_src" / "about.md").read_text() + "\nMore words.\n")
    git(project, "commit", "-qam", "Commentary only: not a release", when="2026-01-20T09:00:00+00:00")
    fixed = ["removed,Removed from the UK,38", "detained,Detained,977"]
    write_release(project, "1.0.1", FIELDS, fixed, [{"version": "1.0.1", "description": CORRECTION_NOTE}])
    git(project, "commit", "-qam", "Correct the removals", when="2026-02-01T10:00:00+00:00")
    write_release(project, "1.1.0", FIELDS, [*fixed, "reporting,Reporting conditions,74"],
                  [{"version": "1.0.1", "description": CORRECTION_NOTE}])
    git(project, "commit", "-qam", f"{HOSTILE_MESSAGE}\n\nA new row from the letter.", when="2026-03-01T10:00:00+00:00")
    write_release(project, "2.0.0", RENAMED, [*fixed, "reporting,Reporting conditions,74"],
                  [{"version": "1.0.1", "description": CORRECTION_NOTE}])
    git(project, "commit", "-qam", "Rename the label column to title", when="2026-04-01T10:00:00+00:00")
    (project / "site_src" / "release-calendar.yml").write_text(CALENDAR)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Announce releases", when="2026-04-02T10:00:00+00:00")
    sites["last"] = root / "site-last"
    build(project, sites["last"])
    sites["again"] = root / "site-again"
    build(project, sites["again"], "--no-cache")
    return {"project": project, **sites}


def build(project: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--out", str(out), *options], cwd=project,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> dict[str, Path]:
    return make_project(tmp_path_factory.mktemp("releases"))


def page(site: Path, relative: str) -> BeautifulSoup:
    return BeautifulSoup((site / relative).read_text(encoding="utf-8"), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- every version, byte for byte ----------------------------------------------------------------

def test_each_release_has_its_page_and_files(repo):
    site = repo["last"]
    for version in ("1.0.0", "1.0.1", "1.1.0", "2.0.0"):
        folder = site / "data" / PACKAGE / version
        assert (folder / "index.html").is_file(), version
        assert (folder / "datapackage.json").is_file() and (folder / "data" / "arrests.csv").is_file()
        assert (folder / f"{PACKAGE}-{version}.zip").is_file()
        assert json.loads((folder / "datapackage.json").read_text())["version"] == version
    # The commit that changed only commentary is no release.
    assert sorted(p.name for p in (site / "data" / PACKAGE).iterdir() if p.is_dir()) == ["1.0.0", "1.0.1", "1.1.0", "2.0.0"]


def test_old_files_are_byte_identical_to_what_was_published(repo):
    """What readers downloaded at 1.0.0 is what 1.0.0's files still are, after three more releases."""
    first, last = repo["first"], repo["last"]
    assert (last / "data" / PACKAGE / "1.0.0" / "data" / "arrests.csv").read_bytes() == \
        (first / "downloads" / PACKAGE / "data" / "arrests.csv").read_bytes()
    assert (last / "data" / PACKAGE / "1.0.0" / "datapackage.json").read_bytes() == \
        (first / "downloads" / PACKAGE / "datapackage.json").read_bytes()
    # The release's own folder, zip included, is the same bytes in both sites.
    for path in sorted((first / "data" / PACKAGE / "1.0.0").rglob("*")):
        if path.is_file() and path.suffix != ".html":
            relative = path.relative_to(first)
            assert (last / relative).read_bytes() == path.read_bytes(), relative
    assert b"37" in (last / "data" / PACKAGE / "1.0.0" / "data" / "arrests.csv").read_bytes()


def test_version_page_lists_sizes_and_checksums_of_its_files(repo):
    site = repo["last"]
    doc = page(site, f"data/{PACKAGE}/1.0.1/index.html")
    rows = doc.select("ul.ot-version-files > li")
    assert len(rows) == 3
    for row in rows:
        link = row.select_one("a")
        target = (site / f"data/{PACKAGE}/1.0.1" / link["href"]).resolve()
        assert target.is_file(), link["href"]
        assert row.select_one("code.ot-sha").get_text() == sha256(target)


def test_same_history_gives_the_same_site(repo):
    last, again = repo["last"], repo["again"]
    files = sorted(p.relative_to(last) for p in last.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    different = [f for f in files if (last / f).read_bytes() != (again / f).read_bytes()]
    assert different == []


# --- what changed ----------------------------------------------------------------------------------

def test_dataset_page_lists_every_version_with_its_note_and_changes(repo):
    doc = page(repo["last"], f"data/{PACKAGE}.html")
    versions = doc.select("ol.ot-versions > li")
    assert [v["id"] for v in versions] == ["_version-2.0.0", "_version-1.1.0", "_version-1.0.1", "_version-1.0.0"]
    newest, added, corrected, first = (text(v) for v in versions)
    assert "1 April 2026" in newest and "(current)" in newest and "Breaking change" in newest
    assert 'Breaking Arrests: field "label" renamed to "title"' in newest
    assert "New data" in added and "Rows added: reporting" in added
    assert HOSTILE_MESSAGE.split(" <")[0] in added  # the commit's message, as text
    assert "Correction" in corrected and CORRECTION_NOTE in corrected
    assert "Row removed , value : was 37 → now 38" in corrected
    assert "First release" in first and "First release of the arrests figures" in first
    # Every version links to its page.
    for version in versions:
        href = version.select_one(".ot-version__head a")["href"]
        assert (repo["last"] / "data" / href).is_file()


def test_commit_messages_are_text_everywhere(repo):
    site = repo["last"]
    for relative in (f"data/{PACKAGE}.html", f"data/{PACKAGE}/1.1.0/index.html", "whats-new.html"):
        html = (site / relative).read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in html, relative
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, relative


def test_correction_shows_beside_the_figure(repo):
    doc = page(repo["last"], f"data/{PACKAGE}.html")
    figure = doc.select_one(f"#{PACKAGE}-removed")
    correction = figure.select_one(".ot-fig__correction")
    assert text(correction) == "Corrected in version 1.0.1 : was 37"
    link = correction.select_one("a")["href"]
    assert (repo["last"] / "data" / link).resolve() == (repo["last"] / f"data/{PACKAGE}/1.0.1/index.html").resolve()
    assert figure.select_one(".ot-fig__number").get_text() == "38"
    assert doc.select_one(f"#{PACKAGE}-detained .ot-fig__correction") is None  # never changed


def test_commentary_that_quotes_a_corrected_figure_says_so(repo):
    site = repo["last"]
    doc = page(site, "commentary/arrests.html")
    paragraph = text(doc.select_one("article p"))
    assert paragraph == "The letter says 38 (corrected in version 1.0.1 : was 37) people were removed from the UK."
    link = next(a for a in doc.select("article p a") if a.get_text() == "version 1.0.1")
    assert (site / "commentary" / link["href"]).resolve() == (site / f"data/{PACKAGE}/1.0.1/index.html").resolve()
    first = page(repo["first"], "commentary/arrests.html")
    assert "corrected" not in text(first.select_one("article p"))


# --- old versions stay citable -----------------------------------------------------------------------

def test_old_version_says_superseded_and_has_its_own_citation(repo):
    site = repo["last"]
    doc = page(site, f"data/{PACKAGE}/1.0.0/index.html")
    status = doc.select_one(".ot-version-status")
    assert text(status).startswith("Superseded by version 1.0.1.")
    latest = status.select_one("a")["href"]
    assert (site / f"data/{PACKAGE}/1.0.0" / latest).resolve() == (site / f"data/{PACKAGE}.html").resolve()
    cite = text(doc.select_one("#_cite-text"))
    assert "Version 1.0.0" in cite and "10 January 2026" in cite and f"data/{PACKAGE}/1.0.0/index.html" in cite
    newest = page(site, f"data/{PACKAGE}/2.0.0/index.html")
    assert text(newest.select_one(".ot-version-status")).startswith("This is the latest release.")
    assert "Version 2.0.0" in text(newest.select_one("#_cite-text"))


# --- What's new and the feed ---------------------------------------------------------------------

def test_whats_new_lists_releases_newest_first_with_corrections(repo):
    doc = page(repo["last"], "whats-new.html")
    items = [text(li) for li in doc.select("ol.ot-news > li")]
    heads = [re.search(r"version (\S+)", item).group(1) for item in items if "Arrests and removals" in item]
    assert heads == ["2.0.0", "1.1.0", "1.0.1", "1.0.0"]
    corrected = next(item for item in items if "version 1.0.1" in item)
    assert "Removed from the UK: corrected from 37 to 38" in corrected


def test_feed_is_valid_atom_with_stable_ids_and_dates_from_history(repo):
    data = (repo["last"] / "feed.xml").read_bytes()
    assert validate_atom(data) == []
    from xml.etree import ElementTree

    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ElementTree.fromstring(data)
    entries = feed.findall("a:entry", ns)
    titles = [e.findtext("a:title", namespaces=ns) for e in entries]
    arrests = [e for e, t in zip(entries, titles) if t.startswith("Arrests and removals")]
    assert [e.findtext("a:updated", namespaces=ns) for e in arrests] == [
        "2026-04-01T10:00:00+00:00", "2026-03-01T10:00:00+00:00", "2026-02-01T10:00:00+00:00", "2026-01-10T09:00:00+00:00"]
    correction = arrests[2]
    assert "correction" in [c.get("term") for c in correction.findall("a:category", ns)]
    assert "Removed from the UK: was 37, now 38" in correction.findtext("a:summary", namespaces=ns)
    ids = [e.findtext("a:id", namespaces=ns) for e in entries]
    assert len(set(ids)) == len(ids)
    # The release of 1.0.0 had the same id in the site built when it was new.
    first = ElementTree.fromstring((repo["first"] / "feed.xml").read_bytes())
    assert arrests[3].findtext("a:id", namespaces=ns) in [e.findtext("a:id", namespaces=ns) for e in first.findall("a:entry", ns)]


def test_every_page_links_to_the_feed(repo):
    site = repo["last"]
    for path in site.rglob("*.html"):
        links = page(site, str(path.relative_to(site))).select('head link[rel="alternate"][type="application/atom+xml"]')
        assert len(links) == 1, path
        if path.name == "404.html":  # served for any address, so its links are from the site's root, as MkDocs makes them
            assert links[0]["href"] == "/feed.xml"
            continue
        assert (path.parent / links[0]["href"]).resolve() == (site / "feed.xml").resolve(), path


# --- clones without the whole history -------------------------------------------------------------

def test_shallow_clone_warns_in_preview_and_fails_when_publishing(repo, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo['project']}", str(clone)], check=True,
                   capture_output=True)
    preview = build(clone, tmp_path / "preview")
    assert "history-shallow" in preview.stdout and "fetch-depth: 0" in preview.stdout
    out = tmp_path / "published"
    shutil.copytree(repo["last"], out)
    before = sha256(out / "index.html")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--publish", "--out", str(out)], cwd=clone,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert "this clone of the repository is shallow" in result.stdout and "git fetch --unshallow" in result.stdout
    assert "not built" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert sha256(out / "index.html") == before  # the last good site is left as it was


def test_full_clone_publishes(repo, tmp_path):
    clone = tmp_path / "full"
    subprocess.run(["git", "clone", "-q", f"file://{repo['project']}", str(clone)], check=True, capture_output=True)
    result = build(clone, tmp_path / "site", "--publish")
    assert "history-" not in result.stdout
    assert (tmp_path / "site" / "data" / PACKAGE / "1.0.0" / "data" / "arrests.csv").read_bytes() == \
        (repo["last"] / "data" / PACKAGE / "1.0.0" / "data" / "arrests.csv").read_bytes()


# --- the release calendar -------------------------------------------------------------------------

def test_calendar_page_links_published_release_flags_overdue_and_lists_cancelled(repo):
    site = repo["last"]
    doc = page(site, "release-calendar.html")
    published = doc.select_one("#arrests-correction")
    link = next(a for a in published.select("a") if "1.0.1" in a.get_text())
    assert (site / link["href"]).resolve() == (site / f"data/{PACKAGE}/1.0.1/index.html").resolve()
    # Confirmed for 20 March 2026; the site is built from a commit of 2 April 2026 with no such release.
    overdue = text(doc.select_one("#arrests-quarterly"))
    assert "Overdue: this release was confirmed for 20 March 2026 and has not been published" in overdue
    cancelled = text(doc.select_one("#arrests-cancelled"))
    assert "Cancelled" in cancelled and "The survey was stopped." in cancelled
    assert doc.select_one("#arrests-correction .ot-release__overdue") is None
    # The page and the calendar file are linked from What's new.
    news = page(site, "whats-new.html")
    assert news.select_one('a[href="release-calendar.html"]') and news.select_one('a[href="feed.xml"]')


def test_calendar_file_has_every_release_with_its_status(repo):
    from icalendar import Calendar

    data = (repo["last"] / "release-calendar.ics").read_bytes()
    assert data == (repo["again"] / "release-calendar.ics").read_bytes()
    events = {str(e["UID"]).split("@")[0]: e for e in Calendar.from_ical(data).walk("VEVENT")}
    assert str(events["arrests-quarterly"]["STATUS"]) == "CONFIRMED"
    assert str(events["arrests-cancelled"]["STATUS"]) == "CANCELLED"
    assert events["arrests-quarterly"]["DTSTAMP"].dt.date().isoformat() == "2026-04-02"  # the commit's day, not the clock's


def test_check_warns_of_a_confirmed_release_whose_day_passed(repo):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "check", "--base", "HEAD~1"], cwd=repo["project"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "### Warnings" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "arrests-quarterly" in line)
    assert "site_src/release-calendar.yml:" in row and "confirmed for 20 March 2026, which has passed" in row


def test_check_uses_the_day_it_runs_on(repo):
    from datetime import date

    from opentally import check

    early = check.check_change(repo["project"], "HEAD~1", today=date(2026, 3, 20))
    assert not [i for i in early.issues if i.code == "release-overdue"]
    late = check.check_change(repo["project"], "HEAD~1", today=date(2026, 3, 21))
    assert [i.row for i in late.issues if i.code == "release-overdue"] == [8]


# --- history read the one way, and hostile history ---------------------------------------------------

def test_history_is_read_by_a_fixed_number_of_git_processes(repo, monkeypatch):
    """One `git log` and one `git cat-file --batch`, however many versions: a process per file would be
    hundreds for a package with a hundred versions."""
    from opentally import git, history

    started = []
    real_popen = git.subprocess.Popen  # every process starts through it (subprocess.run too)
    monkeypatch.setattr(git.subprocess, "Popen", lambda args, **kw: started.append(args) or real_popen(args, **kw))
    found = history.read_history(repo["project"], [PACKAGE, "operation-nexus"])
    assert [r.version for r in found.of(PACKAGE)] == ["1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert sum(1 for args in started if "cat-file" in args) == 1
    # The commit at HEAD, whether the clone is shallow, the log of descriptors, the object format.
    assert len(started) == 5, started


def test_hostile_and_reused_versions_are_not_published(tmp_path):
    project = make_small_repo(tmp_path, [("1.0.0", "37"), ("../../../escape", "38"), ("1.0.1", "39"), ("1.0.0", "40")])
    result = build(project, tmp_path / "site")
    assert "version-unpublishable" in result.stdout and "version-reused" in result.stdout
    site = tmp_path / "site"
    assert sorted(p.name for p in (site / "data" / PACKAGE).iterdir() if p.is_dir()) == ["1.0.0", "1.0.1"]
    assert not (tmp_path / "escape").exists() and not list(tmp_path.rglob("escape*"))
    # 1.0.0 is what was first released under that number, not the later data that reused it.
    assert (site / "data" / PACKAGE / "1.0.0" / "data" / "arrests.csv").read_text().splitlines()[1].endswith(",37")


def test_unreleased_version_is_shown_as_such_in_a_preview(tmp_path):
    project = make_small_repo(tmp_path, [("1.0.0", "37")])
    write_release(project, "1.0.1", FIELDS, ["removed,Removed from the UK,38"])  # not committed
    build(project, tmp_path / "site")
    doc = page(tmp_path / "site", f"data/{PACKAGE}.html")
    assert "Version 1.0.1 is not released yet." in text(doc.select_one(".ot-version-unreleased"))
    assert [v["id"] for v in doc.select("ol.ot-versions > li")] == ["_version-1.0.0"]
    assert "(current)" not in text(doc.select_one("ol.ot-versions"))


def test_a_folder_that_is_not_a_repository_warns_in_preview_and_fails_when_publishing(tmp_path):
    project = tmp_path / "project"
    for name in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "site_src" / "release-calendar.yml").unlink()
    preview = build(project, tmp_path / "site")
    assert "history-missing" in preview.stdout and "not a git repository" in preview.stdout
    doc = page(tmp_path / "site", "data/operation-nexus.html")
    assert doc.select_one("#versions") is None  # no history, no list of versions
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--publish", "--out", str(tmp_path / "p")],
                            cwd=project, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "error: the project is not a git repository" in result.stdout


def make_small_repo(root: Path, releases: list[tuple[str, str]]) -> Path:
    """The shipped project (without its calendar) and "arrests", one commit per (version, value)."""
    project = root / "project"
    for name in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "site_src" / "release-calendar.yml").unlink()
    git(project, "init", "-q", "-b", "main")
    for n, (version, value) in enumerate(releases):
        write_release(project, version, FIELDS, [f"removed,Removed from the UK,{value}"])
        git(project, "add", "-A")
        git(project, "commit", "-qm", f"Release {n}", when=f"2026-01-{10 + n:02d}T09:00:00+00:00")
    return project


def test_data_changed_without_a_new_version_is_said_and_the_release_is_kept(tmp_path):
    """Merged without raising the version (red-team review): the page does not call the new data 1.0.1."""
    project = make_small_repo(tmp_path, [("1.0.0", "37"), ("1.0.1", "38")])
    write_release(project, "1.0.1", FIELDS, ["removed,Removed from the UK,12345"])
    git(project, "commit", "-qam", "Change a value, no new version", when="2026-03-01T09:00:00+00:00")
    result = build(project, tmp_path / "site")
    assert "unreleased-change" in result.stdout and "differs from version 1.0.1 as it was released" in result.stdout
    doc = page(tmp_path / "site", f"data/{PACKAGE}.html")
    assert "differs from version 1.0.1 as it was released" in text(doc.select_one(".ot-version-unreleased"))
    assert "(current)" not in text(doc.select_one("ol.ot-versions"))
    released = tmp_path / "site" / "data" / PACKAGE / "1.0.1" / "data" / "arrests.csv"
    assert released.read_text().splitlines()[1].endswith(",38")


def test_a_version_set_back_shows_no_later_correction(tmp_path):
    project = make_small_repo(tmp_path, [("1.0.0", "37"), ("1.0.1", "38"), ("1.0.0", "37")])
    result = build(project, tmp_path / "site")
    assert "version-reused" in result.stdout and "version-set-back" in result.stdout
    doc = page(tmp_path / "site", f"data/{PACKAGE}.html")
    assert "This page shows version 1.0.0, an earlier release than the latest, 1.0.1." in text(doc.select_one("#versions").parent)
    assert doc.select_one(f"#{PACKAGE}-removed .ot-fig__correction") is None  # 37 is shown: nothing corrected it
    assert "(current)" in text(doc.select_one("#_version-1\\.0\\.0"))
    assert "(current)" not in text(doc.select_one("#_version-1\\.0\\.1"))


def test_a_row_inserted_in_a_table_without_a_key_is_no_correction(tmp_path):
    project = make_small_repo(tmp_path, [("1.0.0", "37")])
    folder = project / "datapackages" / PACKAGE
    descriptor_json = json.loads((folder / "datapackage.json").read_text())
    del descriptor_json["resources"][0]["schema"]["primaryKey"]
    (folder / "datapackage.json").write_text(json.dumps(descriptor_json, indent=2))
    git(project, "commit", "-qam", "No key", when="2026-02-01T09:00:00+00:00")
    descriptor_json["version"] = "1.1.0"
    (folder / "datapackage.json").write_text(json.dumps(descriptor_json, indent=2))
    (folder / "data" / "arrests.csv").write_text("id,label,value\narrested,Arrested,5\nremoved,Removed from the UK,37\n")
    git(project, "commit", "-qam", "Insert a row at the top", when="2026-03-01T09:00:00+00:00")
    build(project, tmp_path / "site")
    doc = page(tmp_path / "site", f"data/{PACKAGE}.html")
    assert doc.select(".ot-fig__correction") == []


def test_hostile_history_does_not_break_the_build(tmp_path):
    """Commits no pull request check saw (red-team review): each used to break every later build."""
    project = make_small_repo(tmp_path, [("1.0.0", "37")])
    folder = project / "datapackages" / PACKAGE
    good = json.loads((folder / "datapackage.json").read_text())
    broken = {**good, "version": "1.0.1", "contributors": 5}
    (folder / "datapackage.json").write_text(json.dumps(broken))
    git(project, "commit", "-qam", "contributors is not a list", when="2026-02-01T09:00:00+00:00")
    (folder / "datapackage.json").write_text(json.dumps({**good, "version": "2.html"}))
    git(project, "commit", "-qam", "a version named like a page", when="2026-02-02T09:00:00+00:00")
    odd = {**good, "version": "1.0.2"}
    odd["resources"] = [{**good["resources"][0], "encoding": "idna"}, {"name": "gone", "path": "data/a b.csv"}]
    (folder / "datapackage.json").write_text(json.dumps(odd))
    git(project, "commit", "-qam", "a codec that fails, a missing file with a space", when="2026-02-03T09:00:00+00:00")
    (folder / "datapackage.json").write_text(json.dumps({**good, "version": "1.1.0"}))
    (folder / "data" / "arrests.csv").write_text("id,label,value\nremoved,Removed from the UK,37\n")
    git(project, "commit", "-qam", "back to good", when="2026-02-04T09:00:00+00:00")
    result = build(project, tmp_path / "site")
    assert "release-unreadable" in result.stdout and "version-unpublishable" in result.stdout
    versions = sorted(p.name for p in (tmp_path / "site" / "data" / PACKAGE).iterdir() if p.is_dir())
    assert versions == ["1.0.0", "1.0.2", "1.1.0"]


def test_a_table_too_large_to_compare_row_by_row_is_said_to_have_changed():
    """Above check.MAX_COMPARED_BYTES a table is compared as a file (red-team review: a 15 MB table's rows as
    dicts took 1.1 GB, for every release)."""
    from opentally import check, releases
    from opentally.plan import VersionPlan

    class Tree:
        def __init__(self, files):
            self.files = files

        def read(self, path):
            return self.files.get(path)

    rows = check.MAX_COMPARED_BYTES // 20
    old = b"id,value\n" + b"".join(b"r%09d,1\n" % n for n in range(rows))
    new = old.replace(b"r000000007,1", b"r000000007,2")
    descriptor = descriptor_of_big_table()
    diff = check.diff_package(PACKAGE, Tree({f"datapackages/{PACKAGE}/data/big.csv": old}),
                              Tree({f"datapackages/{PACKAGE}/data/big.csv": new}), descriptor, descriptor)
    (table,) = diff.resources
    assert table.status == "changed" and table.matched_on == "file (too large to compare row by row)"
    assert diff.data_changed and table.changed == ()
    version = VersionPlan("1.0.1", "2026-01-01T00:00:00+00:00", "0" * 40, "", "Big", f"data/{PACKAGE}/1.0.1/index.md",
                          descriptor, (), (), "1.0.0", diff)
    assert releases.summary(version).tables[0].counts == "the file changed"
    small = check.diff_package(PACKAGE, Tree({f"datapackages/{PACKAGE}/data/big.csv": old[:200]}),
                               Tree({f"datapackages/{PACKAGE}/data/big.csv": new[:200]}), descriptor, descriptor)
    assert [c.new for row in small.resources[0].changed for c in row.cells] == ["2"]


def descriptor_of_big_table() -> dict:
    return {"name": PACKAGE, "resources": [{"name": "big", "path": "data/big.csv", "schema": {
        "fields": [{"name": "id", "type": "string"}, {"name": "value", "type": "integer"}], "primaryKey": ["id"]}}]}

