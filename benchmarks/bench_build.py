"""Build time and memory for a site with one large package: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_build.py [ROWS ...]     (default: 10000 100000)

Each run builds a project with the shipped Operation Nexus package plus a generated package of ROWS
daily rows with a line chart, and prints the time of each stage, the peak memory of the process and
the size of the largest page.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opentally.pipeline import Project, build_site  # noqa: E402


def make_project(folder: Path, rows: int) -> Project:
    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.copytree(ROOT / "datapackages", folder / "datapackages")
    big = folder / "datapackages" / "generated"
    (big / "data").mkdir(parents=True)
    with open(big / "data" / "daily.csv", "w", encoding="utf-8") as f:
        f.write("day,region,count\n")
        for n in range(rows):
            f.write(f"{1900 + n // 365 % 120:04d}-{1 + n // 31 % 12:02d}-{1 + n % 28:02d},r{n % 7},{n % 997}\n")
    (big / "datapackage.json").write_text(json.dumps({
        "name": "generated", "title": "Generated", "description": "Rows for a benchmark.",
        "licenses": [{"name": "CC0-1.0"}], "sources": [{"title": "generated"}],
        "resources": [{"name": "daily", "path": "data/daily.csv", "schema": {"fields": [
            {"name": "day", "type": "date"}, {"name": "region", "type": "string"},
            {"name": "count", "type": "integer"}]}}],
        "views": [{"name": "trend", "resources": ["daily"], "specType": "simple",
                   "spec": {"type": "line", "group": "day", "series": ["count"]}}]}), encoding="utf-8")
    return Project(folder)


def main(sizes: list[int]) -> None:
    print(f"{'rows':>10} {'total s':>8}  stages")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(Path(tmp) / "project", rows)
            marks: list[tuple[str, float]] = []
            started = time.perf_counter()
            result = build_site(project, Path(tmp) / "site",
                                log=lambda m: marks.append((m.split("] ", 1)[1].split(":")[0], time.perf_counter())))
            total = time.perf_counter() - started
            stages = [(name, (marks[i + 1][1] if i + 1 < len(marks) else started + total) - at)
                      for i, (name, at) in enumerate(marks)]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            assert result.ok
            print(f"{rows:>10,} {total:>8.1f}  " + ", ".join(f"{n} {s:.1f}s" for n, s in stages)
                  + f"; peak memory {peak:,.0f} MB; largest page {result.largest_page[0]} "
                  f"{result.largest_page[1] / 1e3:,.0f} kB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
