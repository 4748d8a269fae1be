"""The whole build, as one function that reads like the list of its stages.

load -> validate -> plan -> render -> write (MkDocs). Everything is read and checked before
anything is written, and the output folder is replaced only when every stage succeeded.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import cache, charts, history, load, release_calendar, stamp, stored, validate
from .files import link_issues
from .issues import Issue, warning
from .load import display_path
from .plan import plan_site
from .render import render_site
from .write import check_config, site_settings, write_site


@dataclass(frozen=True)
class Project:
    """Where a site's inputs are, and where it goes."""

    root: Path

    @property
    def datapackages(self) -> Path:
        return self.root / "datapackages"

    @property
    def site_src(self) -> Path:
        return self.root / "site_src"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def config(self) -> Path:
        return self.root / "mkdocs.yml"


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    report: validate.Report
    issues: tuple[Issue, ...]  # problems found after validation (commentary references)
    pages: int = 0
    charts: int = 0
    downloads: int = 0
    files: int = 0
    bytes: int = 0
    largest_page: tuple[str, int] = ("", 0)
    seconds: float = 0.0
    unchanged: bool = False  # the site in the output folder was already what the inputs make: nothing was done


def _notice(project: Project, notice: str) -> Issue:
    """A notice of MkDocs as a warning, at the page it names when it names one."""
    page = re.search(r"Doc file '([^']+)'", notice)
    where = project.site_src / page.group(1) if page else project.site_src
    return warning("mkdocs-notice", display_path(where), " ".join(notice.split()),
                   "MkDocs noticed this while building: correct the page or link it names")


def build_site(project: Project, out: Path, log: Callable[[str], None] = lambda message: None,
               use_cache: bool = True, publishing: bool = False) -> BuildResult:
    """Build the site of ``project`` into ``out``. Raises ``BuildError`` when MkDocs or a site check fails.
    With ``use_cache``, what an earlier build made from the same inputs is taken from ``.build/cache/``
    (see ``cache``): the same bytes, sooner. With ``publishing`` (the public site, not a preview), a
    history without every release is an error, not a warning."""
    started = time.perf_counter()
    folder, refused = cache.project_folder(project.root, out) if use_cache else (None, "")
    if refused:
        log(f"the build cache is not used: {refused} (remove it from the repository)")
    cache.use(folder)

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - started:6.2f}s] {message}")

    key = stamp.site_key(project.root, publishing) if use_cache else None
    if (summary := stamp.unchanged(key, out)) is not None:
        step("nothing changed since the last build of this site: it is left as it is")
        return _from_summary(summary, time.perf_counter() - started)

    charts.prepare_vega_bundle()  # made meanwhile: it depends on no input
    step("load: reading data packages")
    packages = load.load_packages(load.find_packages(project.datapackages))
    step(f"validate: checking {len(packages)} package(s)")
    report = validate.validate_packages(packages)
    if not report.valid:
        return BuildResult(False, report, ())

    check_config(project.config)  # before anything parses it: MkDocs' own loader acts on what it finds
    step("history: releases of each package")
    # A release's large files wait in a temporary folder (not in memory) until the site is written.
    with tempfile.TemporaryDirectory(prefix="opentally-releases-") as store:
        releases = history.read_history(project.root, [p.directory.name for p in packages], publishing, Path(store))
        calendar, calendar_issues = release_calendar.read_calendar(project.site_src, releases.versions(),
                                                                   releases.complete)
        step("plan: pages, charts and downloads")
        charts.start_renderer()  # the child process that draws charts starts up while the site is planned
        plan, issues = plan_site(packages, project.site_src, report, releases, calendar)  # the tables and charts validation read
        issues = list(releases.issues) + calendar_issues + issues + link_issues(project.templates)
        if any(i.is_error for i in issues):
            return BuildResult(False, report, tuple(issues))

        step("render: pages, charts and downloads")
        rendered = render_site(plan, project.templates, site_settings(project.config))
        step("write: MkDocs build and checks")
        written = write_site(rendered, project.site_src, project.config, out, plan.build_date)
    issues += [_notice(project, notice) for notice in written.notices]
    result = BuildResult(True, report, tuple(issues), rendered.pages, rendered.charts, rendered.downloads,
                         written.files, written.bytes, written.largest_page, time.perf_counter() - started)
    stamp.remember(key, out.resolve(), _summary(result))
    return result


def _summary(result: BuildResult) -> dict:
    """What a build that finds nothing changed says again: the same issues and numbers."""
    return {"report": [stored.report_dict(p, with_read=False) for p in result.report.packages],
            "strict": result.report.strict, "issues": [i.to_dict() for i in result.issues],
            "numbers": [result.pages, result.charts, result.downloads, result.files, result.bytes],
            "largest_page": list(result.largest_page)}


def _from_summary(summary: dict, seconds: float) -> BuildResult:
    packages = tuple(stored.report_from(p, validate.PackageReport, validate.PackageRead) for p in summary["report"])
    pages, charts_, downloads, files, size = summary["numbers"]
    return BuildResult(True, validate.Report(packages, summary["strict"]), tuple(Issue.from_dict(i) for i in summary["issues"]),
                       pages, charts_, downloads, files, size, tuple(summary["largest_page"]), seconds, unchanged=True)
