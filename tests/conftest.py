"""Shared fixtures: the project's paths, temporary working folders and the command line."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

import build

ROOT = Path(__file__).resolve().parents[1]

# Every build of the test session, in this process and in the processes it starts, shares one chart
# cache (drawing the same chart again proves nothing the first drawing did not): a folder of its own,
# so the project's .build/cache/ is never read. tests/test_cache.py checks the cache itself, cold and warm.
import os as _os
import tempfile as _tempfile

_os.environ["OPENTALLY_CACHE"] = _tempfile.mkdtemp(prefix="opentally-test-cache-")
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


OBSERVATION_TABLES = ("custody", "prisoner-share", "targets", "high-harm-referrals", "outcomes", "resourcing")
DERIVED_QUOTE = "37 removed from the UK - 74 on restrictive reporting conditions"


def add_derived_figure(package: Path, derivation: str, value: str = "111") -> None:
    """Give a copy of the Nexus package a ``derivation`` column and a figure its quote does not state:
    ``outcomes/removed-or-on-conditions``, 37 + 74 = 111, quoting both."""
    import csv
    import json

    schema_path = package / "schemas" / "observation.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["fields"].append({"name": "derivation", "title": "Derivation", "type": "string",
                             "description": "How a figure the source does not state was worked out."})
    schema_path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    for table in OBSERVATION_TABLES:
        path = package / "data" / f"{table}.csv"
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        header = [*rows[0], "derivation"]
        if table == "outcomes":
            rows.append(dict(rows[0], id="removed-or-on-conditions", label="Removed or on conditions",
                             measure="High harm subjects removed from the UK or on restrictive reporting conditions",
                             value=value, quote=DERIVED_QUOTE, derivation=derivation))
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n", restval="")
            writer.writeheader()
            writer.writerows(rows)


# --- the built site in a real browser --------------------------------------------------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NO_BROWSER = ("no Chromium to run the browser tests: install Debian's (sudo apt-get install chromium; "
              "`make test` does this where apt-get is available) or Playwright's own "
              "(.venv/bin/python -m playwright install chromium), or set OPENTALLY_CHROMIUM to a Chromium binary")


SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path(playwright, system=SYSTEM_CHROMIUMS) -> str:
    """Debian's chromium first (CI has it), else a Chromium that Playwright installed, else fail loudly."""
    import os

    for candidate in (os.environ.get("OPENTALLY_CHROMIUM"), *system):
        if candidate and Path(candidate).is_file():
            return candidate
    try:
        own = playwright.chromium.executable_path
    except Exception:  # Playwright raises when it has no browser of its own
        own = ""
    if own and Path(own).is_file():
        return own
    pytest.fail(NO_BROWSER, pytrace=False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The shipped site, built once for the browser tests."""
    from opentally.pipeline import Project, build_site

    out = tmp_path_factory.mktemp("browser") / "site"
    result = build_site(Project(ROOT), out)
    assert result.ok, result.report
    return out


@contextmanager
def serving(folder: Path):
    """``folder`` served over HTTP on 127.0.0.1 while the block runs; gives the base URL."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_server(built_site, tmp_path_factory):
    """A copy of the built site served over HTTP on 127.0.0.1; yields (base URL, served folder)."""
    served = tmp_path_factory.mktemp("served") / "site"
    shutil.copytree(built_site, served)
    with serving(served) as base:
        yield base, served


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(playwright), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def desktop(browser):
    """A desktop-sized browser window, with JavaScript, that accepts downloads."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone(browser):
    """A phone-sized window: 375 px wide, touch, a high-density screen."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone_without_js(browser):
    """A phone-sized window (375 px, a high-density screen) with JavaScript off."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False,
                                  device_scale_factor=2)
    yield context
    context.close()


def site_pages(site: Path) -> list[str]:
    """Every HTML page of a built site, as paths relative to its root."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/fixtures/golden/expected/ from a fresh build (review the diff before committing)")


CONFIGURED_SITE_URL = "https://stats.example.org/tally/"
CONFIGURED_REPO_URL = "https://github.com/example-org/open-tally"


@pytest.fixture(scope="session")
def configured_site(tmp_path_factory) -> Path:
    """The shipped site built as a publisher would configure it: ``SITE_URL`` set, and ``repo_url`` and
    PNG downloads in mkdocs.yml (a copy of the project, so the shipped mkdocs.yml is untouched)."""
    import os

    from opentally.pipeline import Project, build_site

    project = tmp_path_factory.mktemp("configured") / "project"
    for folder in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert config.count("\nextra:\n") == 1
    # A publisher whose readers want chart images as PNG asks for them (``extra: opentally: chart_png``).
    config = config.replace("\nextra:\n", "\nextra:\n  opentally:\n    chart_png: true\n")
    (project / "mkdocs.yml").write_text(config + f"\nrepo_url: {CONFIGURED_REPO_URL}\n", encoding="utf-8")
    previous = os.environ.get("SITE_URL")
    os.environ["SITE_URL"] = CONFIGURED_SITE_URL
    try:
        out = project.parent / "site"
        result = build_site(Project(project), out)
    finally:
        if previous is None:
            os.environ.pop("SITE_URL", None)
        else:
            os.environ["SITE_URL"] = previous
    assert result.ok, result.report
    return out


@pytest.fixture(scope="session")
def configured_server(configured_site):
    """``configured_site`` served over HTTP on 127.0.0.1; yields (base URL, served folder)."""
    with serving(configured_site) as base:
        yield base, configured_site


def shipped_releases(package: str = "operation-nexus") -> list[str]:
    """The versions the project's own history released of a shipped package, oldest first, read with git
    alone (an oracle independent of opentally.history): each first-parent commit that gives its
    descriptor a version not given before. A shallow clone (CI may make one) holds fewer; outside git, none."""
    import json
    import subprocess

    path = f"datapackages/{package}/datapackage.json"
    log = subprocess.run(["git", "log", "--first-parent", "--reverse", "--format=%H", "--", path], cwd=ROOT,
                         capture_output=True, text=True)
    if log.returncode != 0:
        return []
    versions: list[str] = []
    for commit in log.stdout.split():
        shown = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True)
        try:
            version = json.loads(shown.stdout).get("version") if shown.returncode == 0 else None
        except ValueError:
            continue
        if isinstance(version, str) and version and version not in versions:
            versions.append(version)
    return versions
