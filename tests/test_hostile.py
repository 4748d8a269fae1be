"""The hostile corpus (hostile_cases.py), each case built for real, as CI would build a pull request.

For every case: `build.py build` runs as its own process on a copy of the shipped project with the
case's change, over a last good site. It must exit 1 with the case's issue code (or build a safe
site), print no traceback, stay under 60 s and 1 GB, leave the last good site byte for byte as it
was when it fails, write nothing outside its output folder, publish nothing from outside the
repository, and make no request to another host. `validate` must refuse what `build` refuses in the
packages. The cases that try to run script are opened page by page in Chromium, under the site's
Content-Security-Policy: no dialog, no request to another host, no policy violation.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, serving, site_pages
from hostile_cases import CASES, OUTSIDE_MARKER, Case, World

MAX_SECONDS = 60
MAX_BYTES = 1_000_000_000
# Runs the build as a child and reports its peak memory (resident set, in kB, as Linux counts it).
_MEASURED = ("import resource, subprocess, sys\n"
             "code = subprocess.call(sys.argv[1:])\n"
             "print(f'peak-kb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
             "sys.exit(code)\n")


def tree(folder: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file (and link) under ``folder`` with a digest of its content, outside ``skip``."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if skip is not None and path.is_relative_to(skip):
            continue
        if path.is_symlink():
            found[path.relative_to(folder).as_posix()] = "link"
        elif path.is_file():
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class _Counting(SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def other_host():
    """A server on 127.0.0.1 that stands in for another host: it only counts what asks it for anything."""
    _Counting.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counting.requests
    server.shutdown()
    server.server_close()


def make_project(root: Path) -> Path:
    project = root / "project"
    for name in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


def run_build(project: Path, out: Path) -> tuple[int, str, float, int]:
    """`build.py build` as a process: (exit code, everything it printed, seconds, peak memory in bytes)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _MEASURED, sys.executable, str(ROOT / "build.py"), "build",
                             "--out", str(out), "--project", "."], cwd=project, capture_output=True, text=True,
                            timeout=MAX_SECONDS * 3)
    seconds = time.perf_counter() - started
    printed = result.stdout + result.stderr
    peak = int(printed.rsplit("peak-kb=", 1)[1].split()[0]) * 1024
    return result.returncode, printed.rsplit("peak-kb=", 1)[0], seconds, peak


@dataclass
class Run:
    """One case, prepared and built: what the build did, and the state around it before it ran."""

    project: Path
    out: Path
    good: dict[str, str]
    around: dict[str, str]
    code: int = 0
    printed: str = ""
    seconds: float = 0.0
    peak: int = 0


@pytest.fixture(scope="module")
def hostile_runs(request, tmp_path_factory, built_site, other_host) -> dict[str, Run]:
    """Every case this session runs, prepared in a folder of its own, then built, two at a time (the
    machine has two cores)."""
    base_url, _ = other_host
    selected = {item.callspec.params["case"].name for item in request.session.items
                if getattr(item, "originalname", "") == "test_hostile_input_is_refused_or_made_safe"}
    runs = {}
    for case in (c for c in CASES if c.name in selected):
        root = tmp_path_factory.mktemp(case.name)
        outside = root / "outside" / "secret.txt"
        outside.parent.mkdir()
        outside.write_text(f"{OUTSIDE_MARKER}\n", encoding="utf-8")
        project = make_project(root)
        out = root / "published" / "site"
        shutil.copytree(built_site, out)  # the last good site
        case.change(project, World(outside, base_url))
        runs[case.name] = Run(project, out, tree(out), tree(root, skip=out.parent))

    def build(name: str) -> None:
        run = runs[name]
        run.code, run.printed, run.seconds, run.peak = run_build(run.project, run.out)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(build, runs))
    return runs


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_is_refused_or_made_safe(case: Case, hostile_runs, monkeypatch, other_host, browser):
    base_url, requests = other_host
    run = hostile_runs[case.name]
    root, out, printed = run.out.parents[1], run.out, run.printed

    assert "Traceback" not in printed, printed
    assert run.seconds < MAX_SECONDS and run.peak < MAX_BYTES, (run.seconds, run.peak)
    assert requests == [], f"a build asked another host for {requests}"
    assert tree(root, skip=out.parent) == run.around, "the build wrote outside its output folder"
    assert not [p for p in out.parent.iterdir() if p != out], "the build left temporary folders beside the site"
    for word in case.words:
        assert word in printed, (word, printed)
    if case.refused:
        assert run.code == 1, printed
        assert tree(out) == run.good, "a failed build changed the last good site"
        if case.code:
            assert f"[{case.code}]" in printed, printed
    else:
        assert run.code == 0, printed
        leaked = [p for p in out.rglob("*") if p.is_file() and OUTSIDE_MARKER.encode() in p.read_bytes()]
        assert leaked == []
    if case.validate and case.code:
        monkeypatch.chdir(run.project)
        result = run_cli("validate", "--json")
        assert result.exit_code == 1, result.output
        codes = {i["code"] for p in json.loads(result.output)["packages"] for i in p["issues"]}
        assert case.code in codes, result.output
    if case.script:
        assert script_problems(browser, out, base_url) == []
    assert requests == [], f"a page asked another host for {requests}"


def script_problems(browser, site: Path, other_host: str) -> list[str]:
    """Open every page of ``site`` in Chromium: dialogs, requests to other hosts, CSP violations."""
    with serving(site) as base:
        return _script_problems(browser, site, base.removeprefix("http://"))


def _script_problems(browser, site: Path, origin: str) -> list[str]:
    problems: list[str] = []
    context = browser.new_context()
    context.add_init_script("""window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));""")

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("data:", "blob:", "about:")) or f"//{origin}/" in url:
            request_route.continue_()
        else:
            problems.append(f"request to another host: {url}")
            request_route.abort()

    context.route("**/*", route)
    try:
        for path in site_pages(site):
            page = context.new_page()
            page.on("dialog", lambda d, path=path: (problems.append(f"{path}: dialog {d.message!r}"), d.dismiss()))
            page.goto(f"http://{origin}/{path}", wait_until="networkidle")
            for figure in page.locator("figure.ot-chart").all():
                figure.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            if not page.locator('meta[http-equiv="Content-Security-Policy"]').count():
                problems.append(f"{path}: no Content-Security-Policy")
            problems += [f"{path}: CSP violation {v}" for v in page.evaluate("window.__violations")]
            page.close()
        # Search shows titles and text from every page: the payload must stay text there too.
        page = context.new_page()
        page.on("dialog", lambda d: (problems.append(f"search: dialog {d.message!r}"), d.dismiss()))
        page.goto(f"http://{origin}/index.html", wait_until="networkidle")
        page.keyboard.press("/")
        page.keyboard.type("onerror alert")
        page.wait_for_timeout(1500)
        problems += [f"search: CSP violation {v}" for v in page.evaluate("window.__violations")]
        page.close()
    finally:
        context.close()
    return problems


# --- no network, proved -----------------------------------------------------------------------------

def _without_network() -> list[str]:
    """A command prefix that runs a process with no network at all: a network namespace of its own."""
    for prefix in (["unshare", "--net"], ["unshare", "--map-root-user", "--net"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0:
                return prefix
        except (FileNotFoundError, subprocess.TimeoutExpired):
            continue
    pytest.fail("cannot make a network namespace to prove the build needs no network: install util-linux's "
                "unshare, and run as root or where unprivileged user namespaces are allowed", pytrace=False)


def test_the_whole_build_runs_with_no_network_and_gives_the_same_site(tmp_path, built_site):
    """In a network namespace with no interface up, nothing can be fetched: the build must not need to."""
    prefix = _without_network()
    probe = subprocess.run([*prefix, sys.executable, "-c",
                            "import socket; s = socket.socket(); s.settimeout(3); print(s.connect_ex(('127.0.0.1', 9)))"],
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() not in ("", "0"), probe  # not even loopback answers in there
    out = tmp_path / "site"
    result = subprocess.run([*prefix, sys.executable, str(ROOT / "build.py"), "build", "--out", str(out),
                             "--project", str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tree(out) == tree(built_site)
