"""Stage 3, plan: decide every page, chart and download of the site before anything is written.

"First gather all data from all files/pages to ensure all data is consistent across all pages"
(MkDocs). The plan reads each valid package once, with frictionless, and records what the render
stage needs: resources with their data dictionary and rows, views, figures with their source quote,
source documents, downloads with their size and checksum, and the commentary pages with their
macro calls, each checked against the packages (a reference to something missing is an issue with
the commentary file and line).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cached_property
from pathlib import Path

from frictionless import Package

from . import charts, check, citation, conventions, dates, fastpath, git, history, names, release_calendar, views
from .commentary import CommentaryPage, MacroCall, read_commentary
from .files import scan_site_src
from .issues import Issue, error
from .load import LoadedPackage, display_path
from .tables import Table, read_table
from .validate import PackageRead, Report
from .sanitise import demote_headings, markdown_to_safe_html

PREVIEW_ALL_UP_TO = 100  # a table of this many rows or fewer is shown whole
PREVIEW_ROWS = 50  # otherwise, the first rows


@dataclass(frozen=True)
class FieldInfo:
    name: str
    title: str
    type: str
    format: str
    unit: str
    description: str
    constraints: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Download:
    """One file readers can download: ``target`` is its path in the site; ``data`` its exact bytes, or
    the file in the repository that holds them (a data file: copied into the site as it is, and never
    held whole in memory, however large)."""

    label: str
    target: str
    media_type: str
    data: bytes | Path = field(repr=False)

    @property
    def size(self) -> int:
        return citation.data_size(self.data)

    @cached_property
    def sha256(self) -> str:
        if isinstance(self.data, Path):
            with open(self.data, "rb") as file:
                return hashlib.file_digest(file, "sha256").hexdigest()
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Quote:
    """Where a quote stands in its source document."""

    anchor: str  # the id of the place in the source page
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class SourceDocument:
    id: str
    title: str
    citation: str
    path: str  # inside the package
    text: str
    page: str  # the generated page, e.g. data/operation-nexus/sources/mps-letter-2013-07-24.md
    quotes: tuple[Quote, ...]
    # Sources and citation (issue 10): where the original is published, an archived copy (http(s)
    # addresses, or ""), the body that issued it and the date it bears (ISO, or "").
    url: str = ""
    archived_url: str = ""
    publisher: str = ""
    date: str = ""

    def place_of(self, quote: str) -> Quote | None:
        """Where a quote stands in this document, or None when it is not in it."""
        anchor = conventions.quote_anchor(quote)
        return next((q for q in self.quotes if q.anchor == anchor), None)


@dataclass(frozen=True)
class ResourcePlan:
    name: str
    title: str
    description_html: str
    path: str
    tabular: bool
    fields: tuple[FieldInfo, ...]
    row_count: int
    rows: Sequence[dict] = field(repr=False)  # a tuple, or columns (``fastpath.ColumnRows``)
    id_field: str | None
    download: Download | None
    primary_key: tuple[str, ...] = ()

    @property
    def preview(self) -> tuple[dict, ...]:
        return self.rows if self.row_count <= PREVIEW_ALL_UP_TO else self.rows[:PREVIEW_ROWS]

    @property
    def preview_is_partial(self) -> bool:
        return self.row_count > PREVIEW_ALL_UP_TO

    def key_of(self, row: dict) -> tuple[str, ...]:
        """The row's primary key, as text (``conventions.key_text``)."""
        return tuple(conventions.key_text(row.get(name)) for name in self.primary_key)

    def find_row(self, key: tuple[str, ...]) -> dict | None:
        """The row whose primary key is ``key``, or None. In a table kept as columns only the key's
        columns are read, and only the row found is made (red-team review: a million dicts a lookup)."""
        wanted, rows = tuple(key), self.rows
        if isinstance(rows, fastpath.ColumnRows) and self.primary_key and set(self.primary_key) <= set(rows.names):
            keys = zip(*(map(conventions.key_text, rows.column(name)) for name in self.primary_key))
            index = next((n for n, found in enumerate(keys) if found == wanted), None)
            return None if index is None else rows[index]
        return next((row for row in rows if self.key_of(row) == wanted), None)

    def anchor_of(self, row: dict) -> str | None:
        """The id of the row on its dataset page (by its id, else its whole primary key), or None."""
        if self.id_field is not None and row.get(self.id_field) is not None:
            return row_anchor(self.name, row[self.id_field])
        if self.primary_key and all(row.get(name) is not None for name in self.primary_key):
            return row_anchor(self.name, re.sub(r"\s+", "_", "--".join(self.key_of(row))))
        return None

    def is_shown(self, row: dict) -> bool:
        """Whether the row is in the table on the dataset page (a long table shows its first rows)."""
        return row in self.preview  # equal, not the same object: a table kept as columns makes its rows anew


@dataclass(frozen=True)
class Dictionary:
    """The data dictionary of one or more tables of a package.

    Tables whose fields are the same (name, title, type, format, unit, description and constraints of
    every field, in the same order) and whose primary key is the same share one dictionary: the
    dataset page shows it once, with the first of them, and names every table it describes; the
    others link to it. What is compared is the fields as read, not where they were declared, so a
    schema file used by several resources and identical inline schemas group alike."""

    fields: tuple[FieldInfo, ...]
    primary_key: tuple[str, ...]
    resources: tuple[ResourcePlan, ...]  # every table with these fields, in the package's order

    @property
    def first(self) -> ResourcePlan:
        """The table with which the page shows the dictionary."""
        return self.resources[0]

    @property
    def shared(self) -> bool:
        return len(self.resources) > 1

    def shown_with(self, resource: ResourcePlan) -> bool:
        """Whether the page shows the dictionary in ``resource``'s section (else it links to it)."""
        return resource.name == self.first.name


def dictionaries(resources) -> tuple[Dictionary, ...]:
    """One dictionary per distinct list of fields (and primary key) among the tabular resources, in
    the order of the first table of each; the one rule for which tables share a dictionary."""
    groups: dict[tuple, list[ResourcePlan]] = {}
    for resource in resources:
        if resource.tabular:
            groups.setdefault((resource.fields, resource.primary_key), []).append(resource)
    return tuple(Dictionary(fields, key, tuple(members)) for (fields, key), members in groups.items())


@dataclass(frozen=True)
class ViewPlan:
    name: str
    key: str
    title: str
    chart: charts.Chart | None
    reason: str  # why the view cannot be drawn, when it cannot
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class Figure:
    """One row of a table of figures (``conventions``), as commentary refers to it: package/resource/id."""

    key: str
    value: object
    unit: str
    qualifier: str
    label: str
    row_anchor: str  # id of the row on the package page
    quote: str
    source: SourceDocument | None
    quote_place: Quote | None
    derivation: str = ""  # how the value was worked out, when its quote does not state it

    @property
    def linked(self) -> bool:
        """Whether the figure links to the words of its source (its quote, found in its document)."""
        return self.source is not None and self.quote_place is not None


@dataclass(frozen=True)
class Correction:
    """A figure's value that a release changed: "Corrected in 1.0.1: was 37"."""

    version: str
    old: str  # the value before, as the CSV had it
    new: str
    page: str  # the page of the version that corrected it


@dataclass(frozen=True)
class VersionPlan:
    """One release of a package (``history.Release``), as the site publishes it for good: its page
    ``data/NAME/VERSION/index.md`` and its files beside it, byte for byte as released."""

    version: str
    time: str  # ISO 8601 date and time of the release's commit
    commit: str
    note: str
    title: str  # the package's title in that version
    page: str  # data/NAME/VERSION/index.md; its files are in the same folder
    descriptor: dict = field(repr=False)
    files: tuple[Download, ...] = field(repr=False)  # the descriptor, data, schema and dialect files
    entries: tuple[tuple[str, bytes | Path], ...] = field(repr=False)  # every file of the release (for its zip)
    previous: str = ""
    diff: check.PackageDiff | None = field(default=None, repr=False)
    superseded_by: str = ""  # the version after it ("" for the newest release)

    @property
    def date(self) -> str:
        return self.time[:10]

    @property
    def folder(self) -> str:
        return self.page.rsplit("/", 1)[0]

    @property
    def kinds(self) -> tuple[str, ...]:
        """What kind of release it is, in words: the labels a reader scans for."""
        if self.diff is None:
            return ("first release",)
        kinds = []
        resources = self.diff.resources
        if any(r.changed and r.matched_on.startswith("primary key") for r in resources):
            kinds.append("correction")
        elif any(r.changed for r in resources):
            kinds.append("values changed")  # rows matched by position: which row is which is not known
        if any(r.added for r in resources) or any(r.status == "added" for r in resources):
            kinds.append("new data")
        if any(r.removed for r in resources) or any(r.status == "removed" for r in resources):
            kinds.append("data removed")
        schema = [c for c in self.diff.changes if c.kind == "schema"]
        if self.diff.breaking:
            kinds.append("breaking change")
        elif schema and all(c.action == "added" for c in schema):
            kinds.append("new columns")
        elif schema:
            kinds.append("schema change")
        return tuple(kinds) or ("description only",)


@dataclass(frozen=True)
class PackagePlan:
    name: str
    title: str
    directory: Path
    descriptor: dict = field(repr=False)
    description_html: str
    page: str  # e.g. data/operation-nexus.md
    resources: tuple[ResourcePlan, ...]
    views: tuple[ViewPlan, ...]
    sources: tuple[SourceDocument, ...]
    figures: dict[str, Figure] = field(repr=False)
    downloads: tuple[Download, ...]
    modified: str
    period: tuple[date, date] | None = None  # the period the data covers (conventions.data_period)
    versions: tuple[VersionPlan, ...] = ()  # every release, oldest first (``history``)
    # Corrections of figures, by "resource/id": every release that changed the figure's value, oldest first.
    corrections: dict[str, tuple[Correction, ...]] = field(default_factory=dict, repr=False)
    drifted: bool = False  # its data differs from the release of the version it gives (``history``)
    behind: str = ""  # the latest release, when the version it gives is an earlier release's (set back)

    @property
    def version(self) -> str:
        """The version the descriptor gives now ("" when it gives none)."""
        return conventions.version_of(self.descriptor)

    @property
    def released(self) -> bool:
        """Whether the current version is one of the releases in the history (not so in a preview of a
        change that raises it), with the data it was released with."""
        return not self.drifted and any(v.version == self.version for v in self.versions)

    def version_plan(self, version: str) -> VersionPlan | None:
        return next((v for v in self.versions if v.version == version), None)

    @cached_property
    def dictionaries(self) -> tuple[Dictionary, ...]:
        """Its data dictionaries: one per distinct list of fields (``dictionaries``)."""
        return dictionaries(self.resources)

    def dictionary_of(self, resource: ResourcePlan) -> Dictionary | None:
        """The dictionary that describes a table's fields (None for a resource that is not a table)."""
        return self._dictionary_by_name.get(resource.name)

    @cached_property
    def _dictionary_by_name(self) -> dict[str, Dictionary]:
        return {r.name: d for d in self.dictionaries for r in d.resources}

    @property
    def figures_linked(self) -> int:
        """How many of its figures link to the words of their source: counted, never claimed."""
        return sum(1 for f in self.figures.values() if f.linked)

    @property
    def figures_quoted(self) -> int:
        """How many of its figures have a quote."""
        return sum(1 for f in self.figures.values() if f.quote)


@dataclass(frozen=True)
class StaticFile:
    """A file of site_src/ that a page shows or links to (an image, a PDF), published as it is."""

    relative: str  # its path under site_src/, which is also its path in the site
    source: Path


@dataclass(frozen=True)
class SitePlan:
    packages: tuple[PackagePlan, ...]
    commentary: tuple[CommentaryPage, ...]
    build_date: date
    static: tuple[StaticFile, ...] = ()
    calendar: release_calendar.Calendar = release_calendar.Calendar((), "")
    as_of: date = date(1970, 1, 1)  # the day the release calendar is read on (``as_of``)

    def package(self, name: str) -> PackagePlan | None:
        return next((p for p in self.packages if p.name == name), None)


def plan_site(packages: list[LoadedPackage], site_src: Path, report: Report | None = None,
              releases: history.History | None = None,
              calendar: release_calendar.Calendar | None = None) -> tuple[SitePlan, list[Issue]]:
    """Plan every page; the issues are references in commentary to things that do not exist.

    With the validation ``report``, each package's tables and charts are the ones validation read and
    built (``PackageRead``): no table is read twice, no chart built twice. With the ``releases`` read
    from git, each package has its versions and the corrections of its figures."""
    planned = tuple(_plan_package(p, report.read_of(display_path(p.directory)) if report else None,
                                  releases.of(p.directory.name) if releases else (),
                                  bool(releases and p.directory.name in releases.drifted),
                                  releases.behind.get(p.directory.name, "") if releases else "")
                    for p in sorted(packages, key=lambda p: p.name))
    scan = scan_site_src(site_src)
    pages, issues = read_commentary(site_src, scan.pages)
    issues += scan.issues
    static = tuple(StaticFile(r, site_src / r) for r in scan.static)
    built = build_date(planned)
    plan = SitePlan(planned, tuple(pages), built, static, calendar or release_calendar.Calendar((), ""),
                    as_of(releases, built))
    for page in pages:
        issues += [i for call in page.calls if (i := check_reference(plan, page, call))]
    return plan, issues


def as_of(releases: history.History | None, built: date) -> date:
    """The day the site speaks of as today (a release calendar's overdue releases): SOURCE_DATE_EPOCH when
    set, else the day of the commit the site is built from, else the build's date. Never the clock: the
    same commit makes the same site, whatever day it is built on."""
    if os.environ.get("SOURCE_DATE_EPOCH") or releases is None or not releases.head_time:
        return built
    return date.fromisoformat(releases.head_time[:10])


def build_date(packages: tuple[PackagePlan, ...]) -> date:
    """The one date of a build: SOURCE_DATE_EPOCH when set, else the latest change any package records."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    dates = [p.modified for p in packages if p.modified]
    return date.fromisoformat(max(dates)) if dates else date(1970, 1, 1)


# --- one package ---------------------------------------------------------------------------------

def _plan_package(loaded: LoadedPackage, read: PackageRead | None = None,
                  releases: tuple[history.Release, ...] = (), drifted: bool = False, behind: str = "") -> PackagePlan:
    descriptor = loaded.descriptor or {}
    package = Package(_without_views(descriptor), basepath=str(loaded.directory))
    name = package.name or loaded.directory.name
    read = read or PackageRead()
    resources = tuple(_plan_resource(name, loaded.directory, r, read.tables.get(r.name)) for r in package.resources)
    sources = _source_documents(name, loaded.directory, package, resources)
    tables = {r.name: _table(r) for r in resources if r.tabular}
    view_plans = tuple(_plan_view(name, i, v, tables, [r.name for r in resources], read.charts)
                       for i, v in enumerate(descriptor.get("views") or []) if isinstance(v, dict))
    text = descriptor.get("description") or descriptor.get("readme") or ""
    title = descriptor.get("title") or name
    modified = _modified(descriptor) or _git_modified(loaded.directory) or _created(descriptor)
    period = conventions.data_period(descriptor, resources)
    return PackagePlan(
        name=name,
        title=title,
        directory=loaded.directory,
        descriptor=descriptor,
        description_html=demote_headings(markdown_to_safe_html(text), 1) if text else "",
        page=f"data/{name}.md",
        resources=resources,
        views=view_plans,
        sources=sources,
        figures=_figures(name, resources, sources),
        downloads=_package_downloads(name, loaded.directory, descriptor, resources),
        modified=modified,
        period=period,
        versions=(versions := _versions(name, releases)),
        corrections=_corrections(versions, conventions.version_of(descriptor)),
        drifted=drifted,
        behind=behind,
    )


def version_page(package: str, version: str) -> str:
    """The page of a version of a package: data/NAME/VERSION/index.md, its files beside it."""
    return f"data/{package}/{version}/index.md"


def _versions(name: str, releases: tuple[history.Release, ...]) -> tuple[VersionPlan, ...]:
    planned = []
    for n, release in enumerate(releases):
        page = version_page(name, release.version)
        title = release.descriptor.get("title")
        planned.append(VersionPlan(
            version=release.version, time=release.time, commit=release.commit, note=release.note,
            title=" ".join(title.split())[:300] if isinstance(title, str) and title.strip() else name, page=page,
            descriptor=release.descriptor, files=_version_files(page.rsplit("/", 1)[0], release),
            entries=release.files, previous=release.previous, diff=release.diff,
            superseded_by=releases[n + 1].version if n + 1 < len(releases) else ""))
    return tuple(planned)


def _version_files(folder: str, release: history.Release) -> tuple[Download, ...]:
    """The files of a release a reader downloads one by one: its data, schema and dialect files and its
    descriptor, as the current version's (``_package_downloads``), read from git as released."""
    data = dict(release.files)
    wanted: list[tuple[str, str]] = []
    for resource in release.descriptor.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        media = resource.get("mediatype") if isinstance(resource.get("mediatype"), str) else ""
        if isinstance(resource.get("path"), str):
            wanted.append((resource["path"], media or _media_type(resource["path"])))
        for key in ("schema", "dialect"):
            if isinstance(resource.get(key), str):
                wanted.append((resource[key], "application/json"))
    wanted.append(("datapackage.json", "application/json"))
    files, seen = [], set()
    for path, media in wanted:
        if path in seen or path not in data or names.extension(path) == ".md" or names.published_type_problem(path):
            continue  # a file the release does not hold, or that the site would show as a page
        seen.add(path)
        files.append(Download(path.rsplit("/", 1)[-1], f"{folder}/{path}", media, data[path]))
    return tuple(files)


def _media_type(path: str) -> str:
    return {".csv": "text/csv", ".tsv": "text/tab-separated-values", ".json": "application/json"}.get(
        names.extension(path), "application/octet-stream")


def _corrections(versions: tuple[VersionPlan, ...], current: str = "") -> dict[str, tuple[Correction, ...]]:
    """Each figure's corrections ("resource/id" -> the releases that changed its value, oldest first),
    by the rule ``check`` reports a pull request's with (``check.value_changes``): those of the releases up
    to the ``current`` version (all, when it is none of them: a version set back to an older number shows
    that version's values, which later corrections did not make)."""
    found: dict[str, list[Correction]] = {}
    upto = next((n for n, v in enumerate(versions) if v.version == current), len(versions) - 1)
    for version in versions[:upto + 1]:
        if version.diff is None:
            continue
        for change in check.value_changes("", version.diff.resources):
            key = change.ref.split("/", 1)[1]
            found.setdefault(key, []).append(Correction(version.version, change.old, change.new, version.page))
    return {key: tuple(items) for key, items in found.items()}


def _without_views(descriptor: dict) -> dict:
    return {k: v for k, v in descriptor.items() if k != "views"}


def _modified(descriptor: dict) -> str:
    """The day the descriptor says the data last changed, or ""."""
    for key in ("modified", "updated", "lastModified"):
        value = descriptor.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                continue
    return ""


def _created(descriptor: dict) -> str:
    return citation.release_date(descriptor)


def _git_modified(directory: Path) -> str:
    """The day of the last commit that changed the package folder, when the project is a git repository
    (``git log -1 --format=%cs -- datapackages/NAME``); "" otherwise.

    Git runs as ``git.run`` runs it: the project's own repository only, no outside configuration."""
    package = directory.resolve()
    root = package.parent.parent
    result = git.run(root, "-c", "log.showSignature=false", "log", "-1", "--no-show-signature", "--format=%cs",
                     "--", package.relative_to(root).as_posix())
    if result is None:
        return ""
    text = result.stdout.strip()
    return text if result.returncode == 0 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else ""


def _plan_resource(package: str, directory: Path, resource, table: Table | None = None) -> ResourcePlan:
    path = resource.path if isinstance(resource.path, str) else ""
    download = None
    if path:
        download = Download(Path(path).name, f"downloads/{package}/{path}", resource.mediatype or "text/csv",
                            directory / path)
    if not resource.tabular:
        return ResourcePlan(resource.name, resource.title or resource.name, _description(resource), path,
                            False, (), 0, (), None, download)
    schema = resource.schema
    fields = tuple(_field_info(f) for f in schema.fields)
    rows = (table or read_table(resource)).rows
    key = schema.primary_key
    id_field = conventions.id_field(key, [f.name for f in fields])
    return ResourcePlan(resource.name, resource.title or resource.name, _description(resource), path,
                        True, fields, len(rows), rows, id_field, download, tuple(key))


def _description(resource) -> str:
    return markdown_to_safe_html(resource.description) if resource.description else ""


def _field_info(f) -> FieldInfo:
    descriptor = f.to_descriptor()
    constraints = tuple(sorted((k, _constraint_text(v)) for k, v in (descriptor.get("constraints") or {}).items()))
    fmt = descriptor.get("format") or "default"
    return FieldInfo(f.name, f.title or "", f.type, fmt, conventions.field_unit(descriptor), f.description or "",
                     constraints)


def _constraint_text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _table(resource: ResourcePlan) -> charts.Table:
    fields = tuple(charts.Field(f.name, f.type, f.title, f.description, f.unit or None) for f in resource.fields)
    return charts.Table(resource.name, fields, resource.rows, resource.title)


def _plan_view(package: str, index: int, view: dict, tables: dict, names: list[str],
               built: dict | None = None) -> ViewPlan:
    name = str(view.get("name") or f"view-{index + 1}")
    key = f"{package}/{name}"
    if views.is_drawable(view):
        try:
            chart = (built or {}).get(key)
            if isinstance(chart, charts.UnsupportedView):
                raise chart
            if chart is None:
                chart = charts.build_chart(view, tables, key, names)
            return ViewPlan(name, key, chart.title, chart, "", chart.columns, chart.rows)
        except charts.UnsupportedView as exc:
            reason = f"This site cannot draw this view: {exc.reason}. The data it shows is in the table below."
    else:
        kind = view.get("specType") or "no specType"
        reason = f'This site cannot draw views of type "{kind}". The data the view shows is in the table below.'
    columns, rows = charts.data_for_view(view, tables, names)
    return ViewPlan(name, key, str(view.get("title") or name), None, reason, tuple(columns), tuple(rows))


# --- provenance ----------------------------------------------------------------------------------

def _source_documents(package: str, directory: Path, frictionless_package, resources) -> tuple[SourceDocument, ...]:
    """The source documents a sources table lists, with the place of every quote that cites them."""
    sources_table = conventions.sources_table(resources)
    if sources_table is None or not any(f.name == conventions.SOURCE_PATH_FIELD for f in sources_table.fields):
        return ()
    documents = []
    for row in sources_table.rows:
        source_id, path = row.get(conventions.SOURCE_ID_FIELD), row.get(conventions.SOURCE_PATH_FIELD)
        if not source_id or not path:
            continue
        text = (directory / path).read_text(encoding="utf-8", errors="replace")
        quotes = _quote_places(text, _quotes_citing(resources, source_id))
        links = {name: row.get(name) if conventions.is_web_url(row.get(name)) else ""
                 for name in conventions.SOURCE_LINK_FIELDS}
        issued = row.get("date")
        documents.append(SourceDocument(
            id=str(source_id), title=str(row.get("title") or source_id), citation=_citation(row), path=path,
            text=text, page=f"data/{package}/sources/{source_id}.md", quotes=quotes,
            url=links[conventions.SOURCE_URL_FIELD], archived_url=links[conventions.SOURCE_ARCHIVED_URL_FIELD],
            publisher=str(row.get("publisher") or ""),
            date=issued.isoformat() if isinstance(issued, date) else ""))
    return tuple(documents)


def _quotes_citing(resources, source_id: str) -> list[str]:
    quotes = []
    for resource in resources:
        if conventions.is_sources_table(resource):
            continue
        cols = conventions.columns([f.name for f in resource.fields], resource.primary_key)
        if not cols.quotes or cols.source is None:
            continue
        for row in resource.rows:
            if row.get(cols.source) == source_id:
                quotes += [row[n] for n in cols.quotes if isinstance(row.get(n), str)]
    return quotes


def _citation(row: dict) -> str:
    """A source document in words: "Metropolitan Police Service, from Mark Rowley (Assistant Commissioner),
    Letter on Operation Nexus to Joanne McCartney AM, 24 July 2013, ...". The recipient is named once:
    not again when the title already names them."""
    parts = [row.get("publisher") or row.get("author"), row.get("title")]
    if row.get("author") and row.get("publisher"):
        parts.insert(1, f"from {row['author']}" + (f" ({row['author_role']})" if row.get("author_role") else ""))
    recipient = str(row.get("recipient") or "")
    if recipient and recipient.split(",")[0].strip().casefold() not in str(row.get("title") or "").casefold():
        parts.append(f"to {recipient}")
    if row.get("date"):
        when = row["date"]
        parts.append(dates.long_date(when) if isinstance(when, date) else str(when))
    if row.get("reference"):
        parts.append(str(row["reference"]))
    if row.get("received"):
        when = row["received"]
        parts.append("received " + (dates.long_date(when) if isinstance(when, date) else str(when)))
    return ", ".join(str(p) for p in parts if p) + "."


def _quote_places(text: str, quotes: list[str]) -> tuple[Quote, ...]:
    """Find each quote in the original text as ``conventions.SourceText`` does (spacing may differ)."""
    source = conventions.SourceText(text)
    places = {}
    for quote in quotes:
        anchor = conventions.quote_anchor(quote)
        if anchor in places:
            continue
        span = source.span(quote)
        if span is None:
            continue  # validation reports quotes that are not in their source
        places[anchor] = Quote(anchor, source.line(span[0]), *span)
    return tuple(sorted(places.values(), key=lambda q: (q.start, q.end)))


def _figures(package: str, resources, sources) -> dict[str, Figure]:
    by_id = {s.id: s for s in sources}
    figures = {}
    for resource in resources:
        cols = conventions.columns([f.name for f in resource.fields], resource.primary_key)
        if not resource.tabular or not cols.has_figures:
            continue
        value_unit = next((f.unit for f in resource.fields if f.name == cols.value), "")
        for row in resource.rows:
            row_id = conventions.figure_id(row, cols)
            if row_id is None:
                continue
            source = by_id.get(row.get(cols.source)) if cols.source else None
            quote = conventions.figure_quote(row, cols)
            place = source.place_of(quote) if source and quote else None
            key = f"{package}/{resource.name}/{row_id}"
            figures[key] = Figure(key, row.get(cols.value), conventions.figure_unit(row, cols, value_unit),
                                  str(row.get(conventions.QUALIFIER_FIELD) or ""), str(row.get(conventions.LABEL_FIELD) or row_id),
                                  row_anchor(resource.name, row_id), quote, source, place,
                                  conventions.derivation(row, cols))
    return figures


def row_anchor(resource: str, row_id: str) -> str:
    return f"{resource}-{row_id}"


# --- downloads -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ZipAbout:
    """What the README and LICENCE of a package's zip say."""

    title: str
    description: str
    citation: citation.Citation
    period: tuple[date, date] | None


def _package_downloads(name: str, directory: Path, descriptor: dict, resources) -> tuple[Download, ...]:
    """Each resource's file exactly as published, every schema or dialect file and the descriptor. The
    zip of them all is made by the render stage (``package_zip``), which knows the site's address its
    README cites."""
    files = [r.download for r in resources if r.download is not None]
    for resource in descriptor.get("resources") or []:
        for key in ("schema", "dialect"):
            path = resource.get(key) if isinstance(resource, dict) else None
            if isinstance(path, str) and not any(d.target.endswith(f"/{path}") for d in files):
                files.append(Download(Path(path).name, f"downloads/{name}/{path}", "application/json",
                                      (directory / path).read_bytes()))
    files.append(Download("datapackage.json", f"downloads/{name}/datapackage.json", "application/json",
                          (directory / "datapackage.json").read_bytes()))
    return tuple(files)


def zip_about(title: str, descriptor: dict, cited: citation.Citation, period: tuple[date, date] | None) -> ZipAbout:
    """What a package's zip says in its README: the current version's (``package_zip``) or a release's
    (``releases.version_zip``)."""
    text = descriptor.get("description") or descriptor.get("readme") or ""
    return ZipAbout(title, str(text), cited, period)


def package_zip(package: PackagePlan, cited: citation.Citation) -> Download:
    """The package's zip, whose README gives ``cited`` (with the page's absolute address when the
    site's is known)."""
    about = zip_about(package.title, package.descriptor, cited, package.period)
    return Download(f"{package.name}.zip", f"downloads/{package.name}.zip", "application/zip",
                    _zip(package.name, package.directory, package.descriptor, about))


def _zip(name: str, directory: Path, descriptor: dict, about: ZipAbout) -> bytes:
    """The whole package folder as a zip that is the same bytes for the same files, with a README
    (title, description, citation, licence, version, dates, files) and the licence's text beside them,
    every entry dated by the day the data last changed."""
    root = directory.resolve()
    entries: dict[str, bytes | Path] = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink() or not path.is_file():
            continue
        if not path.resolve().is_relative_to(root):
            continue
        entries[relative.as_posix()] = path  # read a chunk at a time into the zip
    return zip_of(name, entries, descriptor, about)


def zip_of(name: str, files: dict[str, bytes | Path], descriptor: dict, about: ZipAbout) -> bytes:
    """A package's files (path in the package -> bytes, or the file holding them) as a zip in the
    folder ``name``, with its README and LICENCE; the same bytes for the same files. The current
    version's zip is made from its folder, a release's from git (``releases.version_zip``)."""
    entries = {path: data for path, data in files.items()
               # a name an unzip tool could misread ("\\" and ":" mean folders and drives on Windows)
               if not re.search(r"[\\:\x00-\x1f\x7f]", path)}
    readme = citation.free_name("README.txt", set(entries))
    licence = citation.free_name("LICENCE.txt", set(entries))
    entries[licence] = citation.licence_text(descriptor, about.citation).encode("utf-8")
    # The README lists the other files.
    listed = sorted((f"{name}/{p}", citation.data_size(data)) for p, data in entries.items())
    entries[readme] = citation.readme_text(about.title, about.description, about.citation, descriptor,
                                           about.period, listed).encode("utf-8")
    return citation.zip_bytes(((f"{name}/{p}", data) for p, data in entries.items()), about.citation.modified)


# --- commentary references -----------------------------------------------------------------------

def check_reference(plan: SitePlan, page: CommentaryPage, call: MacroCall) -> Issue | None:
    """None when the macro's reference exists; otherwise an issue at the commentary file and line."""
    parts = call.ref.split("/")
    if call.kind == "figure" and call.key:
        return _check_cell(plan, page, call)
    expected = {"chart": 2, "table": 2, "figure": 3}[call.kind]
    shape = {"chart": "package/view", "table": "package/resource", "figure": "package/resource/id"}[call.kind]

    def problem(message: str, hint: str) -> Issue:
        return error("missing-reference", page.shown, f'{call.kind}("{call.ref}"): {message}', hint, call.line)

    if len(parts) != expected or not all(parts):
        return problem(f"the name has {len(parts)} part(s); {call.kind} takes {shape}",
                       f'write {call.kind}("{shape}"), e.g. the names on the package\'s data page')
    package = plan.package(parts[0])
    if package is None:
        return problem(f'there is no package "{parts[0]}"',
                       _choices("packages", [p.name for p in plan.packages], parts[0]))
    if call.kind == "chart":
        names = [v.name for v in package.views]
        return None if parts[1] in names else problem(
            f'package "{package.name}" has no view "{parts[1]}"', _choices("views", names, parts[1]))
    resources = [r.name for r in package.resources if r.tabular]
    if parts[1] not in resources:
        return problem(f'package "{package.name}" has no table "{parts[1]}"', _choices("tables", resources, parts[1]))
    if call.kind == "figure" and call.ref not in package.figures:
        ids = [k.split("/")[2] for k in package.figures if k.split("/")[1] == parts[1]]
        if not ids:
            return problem(f'table "{parts[1]}" has no figures (a figure is a row with an id and a value)',
                           "refer to a table that has id and value columns")
        return problem(f'table "{parts[1]}" has no row with id "{parts[2]}"', _choices("ids", ids, parts[2]))
    return None


def _check_cell(plan: SitePlan, page: CommentaryPage, call: MacroCall) -> Issue | None:
    """figure("package/resource", key=..., column=...): the table, the row with that key, the column."""
    def problem(message: str, hint: str) -> Issue:
        return error("missing-reference", page.shown, f'figure("{call.ref}", key={_key_shown(call.key)}, '
                     f'column="{call.column}"): {message}', hint, call.line)

    parts = call.ref.split("/")
    if len(parts) != 2 or not all(parts):
        return problem("a cell is named by package/resource, key= and column=",
                       'write figure("package/resource", key="row key", column="column name")')
    package = plan.package(parts[0])
    if package is None:
        return problem(f'there is no package "{parts[0]}"', _choices("packages", [p.name for p in plan.packages], parts[0]))
    resource = next((r for r in package.resources if r.tabular and r.name == parts[1]), None)
    if resource is None:
        tables = [r.name for r in package.resources if r.tabular]
        return problem(f'package "{package.name}" has no table "{parts[1]}"', _choices("tables", tables, parts[1]))
    if not resource.primary_key:
        return problem(f'table "{resource.name}" has no primary key, so no row can be named by its key',
                       'give its schema a "primaryKey", or name a figure by its id: figure("package/resource/id")')
    if len(call.key) != len(resource.primary_key):
        return problem(f'the key of table "{resource.name}" is {len(resource.primary_key)} column(s), '
                       f'{", ".join(resource.primary_key)}; key= gives {len(call.key)} value(s)',
                       f"give one value for each: key={_key_shown(tuple(resource.primary_key))}")
    if resource.find_row(call.key) is None:
        keys = [", ".join(resource.key_of(row)) for row in resource.rows]
        return problem(f'table "{resource.name}" has no row with the key {_key_shown(call.key)}',
                       _choices("keys", keys, ", ".join(call.key)))
    columns = [f.name for f in resource.fields]
    if call.column not in columns:
        return problem(f'table "{resource.name}" has no column "{call.column}"', _choices("columns", columns, call.column))
    return None


def _key_shown(key: tuple[str, ...]) -> str:
    return f'"{key[0]}"' if len(key) == 1 else "[" + ", ".join(f'"{k}"' for k in key) + "]"


MAX_LISTED_CHOICES = 8


def _choices(what: str, names: list[str], wrong: str) -> str:
    """The nearest valid names, and a few of the others: never a list of hundreds."""
    import difflib

    close = difflib.get_close_matches(wrong, names, n=3)
    suggestion = "did you mean " + " or ".join(f'"{c}"' for c in close) + "? " if close else ""
    if not names:
        return f"{suggestion}there are no {what}"
    listed = ", ".join(names[:MAX_LISTED_CHOICES]) + (f" and {len(names) - MAX_LISTED_CHOICES:,} more"
                                                     if len(names) > MAX_LISTED_CHOICES else "")
    return f"{suggestion}the {what} are: {listed}"
