"""What a change does to the data: the report a reviewer reads on a pull request.

``check_change`` compares the working tree with a base commit, reading the old files with git
itself (``git show REF:path``), never by checking anything out. For every package the change
touches it gives the validation report, a data diff per resource (rows matched on the primary key,
or by position), schema, metadata and view changes, and the version rules; it also lists the
commentary pages changed and the figures they quote whose value changed.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from . import conventions, git, load, strict_json, validate
from .commentary import read_commentary
from .issues import BuildError, Issue, error, warning

PACKAGES = "datapackages"
COMMENTARY = "site_src"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Tables larger than this (the old and the new file's bytes together) are compared as files, not row by
# row: whether they changed, not which cells. Below it, a diff holds the two tables in memory.
MAX_COMPARED_BYTES = 4_000_000
# A change of type that accepts every value the old type accepted.
_WIDER_TYPES = {("integer", "number"), ("integer", "string"), ("number", "string"), ("date", "string"),
                ("year", "integer"), ("year", "string"), ("yearmonth", "string"), ("boolean", "string"),
                ("date", "datetime"), ("datetime", "string"), ("time", "string")}
_WIDER_TYPES |= {(t, "any") for t in ("integer", "number", "string", "date", "datetime", "boolean", "year",
                                      "yearmonth", "time", "object", "array", "duration", "geopoint")}


@dataclass(frozen=True)
class CellChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    key: str
    row: int  # row number in the new file (header is row 1)
    cells: tuple[CellChange, ...]
    ident: str = ""  # the row's identifier (``conventions.id_field``): a figure's id, when the row has one
    label: str = ""  # the row's label (``conventions.LABEL_FIELD``) in the new file, when it has one


@dataclass(frozen=True)
class ResourceDiff:
    name: str
    path: str
    status: str  # "added", "removed", "changed", "unchanged"
    matched_on: str  # "primary key id" or "row position"
    added: tuple[tuple[str, int, dict], ...] = ()  # (key, row number in the new file, row)
    removed: tuple[tuple[str, int, dict], ...] = ()  # (key, row number in the old file, row)
    changed: tuple[RowChange, ...] = ()
    more_added: int = 0  # rows added but left out of ``added`` (a release's diff keeps a few: ``kept``)
    more_removed: int = 0

    def kept(self, most: int) -> ResourceDiff:
        """The same diff holding at most ``most`` added and removed rows, the others counted: what a
        release keeps for its page (red-team review: every release's added rows held as dicts, 2.4 GB)."""
        return dataclasses.replace(self, added=self.added[:most], removed=self.removed[:most],
                                   more_added=self.more_added + max(0, len(self.added) - most),
                                   more_removed=self.more_removed + max(0, len(self.removed) - most))

    @property
    def has_changes(self) -> bool:
        return self.status != "unchanged"


@dataclass(frozen=True)
class Change:
    """One change to a descriptor: a schema, metadata or view change."""

    kind: str  # "schema", "metadata", "view"
    where: str
    description: str
    breaking: bool = False
    action: str = ""  # for a field of a schema: "added", "renamed" or "removed"


@dataclass(frozen=True)
class PackageChange:
    name: str
    status: str  # "added", "removed", "changed"
    old_version: str
    new_version: str
    report: validate.PackageReport | None
    resources: tuple[ResourceDiff, ...]
    changes: tuple[Change, ...]
    issues: tuple[Issue, ...]  # version rules and formula-like cells


@dataclass(frozen=True)
class FigureChange:
    page: str
    line: int
    ref: str
    old: str
    new: str


@dataclass(frozen=True)
class QuoteChange:
    """A quote cell (``conventions.is_quote_field``) the change rewrites: the words a figure is traced to."""

    path: str
    row: int  # row number in the new file
    ref: str  # package/resource/id of the row (its diff key when it has no id)
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class CheckReport:
    base: str
    packages: tuple[PackageChange, ...]
    commentary: tuple[tuple[str, str, int, int], ...]  # (path, status, lines added, lines removed)
    figures: tuple[FigureChange, ...]
    issues: tuple[Issue, ...] = field(default=())
    quotes: tuple[QuoteChange, ...] = ()

    @property
    def all_issues(self) -> tuple[Issue, ...]:
        found = list(self.issues)
        for p in self.packages:
            found += list(p.report.issues if p.report else ()) + list(p.issues)
        return tuple(found)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.all_issues if i.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.all_issues if not i.is_error)

    @property
    def mergeable(self) -> bool:
        return self.errors == 0


# --- git -----------------------------------------------------------------------------------------

def _git(root: Path, *args: str, binary: bool = False):
    result = subprocess.run(["git", *args], cwd=root, capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BuildError(f"git {' '.join(args)} failed: {message[-1] if message else 'no message'}",
                         hint="run the check inside the repository, with --base naming a commit or branch that exists "
                              "(in CI, fetch the whole history: fetch-depth 0)")
    return result.stdout if binary else result.stdout.decode("utf-8")


class UnknownBase(BuildError):
    """--base names nothing git knows: a usage error."""


def resolve_base(root: Path, base: str | None) -> str:
    """The commit to compare with: --base, else the merge base with main (or origin/main)."""
    _git(root, "rev-parse", "--git-dir")  # not a repository: say so before anything else
    if base:
        probe = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], cwd=root,
                               capture_output=True, text=True)
        if probe.returncode != 0:
            raise UnknownBase(f'--base "{base}" is not a commit or branch of this repository',
                              hint="name a branch (main, origin/main) or a commit; in CI, fetch the whole history")
        return probe.stdout.strip()
    for branch in ("main", "origin/main"):
        probe = subprocess.run(["git", "rev-parse", "--verify", "--quiet", branch], cwd=root, capture_output=True)
        if probe.returncode == 0:
            return _git(root, "merge-base", "HEAD", branch).strip()
    raise BuildError("there is no branch main to compare with", hint="name the base with --base REF")


def _changed_paths(root: Path, base: str) -> dict[str, str]:
    """Every path the change touches (committed, staged, unstaged or untracked) -> A, M or D."""
    changed = {}
    for line in _git(root, "diff", "--name-status", "--no-renames", base, "--").splitlines():
        status, path = line.split("\t", 1)
        changed[path] = status[0]
    for path in _git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        changed[path] = "A"
    return changed


class WorkTree:
    """The files of the working tree: what a change proposes."""

    def __init__(self, root: Path):
        self.root = root

    def read(self, path: str) -> bytes | None:
        return _read(self.root / path)


class CommitTree:
    """The files of a commit, read from git's objects (``git.Objects``), never checked out."""

    def __init__(self, objects: git.Objects, commit: str):
        self.objects, self.commit = objects, commit

    def read(self, path: str) -> bytes | None:
        return self.objects.blob(self.commit, path)


# --- the check -----------------------------------------------------------------------------------

def check_change(root: Path, base: str | None = None, today: date | None = None) -> CheckReport:
    """The report on the change from ``base`` to the working tree. ``today`` (else the clock's day) is
    the day the release calendar is read on: a confirmed release whose day has passed is a warning."""
    commit = resolve_base(root, base)
    root = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    changed = _changed_paths(root, commit)
    names = sorted({PurePosixPath(p).parts[1] for p in changed
                    if PurePosixPath(p).parts[:1] == (PACKAGES,) and len(PurePosixPath(p).parts) > 2})
    try:
        with git.Objects(root) as objects:
            packages = tuple(_check_package(root, CommitTree(objects, commit), name) for name in names)
    except git.GitUnavailable as exc:
        raise BuildError(f"git could not read the files of {commit[:12]}: {exc}",
                         hint="run the check inside the repository, with git installed") from None
    pages = tuple(_commentary_changes(root, commit, changed))
    figures = tuple(_figures_changed(root, packages))
    return CheckReport(base or commit[:12], packages, pages, figures, issues=tuple(_calendar(root, today or date.today())),
                       quotes=tuple(_quotes_changed(packages)))


def _calendar(root: Path, today: date) -> list[Issue]:
    """The release calendar as the build reads it (``release_calendar``), and its releases overdue on
    ``today``: announced as confirmed for a day that has passed, and still not published."""
    from . import history, release_calendar

    names = [path.name for path in load.find_packages(root / PACKAGES)]
    found = history.read_history(root, names, versions_only=True)
    calendar, issues = release_calendar.read_calendar(root / COMMENTARY, found.versions(), found.complete)
    return issues + release_calendar.overdue_issues(calendar, today)


def _check_package(root: Path, base: CommitTree, name: str) -> PackageChange:
    folder = root / PACKAGES / name
    old_descriptor = json_object(base.read(f"{PACKAGES}/{name}/datapackage.json"))
    if not (folder / load.DESCRIPTOR).exists():
        return PackageChange(name, "removed", _version(old_descriptor), "", None, (), (), ())
    loaded = load.load_package(folder)
    report = validate.validate_packages([loaded]).packages[0]
    new_descriptor = loaded.descriptor or {}
    status = "added" if old_descriptor is None else "changed"
    diff = diff_package(name, base, WorkTree(root), old_descriptor or {}, new_descriptor)
    issues = _version_rules(name, loaded, status, old_descriptor or {}, new_descriptor, diff)
    issues += _formula_cells(WorkTree(root), name, new_descriptor, diff.resources)
    return PackageChange(name, status, _version(old_descriptor), _version(new_descriptor), report, diff.resources,
                         diff.changes, tuple(issues))


@dataclass(frozen=True)
class PackageDiff:
    """What changed in a package between two trees: its tables' rows and cells, and its descriptor."""

    resources: tuple[ResourceDiff, ...]
    changes: tuple[Change, ...]

    @property
    def data_changed(self) -> bool:
        """Whether any table's rows or header, or any schema, changed (what needs a new version)."""
        return any(r.has_changes for r in self.resources) or any(c.kind == "schema" for c in self.changes)

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)


def diff_package(name: str, old: WorkTree | CommitTree, new: WorkTree | CommitTree, old_descriptor: dict,
                 new_descriptor: dict) -> PackageDiff:
    """The one diff engine: every table of the package matched row by row (on the primary key, or by
    position), every changed cell old -> new, and schema, metadata and view changes (schema changes that
    can make valid data invalid marked breaking). ``check`` compares a change with its base with it,
    and the site's history each release with the one before."""
    resources = tuple(_diff_resource(old, new, name, old_descriptor, new_descriptor, r)
                      for r in _resource_names(old_descriptor, new_descriptor))
    changes = tuple(_schema_changes(old, new, name, old_descriptor, new_descriptor)
                    + _metadata_changes(old_descriptor, new_descriptor)
                    + _view_changes(old_descriptor, new_descriptor))
    return PackageDiff(resources, changes)


def json_object(data: bytes | None) -> dict | None:
    """A descriptor or schema read from git or disk as strictly as `validate` reads it (``strict_json``).

    One the validation refuses (a duplicate key, NaN, too deep, too large, not JSON) is compared as
    empty: the validation report says why. A control character leaves it readable, as in `validate`.
    """
    if data is None:
        return None
    try:
        value = strict_json.parse(data, soft=[])
    except strict_json.JsonProblem:
        return {}
    return value if isinstance(value, dict) else {}


def _version(descriptor: dict | None) -> str:
    return str((descriptor or {}).get("version") or "")


def _resources(descriptor: dict) -> dict[str, dict]:
    resources = descriptor.get("resources") if isinstance(descriptor.get("resources"), list) else []
    return {r["name"]: r for r in resources if isinstance(r, dict) and isinstance(r.get("name"), str)}


def _resource_names(old: dict, new: dict) -> list[str]:
    names = list(_resources(new))
    return names + [n for n in _resources(old) if n not in names]


# --- data diff -----------------------------------------------------------------------------------

def _schema(tree: WorkTree | CommitTree, package: str, resource: dict) -> dict:
    schema = resource.get("schema")
    if isinstance(schema, str):
        schema = json_object(tree.read(f"{PACKAGES}/{package}/{schema}")) or {}
    return schema if isinstance(schema, dict) else {}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None


def _table(data: bytes | None, resource: dict) -> tuple[list[str], list[dict]]:
    if not data:
        return [], []
    dialect = resource.get("dialect") if isinstance(resource.get("dialect"), dict) else {}
    try:
        text = data.decode(str(resource.get("encoding") or "utf-8").replace("utf-8", "utf-8-sig"), "replace")
    except (LookupError, ValueError):  # an encoding Python does not know, or a codec that fails whatever the
        text = data.decode("utf-8-sig", "replace")  # errors mode ("idna"): the validation report says so
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=dialect.get("delimiter", ","),
                               quotechar=dialect.get("quoteChar", '"')))
    except (TypeError, ValueError, csv.Error):  # a dialect csv cannot take: compared as plain CSV
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error:
            rows = []
    if not rows:
        return [], []
    header = rows[0]
    return header, [dict(zip(header, row)) for row in rows[1:]]


def _key_fields(schema: dict, header: list[str]) -> list[str]:
    key = schema.get("primaryKey")
    key = [key] if isinstance(key, str) else key if isinstance(key, list) else []
    return key if key and all(isinstance(k, str) and k in header for k in key) else []


def _diff_resource(old: WorkTree | CommitTree, new: WorkTree | CommitTree, package: str, old_descriptor: dict,
                   new_descriptor: dict, name: str) -> ResourceDiff:
    old_resource, new_resource = _resources(old_descriptor).get(name), _resources(new_descriptor).get(name)
    resource = new_resource or old_resource
    path = resource.get("path") if isinstance(resource.get("path"), str) else ""
    shown = f"{PACKAGES}/{package}/{path}"
    if not path or not str(path).endswith((".csv", ".tsv")) and resource.get("format") not in ("csv", "tsv"):
        old_data = old.read(shown) if old_resource and path else None
        new_data = new.read(shown) if new_resource and path else None
        status = "unchanged" if old_data == new_data else ("added" if old_data is None else "removed" if new_data is None else "changed")
        return ResourceDiff(name, shown, status, "file")
    old_data = (old.read(f"{PACKAGES}/{package}/{old_resource['path']}")
                if old_resource and isinstance(old_resource.get("path"), str) else None)
    new_data = new.read(shown) if new_resource else None
    if len(old_data or b"") + len(new_data or b"") > MAX_COMPARED_BYTES:
        # Too large to compare row by row in memory (rows become dicts, about 75 times their bytes:
        # red-team review, 1.1 GB for a 15 MB table): said as a changed file, as a file that is no table is.
        status = "unchanged" if old_data == new_data else ("added" if old_data is None else "removed" if new_data is None else "changed")
        return ResourceDiff(name, shown, status, "file (too large to compare row by row)")
    old_header, old_rows = _table(old_data, old_resource or {})
    new_header, new_rows = _table(new_data, new_resource or {})
    schema = _schema(new, package, new_resource) if new_resource else _schema(old, package, old_resource)
    key = _key_fields(schema, new_header or old_header)
    if key and not all(k in old_header for k in key) and old_rows:
        key = []
    ident = conventions.id_field(schema.get("primaryKey") if isinstance(schema.get("primaryKey"), (str, list)) else None,
                                 new_header or old_header)
    matched = f"primary key {', '.join(key)}" if key else "row position"

    def keyed(rows):
        if key:
            return {" / ".join(row.get(k, "") for k in key): (n, row) for n, row in enumerate(rows, start=2)}
        return {f"row {n}": (n, row) for n, row in enumerate(rows, start=2)}

    old_keyed, new_keyed = keyed(old_rows), keyed(new_rows)
    added = tuple((k, n, row) for k, (n, row) in new_keyed.items() if k not in old_keyed)
    removed = tuple((k, n, row) for k, (n, row) in old_keyed.items() if k not in new_keyed)
    changed = []
    for k, (number, row) in new_keyed.items():
        if k in old_keyed:
            old_row = old_keyed[k][1]
            cells = tuple(CellChange(f, old_row.get(f, ""), row.get(f, "")) for f in new_header
                          if f in old_header and old_row.get(f, "") != row.get(f, ""))
            if cells:
                changed.append(RowChange(k, number, cells, row.get(ident, "") if ident else "",
                                         row.get(conventions.LABEL_FIELD, "")))
    if old_resource is None:
        status = "added"
    elif new_resource is None:
        status = "removed"
    else:
        status = "changed" if (added or removed or changed or old_header != new_header) else "unchanged"
    return ResourceDiff(name, shown, status, matched, added, removed, tuple(changed))


# --- schema, metadata and views ------------------------------------------------------------------

def _fields(schema: dict) -> list[dict]:
    fields = schema.get("fields") if isinstance(schema.get("fields"), list) else []
    return [f for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)]


def _schema_changes(old: WorkTree | CommitTree, new: WorkTree | CommitTree, package: str, old_descriptor: dict,
                    new_descriptor: dict) -> list[Change]:
    changes: list[Change] = []
    old_resources, new_resources = _resources(old_descriptor), _resources(new_descriptor)
    for name, new_resource in new_resources.items():
        if name not in old_resources:
            continue
        old_schema = _schema(old, package, old_resources[name])
        new_schema = _schema(new, package, new_resource)
        changes += _compare_schemas(name, old_schema, new_schema)
    return changes


def _compare_schemas(resource: str, old: dict, new: dict) -> list[Change]:
    changes: list[Change] = []
    old_fields, new_fields = _fields(old), _fields(new)
    old_by_name, new_by_name = {f["name"]: f for f in old_fields}, {f["name"]: f for f in new_fields}
    # A field gone and a field come at the same position are a rename. Positions are looked up, never
    # searched for (red-team review: 2,000 renamed fields took 77 s in a build).
    gone = [(n, f) for n, f in enumerate(old_fields) if f["name"] not in new_by_name]
    came = {n: g for n, g in enumerate(new_fields) if g["name"] not in old_by_name}
    renamed: dict[str, dict] = {}
    paired: set[int] = set()
    for position, f in gone:
        if position in came and position not in paired:
            renamed[f["name"]] = came[position]
            paired.add(position)
    for _, f in gone:
        if f["name"] in renamed:
            changes.append(Change("schema", resource, f'field "{f["name"]}" renamed to "{renamed[f["name"]]["name"]}"', True,
                                  "renamed"))
        else:
            changes.append(Change("schema", resource, f'field "{f["name"]}" removed', True, "removed"))
    for position, g in came.items():
        if position not in paired:
            changes.append(Change("schema", resource, f'field "{g["name"]}" added', False, "added"))
    for name, new_field in new_by_name.items():
        old_field = old_by_name.get(name)
        if old_field is not None:
            changes += _compare_fields(resource, old_field, new_field)
    old_key, new_key = old.get("primaryKey"), new.get("primaryKey")
    if old_key != new_key:
        changes.append(Change("schema", resource, f"primary key changed from {old_key} to {new_key}", True))
    if old.get("foreignKeys") != new.get("foreignKeys"):
        changes.append(Change("schema", resource, "foreign keys changed", bool(new.get("foreignKeys"))))
    if old.get("missingValues") != new.get("missingValues"):
        changes.append(Change("schema", resource, f"missing values changed from {old.get('missingValues')} to "
                                                  f"{new.get('missingValues')}", True))
    return changes


def _compare_fields(resource: str, old: dict, new: dict) -> list[Change]:
    name = new["name"]
    where = f'field "{name}"'
    changes = []
    old_type, new_type = old.get("type", "string"), new.get("type", "string")
    if old_type != new_type:
        wider = isinstance(old_type, str) and isinstance(new_type, str) and (old_type, new_type) in _WIDER_TYPES
        changes.append(Change("schema", resource, f"{where}: type {'widened' if wider else 'narrowed'} from "
                                                  f"{old_type} to {new_type}", not wider))
    if old.get("format", "default") != new.get("format", "default"):
        changes.append(Change("schema", resource, f"{where}: format changed from {old.get('format', 'default')} "
                                                  f"to {new.get('format', 'default')}", True))
    old_c, new_c = (c if isinstance(c, dict) else {} for c in (old.get("constraints"), new.get("constraints")))
    for key in sorted(set(old_c) | set(new_c)):
        if old_c.get(key) == new_c.get(key):
            continue
        tightened = _tightened(key, old_c.get(key), new_c.get(key))
        changes.append(Change("schema", resource, f"{where}: constraint {key} "
                                                  f"{'tightened' if tightened else 'loosened'}: "
                                                  f"{_short(old_c.get(key))} → {_short(new_c.get(key))}", tightened))
    for key in ("title", "description", "unit"):
        if old.get(key) != new.get(key):
            changes.append(Change("schema", resource, f"{where}: {key} changed", False))
    return changes


def _tightened(key: str, old, new) -> bool:
    """Whether a constraint change can make a value that was valid invalid."""
    if new is None:
        return False
    if old is None:
        return not (key in ("required", "unique") and new is False)
    if key in ("required", "unique"):
        return bool(new) and not bool(old)
    if key == "enum":
        return not set(map(str, old)) <= set(map(str, new)) if isinstance(old, list) and isinstance(new, list) else True
    if key in ("minimum", "minLength", "exclusiveMinimum"):
        return _number(new) > _number(old)
    if key in ("maximum", "maxLength", "exclusiveMaximum"):
        return _number(new) < _number(old)
    return True  # a changed pattern or anything else: assume it may refuse old values


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # a bound of 400 digits (red-team review) is no float
        return 0.0


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "none"
    return text if len(text) <= 100 else text[:97] + "..."


def _metadata_changes(old: dict, new: dict) -> list[Change]:
    changes = []
    for key in ("title", "description", "readme", "licenses", "license", "sources", "keywords", "contributors",
                "publisher", "homepage"):
        if old.get(key) != new.get(key):
            if key in ("title", "licenses", "license"):
                text = f"{key}: {_short(old.get(key))} → {_short(new.get(key))}"
            else:
                text = f"{key} changed"
            changes.append(Change("metadata", "package", text))
    if old.get("version") != new.get("version"):
        changes.append(Change("metadata", "package", f"version: {old.get('version')} → {new.get('version')}"))
    old_res, new_res = _resources(old), _resources(new)
    for name in new_res:
        if name in old_res:
            for key in ("title", "description", "path"):
                if old_res[name].get(key) != new_res[name].get(key):
                    changes.append(Change("metadata", name, f"resource {key} changed"))
    return changes


def _view_changes(old: dict, new: dict) -> list[Change]:
    def by_name(d):
        views = d.get("views") if isinstance(d.get("views"), list) else []
        return {v.get("name") if isinstance(v.get("name"), (str, type(None))) else _short(v.get("name")): v
                for v in views if isinstance(v, dict)}
    old_views, new_views = by_name(old), by_name(new)
    changes = [Change("view", str(n), "view added") for n in new_views if n not in old_views]
    changes += [Change("view", str(n), "view removed") for n in old_views if n not in new_views]
    changes += [Change("view", str(n), "view changed") for n in new_views if n in old_views and old_views[n] != new_views[n]]
    return changes


# --- rules ---------------------------------------------------------------------------------------

def _semver(version: str) -> tuple[int, int, int] | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?", version.strip())
    return tuple(int(g) for g in match.groups()) if match else None


def _version_rules(name: str, loaded, status: str, old: dict, new: dict, diff: PackageDiff) -> list[Issue]:
    if status == "added":
        return []
    where = load.display_path(loaded.descriptor_path)
    old_version, new_version = _version(old), _version(new)
    issues = []
    if diff.data_changed and old_version == new_version:
        issues.append(error("version-not-bumped", where,
                            f'the data changed but "version" is still {new_version or "not set"}',
                            'raise "version" in datapackage.json: the patch number for a correction (1.0.0 → 1.0.1), '
                            "the minor number for new rows or fields (1.0.0 → 1.1.0)", field="version"))
    breaking = diff.breaking
    old_semver, new_semver = _semver(old_version), _semver(new_version)
    if breaking and old_semver and new_semver and new_semver[0] <= old_semver[0]:
        issues.append(error("major-version-needed", where,
                            f"a breaking schema change ({breaking[0].where}: {breaking[0].description}) needs a new major "
                            f"version, but the version goes from {old_version} to {new_version}",
                            f'set "version" to {old_semver[0] + 1}.0.0: people who re-use the data rely on the old schema',
                            field="version"))
    return issues


def _formula_cells(tree: WorkTree, package: str, descriptor: dict, resources) -> list[Issue]:
    """Text cells that a spreadsheet would run as a formula, in rows the change adds or changes."""
    issues = []
    for diff in resources:
        resource = _resources(descriptor).get(diff.name)
        if resource is None:
            continue
        schema = _schema(tree, package, resource)
        text_fields = {f["name"] for f in _fields(schema) if f.get("type", "string") == "string"} or None
        cells = [(n, f, v) for _, n, row in diff.added for f, v in row.items()]
        cells += [(c.row, cell.field, cell.new) for c in diff.changed for cell in c.cells]
        for number, name, value in cells:
            if isinstance(value, str) and value.startswith(FORMULA_START) and (text_fields is None or name in text_fields):
                issues.append(warning("formula-like-cell", diff.path,
                                      f'field "{name}": "{_clip(value)}" begins with "{_shown_char(value[0])}", so a '
                                      "spreadsheet may run it as a formula",
                                      "check the value is meant; the published CSV is not altered. People opening it in a "
                                      "spreadsheet should import it as text", number, name))
    return issues


def _clip(value: str) -> str:
    text = value.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= 40 else text[:37] + "..."


def _shown_char(char: str) -> str:
    return {"\t": "a tab", "\r": "a carriage return"}.get(char, char)


# --- commentary ----------------------------------------------------------------------------------

def _commentary_changes(root: Path, base: str, changed: dict[str, str]):
    numstat = {}
    for line in _git(root, "diff", "--numstat", "--no-renames", base, "--", COMMENTARY).splitlines():
        added, removed, path = line.split("\t", 2)
        numstat[path] = (int(added) if added.isdigit() else 0, int(removed) if removed.isdigit() else 0)
    for path, status in sorted(changed.items()):
        if PurePosixPath(path).parts[:1] == (COMMENTARY,):
            added, removed = numstat.get(path, (len(_read(root / path).decode("utf-8", "replace").splitlines())
                                                if status == "A" and (root / path).is_file() else 0, 0))
            yield path, {"A": "added", "D": "removed"}.get(status, "changed"), added, removed


def _quotes_changed(packages: tuple[PackageChange, ...]):
    """Every quote cell the change rewrites, old and new: a reviewer reads the new words in the source."""
    for p in packages:
        for r in p.resources:
            for row in r.changed:
                for cell in row.cells:
                    if conventions.is_quote_field(cell.field):
                        yield QuoteChange(r.path, row.row, f"{p.name}/{r.name}/{row.ident or row.key}", cell.field,
                                          cell.old, cell.new)


@dataclass(frozen=True)
class ValueChange:
    """A figure's value that a change alters: a correction, once released."""

    ref: str  # package/resource/id (the row's diff key when it has no id)
    old: str
    new: str
    label: str = ""  # the row's label, when it has one


def value_changes(package: str, resources: tuple[ResourceDiff, ...]) -> list[ValueChange]:
    """The one rule for what a correction of a figure is: a row matched in both versions on its primary key
    whose value cell (``conventions.VALUE_FIELD``) changed. Rows matched only by position are not: a row
    inserted above would make every value below it look corrected (red-team review)."""
    return [ValueChange(f"{package}/{r.name}/{row.ident or row.key}", cell.old, cell.new, row.label)
            for r in resources if r.matched_on.startswith("primary key")
            for row in r.changed for cell in row.cells if cell.field == conventions.VALUE_FIELD]


def _figures_changed(root: Path, packages: tuple[PackageChange, ...]):
    """Commentary that quotes a figure whose value the change alters."""
    values = {change.ref: (change.old, change.new) for p in packages for change in value_changes(p.name, p.resources)}
    if not values or not (root / COMMENTARY).is_dir():
        return
    pages, _ = read_commentary(root / COMMENTARY)
    for page in pages:
        for call in page.calls:
            if call.kind == "figure" and call.ref in values:
                old, new = values[call.ref]
                yield FigureChange(f"{COMMENTARY}/{page.relative}", call.line, call.ref, old, new)
