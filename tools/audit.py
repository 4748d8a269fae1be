#!/usr/bin/env python3
"""Page audit: Lighthouse scores for three pages of a freshly built site (`make audit`).

Builds the site into a temporary folder, serves it on 127.0.0.1, runs Lighthouse 12.2.3 (pinned in
tools/package-lock.json, installed into .build/audit/ on first use) with Debian's Chromium and
Lighthouse's default mobile settings on each page, and prints the four category scores, the scores
below target and the audits that fail. The JSON reports are kept in .build/audit/. It is an audit,
not a gate: it exits 0 whatever the scores, and 1 only when it could not measure them.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import functools
import gzip
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIT_DIR = ROOT / ".build" / "audit"
LIGHTHOUSE = AUDIT_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
PAGES = ["index.html", "commentary/operation-nexus.html", "data/operation-nexus.html"]
# (category id, heading, target score)
CATEGORIES = [
    ("performance", "performance", 95),
    ("accessibility", "accessibility", 100),
    ("best-practices", "best practices", 100),
    ("seo", "SEO", 100),
]
# --no-sandbox because we run as root; the rest keep Chromium from calling home, so nothing leaves
# the machine (an audit that would need the network fails instead of waiting for it).
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
# Lighthouse gives up on a page long before this; it only guards against a hung browser.
LIGHTHOUSE_TIMEOUT_S = 300
COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
NOT_SCORED = {"informative", "notApplicable", "manual", "error"}


class AuditError(Exception):
    """Something stopped the audit itself (not a low score)."""


def install_lighthouse() -> None:
    """Install the pinned Lighthouse into .build/audit/ unless that exact lockfile is installed already."""
    wanted = ROOT / "tools" / "package-lock.json"
    installed = AUDIT_DIR / "package-lock.json"
    if LIGHTHOUSE.exists() and installed.exists() and filecmp.cmp(wanted, installed, shallow=False):
        return
    if shutil.which("npm") is None:
        raise AuditError("npm is needed to install Lighthouse (Node.js 18.16 or newer: apt-get install nodejs npm)")
    AUDIT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "tools" / "package.json", AUDIT_DIR / "package.json")
    shutil.copyfile(wanted, installed)
    print("installing lighthouse 12.2.3 into .build/audit/ (first use)", flush=True)
    # npm ci installs exactly the lockfile, so every audit uses the same Lighthouse and axe-core rules.
    run = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AUDIT_DIR)
    if run.returncode != 0:
        installed.unlink(missing_ok=True)  # so that the next audit tries again
        raise AuditError("npm ci failed in .build/audit/")


def build_site(project: Path, out: Path) -> None:
    """Build the site from `project` into `out` with the command `make site` uses."""
    run = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--project", str(project), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        raise AuditError(f"the site did not build:\n{run.stdout}{run.stderr}")
    print(run.stdout.strip().splitlines()[-1], flush=True)


class StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files as a typical static host does: text compressed with gzip, no request log."""

    def do_GET(self) -> None:
        # GitHub Pages, Netlify and most static hosts gzip text. Without it, Lighthouse's simulated
        # slow 4G would measure this server (about 900 kB more per page), not the site.
        path = Path(self.translate_path(self.path))
        content_type = self.guess_type(str(path))
        if (not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", "")
                or not content_type.startswith(COMPRESSED_TYPES)):
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(site: Path):
    """Serve `site` on 127.0.0.1 on a free port while the block runs; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(StaticHostHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def run_lighthouse(url: str, report: Path) -> dict:
    """Audit one URL with Lighthouse's defaults (mobile, simulated slow 4G) and return its JSON report."""
    command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}", "--quiet",
               f"--chrome-flags={CHROME_FLAGS}", "--no-enable-error-reporting"]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        try:
            _, errors = process.communicate(timeout=LIGHTHOUSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # Lighthouse starts Chromium in a session of its own and ends it on SIGINT (as on Ctrl-C);
            # killing Lighthouse outright would leave that Chromium running.
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
            raise AuditError(f"lighthouse took more than {LIGHTHOUSE_TIMEOUT_S} s on {url}") from None
    if process.returncode != 0 or not report.exists():
        raise AuditError(f"lighthouse failed on {url}:\n{errors.strip()}")
    result = json.loads(report.read_text(encoding="utf-8"))
    if result.get("runtimeError"):
        raise AuditError(f"lighthouse could not load {url}: {result['runtimeError'].get('message')}")
    return result


def audit_page(url: str, folder: Path, runs: int) -> tuple[dict, Path, list[int | None]]:
    """Lighthouse `runs` times on one page: the run with the median performance score, its file, and
    every run's performance score. Performance varies from run to run (more so on a busy machine);
    the other categories do not."""
    results = []
    for number in range(runs):
        path = folder / f"run-{number}.json"
        results.append((run_lighthouse(url, path), path))
    results.sort(key=lambda result: category_scores(result[0])["performance"] or 0)
    report, path = results[len(results) // 2]
    return report, path, [category_scores(result)["performance"] for result, _ in results]


def category_scores(report: dict) -> dict[str, int | None]:
    """Scores out of 100; None where Lighthouse could not score a category."""
    scores = {}
    for cid, _, _ in CATEGORIES:
        score = report["categories"][cid]["score"]
        scores[cid] = None if score is None else round(score * 100)
    return scores


def failing_audits(report: dict) -> list[tuple[str, dict]]:
    """(category, audit) for every scored audit of the four categories below a full score."""
    failing, seen = [], set()
    for cid, _, _ in CATEGORIES:
        for ref in report["categories"][cid]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["id"] in seen or audit["scoreDisplayMode"] in NOT_SCORED or audit["score"] is None:
                continue
            seen.add(ref["id"])
            if audit["score"] < 1:
                failing.append((cid, audit))
    return failing


def errored_audits(report: dict) -> list[str]:
    """Ids of the audits Lighthouse could not run (they count towards no score)."""
    return sorted(aid for aid, audit in report["audits"].items() if audit["scoreDisplayMode"] == "error")


def format_score(score: int | None) -> str:
    return "n/a" if score is None else str(score)


def format_table(scores: dict[str, dict[str, int | None]]) -> str:
    rows = [["page"] + [heading for _, heading, _ in CATEGORIES]]
    rows += [[page] + [format_score(page_scores[cid]) for cid, _, _ in CATEGORIES] for page, page_scores in scores.items()]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join([row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])])
                     for row in rows)


def format_findings(page: str, report: dict, performance_runs: list[int | None]) -> str:
    """What there is to act on for one page: scores below target, failing audits, audits not run."""
    scores = category_scores(report)
    misses = [f"{heading} {format_score(scores[cid])} < {target}" for cid, heading, target in CATEGORIES
              if scores[cid] is None or scores[cid] < target]
    lines = [f"\n{page}  (performance in each run: {', '.join(map(format_score, performance_runs))})",
             "  below target: " + ("; ".join(misses) if misses else "none")]
    for cid, audit in failing_audits(report):
        shown = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
        lines.append(f"  {cid:<14} {audit['score']:.2f}  {audit['id']}: {audit['title']}{shown}")
    errored = errored_audits(report)
    if errored:
        lines.append("  not run (Lighthouse error, counts towards no score): " + ", ".join(errored))
    return "\n".join(lines)


def report_name(page: str) -> str:
    return page.removesuffix(".html").replace("/", "--") + ".json"


def audit(project: Path, runs: int) -> int:
    if not os.access(CHROMIUM, os.X_OK):
        raise AuditError(f"{CHROMIUM} is needed: apt-get install chromium (Lighthouse is never let download a browser)")
    install_lighthouse()
    results = {}
    with tempfile.TemporaryDirectory(prefix="opentally-audit-") as temp:
        site = Path(temp) / "site"
        build_site(project, site)
        with serve(site) as base_url:
            for page in PAGES:
                print(f"lighthouse: {page} ({runs} run{'s' if runs > 1 else ''})", flush=True)
                folder = Path(temp) / report_name(page).removesuffix(".json")
                folder.mkdir()
                report, path, performance_runs = audit_page(base_url + page, folder, runs)
                shutil.copyfile(path, AUDIT_DIR / report_name(page))
                results[page] = (report, performance_runs)
    print()
    print(format_table({page: category_scores(report) for page, (report, _) in results.items()}))
    print("targets: performance at least 95; accessibility, best practices and SEO 100"
          + (f"; each page's median run of {runs}" if runs > 1 else ""))
    for page, (report, performance_runs) in results.items():
        print(format_findings(page, report, performance_runs))
    print(f"\nfull reports: {AUDIT_DIR.relative_to(ROOT)}/*.json (open one in Lighthouse's viewer for details)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="folder holding datapackages/, site_src/, templates/ and mkdocs.yml (default: this repository)")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page; the median run is shown (default: 3)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not args.project.is_dir():
        parser.error(f"--project: {args.project} is not a folder")
    try:
        return audit(args.project.resolve(), args.runs)
    except AuditError as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
