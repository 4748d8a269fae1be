"""Stage 2, validate: check loaded packages and return a report of every issue found.

Two kinds of check run on each package:

* the project's own rules, which frictionless does not check: descriptor metadata a public site
  needs, paths that stay inside the package and never reach the network, provenance quotes that
  really are in their source document, and figures whose value their quote states (the data
  conventions are read as ``conventions`` defines them, as every other stage reads them);
* frictionless itself, on the descriptor and on every row, run only on resources whose paths the
  first kind found safe, so that frictionless never reads outside the package or from another host.

Nothing here raises for bad input: each problem is an ``Issue`` and the caller decides how to fail.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from frictionless import Check, Checklist, Detector, FrictionlessException, Package
from frictionless import Report as FrictionlessReport
from frictionless import settings as frictionless_settings

from . import cache, conventions, csv_checks, fastpath, messages, names, parallel, stamp, stored, strict_json, views
from . import tables as tables_module
from .issues import Issue, error, pointer_part, warning
from .load import LoadedPackage, display_path

# Profiles that frictionless ships: naming them needs no network. Any other URL is refused.
_OFFICIAL_PROFILE = re.compile(
    r"^https://(datapackage\.org|specs\.frictionlessdata\.io)/profiles/[\w.\-/]+\.json$")


@dataclass(frozen=True)
class PackageRead:
    """What validation read of a package, handed on so that no later stage reads it again: each
    tabular resource's typed rows (as frictionless parsed them, once), and each view's chart as
    ``charts.build_chart`` built it (or the ``UnsupportedView`` it raised), by view key."""

    tables: dict = field(default_factory=dict)   # resource name -> charts.Table
    charts: dict = field(default_factory=dict)   # "package/view" -> charts.Chart | charts.UnsupportedView


@dataclass(frozen=True)
class PackageReport:
    name: str
    path: str
    resources: int
    rows: int
    issues: tuple[Issue, ...]
    read: PackageRead | None = field(default=None, compare=False, repr=False)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.is_error)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    @property
    def valid(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True)
class Report:
    packages: tuple[PackageReport, ...]
    strict: bool = False

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for p in self.packages for i in p.issues)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.packages)

    @property
    def warnings(self) -> int:
        return sum(p.warnings for p in self.packages)

    @property
    def resources(self) -> int:
        return sum(p.resources for p in self.packages)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.packages)

    @property
    def valid(self) -> bool:
        return bool(self.packages) and self.errors == 0

    def read_of(self, path: str) -> PackageRead | None:
        """What validation read of the package shown as ``path`` (``PackageReport.path``)."""
        return self._reads.get(path)

    @functools.cached_property
    def _reads(self) -> dict[str, PackageRead | None]:
        return {p.path: p.read for p in self.packages}


def validate_packages(packages: list[LoadedPackage], strict: bool = False) -> Report:
    """Check every package; with ``strict`` every warning counts as an error. Many packages are
    checked on every core (``parallel``), and reported in the order given."""
    folder = cache.folder()
    # Each package's key, of its files as they are before anything reads them (a change meanwhile is
    # not kept under the old files' key), taken once for the lookup and the keeping.
    keys = [stamp.folder_key(p.directory) if folder is not None and p.descriptor is not None else None
            for p in packages]
    recalled = [_recall(key) for key in keys]
    made = iter(parallel.ordered_map(functools.partial(_validate_and_keep, folder),
                                     [(p, key) for p, key, r in zip(packages, keys, recalled) if r is None]))
    reports = []
    for report in (r if r is not None else next(made) for r in recalled):
        if strict:
            report = PackageReport(report.name, report.path, report.resources, report.rows,
                                   tuple(i.as_error() for i in report.issues), report.read)
        reports.append(report)
    return Report(tuple(reports), strict)


def _recall(key: str | None) -> PackageReport | None:
    """The report of a package whose files, the code and the tools are those of a package validated
    before (see ``stored``), from the cache; None when there is none."""
    found = cache.get("validation", key) if key is not None else None
    if found is None:
        return None
    try:
        return stored.load(found, PackageReport, PackageRead)
    except (ValueError, KeyError, TypeError, RecursionError):
        return None  # an entry this code cannot read: validated again


def _validate_and_keep(folder: Path | None, item: tuple[LoadedPackage, str | None]) -> PackageReport:
    """Validate the package and keep its report in the cache in ``folder`` under its key (this may run
    in a process of its own, which must be told where the cache is)."""
    loaded, key = item
    cache.use(folder)
    report = _validate_package(loaded)
    if key is not None and (data := stored.dump(report)) is not None:
        cache.put("validation", key, data)
    return report


def _validate_package(loaded: LoadedPackage) -> PackageReport:
    shown = display_path(loaded.directory)
    if loaded.descriptor is None:
        return PackageReport(loaded.name, shown, 0, 0, loaded.issues)
    descriptor = loaded.descriptor
    where = display_path(loaded.descriptor_path)
    issues: list[Issue] = list(loaded.issues)  # what loading found but left the descriptor readable
    issues += _check_metadata(descriptor, where)
    issues += _check_unfinished(descriptor, where)
    issues += _check_names(descriptor, where)
    name_issues = _check_safe_names(loaded, where)
    issues += name_issues
    unsafe, path_issues = _check_paths(loaded)
    # A file the site would not publish (its type, or compressed) is not read by frictionless either.
    unsafe |= {int(m.group(1)) for i in name_issues if i.code in ("unsafe-path", "compressed-data")
               and (m := re.match(r"/resources/(\d+)/", i.field or ""))}
    # A control character in a path is said once, as the path's problem.
    refused = {i.field for i in path_issues if i.code == "unsafe-path"}
    issues = [i for i in issues if not (i.code == "control-character" and i.field in refused)] + path_issues
    unreadable, file_issues, csv_read = _check_files(loaded, unsafe)
    unsafe |= unreadable  # frictionless would read them wrong, or reach the network: it never reads them
    issues += file_issues
    resources = descriptor.get("resources") if isinstance(descriptor.get("resources"), list) else []
    rows, package, data_issues, read = _run_frictionless(loaded, unsafe, csv_read)
    issues += data_issues
    if package is not None:
        try:
            issues += _check_views(loaded, package, unsafe, read)
            issues += _check_ids(loaded, package, read)
            issues += _check_provenance(loaded, package, read)
            issues += _check_structured_text(loaded, package, read)
        except (FrictionlessException, *_FRICTIONLESS_FAULTS):
            # Frictionless reported errors in the descriptor, then fails on reading it further (a schema
            # that does not load): the checks that need it wait for those errors to be fixed.
            if not any(i.is_error for i in data_issues):
                raise
    return PackageReport(loaded.name, shown, len(resources), rows, tuple(_sorted(issues)), read)


def _sorted(issues: list[Issue]) -> list[Issue]:
    # Descriptor issues first: a broken descriptor often explains the errors in the data files.
    # An issue found twice (by two paths to the same file) is said once.
    return sorted(set(issues), key=lambda i: (not i.path.endswith("datapackage.json"), i.path, i.row or 0,
                                         i.field or "", i.code, i.message))


# --- descriptor metadata -------------------------------------------------------------------------

def _check_metadata(descriptor: dict, where: str) -> list[Issue]:
    issues = []
    if not _text(descriptor.get("title")):
        issues.append(error("missing-title", where, "the package has no title",
                            'add "title": a short name for the public, e.g. "Operation Nexus figures, 2012 to 2013"',
                            field="title"))
    licenses = descriptor.get("licenses")
    if not (isinstance(licenses, list) and licenses) and not _text(descriptor.get("license")):
        issues.append(error("missing-licence", where, "the package has no licence, so nobody may legally re-use it",
                            'add "licenses": [{"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0", '
                            '"path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}] '
                            "or the licence the publisher chose", field="licenses"))
    if not (_text(descriptor.get("description")) or _text(descriptor.get("readme"))):
        issues.append(warning("missing-description", where,
                              "the package has no description, so its page cannot tell the public what the data is",
                              'add "description": a few sentences in plain words (Markdown is allowed)',
                              field="description"))
    sources = descriptor.get("sources")
    if not (isinstance(sources, list) and sources):
        issues.append(warning("missing-sources", where, "the package names no sources, so readers cannot check the figures",
                              'add "sources": [{"title": "...", "path": "..."}] naming where the data comes from',
                              field="sources"))
    version = conventions.version_of(descriptor)
    if version and (problem := conventions.version_problem(version)):
        issues.append(warning("version-unpublishable", where, f"{problem}: this version cannot be published as a "
                              "release of its own, with its page and files", f"write it as {conventions.VERSION_RULE}",
                              field="version"))
    for pointer, problem, hint in conventions.changes_problems(descriptor):
        issues.append(warning("changes-invalid", where, f"{problem}: the note of a version is taken from its entry", hint,
                              field=pointer))
    return issues


_TODO = re.compile(r"^\s*TODO\b")
# Where a placeholder is, what is still to be done there and how (the first pattern that matches wins).
_UNFINISHED = (
    (r"/title", "the title is still to be written",
     'replace the TODO text with a short title for the public, e.g. "Operation Nexus figures, 2012 to 2013"'),
    (r"/description", "the description is still to be written",
     "replace the TODO text with a few sentences for the public: what the figures are, who counted them, "
     "for which period (Markdown is allowed)"),
    (r"/licenses/\d+", "the licence is still to be chosen",
     'replace the placeholder with the licence the publisher gave, e.g. {"name": "OGL-UK-3.0", '
     '"title": "Open Government Licence v3.0", '
     '"path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}'),
    (r"/sources/\d+", "the source is still to be named",
     'replace the placeholder with where the figures come from: {"title": "...", "path": "..."}, the path '
     "being a web address or a copy of the document in the package"),
    (r"/resources/\d+/schema/fields/\d+/description", "the description of field {field} is still to be written",
     "replace the TODO text with what the column holds: what is counted, how, and what an empty cell means"),
    (r"/resources/\d+/schema/fields/\d+/unit", "the unit of field {field} is still to be given",
     'replace the TODO text with what the numbers count or measure, e.g. "people", "percent" or "GBP"; '
     'remove "unit" if the column is not a quantity (an id, a year)'),
    (r"/.*", "a placeholder is still to be filled in", "replace the TODO text with the real value, or remove the property"),
)


def _check_unfinished(descriptor: dict, where: str) -> list[Issue]:
    """A placeholder ("TODO: ...", as `build.py new` writes) is a warning until it is replaced.

    A warning, not an error, so that a new package can be previewed while it is written; --strict,
    and so CI, refuses it.
    """
    places: dict[str, tuple[str, str]] = {}
    for pointer, value in _strings(descriptor, ""):
        if _TODO.match(value):
            for pattern, message, hint in _UNFINISHED:
                match = re.match(pattern + r"(?=/|$)", pointer)
                if match:  # a licence or source is one place, whichever of its properties holds the TODO
                    places.setdefault(match.group(0), (message, hint))
                    break
    return [warning("unfinished", where, f"{place}: " + message.format(field=_field_name(descriptor, place)),
                    hint, field=place) for place, (message, hint) in places.items()]


def _strings(value, pointer: str):
    """(JSON pointer, text) of every string in a descriptor."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{pointer_part(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{index}")


def _field_name(descriptor: dict, pointer: str) -> str:
    match = re.match(r"/resources/(\d+)/schema/fields/(\d+)/", pointer)
    if not match:
        return ""
    try:
        field = descriptor["resources"][int(match.group(1))]["schema"]["fields"][int(match.group(2))]
    except (KeyError, IndexError, TypeError):  # "fields" given as an object: frictionless reports it
        return ""
    return f'"{field.get("name")}"' if isinstance(field, dict) else ""


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _check_names(descriptor: dict, where: str) -> list[Issue]:
    """Resource and view names are how pages and commentary refer to them: each must be unique."""
    issues = []
    for key in ("resources", "views"):
        seen: dict[str, int] = {}
        slugs: dict[str, int] = {}
        items = descriptor.get(key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in seen:
                issues.append(error("duplicate-name", where,
                                    f'{key[:-1]} name "{name}" is used again (first at {key}[{seen[name]}])',
                                    f"give each {key[:-1]} its own name", field=f"/{key}/{index}/name"))
            elif names.slug(name) in slugs:
                first = slugs[names.slug(name)]
                issues.append(error("duplicate-name", where,
                                    f'{key[:-1]} name "{name}" makes the same file names and links as '
                                    f'"{items[first]["name"]}" ({key}[{first}]): ".", "_" and "-" count as one',
                                    f"give each {key[:-1]} a name that differs in its letters or digits",
                                    field=f"/{key}/{index}/name"))
            else:
                seen[name] = index
                slugs[names.slug(name)] = index
    return issues


def _check_safe_names(loaded: LoadedPackage, where: str) -> list[Issue]:
    """Names that become files and links (the package, its resources and views) follow the safe-name rule.

    So do the paths of its files: a resource's data, schema and dialect. (Source ids are checked
    with the sources table's rows, in ``_source_documents``.)
    """
    descriptor = loaded.descriptor or {}
    issues = []

    def refuse(pointer: str, what: str, value, problem: str) -> None:
        issues.append(error("unsafe-name", where, f"{pointer}: the {what} cannot be used on the site: {problem}",
                            f'the {what} becomes part of file names and links; use {names.RULE}, '
                            f'e.g. "{names.suggest(str(value))}"', field=pointer))

    name = descriptor.get("name")
    if "name" in descriptor:
        if (problem := names.name_problem(name)) is not None:
            refuse("/name", "package name", name, problem)
    elif (problem := names.name_problem(loaded.directory.name)) is not None:
        # With no "name", the folder's name is the package's name on the site.
        refuse("/name", "package's folder name (the package has no \"name\")", loaded.directory.name, problem)
    for key, what in (("resources", "resource name"), ("views", "view name")):
        items = descriptor.get(key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and "name" in item:
                if (problem := names.name_problem(item["name"])) is not None:
                    refuse(f"/{key}/{index}/name", what, item["name"], problem)
    resources = descriptor.get("resources")
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(resource, dict):
            continue
        if resource.get("compression") not in (None, "", "no"):
            issues.append(error("compressed-data", where, f"/resources/{index}/compression: the site publishes data "
                                "files as they are, and reads no compressed file (a small one can unpack to gigabytes)",
                                "publish the file uncompressed and remove \"compression\"; every package is offered "
                                "as a zip anyway", field=f"/resources/{index}/compression"))
        paths = resource.get("path")
        listed = [(f"/resources/{index}/path/{n}", p) for n, p in enumerate(paths)] if isinstance(paths, list) \
            else [(f"/resources/{index}/path", paths)]
        listed += [(f"/resources/{index}/{key}", resource.get(key)) for key in ("schema", "dialect")]
        for pointer, path in listed:
            if not isinstance(path, str) or _is_url(path) or path.startswith(("/", "\\", "~")) \
                    or ".." in re.split(r"[/\\]", path) or any(ord(c) < 32 or ord(c) == 127 for c in path):
                continue  # not a local path, or one that _check_paths refuses with its own words
            if (problem := names.path_problem(path)) is not None:
                issues.append(error("unsafe-path", where, f'{pointer}: the path cannot be published: {problem}',
                                    f"rename the file so that {names.PATH_RULE}", field=pointer))
    return issues


# --- paths ---------------------------------------------------------------------------------------

def _check_paths(loaded: LoadedPackage) -> tuple[set[int], list[Issue]]:
    """Refuse every path that leaves the package or names another host, before anything reads it.

    Returns the indexes of resources that must not be read, and the issues found.
    """
    descriptor = loaded.descriptor or {}
    where = display_path(loaded.descriptor_path)
    issues: list[Issue] = _check_profiles(descriptor, where, "", _PACKAGE_PROFILES)
    unsafe: set[int] = set()
    resources = descriptor.get("resources")
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(resource, dict):
            continue
        found: list[Issue] = _check_profiles(resource, where, f"/resources/{index}", _RESOURCE_PROFILES)
        for key in ("path", "extrapaths"):  # frictionless reads "extrapaths" after "path", as one file
            paths = resource.get(key)
            for n, path in enumerate(paths if isinstance(paths, list) else [paths]):
                pointer = f"/resources/{index}/{key}" + (f"/{n}" if isinstance(paths, list) else "")
                if isinstance(path, str):
                    found += _check_local_path(loaded.directory, path, where, pointer, "data", must_exist=True)
        for key in ("schema", "dialect"):
            if isinstance(resource.get(key), str):
                found += _check_local_path(loaded.directory, resource[key], where,
                                           f"/resources/{index}/{key}", key, must_exist=True)
        for key in ("schema", "dialect"):
            if isinstance(resource.get(key), dict):
                found += _check_profiles(resource[key], where, f"/resources/{index}/{key}")
        if any(i.is_error for i in found):
            unsafe.add(index)
        issues += found
    return unsafe, issues


def _check_profile(value, where: str, pointer: str) -> list[Issue]:
    if isinstance(value, str) and _is_url(value) and not _OFFICIAL_PROFILE.match(value):
        return [error("remote-path", where, f'{pointer} points at another host: "{_shown(value)}"',
                      "the build never reaches the network: use a named profile such as "
                      '"tabular-data-package", or leave the property out', field=pointer)]
    if value == "fiscal-data-package":  # frictionless fetches it from specs.frictionlessdata.io
        return [error("remote-path", where, f'{pointer}: the profile "{value}" is on another host '
                      "(frictionless fetches it from specs.frictionlessdata.io)",
                      'the build never reaches the network: use "data-package" or "tabular-data-package", '
                      "or leave the property out", field=pointer)]
    return []


# Profiles frictionless knows by name (no file, no network). Any other "profile" is read as a path or URL.
_PACKAGE_PROFILES = frozenset({"data-package", "tabular-data-package"})
_RESOURCE_PROFILES = frozenset({"data-resource", "tabular-data-resource"})


def _check_profiles(item: dict, where: str, prefix: str, named: frozenset[str] | None = None) -> list[Issue]:
    """The ``profile``, ``profiles`` and ``$schema`` of one package, resource (``named``: the profiles
    frictionless knows at that level), schema or dialect.

    A URL other than an official profile is refused (``remote-path``). At package and resource
    level frictionless validates against ``profile`` (framework v5's ``profiles`` list: its first
    item), reading any name it does not know as a file, from the working folder, whose ``$ref``s it
    may fetch: such a profile is refused too (``unsafe-path``).
    """
    values = [("profile", item.get("profile")), ("$schema", item.get("$schema"))]
    if isinstance(item.get("profiles"), list):
        values += [(f"profiles/{n}", v) for n, v in enumerate(item["profiles"])]
    found: list[Issue] = []
    for key, value in values:
        pointer = f"{prefix}/{key}"
        refused = _check_profile(value, where, pointer)
        found += refused
        if (not refused and named is not None and key != "$schema" and isinstance(value, str)
                and not _is_url(value) and value not in named):
            found.append(error("unsafe-path", where, f'{pointer}: "{_shown(value)}" is not a standard profile here, '
                               "so frictionless would read it as a file (from the working folder, not the package)",
                               f'use {" or ".join(sorted(named, key=len))}, or leave the property out', field=pointer))
    return found


_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")  # in a path even tab, line feed and carriage return


def _shown(value: str) -> str:
    """A descriptor's text as it can be printed on one line: control characters spelt out as \\uXXXX."""
    return _CONTROL_IN_PATH.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def _is_url(value: str) -> bool:
    scheme = urlparse(value).scheme
    return len(scheme) > 1  # one letter is a Windows drive, not a scheme


def _check_local_path(directory: Path, path: str, where: str, pointer: str, what: str,
                      must_exist: bool) -> list[Issue]:
    """One path from a descriptor: relative, inside the package, no link out, present on disk.

    Never raises: a path the file system cannot take (a NUL byte, a name too long) is an issue.
    """
    def refuse(code: str, message: str, hint: str) -> list[Issue]:
        shown = _shown(path) if len(path) <= 200 else _shown(path[:200]) + "..."
        return [error(code, where, f'{pointer}: {message}: "{shown}"', hint, field=pointer)]

    if bad := _CONTROL_IN_PATH.search(path):
        return refuse("unsafe-path", f"the {what} path holds the control character {strict_json.describe(bad.group())}",
                      "give the file a name of letters, digits, '-', '_' and '.', and write the same path here")
    if _is_url(path):
        return refuse("remote-path", f"the {what} file is on another host",
                      "the build never reaches the network: copy the file into the package and give its "
                      "path relative to datapackage.json")
    if path.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", path):
        return refuse("unsafe-path", f"the {what} path is absolute",
                      "give the path relative to datapackage.json, e.g. data/table.csv")
    if ".." in re.split(r"[/\\]", path):
        return refuse("unsafe-path", f'the {what} path leaves the package with ".."',
                      "keep every file of a package inside its folder and give its path relative to datapackage.json")
    target = directory / path
    try:
        root = directory.resolve()
        if not target.resolve().is_relative_to(root):
            # Say nothing of what the link leads to, nor of that file's content.
            return refuse("unsafe-path", f"the {what} path is a link that leads out of the package",
                          "replace the link with a copy of the file inside the package folder")
        if must_exist and not target.is_file():
            return refuse("missing-file", f"the {what} file does not exist",
                          f"add the file at {display_path(target)}, or correct the path (paths are case-sensitive)")
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a loop of links...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "the file system refuses it"
        return refuse("unsafe-path", f"the {what} path cannot be used ({reason.lower()})",
                      "give the file a short name of letters, digits, '-', '_' and '.', and write the same path here")
    return []


# --- files a descriptor names, read before frictionless reads them --------------------------------

def _check_files(loaded: LoadedPackage, unsafe: set[int]) -> tuple[set[int], list[Issue], dict[int, list]]:
    """Schema and dialect files, read as strictly as datapackage.json; then each CSV file's bytes and quotes.

    Only resources whose paths ``_check_paths`` found safe are read. Returns the indexes of the
    resources frictionless must not read (a JSON file it would read with another meaning, or one
    naming a remote profile; a CSV file whose rows it would read wrong), the issues found, and what
    ``csv_checks`` found of each resource's CSV files (by the resource's index), for ``fastpath``.
    """
    resources = (loaded.descriptor or {}).get("resources")
    refused: set[int] = set()
    issues: list[Issue] = []
    checked: dict[int, list] = {}
    files: dict[str, object] = {}  # path -> the file's JSON value, or None when it is refused
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        if index in unsafe or not isinstance(resource, dict):
            continue
        dialect = resource.get("dialect")
        for key in ("schema", "dialect"):
            path = resource.get(key)
            if isinstance(path, str):
                if path not in files:  # a schema shared by several resources is read, and reported, once
                    files[path], found = _read_json_file(loaded.directory / path)
                    issues += found
                if files[path] is None:
                    refused.add(index)
                elif key == "dialect":
                    dialect = files[path]
        if index not in refused:
            checked[index] = _check_csv_resource(loaded.directory, resource, dialect)
            for check in checked[index]:
                issues += check.issues
                if not check.readable:
                    refused.add(index)
    return refused, issues, checked


def _read_json_file(path: Path) -> tuple[object | None, list[Issue]]:
    """A schema or dialect file, strictly (see ``strict_json``); None with the issues when it is refused."""
    shown = display_path(path)
    soft: list[strict_json.JsonProblem] = []
    try:
        value = strict_json.parse(strict_json.read(path), soft)
    except strict_json.JsonProblem as problem:
        return None, [problem.issue(shown)]
    except OSError as exc:
        return None, [error("missing-file", shown, f"the file cannot be read: {exc.strerror or exc}",
                            "check that the file is there and readable")]
    found = _check_profiles(value, shown, "") if isinstance(value, dict) else []
    return (None if found else value), found + [problem.issue(shown) for problem in soft]


def _check_csv_resource(directory: Path, resource: dict, dialect) -> list[csv_checks.CsvCheck]:
    """``csv_checks.check_csv`` on each CSV or TSV file of a resource, read as frictionless reads it."""
    paths = resource.get("path")
    fmt = resource.get("format")
    if resource.get("compression") or (fmt is not None and not isinstance(fmt, str)):
        return []
    checks = []
    for path in paths if isinstance(paths, list) else [paths]:
        if not isinstance(path, str):
            continue
        kind = (fmt or Path(path).suffix.lstrip(".")).lower()
        if kind not in ("csv", "tsv"):
            continue
        target = directory / path
        encoding = resource.get("encoding")
        if not isinstance(encoding, str):
            encoding = _detect_encoding(target)
        checks.append(csv_checks.check_csv(target, display_path(target), encoding,
                                           dialect if isinstance(dialect, dict) else None, tsv=kind == "tsv"))
    return checks


def _detect_encoding(path: Path) -> str:
    """The encoding frictionless would read a file in when the resource gives none."""
    try:
        with open(path, "rb") as file:
            buffer = file.read(frictionless_settings.DEFAULT_BUFFER_SIZE)
        return Detector().detect_encoding(buffer)
    except (OSError, LookupError, ValueError):
        return "utf-8"


# --- frictionless ----------------------------------------------------------------------------------

def _run_frictionless(loaded: LoadedPackage, unsafe: set[int],
                      csv_read: dict[int, list] | None = None) -> tuple[int, Package | None, list[Issue], PackageRead]:
    """Validate the descriptor and every safe resource's rows with frictionless, keeping the typed rows
    of every resource it read to the end (``PackageRead``): the one read of each table. A large
    resource that ``fastpath`` proves valid is not read by frictionless (``csv_read``: what
    ``csv_checks`` found of each resource's files, by index)."""
    descriptor = copy.deepcopy(loaded.descriptor or {})
    where = display_path(loaded.descriptor_path)
    resources = descriptor.get("resources")
    kept_indexes = [i for i in range(len(resources)) if i not in unsafe] if isinstance(resources, list) else []
    if isinstance(resources, list):
        descriptor["resources"] = [resources[i] for i in kept_indexes]
    listed = resources if isinstance(resources, list) else []
    skipped = {r.get("name") for i, r in enumerate(listed) if i in unsafe and isinstance(r, dict)
               and isinstance(r.get("name"), str)}
    _drop_official_profiles(descriptor)
    kept = [r for r in descriptor["resources"] if isinstance(r, dict)] if isinstance(resources, list) else []
    if _check_profiles(descriptor, where, "", _PACKAGE_PROFILES) \
            or any(_check_profiles(r, where, "", _RESOURCE_PROFILES) for r in kept):
        # A profile frictionless would fetch from another host, or read from a file: _check_paths reports
        # it; frictionless never sees the descriptor.
        return 0, None, [], PackageRead()

    try:
        problems = list(Package.metadata_validate(descriptor))
    except FrictionlessException as exc:
        problems = [exc.error, *exc.reasons]
    except _FRICTIONLESS_FAULTS as exc:
        return 0, None, [_frictionless_fault(exc, where)], PackageRead()
    if problems:
        return 0, None, [messages.descriptor_issue(e, where) for e in problems], PackageRead()
    collector = _Collector()
    try:
        package = Package(descriptor, basepath=str(loaded.directory))
        proofs = _proofs(loaded, package, kept_indexes, csv_read or {})
        with tables_module.bulk_reading():
            report = _validate_rest(package, Checklist(checks=[collector]), proofs)
    except FrictionlessException as exc:
        return 0, None, [messages.descriptor_issue(e, where) for e in [exc.error, *exc.reasons]], PackageRead()
    except _FRICTIONLESS_FAULTS as exc:
        return 0, None, [_frictionless_fault(exc, where)], PackageRead()

    issues = [messages.descriptor_issue(e, where) for e in report.errors]
    rows = 0
    for task in report.tasks:
        task_rows = task.stats.get("rows") or 0
        data_path = display_path(loaded.directory / task.place) if task.place else where
        issues += messages.row_issues(task.errors, data_path, skipped)
        if any(str(w).startswith("reached error limit") for w in task.warnings or []):
            total, task_rows = _count_errors(package, task.name, len(task.errors), task_rows)
            issues.append(warning("error-limit", data_path,
                                  f"frictionless stopped after {len(task.errors):,} errors; the file has {total:,} "
                                  f"(the first {len(task.errors):,} are listed)",
                                  "correct the errors listed, often one mistake repeated on every row (a wrong type "
                                  "or format in the schema, a shifted column), and validate again", None, None))
        rows += task_rows
    rows += sum(proof.rows for proof in proofs.values())
    tables = _tables(package, collector, report) | {name: proof.table for name, proof in proofs.items()}
    return rows, package, issues, PackageRead({r.name: tables[r.name] for r in package.resources if r.name in tables})


def _proofs(loaded: LoadedPackage, package: Package, indexes: list[int], csv_read: dict[int, list]) -> dict:
    """The resources ``fastpath`` proves valid, by name: each large local CSV file that ``csv_checks``
    read without an issue is tried; the rest, and any it is unsure of, are frictionless's."""
    proofs: dict = {}
    tried = [(index, resource) for index, resource in zip(indexes, package.resources)
             if resource.tabular and isinstance(resource.path, str) and len(csv_read.get(index) or []) == 1
             and fastpath.wanted(loaded.directory / resource.path)]
    # A resource whose foreign key names another is tried after the rest, which it may need proven.
    for index, resource in sorted(tried, key=lambda item: fastpath.refers_elsewhere(item[1])):
        proof = fastpath.prove(resource, loaded.directory / resource.path, csv_read[index][0], proofs)
        if proof is not None:
            proofs[resource.name] = proof
    return proofs


def _validate_rest(package: Package, checklist: Checklist, proofs: dict):
    """``package.validate`` on the resources not proven valid: as frictionless does it (the
    descriptor, then each resource in turn), leaving the proven ones out."""
    if not proofs:
        return package.validate(checklist)
    try:
        package.to_descriptor(validate=True)
    except FrictionlessException as exception:
        return FrictionlessReport.from_validation(time=0, errors=exception.to_errors())
    return FrictionlessReport.from_validation_reports(time=0, reports=[
        resource.validate(checklist=checklist) for resource in package.resources if resource.name not in proofs])


class _Collector(Check):
    """Keeps each row frictionless reads while it validates, typed as it parsed it, so that the other
    checks and the later stages need no second read."""

    type = "opentally-collect"

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[int, dict]]] = {}

    def validate_row(self, row):
        self.rows.setdefault(self.resource.name, []).append((row.row_number, row.to_dict()))
        yield from []


def _tables(package: Package, collector: _Collector, report) -> dict:
    """The tables read to their end: a resource frictionless stopped reading (an error limit, a row it
    could not read) is left out, and read again by whichever check needs it."""
    complete = {t.name for t in report.tasks if not t.warnings and not any(
        e.type in ("source-error", "scheme-error", "format-error", "encoding-error") for e in t.errors)}
    tables = {}
    for resource in package.resources:
        if resource.tabular and resource.name in complete:
            rows = collector.rows.get(resource.name, [])
            tables[resource.name] = tables_module.table_of(resource, tuple(row for _, row in rows),
                                                    tuple(number for number, _ in rows))
    return tables


# What frictionless raises, instead of reporting an error, on some descriptors its profiles let through
# (a foreign key whose "fields" is a number, a list where a schema is expected...).
_FRICTIONLESS_FAULTS = (TypeError, AttributeError, KeyError, IndexError, ValueError, AssertionError, RecursionError,
                        re.error)


def _frictionless_fault(exc: Exception, where: str) -> Issue:
    if isinstance(exc, re.error):  # a "pattern" constraint frictionless compiles as "^PATTERN$"
        return error("descriptor-error", where,
                     f'a "pattern" constraint is not a regular expression frictionless can use: {exc}',
                     'correct the field\'s "pattern": frictionless reads it as ^PATTERN$ with Python\'s re module, '
                     "so flags such as (?i) cannot be used, and brackets and parentheses must be closed")
    return error("descriptor-error", where,
                 f"the descriptor cannot be checked: frictionless stops on it ({type(exc).__name__}: {exc})",
                 "a property has a value of the wrong kind (a number or text where a list or an object is expected, "
                 "or the reverse), often in a schema's foreignKeys, primaryKey or constraints: correct it against "
                 "the Table Schema standard (https://datapackage.org/standard/table-schema/)")


def _count_errors(package: Package, name: str, listed: int, rows: int) -> tuple[int, int]:
    """All the errors, and rows, of a resource on which frictionless stopped at its error limit.

    Counted from the rows' own errors (types, constraints, keys, cells) and the header's, without
    keeping them: a file with an error on every one of a million rows needs no memory for them.
    """
    try:
        resource = package.get_resource(name).to_copy()
        total = counted = 0
        with resource:
            total += len(resource.header.errors)
            stream = resource.row_stream
            while True:
                try:
                    row = next(stream)
                except StopIteration:
                    break
                except FrictionlessException:
                    total += 1
                    break
                counted += 1
                total += len(row.errors)
    except (FrictionlessException, *_FRICTIONLESS_FAULTS):
        return listed, rows
    return max(total, listed), max(counted, rows)


def _drop_official_profiles(descriptor: dict) -> None:
    """Frictionless validates against its own copy of the official profiles; the URL is not needed."""
    resources = descriptor.get("resources") if isinstance(descriptor.get("resources"), list) else []
    for item in [descriptor, *[r for r in resources if isinstance(r, dict)]]:
        for key in ("profile", "$schema"):
            if isinstance(item.get(key), str) and _OFFICIAL_PROFILE.match(item[key]):
                del item[key]
        schema = item.get("schema")
        if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
            del schema["$schema"]


def _rows(resource, read: PackageRead | None = None):
    """(row number, row as a dict) for every row of a tabular resource; cells that failed to parse are None.

    The rows validation kept (``read``) when it read them all; else read again, stopping at a row
    frictionless cannot read: its validation has already reported why.
    """
    table = read.tables.get(resource.name) if read is not None else None
    if table is not None:
        yield from zip(table.row_numbers, table.rows)
        return
    try:
        with resource:
            for row in resource.row_stream:
                yield row.row_number, row.to_dict()
    except FrictionlessException:
        return


def _check_views(loaded: LoadedPackage, package: Package, unsafe: set[int], read: PackageRead) -> list[Issue]:
    """A view must name resources and fields the package has; its data never comes from another host;
    its spec holds nothing that is code rather than data (``views``); and the build can draw it (the
    chart is built here, once, and kept in ``read`` for the build)."""
    declared = (loaded.descriptor or {}).get("views")
    if not isinstance(declared, list):
        return []
    if unsafe:
        return []  # the refused resources would show up as missing: fix the paths first
    where = display_path(loaded.descriptor_path)
    fields = {r.name: [f.name for f in r.schema.fields] for r in package.resources if r.tabular}
    names = [r.name for r in package.resources]
    drawn = [v for v in declared if isinstance(v, dict) and views.is_drawable(v)]
    tables: dict = {}
    if drawn:
        # The rows of the views' resources: a link or image address taken from a column is checked
        # value by value, and each chart is built as the build will build it, so that validate
        # accepts no view that the build would refuse. (Altair is imported only when a view is drawn.)
        from . import charts

        wanted = {r for v in drawn for r in views.view_resources(v, names)}
        tables = {n: t for n, t in read.tables.items() if n in wanted}
        if wanted - set(tables):
            try:
                tables.update(charts.tables_from_package(package, wanted - set(tables)))
            except Exception:  # noqa: BLE001 - unreadable rows: frictionless's report already says why
                tables = {}
    rows = {name: table.rows for name, table in tables.items()} if tables else None
    issues = []
    for index, view in enumerate(declared):
        problems = views.view_problems(view, index, fields, names, rows)
        if not problems and tables and isinstance(view, dict) and views.is_drawable(view):
            key = f"{loaded.name}/{view.get('name') or f'view-{index + 1}'}"
            problems = charts.view_build_problems(view, index, tables, key, names, read.charts)
        issues += [error("view-error", where, f"{pointer}: {message}", hint, field=pointer)
                   for pointer, message, hint in problems]
    return issues


# --- the project's own rules on rows ------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings_in(v)


def _check_structured_text(loaded: LoadedPackage, package: Package, read: PackageRead | None) -> list[Issue]:
    """An ``object`` or ``array`` cell is JSON, whose escapes can write half a character ("\\ud800"):
    text no page can hold (red-team review: it stopped the build with a traceback)."""
    issues = []
    for resource in package.resources:
        if not resource.tabular:
            continue
        structured = [f.name for f in resource.schema.fields if f.type in ("object", "array")]
        if not structured:
            continue
        path = display_path(loaded.directory / resource.path)
        for number, row in _rows(resource, read):
            for name in structured:
                if any(_SURROGATE.search(text) for text in _strings_in(row.get(name))):
                    issues.append(error("encoding-error", path, f'field "{name}": the JSON holds half of a character '
                                        "(a lone \\ud800-\\udfff escape), which no page can show",
                                        "write the character itself, or both halves of its escape", number, name))
    return issues


def _check_ids(loaded: LoadedPackage, package: Package, read: PackageRead | None = None) -> list[Issue]:
    """The column that identifies a row (``conventions.id_field``) names it in links and commentary, so
    every value must be unique.

    Frictionless already checks a primary key, and a column with a ``unique`` constraint; this
    covers an ``id`` column whose schema does not say so.
    """
    issues = []
    for resource in package.resources:
        if not resource.tabular:
            continue
        name = conventions.id_field(resource.schema.primary_key, [f.name for f in resource.schema.fields])
        if name is None or resource.schema.primary_key == [name] or resource.schema.get_field(name).constraints.get("unique"):
            continue
        path = display_path(loaded.directory / resource.path)
        seen: dict[object, int] = {}
        for number, row in _rows(resource, read):
            value = row.get(name)
            if value is None:
                continue
            if value in seen:
                issues.append(error("duplicate-id", path, f'field "{name}": "{value}" is used again: the same id is in row {seen[value]}',
                                    "give every row its own id; never reuse the id of another row", number, name))
            else:
                seen[value] = number
    return issues


def _check_provenance(loaded: LoadedPackage, package: Package, read: PackageRead | None = None) -> list[Issue]:
    """Every quote is in the source document its row names, and every figure's value is in its quote.

    By ``conventions``: a quote column (``quote``, ``*_quote``) holds words of the document whose id
    the row's ``source`` cell gives, in the sources table (the resource named ``sources``), which
    gives each document's file (``path``) and may give its ``sha256``. A figure (a row with an
    identifier and a ``value``) whose quote does not state its value must say how it was derived
    (``derivation``). A package with figures of which none has a quote is warned about
    (``no-provenance``).
    """
    where = display_path(loaded.descriptor_path)
    sources = conventions.sources_table(package.resources)
    documents, issues, known = _source_documents(loaded, sources) if sources is not None else ({}, [], set())
    path_column = sources is not None and sources.schema.has_field(conventions.SOURCE_PATH_FIELD)
    unreadable_said = False  # a sources table without paths is said once, when a quote needs a document
    figures = quoted = 0
    for resource in package.resources:
        if not resource.tabular or conventions.is_sources_table(resource):
            continue
        cols = conventions.columns([f.name for f in resource.schema.fields], resource.schema.primary_key)
        if not cols.quotes and not cols.has_figures:
            continue
        path = display_path(loaded.directory / resource.path)
        value_unit = _field_unit(resource, conventions.VALUE_FIELD)
        checked_by_key = _cites_sources_table(resource)
        unchecked = False  # said once per table: its quotes cannot be checked
        for number, row in _rows(resource, read):
            if conventions.figure_id(row, cols) is not None:
                figures += 1
                quote = conventions.figure_quote(row, cols)
                if quote:
                    quoted += 1
                    issues += _check_value_in_quote(path, number, row, cols, quote, value_unit)
            quotes = [(name, row[name]) for name in cols.quotes if isinstance(row.get(name), str) and row[name].strip()]
            if not quotes:
                continue
            if cols.source is None or sources is None:
                if not unchecked:
                    unchecked = True
                    issues.append(_unchecked_quotes(where if sources is None else path, resource.name, cols))
                continue
            if not path_column and not unreadable_said:
                unreadable_said = True
                issues.append(warning("source-without-file", display_path(loaded.directory / sources.path),
                                      'the sources table has no "path" column, so quotes cannot be checked',
                                      'add a "path" column giving each source document\'s file inside the package',
                                      field="path"))
            source_id = row.get(cols.source)
            if source_id is None:
                continue  # an empty source cell: frictionless reports it when the schema requires it
            text = documents.get(str(source_id))
            if text is None:
                if str(source_id) not in known and not checked_by_key:
                    issues.append(error("unknown-source", path,
                                        f'field "{cols.source}": "{source_id}" is not an id of the sources table, '
                                        "so the quotes of this row cannot be checked",
                                        f'use one of the ids in the "{conventions.SOURCE_ID_FIELD}" column of the '
                                        f'"{conventions.SOURCES_TABLE}" table, or add the document there; declare the '
                                        'foreign key {"fields": ["source"], "reference": {"resource": "sources", '
                                        '"fields": ["id"]}} so that every id is checked', number, cols.source))
                continue  # a document that cannot be read or checked: reported with the sources table
            for name, quote in quotes:
                if not text.contains(quote):
                    issues.append(error(
                        "quote-not-in-source", path,
                        f'field "{name}": the quote is not in source "{source_id}": "{quote}"',
                        "copy the words exactly as the source has them (only spacing and line breaks may differ); "
                        f'near there the source reads: "{text.closest(quote)}"',
                        number, name))
    if figures and not quoted:
        issues.append(warning(
            "no-provenance", where,
            f"the package has {figures:,} figure{'' if figures == 1 else 's'} (rows with an id and a value) and "
            "none has a quote, so no reader can check them against the words of their source",
            'give each figure a "quote" column with the words of the source that state it, copied verbatim, and a '
            '"source" column naming its document in a "sources" table (see "How to add a dataset" in the README)'))
    return issues


def _check_value_in_quote(path: str, number: int, row: dict, cols: conventions.Columns, quote: str,
                          value_unit: str) -> list[Issue]:
    """A figure's value must be written in its quote, unless its row says how it was derived."""
    value = row.get(cols.value)
    if conventions.value_in_quote(value, quote) or conventions.derivation(row, cols):
        return []
    unit = conventions.figure_unit(row, cols, value_unit)
    forms = ", ".join(conventions.value_forms(value, unit))
    stated = ", ".join(dict.fromkeys(n.text for n in conventions.numbers_in(quote)))
    shown = conventions.as_number(value)
    return [error(
        "value-not-in-quote", path,
        f'field "{cols.value}": {_plain_number(shown)} is not stated in its quote "{quote}" (forms tried: {forms})',
        ("the quote states " + stated if stated else "the quote states no number") + ": correct the value, or quote "
        "the words of the source that state it (copied word for word); a figure the source does not state (a sum, "
        f'a rate worked out from other figures) must say how it was derived in a "{conventions.DERIVATION_FIELD}" '
        "column (declare it in the table's schema)", number, cols.value)]


def _plain_number(number) -> str:
    return format(number.normalize(), "f") if number is not None else ""


def _field_unit(resource, name: str) -> str:
    if not resource.schema.has_field(name):
        return ""
    return conventions.field_unit(resource.schema.get_field(name).to_descriptor())


def _cites_sources_table(resource) -> bool:
    """Whether the table declares the foreign key source -> sources.id, so that frictionless checks each id."""
    for key in resource.schema.foreign_keys:
        reference = key.get("reference") or {}
        if (key.get("fields") in ([conventions.SOURCE_FIELD], conventions.SOURCE_FIELD)
                and reference.get("resource") == conventions.SOURCES_TABLE
                and reference.get("fields") in ([conventions.SOURCE_ID_FIELD], conventions.SOURCE_ID_FIELD)):
            return True
    return False


def _unchecked_quotes(where: str, table: str, cols: conventions.Columns) -> Issue:
    if cols.source is None:
        message = f'table "{table}" has quotes but no "{conventions.SOURCE_FIELD}" column, so they cannot be checked'
        hint = (f'add a "{conventions.SOURCE_FIELD}" column giving, on each row, the id of the document the quotes '
                f'are from, as listed in the "{conventions.SOURCES_TABLE}" table')
    else:
        message = (f'table "{table}" has quotes but the package has no sources table (a resource named '
                   f'"{conventions.SOURCES_TABLE}"), so they cannot be checked')
        hint = (f'add a resource named "{conventions.SOURCES_TABLE}" with an "{conventions.SOURCE_ID_FIELD}" and a '
                f'"{conventions.SOURCE_PATH_FIELD}" column (rename the table of source documents if it has another name)')
    return warning("source-without-file", where, message, hint)


def _source_documents(loaded: LoadedPackage, sources) -> tuple[dict[str, conventions.SourceText], list[Issue], set[str]]:
    """The text of each source document the sources table lists, by id; the issues; every id it lists.

    Every row is checked, cited or not, since the plan publishes every document the table lists: the
    id names a page (the safe-name rule), the path a file to publish (inside the package, of a type the
    site publishes), and the file must match its ``sha256`` when one is given.
    """
    texts: dict[str, conventions.SourceText] = {}
    issues: list[Issue] = []
    known: set[str] = set()
    table = display_path(loaded.directory / sources.path) if isinstance(sources.path, str) else conventions.SOURCES_TABLE
    has_path = sources.schema.has_field(conventions.SOURCE_PATH_FIELD)
    for number, row in _rows(sources):
        source_id = row.get(conventions.SOURCE_ID_FIELD)
        path = row.get(conventions.SOURCE_PATH_FIELD) if has_path else None
        if source_id is None:
            continue
        known.add(str(source_id))
        issues += _check_source_links(table, number, row)  # issue 10: url and archived_url
        if (problem := names.name_problem(source_id)) is not None:
            issues.append(error("unsafe-name", table, f'field "id": the source id cannot be used on the site: {problem}',
                                f"the id names the source's page; use {names.RULE}, "
                                f'e.g. "{names.suggest(str(source_id))}"', number, "id"))
        if not isinstance(path, str):
            continue
        found = [error(i.code, table, i.message, i.hint, number, "path") for i in _check_local_path(
            loaded.directory, path, table, f'row {number}, field "path"', "source document", must_exist=True)]
        if not found and (problem := names.path_problem(path)) is not None:
            found = [error("unsafe-path", table, f'field "path": the source document cannot be published: {problem}',
                           f"rename the file so that {names.PATH_RULE}", number, "path")]
        issues += found
        if found or str(source_id) in texts:
            continue
        try:
            data = (loaded.directory / path).read_bytes()
        except OSError as exc:
            issues.append(error("missing-file", table, f'field "path": the source document {path} cannot be read: '
                                f"{exc.strerror or exc}", "check that the file is there and readable", number, "path"))
            continue
        expected = row.get(conventions.SOURCE_CHECKSUM_FIELD)
        if isinstance(expected, str) and hashlib.sha256(data).hexdigest() != expected.lower():
            issues.append(error("source-checksum", table,
                                f'field "sha256": the file {path} does not match its checksum',
                                "the source document changed: restore the original file, or, if the new file is "
                                "the right one, put its SHA-256 (sha256sum FILE) in this cell", number, "sha256"))
            continue
        texts[str(source_id)] = conventions.SourceText(data.decode("utf-8", errors="replace"))
    return texts, issues, known


# --- links to a source document (issue 10) ------------------------------------------------------

def _check_source_links(table: str, number: int, row: dict) -> list[Issue]:
    """The sources table's optional ``url`` and ``archived_url`` cells: absolute http(s) addresses, since
    pages link to them (a ``javascript:`` or relative address would run script or lead nowhere)."""
    issues = []
    for name in conventions.SOURCE_LINK_FIELDS:
        value = row.get(name)
        if value is None or value == "" or conventions.is_web_url(value):
            continue
        what = "the original document" if name == conventions.SOURCE_URL_FIELD else "an archived copy of the document"
        # A name before "@" (user-info) hides where the link goes (red-team review): say so.
        userinfo = isinstance(value, str) and "@" in value.split("//", 1)[-1].split("/", 1)[0]
        issues.append(error("source-url", table, f'field "{name}": "{str(value)[:100]}" is not a web address (http:// or '
                            f"https://), so the site cannot link to it"
                            + (': it has a name and "@" before the host, which hides where the link leads'
                               if userinfo else ""),
                            f"give the full address of {what}, starting with https:// (or http://), with no spaces"
                            + (' and nothing before "@"' if userinfo else "") + "; "
                            "or leave the cell empty", number, name))
    return issues
