"""Whole-site build against the tools it is built on, side by side in one run: prints one table.

    .venv/bin/python benchmarks/bench_site.py [--packages 100] [--rows 1000] [--large 0] [--huge 0]

It generates a project with the shipped Operation Nexus package and PACKAGES synthetic packages of
ROWS rows each (one resource, 5 fields, a primary key, one `simple` bar view), then measures, each in
a process of its own (time, peak memory of that process, output):

- anchor 1, frictionless: `Package(...).validate()` of the same packages, one after another, in one process;
- anchor 2, MkDocs Material: a build of equivalent plain pages (per package, its data dictionary and
  a 50-row preview as Markdown tables; navigation pruned), with the search plugin;
- the project: a full build with an empty cache, a rebuild with nothing changed, and a rebuild after
  one cell of one package changed (`build.py build`, cache in the benchmark's own folder);
- with --large ROWS: one resource of ROWS rows (a full build, and frictionless on the same package);
- with --huge ROWS: one resource of ROWS rows, a full build alone (its peak memory; frictionless would
  take minutes).

The ratios are the project's time over the two anchors together, and the rebuilds' over the full
build. It asserts nothing: targets are read off the table (see "Performance" in the README). Peak
memory is the process's own (the chart drawing child is not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


# --- the synthetic project -----------------------------------------------------------------------

def _package(folder: Path, name: str, rows: int, seed: int) -> None:
    (folder / "data").mkdir(parents=True)
    with open(folder / "data" / "counts.csv", "w", encoding="utf-8", newline="") as f:
        f.write("id,area,day,count,note\n")
        for n in range(rows):
            f.write(f"r{n:07d},area-{(n * 7 + seed) % 13},{2000 + n // 336 % 25:04d}-{1 + n // 28 % 12:02d}-"
                    f"{1 + n % 28:02d},{(n * 37 + seed) % 9973},row {n} of {name}\n")
    descriptor = {
        "name": name, "title": f"Synthetic package {seed}", "description": f"Generated rows for the benchmark ({rows:,}).",
        "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "version": "1.0.0", "modified": "2026-11-26",
        "resources": [{"name": "counts", "title": "Counts", "path": "data/counts.csv", "format": "csv",
                       "mediatype": "text/csv", "encoding": "utf-8", "profile": "tabular-data-resource",
                       "schema": {"fields": [
                           {"name": "id", "title": "Row", "type": "string", "constraints": {"required": True, "unique": True}},
                           {"name": "area", "title": "Area", "type": "string"},
                           {"name": "day", "title": "Day", "type": "date"},
                           {"name": "count", "title": "Count", "type": "integer", "constraints": {"minimum": 0}},
                           {"name": "note", "title": "Note", "type": "string"}],
                           "primaryKey": ["id"]}}],
        "views": [{"name": "counts-by-row", "title": "Count of each row", "resources": ["counts"],
                   "specType": "simple", "spec": {"type": "bar", "group": "id", "series": ["count"]}}],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def make_project(folder: Path, packages: int, rows: int, large: int = 0) -> Path:
    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.copytree(ROOT / "datapackages" / "operation-nexus", folder / "datapackages" / "operation-nexus")
    for n in range(packages):
        _package(folder / "datapackages" / f"synthetic-{n:04d}", f"synthetic-{n:04d}", rows, n)
    if large:
        _package(folder / "datapackages" / "large", "large", large, 7)
    return folder


# --- measuring a process -------------------------------------------------------------------------

def stages(output: str) -> str:
    """The seconds each stage of a build took, from the times it prints as it starts each one."""
    marks = [(float(m.group(1)), m.group(2)) for m in re.finditer(r"^\[\s*([\d.]+)s\] (\w+)", output, re.M)]
    total = re.search(r" in ([\d.]+) s$", output.strip())
    ends = [t for t, _ in marks[1:]] + [float(total.group(1)) if total else marks[-1][0]] if marks else []
    return ", ".join(f"{name} {end - start:.1f}" for (start, name), end in zip(marks, ends) if name != "load")


def measure(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int, str]:
    """Seconds, peak resident memory (bytes) and the output of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return seconds, usage.ru_maxrss * 1024, output


FRICTIONLESS = """
import sys
from pathlib import Path
from frictionless import Package
errors = 0
for folder in sorted(Path(sys.argv[1]).iterdir()):
    report = Package(str(folder / "datapackage.json")).validate()
    errors += len(report.flatten(["type"]))
print(f"frictionless: {errors} errors")
"""

TABLE_CHECK = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from frictionless import Package
from opentally import csv_checks, fastpath
folder = Path(sys.argv[1])
resource = Package(str(folder / "datapackage.json")).resources[0]
path = folder / resource.path
proof = fastpath.prove(resource, path, csv_checks.check_csv(path, resource.path, "utf-8"))
print(f"fast path: {{'proven valid, ' + format(proof.rows, ',') + ' rows, typed as each is read' if proof else 'left to frictionless'}}")
"""

MKDOCS = """
import sys
from pathlib import Path
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(sys.argv[1])
build(config)
print("mkdocs: built")
"""


def plain_pages(project: Path, folder: Path) -> Path:
    """What MkDocs Material alone would build for the same packages: per package, its dictionary and a
    50-row preview as Markdown tables."""
    import csv

    docs = folder / "docs"
    (docs / "data").mkdir(parents=True)
    (docs / "index.md").write_text("# Packages\n", encoding="utf-8")
    nav = []
    for package in sorted((project / "datapackages").iterdir()):
        descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
        lines = [f"# {descriptor.get('title', package.name)}", "", descriptor.get("description", ""), ""]
        for resource in descriptor["resources"]:
            schema = resource.get("schema")
            if not isinstance(schema, dict) or not str(resource.get("path", "")).endswith(".csv"):
                continue
            lines += [f"## {resource.get('title', resource['name'])}", "", "| Field | Title | Type |", "| --- | --- | --- |"]
            lines += [f"| {f['name']} | {f.get('title', '')} | {f.get('type', 'string')} |" for f in schema["fields"]]
            with open(package / resource["path"], encoding="utf-8", newline="") as f:
                reader = csv.reader(f)
                header = next(reader)
                lines += ["", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
                for n, row in enumerate(reader):
                    if n == 50:
                        break
                    lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |")
            lines.append("")
        (docs / "data" / f"{package.name}.md").write_text("\n".join(lines), encoding="utf-8")
        nav.append({descriptor.get("title", package.name): f"data/{package.name}.md"})
    config = {"site_name": "Benchmark", "docs_dir": str(docs), "site_dir": str(folder / "site"),
              "use_directory_urls": False, "theme": {"name": "material", "features": ["navigation.prune"]},
              "plugins": ["search"], "markdown_extensions": ["tables"], "nav": [{"Home": "index.md"}, {"Data": nav}]}
    (folder / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return folder / "mkdocs.yml"


def tree_size(folder: Path) -> tuple[int, tuple[str, int]]:
    total, largest = 0, ("", 0)
    for path in folder.rglob("*"):
        if path.is_file():
            size = path.stat().st_size
            total += size
            if path.suffix == ".html":
                largest = max(largest, (path.relative_to(folder).as_posix(), size), key=lambda x: x[1])
    return total, largest


# --- the run -------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--large", type=int, default=0, help="rows of one large resource, measured on its own (0: none)")
    parser.add_argument("--huge", type=int, default=0,
                        help="rows of one resource built on its own, for its peak memory (no frictionless run: 0, none)")
    args = parser.parse_args()
    table = []

    def row(what: str, seconds: float, memory: int, output: str = "", ratio: str = "") -> None:
        table.append((what, f"{seconds:.1f}", ratio, f"{memory / 1e6:,.0f}", output))

    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        tmp = Path(tmp)
        project = make_project(tmp / "project", args.packages, args.rows)
        env = {**os.environ, "OPENTALLY_CACHE": str(tmp / "cache")}

        f_seconds, f_memory, f_out = measure([PYTHON, "-c", FRICTIONLESS, str(project / "datapackages")], tmp)
        row(f"frictionless validate ({args.packages + 1} packages)", f_seconds, f_memory, f_out.strip())
        config = plain_pages(project, tmp / "plain")
        m_seconds, m_memory, _ = measure([PYTHON, "-c", MKDOCS, str(config)], tmp)
        m_bytes, m_largest = tree_size(tmp / "plain" / "site")
        row("MkDocs Material, equivalent plain pages", m_seconds, m_memory,
            f"{m_bytes / 1e6:,.1f} MB, largest page {m_largest[1] / 1e3:,.0f} kB")
        anchors = f_seconds + m_seconds

        build = [PYTHON, str(ROOT / "build.py"), "build", "--project", str(project), "--out", str(tmp / "site")]
        full, full_memory, full_out = measure(build, tmp, env)
        size, largest = tree_size(tmp / "site")
        row("project: full build (empty cache)", full, full_memory,
            f"{size / 1e6:,.1f} MB, largest page {largest[0]} {largest[1] / 1e3:,.0f} kB", f"{full / anchors:.2f}x anchors")
        table.append(("  seconds per stage", "", "", "", stages(full_out)))
        noop, noop_memory, _ = measure(build, tmp, env)
        row("project: rebuild, nothing changed", noop, noop_memory, "", f"{noop / full:.0%} of full")
        changed = project / "datapackages" / "synthetic-0000" / "data" / "counts.csv"
        if changed.exists():
            text = changed.read_text(encoding="utf-8").splitlines(keepends=True)
            text[1] = text[1].replace(",row 0 ", ",row zero ", 1)
            changed.write_text("".join(text), encoding="utf-8")
            one, one_memory, one_out = measure(build, tmp, env)
            row("project: rebuild, one cell of one package changed", one, one_memory, "", f"{one / full:.0%} of full")
            table.append(("  seconds per stage", "", "", "", stages(one_out)))
        # Per synthetic package: everything the site publishes for it (page, charts, downloads).
        package_files = [p for p in (tmp / "site").rglob("*") if p.is_file() and "synthetic-0001" in p.as_posix()]
        per_package = sum(p.stat().st_size for p in package_files)
        data = (project / "datapackages" / "synthetic-0001" / "data" / "counts.csv").stat().st_size if args.packages > 1 else 1
        page = (tmp / "site" / "data" / "synthetic-0001.html")
        table.append(("output per package", "", f"{per_package / data:.1f}x its data", "",
                      f"{per_package / 1e3:,.0f} kB for {data / 1e3:,.0f} kB of CSV (3x its data + 50 kB: "
                      f"{(3 * data + 50_000) / 1e3:,.0f} kB); its page {page.stat().st_size / 1e3 if page.exists() else 0:,.0f} kB"))

        if args.large:
            big = make_project(tmp / "large", 0, 0, args.large)
            f_seconds, f_memory, f_out = measure([PYTHON, "-c", FRICTIONLESS, str(big / "datapackages")], tmp)
            row(f"frictionless validate, one resource of {args.large:,} rows", f_seconds, f_memory, f_out.strip())
            # The project's whole validation of that package (the fast path, the project's own checks and
            # the chart's data), with no cache to recall it from.
            v_seconds, v_memory, _ = measure([PYTHON, str(ROOT / "build.py"), "validate",
                                              str(big / "datapackages" / "large")], tmp)
            row(f"project: validate, one resource of {args.large:,} rows", v_seconds, v_memory,
                "the fast path, the project's own checks, the chart's data", f"{f_seconds / v_seconds:.1f}x faster")
            # The same work as frictionless's alone: the file's bytes and quotes (csv_checks), then every
            # cell typed and checked against the schema, handed over as typed rows (fastpath).
            t_seconds, t_memory, t_out = measure([PYTHON, "-c", TABLE_CHECK, str(big / "datapackages" / "large")], tmp)
            row(f"project: the table's validation alone, {args.large:,} rows", t_seconds, t_memory, t_out.strip(),
                f"{f_seconds / t_seconds:.1f}x faster")
            seconds, memory, large_out = measure([PYTHON, str(ROOT / "build.py"), "build", "--project", str(big), "--out",
                                                  str(tmp / "large-site")], tmp, env)
            row(f"project: full build, one resource of {args.large:,} rows", seconds, memory, stages(large_out),
                f"{seconds / f_seconds:.2f}x frictionless")
        if args.huge:
            huge = make_project(tmp / "huge", 0, 0, args.huge)
            seconds, memory, huge_out = measure([PYTHON, str(ROOT / "build.py"), "build", "--project", str(huge), "--out",
                                                 str(tmp / "huge-site")], tmp, env)
            row(f"project: full build, one resource of {args.huge:,} rows", seconds, memory, stages(huge_out))

    widths = [max(len(r[i]) for r in table + [("what", "seconds", "ratio", "peak MB", "output")]) for i in range(5)]
    header = ("what", "seconds", "ratio", "peak MB", "output")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in table:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
