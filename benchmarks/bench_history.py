"""What the history of releases costs a build: a package with VERSIONS releases, side by side with the
tools it is built on, in one run. Prints one table.

    .venv/bin/python benchmarks/bench_history.py [--versions 100] [--rows 1000]

It makes a git repository with the shipped project and one synthetic package of ROWS rows (the
package of ``bench_site.py``), then commits VERSIONS releases of it: each corrects three values, adds
a row and raises the version, with a ``changes`` note. It measures, each in a process of its own:

- anchor 1, git itself: ``git log -p`` of the package folder (git reading and diffing every release);
- anchor 2, frictionless: ``Package(...).validate()`` of the package, once;
- ``history.read_history`` alone: every release's files and its diff against the one before;
- a full build of the repository (every release published), and a full build of the same files
  outside git (no history: only the current version), each with an empty cache: the difference is
  what the history adds to a build.

It asserts nothing: the issue's target ("a package with 100 versions adds at most a few seconds to a
build") is read off the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_site import _package  # noqa: E402  (the same synthetic package as the site benchmark)

PYTHON = sys.executable
NAME = "synthetic-history"


def _git(root: Path, *args: str, when: int = 0) -> None:
    stamp = f"2026-01-01T00:00:00+00:00" if not when else time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                                          time.gmtime(1767225600 + when * 86400))
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "Bench",
           "GIT_AUTHOR_EMAIL": "bench@example.org", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.org", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)


def make_repository(root: Path, versions: int, rows: int) -> Path:
    project = root / "project"
    for name in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "site_src" / "release-calendar.yml").unlink()
    folder = project / "datapackages" / NAME
    _package(folder, NAME, rows, 7)
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "First release")
    data = folder / "data" / "counts.csv"
    descriptor_path = folder / "datapackage.json"
    for n in range(1, versions):
        lines = data.read_text(encoding="utf-8").splitlines()
        for k in range(3):  # correct three values
            at = 1 + (n * 97 + k * 31) % (len(lines) - 1)
            cells = lines[at].split(",")
            cells[3] = str(int(cells[3]) + 1)
            lines[at] = ",".join(cells)
        lines.append(f"x{n:07d},area-{n % 13},2020-01-{1 + n % 28:02d},{n},added in release {n}")
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        descriptor["version"] = f"1.{n}.0"
        descriptor.setdefault("changes", []).append({"version": f"1.{n}.0", "description": f"Release {n}: three values corrected, a row added."})
        descriptor_path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
        _git(project, "commit", "-qam", f"Release 1.{n}.0", when=n)
    return project


def _timed(args: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1000)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        started = time.perf_counter()
        project = make_repository(work, options.versions, options.rows)
        print(f"made {options.versions} releases of {options.rows:,} rows in {time.perf_counter() - started:.1f} s")
        plain = work / "plain"
        shutil.copytree(project, plain, ignore=shutil.ignore_patterns(".git"))
        env = {**os.environ, "OPENTALLY_CACHE": str(work / "cache")}
        results = []
        seconds, _ = _timed(["git", "log", "-p", "--first-parent", "--", f"datapackages/{NAME}"], project)
        results.append(("anchor 1: git log -p of the package", seconds))
        seconds, _ = _timed([PYTHON, "-c", "import sys; from frictionless import Package; "
                             "r = Package(sys.argv[1]).validate(); assert r.valid, r.flatten(['type', 'note'])[:3]",
                             str(project / "datapackages" / NAME / "datapackage.json")], project)
        results.append(("anchor 2: frictionless validate (current version)", seconds))
        code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
                "from opentally import history; t = time.perf_counter(); "
                "h = history.read_history(Path('.'), [sys.argv[2], 'operation-nexus']); "
                "print(len(h.of(sys.argv[2])), time.perf_counter() - t)")
        _, printed = _timed([PYTHON, "-c", code, str(ROOT), NAME], project)
        count, inside = printed.split()
        results.append((f"read_history: {count} releases, files and diffs (in process)", float(inside)))
        with_history, _ = _timed([PYTHON, str(ROOT / "build.py"), "build", "--no-cache", "--out", str(work / "site-git")],
                                 project, env)
        results.append(("full build, every release published", with_history))
        without, _ = _timed([PYTHON, str(ROOT / "build.py"), "build", "--no-cache", "--out", str(work / "site-plain")],
                            plain, env)
        results.append(("full build of the same files outside git (current version only)", without))
        anchors = results[0][1] + results[1][1]
        print()
        print(f"{'measure':<66} {'seconds':>8} {'x anchors':>10}")
        for label, value in results:
            print(f"{label:<66} {value:8.2f} {value / anchors:10.2f}")
        site = work / "site-git" / "data" / NAME
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"\nhistory adds {with_history - without:.2f} s to the build ({options.versions} releases); "
              f"the release folders take {size / 1e6:.1f} MB ({size / max(1, options.versions) / 1e3:.0f} kB a release)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
