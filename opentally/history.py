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

import filecmp
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import check, conventions, git, names
from .issues import Issue, error, warning

PACKAGES = check.PACKAGES
DESCRIPTOR = "datapackage.json"
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
    files: tuple[tuple[str, bytes | Path], ...] = field(repr=False)  # every plain file of the package folder, sorted
    previous: str = ""  # the version before ("" for the first)
    diff: check.PackageDiff | None = field(default=None, repr=False)  # against the version before

    @property
    def date(self) -> str:
        return self.time[:10]



@dataclass(frozen=True)
class History:
    releases: dict[str, tuple[Release, ...]]  # package folder name -> its releases, oldest first
    issues: tuple[Issue, ...] = ()
    head_time: str = ""  # the date and time of the commit the site is built from ("" outside git)
    # package -> the version its descriptor gives, whose released data differs from the data it has now
    drifted: dict[str, str] = field(default_factory=dict)
    # package -> the latest release, when the descriptor gives an earlier release's version (set back)
    behind: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every release could be read (not so in a shallow clone, or outside git)."""
        return not any(i.code in ("history-missing", "history-shallow") for i in self.issues)

    def of(self, package: str) -> tuple[Release, ...]:
        return self.releases.get(package, ())

    def versions(self) -> dict[str, tuple[str, ...]]:
        """package -> the versions it released, oldest first (every package read, released or not)."""
        return {name: tuple(r.version for r in found) for name, found in self.releases.items()}


def read_history(root: Path, packages: list[str], publishing: bool = False, store: Path | None = None,
                 versions_only: bool = False) -> History:
    """The releases of each package (folder names under ``datapackages/``) on the branch at ``HEAD``.

    With ``publishing``, a history that cannot be complete is an error; otherwise a warning. With a
    ``store`` folder, a release's files of ``IN_MEMORY`` bytes or more are written there (one file per git
    object) and held as their path, so that memory does not grow with the size of every release (red-team
    review: six releases of 300 MB each took 2 GB). With ``versions_only`` (what ``check`` needs for the
    release calendar), each release is its version, commit, date and note, without its files or diff."""
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
    head_time = head.stdout.split()[1] if _readable_time(head.stdout.split()[1]) else ""
    issues: list[Issue] = []
    shallow = git.run(root, "rev-parse", "--is-shallow-repository")
    if shallow is not None and shallow.stdout.strip() == "true":
        issues.append(report("history-shallow", where, "this clone of the repository is shallow (fetched with a depth), "
                             "so the versions released before its first commit are missing from the site",
                             "fetch the whole history: `git fetch --unshallow`; in GitHub Actions, give "
                             "actions/checkout `fetch-depth: 0`"))
    touched = _descriptor_commits(root, set(packages))
    if touched is None:  # red-team review: a log that failed gave a site with no release, and no word of it
        issues.append(report("history-missing", where, "git could not list the history of the data packages, so "
                             "earlier versions of the datasets cannot be published", "build from a complete clone of "
                             "the repository (git clone, or actions/checkout with fetch-depth: 0)"))
        return History(none, tuple(issues), head_time)
    releases: dict[str, tuple[Release, ...]] = {}
    drifted: dict[str, str] = {}
    behind: dict[str, str] = {}
    try:
        with git.Objects(root) as objects:
            for name in packages:
                now = _descriptor(root / PACKAGES / name / DESCRIPTOR)  # the package's descriptor as it is now
                found, more = _releases(objects, name, touched.get(name, []), conventions.changes_notes(now), store,
                                        versions_only)
                releases[name] = found
                issues += more
                current = conventions.version_of(now)
                if found and current != found[-1].version and any(r.version == current for r in found):
                    behind[name] = found[-1].version
                    issues.append(warning("version-set-back", f"{PACKAGES}/{name}/{DESCRIPTOR}",
                                          f"the version is {current}, an earlier release than the latest, "
                                          f"{found[-1].version}: the dataset's page says it shows an earlier version",
                                          "give the data a new version number, higher than every release", field="version"))
                if not versions_only and (drift := _drift(root, objects, name, found, now)) is not None:
                    drifted[name] = drift.version
                    issues.append(warning("unreleased-change", f"{PACKAGES}/{name}/{DESCRIPTOR}",
                                          f"the data differs from version {drift.version} as it was released (commit "
                                          f"{drift.commit[:12]}), but the version is still {drift.version}: the dataset's "
                                          "page says so, and the files of the release stay as they were",
                                          'raise "version" (the check of a pull request requires it when data changes)',
                                          field="version"))
    except git.GitUnavailable as exc:
        issues.append(report("history-missing", where, f"git could not read the history: {exc}",
                             "build from a complete clone of the repository: a partial clone (--filter) whose remote "
                             "cannot be reached lacks the files of earlier versions; and check that git is installed"))
        return History(none, tuple(issues), head_time)
    return History(releases, tuple(issues), head_time, drifted, behind)


def _descriptor_commits(root: Path, packages: set[str]) -> dict[str, list[tuple[str, str]]] | None:
    """package -> (commit, time) of each first-parent commit that changed its descriptor, oldest first;
    None when git cannot list them."""
    result = git.run(root, "-c", "core.quotePath=false", "log", "--first-parent", "--diff-merges=first-parent",
                     "--no-renames", "--reverse", "--format=%x00%H %cI", "--name-only", "HEAD", "--",
                     f":(glob){PACKAGES}/*/{DESCRIPTOR}", timeout=120)
    touched: dict[str, list[tuple[str, str]]] = {}
    if result is None or result.returncode != 0:
        return None
    for record in result.stdout.split("\0")[1:]:
        lines = record.strip().splitlines()
        if not lines:
            continue
        commit, time = lines[0].split(" ", 1)
        if not _readable_time(time):
            continue  # a date git accepts but no calendar shows (year 10000): the commit is not a release
        for path in lines[1:]:
            parts = path.split("/")
            if len(parts) == 3 and parts[1] in packages:
                touched.setdefault(parts[1], []).append((commit, time))
    return touched


def _readable_time(text: str) -> bool:
    """Whether a commit's ISO 8601 date and time can be shown (a four-digit year; red-team review: a commit
    dated in the year 10000 broke the build)."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)", text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _descriptor(path: Path) -> dict:
    """A descriptor read as ``check`` reads one (``check.json_object``); {} when it cannot be."""
    try:
        return check.json_object(path.read_bytes()) or {}
    except (OSError, ValueError):
        return {}


def _drift(root: Path, objects: git.Objects, name: str, releases: tuple[Release, ...],
           descriptor: dict) -> Release | None:
    """The release of the version the package's ``descriptor`` gives now, when the data now differs from it
    (a change merged without a new version, or a version set back to an older number); else None."""
    version = conventions.version_of(descriptor)
    release = next((r for r in releases if r.version == version), None)
    if release is None:
        return None
    folder = root / PACKAGES / name
    same = all(_same_bytes(folder / path, data) for path, data in release.files if path != DESCRIPTOR)
    if same and release.descriptor.get("resources") == descriptor.get("resources"):
        return None  # the usual case, decided without parsing a table
    diff = check.diff_package(name, check.CommitTree(objects, release.commit), check.WorkTree(root),
                              release.descriptor, descriptor)
    return release if diff.data_changed else None


KEPT_ROWS = 50  # added and removed rows a release's diff keeps (the pages list 50: ``releases.MAX_LISTED``)
IN_MEMORY = 1_000_000  # bytes: a release's file this large or larger is kept on disk (``read_history``)


def _kept(data: bytes, oid: str, store: Path | None) -> bytes | Path:
    if store is None or len(data) < IN_MEMORY:
        return data
    path = store / oid
    if not path.exists():
        path.write_bytes(data)
    return path


def _same_bytes(path: Path, data: bytes | Path) -> bool:
    try:
        if isinstance(data, Path):
            return filecmp.cmp(path, data, shallow=False)
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except (OSError, ValueError):
        return False


def _descriptor_problem(descriptor: dict) -> str | None:
    """Why a release's descriptor cannot be read as a Data Package descriptor, or None. Its profiles and its
    schema and dialect references are left out of what frictionless sees: a profile may be a URL (the build
    reaches no network) and a reference a file of the working folder (red-team review: an unvalidated commit
    with "resources": 5 or "contributors": 5 broke every later build)."""
    from frictionless import Package

    copy = {k: v for k, v in descriptor.items() if k not in ("profile", "$schema", "profiles")}
    if isinstance(copy.get("resources"), list):
        copy["resources"] = [{k: v for k, v in r.items() if k not in ("profile", "$schema", "schema", "dialect")}
                             if isinstance(r, dict) else r for r in copy["resources"]]
    try:
        errors = list(Package.metadata_validate(copy))
    except Exception as exc:  # frictionless failing on a malformed descriptor is itself the answer
        return f"frictionless: {type(exc).__name__}"
    return " ".join(errors[0].message.split())[:200] if errors else None


def _plain(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_NOTE else text[:MAX_NOTE - 1] + "…"


def _releases(objects: git.Objects, name: str, touched: list[tuple[str, str]], notes: dict[str, str],
              store: Path | None = None, versions_only: bool = False) -> tuple[tuple[Release, ...], list[Issue]]:
    where = f"{PACKAGES}/{name}/{DESCRIPTOR}"
    releases: list[Release] = []
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    current = ""
    blobs: dict[str, bytes | Path] = {}  # object id -> bytes (or its file): a file unchanged between versions is read once
    for commit, time in touched:
        data = objects.blob(commit, where)
        if data is None:  # the package was removed: a version given when it comes back is a release again
            current = ""
            continue
        descriptor = check.json_object(data) or {}
        version = conventions.version_of(descriptor)
        if not version or version == current:
            current = version or current
            continue
        current = version
        if version in seen:
            issues.append(warning("version-reused", where, f"version {version} was released at commit {seen[version][:12]}; "
                                  f"commit {commit[:12]} gives the same number to other data, which is not published",
                                  "a version is released once: give the new data a new version number", field="/version"))
            continue
        if (problem := conventions.version_problem(version)) is not None:
            issues.append(warning("version-unpublishable", where, f"{problem} (commit {commit[:12]}), so it is not "
                                  "published as a release", f"write versions as {conventions.VERSION_RULE}",
                                  field="/version"))
            seen[version] = commit
            continue
        seen[version] = commit
        if (problem := _descriptor_problem(descriptor)) is not None:
            issues.append(warning("release-unreadable", where, f"version {version} (commit {commit[:12]}) has a descriptor "
                                  f"the site cannot read ({problem}), so it is not published as a release",
                                  "nothing to do for the past; the next version is published when its descriptor is valid",
                                  field="/version"))
            continue
        files = []
        for path, oid in () if versions_only else objects.files(commit, f"{PACKAGES}/{name}").items():
            if names.path_problem(path) is not None or any(part.startswith(".") for part in path.split("/")):
                continue  # a name the site cannot publish, or a hidden file: not part of a release
            if oid not in blobs:
                blobs[oid] = _kept(objects.read(oid) or b"", oid, store)
            files.append((path, blobs[oid]))
        note = _plain(notes.get(version) or conventions.changes_notes(descriptor).get(version) or _message(objects, commit))
        previous = releases[-1] if releases else None
        diff = None
        if previous is not None and not versions_only:
            diff = check.diff_package(name, check.CommitTree(objects, previous.commit), check.CommitTree(objects, commit),
                                      previous.descriptor, descriptor)
            diff = check.PackageDiff(tuple(r.kept(KEPT_ROWS) for r in diff.resources), diff.changes)
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
