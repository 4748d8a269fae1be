"""Stage 1b, history: every release of every package, read from the repository's git history.

A release is a commit on the published branch (the first-parent line of ``HEAD``) where a package's
``version`` changed: that commit's package folder is the release, byte for byte, for good. Its note
is the ``changes`` entry its authors wrote for that version in the descriptor (the current one, else
the release's own), else the commit's message. What it changed is what ``check`` reports for a pull
request, from the same engine (``check.diff_package``), against the release before.

Everything is read through one ``git cat-file --batch`` process (``git.Objects``) and one
``git log``, however many versions there are. A clone without the whole history (a shallow clone),
or a folder that is not a repository at all, cannot show every version: that is an error when the
site is being published, and a warning in a preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import check, conventions, git, names, strict_json
from .issues import Issue, error, warning

PACKAGES = check.PACKAGES
DESCRIPTOR = "datapackage.json"
# A version that can name a folder of the site: it starts with a digit (or "v" and a digit), and
# holds only letters, digits, ".", "_", "+" and "-". "1.0.1", "v2.0.0-rc.1" and "2013.07" all can.
VERSION_PATTERN = re.compile(r"v?[0-9][0-9A-Za-z._+-]{0,63}")
MAX_NOTE = 2_000  # characters of a release's note kept: it is shown on pages and in the feed


@dataclass(frozen=True)
class Release:
    """One version of one package, as it was published."""

    package: str  # the package's folder name
    version: str
    commit: str
    time: str  # the commit's date and time, ISO 8601 with its offset (committer date)
    note: str  # what its authors said of it, plain text
    descriptor: dict = field(repr=False)
    files: tuple[tuple[str, bytes], ...] = field(repr=False)  # every plain file of the package folder, sorted
    previous: str = ""  # the version before ("" for the first)
    diff: check.PackageDiff | None = field(default=None, repr=False)  # against the version before

    @property
    def date(self) -> str:
        return self.time[:10]

    @property
    def corrections(self) -> list[check.ValueChange]:
        """Figures whose value this release changed (``check.value_changes``)."""
        return check.value_changes(self.package, self.diff.resources) if self.diff else []


@dataclass(frozen=True)
class History:
    releases: dict[str, tuple[Release, ...]]  # package folder name -> its releases, oldest first
    issues: tuple[Issue, ...] = ()
    head_time: str = ""  # the date and time of the commit the site is built from ("" outside git)

    @property
    def complete(self) -> bool:
        """Whether every release could be read (not so in a shallow clone, or outside git)."""
        return not any(i.code in ("history-missing", "history-shallow") for i in self.issues)

    def of(self, package: str) -> tuple[Release, ...]:
        return self.releases.get(package, ())

    def versions(self) -> dict[str, tuple[str, ...]]:
        """package -> the versions it released, oldest first (every package read, released or not)."""
        return {name: tuple(r.version for r in found) for name, found in self.releases.items()}


def read_history(root: Path, packages: list[str], publishing: bool = False) -> History:
    """The releases of each package (folder names under ``datapackages/``) on the branch at ``HEAD``.

    With ``publishing``, a history that cannot be complete is an error; otherwise a warning."""
    report = error if publishing else warning
    where = "datapackages"
    none: dict[str, tuple[Release, ...]] = {name: () for name in packages}
    if not git.is_repository(root):
        return History(none, (report("history-missing", where, "the project is not a git repository, so earlier "
                                   "versions of the datasets cannot be published: only the current version is shown",
                                   "build from a clone of the repository (git clone), with its whole history"),))
    head = git.run(root, "log", "-1", "--format=%H %cI", "HEAD")
    if head is None or head.returncode != 0 or not head.stdout.strip():
        return History(none, (report("history-missing", where, "the repository has no commit yet, so no version of any "
                                   "dataset has been released", "commit the data packages"),))
    head_time = head.stdout.split()[1]
    issues: list[Issue] = []
    shallow = git.run(root, "rev-parse", "--is-shallow-repository")
    if shallow is not None and shallow.stdout.strip() == "true":
        issues.append(report("history-shallow", where, "this clone of the repository is shallow (fetched with a depth), "
                             "so the versions released before its first commit are missing from the site",
                             "fetch the whole history: `git fetch --unshallow`; in GitHub Actions, give "
                             "actions/checkout `fetch-depth: 0`"))
    touched = _descriptor_commits(root, set(packages))
    releases: dict[str, tuple[Release, ...]] = {}
    try:
        with git.Objects(root) as objects:
            notes = {name: conventions.changes_notes(_descriptor(root / PACKAGES / name / DESCRIPTOR)) for name in packages}
            for name in packages:
                found, more = _releases(objects, name, touched.get(name, []), notes[name])
                releases[name] = found
                issues += more
    except git.GitUnavailable as exc:
        issues.append(report("history-missing", where, f"git could not read the history: {exc}",
                             "install git, and build from a clone of the repository"))
        return History(none, tuple(issues), head_time)
    return History(releases, tuple(issues), head_time)


def _descriptor_commits(root: Path, packages: set[str]) -> dict[str, list[tuple[str, str]]]:
    """package -> (commit, time) of each first-parent commit that changed its descriptor, oldest first."""
    result = git.run(root, "-c", "core.quotePath=false", "log", "--first-parent", "--diff-merges=first-parent",
                     "--no-renames", "--reverse", "--format=%x00%H %cI", "--name-only", "HEAD", "--",
                     f":(glob){PACKAGES}/*/{DESCRIPTOR}", timeout=120)
    touched: dict[str, list[tuple[str, str]]] = {}
    if result is None or result.returncode != 0:
        return touched
    for record in result.stdout.split("\0")[1:]:
        lines = record.strip().splitlines()
        if not lines:
            continue
        commit, time = lines[0].split(" ", 1)
        for path in lines[1:]:
            parts = path.split("/")
            if len(parts) == 3 and parts[1] in packages:
                touched.setdefault(parts[1], []).append((commit, time))
    return touched


def _descriptor(path: Path) -> dict:
    try:
        value = strict_json.parse(path.read_bytes(), soft=[])
    except (OSError, ValueError, strict_json.JsonProblem):
        return {}
    return value if isinstance(value, dict) else {}


def _parsed(data: bytes | None) -> dict:
    if data is None:
        return {}
    try:
        value = strict_json.parse(data, soft=[])
    except (ValueError, strict_json.JsonProblem):
        return {}
    return value if isinstance(value, dict) else {}


def _plain(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_NOTE else text[:MAX_NOTE - 1] + "…"


def _releases(objects: git.Objects, name: str, touched: list[tuple[str, str]],
              notes: dict[str, str]) -> tuple[tuple[Release, ...], list[Issue]]:
    where = f"{PACKAGES}/{name}/{DESCRIPTOR}"
    releases: list[Release] = []
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    current = ""
    blobs: dict[str, bytes] = {}  # object id -> bytes: a file unchanged between versions is read once
    for commit, time in touched:
        descriptor = _parsed(objects.blob(commit, where))
        version = descriptor.get("version")
        version = version.strip() if isinstance(version, str) else ""
        if not version or version == current:
            current = version or current
            continue
        current = version
        if version in seen:
            issues.append(warning("version-reused", where, f"version {version} was released at commit {seen[version][:12]}; "
                                  f"commit {commit[:12]} gives the same number to other data, which is not published",
                                  "a version is released once: give the new data a new version number", field="/version"))
            continue
        if not VERSION_PATTERN.fullmatch(version):
            issues.append(warning("version-unpublishable", where, f'version "{version[:80]}" (commit {commit[:12]}) '
                                  "cannot name a folder of the site, so it is not published as a release",
                                  'use version numbers such as "1.0.1": a digit first, then letters, digits, ".", "_", "+" or "-"',
                                  field="/version"))
            seen[version] = commit
            continue
        seen[version] = commit
        files = []
        for path, oid in objects.files(commit, f"{PACKAGES}/{name}").items():
            if names.path_problem(path) is not None or any(part.startswith(".") for part in path.split("/")):
                continue  # a name the site cannot publish, or a hidden file: not part of a release
            if oid not in blobs:
                blobs[oid] = objects.read(oid) or b""
            files.append((path, blobs[oid]))
        note = _plain(notes.get(version) or conventions.changes_notes(descriptor).get(version) or _message(objects, commit))
        previous = releases[-1] if releases else None
        diff = None
        if previous is not None:
            diff = check.diff_package(name, check.CommitTree(objects, previous.commit), check.CommitTree(objects, commit),
                                      previous.descriptor, descriptor)
        releases.append(Release(name, version, commit, time, note, descriptor, tuple(files),
                                previous.version if previous else "", diff))
    return tuple(releases), issues


def _message(objects: git.Objects, commit: str) -> str:
    """The commit's message as a note: its first paragraph; for a merge, the paragraph after the
    "Merge pull request" line (the pull request's title)."""
    message = objects.message(commit)
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) > 1 and re.match(r"Merge (pull request|branch)\b", paragraphs[0]):
        paragraphs = paragraphs[1:]
    return _plain(paragraphs[0]) if paragraphs else ""
