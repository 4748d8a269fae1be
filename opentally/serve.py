"""Preview the site with live reload: rebuild when data, commentary, templates or mkdocs.yml change."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Callable

from mkdocs.livereload import LiveReloadServer

from . import report
from .charts import close_renderer
from .issues import BuildError
from .pipeline import Project, build_site


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(project_dir: Path, host: str, port: int, log: Callable[[str], None]) -> None:
    project = Project(project_dir)
    out = project.root / ".build" / "preview"

    def rebuild() -> None:
        # A failed rebuild keeps the last good preview on screen, and says why.
        try:
            result = build_site(project, out)
        except BuildError as exc:
            log(f"error: {exc}")
            return
        if not result.ok:
            log(report.format_text(result.report) + report.format_issues(result.issues))
            return
        log(f"rebuilt: {result.pages} pages in {result.seconds:.1f} s")

    rebuild()
    server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(out))
    for path in (project.datapackages, project.site_src, project.templates, project.config):
        if path.exists():
            server.watch(str(path))
    log(f"serving on http://{host}:{port}/ (Ctrl+C to stop)")
    # Stopped with SIGTERM (a process manager, a test), stop as with Ctrl+C: shut the server down and
    # run the clean-up, which stops the child process that draws charts.
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        close_renderer()
