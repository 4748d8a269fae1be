"""Stage 4, render: turn the site plan into files, in memory.

Generated pages are Markdown (for MkDocs) made from the Jinja2 templates in ``templates/``; anything
taken from data reaches them through autoescaping, or through ``tojson`` inside a script. Charts
become an inline SVG (seen without JavaScript), a Vega-Lite spec, a PNG and a CSV of their data.
Commentary pages have their macros replaced: a figure by a Markdown link to its source quote, a chart
or a table by a placeholder that the write stage swaps for trusted HTML after the commentary's own
HTML has been sanitised.

Nothing is written to disk here: the result is a mapping from path to bytes.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import hashlib
import html
import io
import json
import posixpath
import re
from urllib.parse import quote
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import markdown
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import charts, citation, conventions, dates, names
from . import figure_blocks, release_calendar, releases
from . import plan as plan_stage
from .conventions import is_quote_field
from .issues import BuildError
from .plan import Figure, PackagePlan, ResourcePlan, SitePlan, SourceDocument, ViewPlan, row_anchor

ASSETS = "assets/opentally"
SITE_NAME = "Open Tally"


@dataclass(frozen=True)
class SiteSettings:
    """What the pages need to know of the site's configuration (read by ``write.site_settings``)."""
    site_name: str = SITE_NAME
    site_url: str = ""  # absolute URL the site is published at, ending in "/", or "" when not set
    repo_url: str = ""  # the project's repository on the web (e.g. https://github.com/org/repo), or ""
    edit_branch: str = "main"  # the branch "Edit this data" links open in the repository's editor
    chart_png: bool = False  # offer each chart as a PNG too, when mkdocs.yml asks (``extra: opentally: chart_png: true``)

    def absolute(self, target: str) -> str:
        """The URL of a docs-relative file: absolute when ``site_url`` is set, else relative to the root."""
        relative = relative_url("index.md", target)
        return self.site_url + relative if self.site_url else relative


def repository_host(repo_url: str) -> str:
    """"GitHub" or "GitLab" when ``repo_url`` is a repository there, whose new-issue and web-editor
    links are known; "" for any other host (no link is better than a dead one). The host must be a plain hostname, labels of [a-z0-9-]: no
    user-info, port or empty label (red-team review: ``https://gitlab.@evil.example`` is not GitLab)."""
    host = repo_url.split("/")[2].lower() if repo_url.startswith("https://") else ""
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+", host):
        return ""
    if host == "github.com":
        return "GitHub"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "GitLab"
    return ""


def repository_commit_url(settings: SiteSettings, commit: str) -> str | None:
    """The page of ``commit`` in the repository's web interface, or None."""
    host = repository_host(settings.repo_url)
    if not host or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        return None
    return settings.repo_url + ("/commit/" if host == "GitHub" else "/-/commit/") + commit


def repository_edit_url(settings: SiteSettings, path: str) -> str | None:
    """The repository's web editor on ``path`` (relative to the repository's root), or None."""
    host = repository_host(settings.repo_url)
    if not host:
        return None
    editor = "/edit/" if host == "GitHub" else "/-/edit/"
    return settings.repo_url + editor + quote(settings.edit_branch) + "/" + quote(path)


@dataclass(frozen=True)
class RenderedSite:
    files: dict[str, bytes | Path]  # docs-relative path -> content (or a data file to copy): pages, downloads, charts...
    fragments: dict[str, str]  # placeholder -> trusted HTML, for commentary pages
    stashed: dict[str, dict[str, str]]  # generated page -> placeholder -> its HTML blocks (``stash_html``)
    commentary: tuple[str, ...]  # docs-relative paths of commentary pages (their HTML is sanitised)
    nav: tuple[tuple[str, str], ...]  # (title, page) of each dataset page, for the Data menu
    hand_written: tuple[tuple[str, str], ...]  # (plain title, page) of each page of site_src/, for the navigation
    pages: int
    charts: int
    downloads: int


def render_site(plan: SitePlan, templates: Path, settings: SiteSettings = SiteSettings()) -> RenderedSite:
    # Each package's zip, whose README cites the dataset as its page does: the site's name, and the
    # page's address when the site's is known (a path relative to the site means nothing in a zip).
    plan = dataclasses.replace(plan, packages=tuple(
        dataclasses.replace(p, downloads=(*p.downloads, plan_stage.package_zip(p, citation.of_package(
            p, settings.site_name, settings.absolute(p.page) if settings.site_url else ""))))
        for p in plan.packages))
    env = make_environment(templates)
    env.globals["site"] = settings
    files: dict[str, bytes] = {}
    chart_html: dict[str, _ChartOutput] = {}
    # Every drawing of every chart at once, on every core; then each page takes its own.
    charts.draw_ahead([request for package in plan.packages for view in package.views if view.chart is not None
                       for request in charts.drawings_of(view.chart, _chart_credit(package, settings))
                       if settings.chart_png or request[1] != "png"])
    try:
        for package in plan.packages:
            for view in package.views:
                chart_html[view.key] = _render_view_files(package, view, files, settings)
    finally:
        charts.forget_drawn_ahead()
    pages = 0
    stashed: dict[str, dict[str, str]] = {}
    for package in plan.packages:
        files[package.page] = stash_html(_render_package_page(env, package, chart_html, cited_in(plan, package)),
                                         stashed.setdefault(package.page, {})).encode("utf-8")
        pages += 1
        for source in package.sources:
            files[source.page] = stash_html(_render_source_page(env, package, source),
                                            stashed.setdefault(source.page, {})).encode("utf-8")
            pages += 1
        for download in package.downloads:
            files[download.target] = download.data
        _add_citation_files(files, package, settings)
        for version in package.versions:
            pages += _add_version(env, files, stashed, package, version, settings)
    files["data/index.md"] = _render_catalog(env, plan).encode("utf-8")
    news = releases.news(plan)
    files[releases.WHATS_NEW] = stash_html(env.get_template("whats-new.md.j2").render(
        items=news[:releases.MAX_NEWS], more=max(0, len(news) - releases.MAX_NEWS), page=releases.WHATS_NEW,
        feed=releases.FEED, calendar=release_calendar.PAGE), stashed.setdefault(releases.WHATS_NEW, {})).encode("utf-8")
    files[releases.FEED] = releases.feed_bytes(plan, settings.site_name, settings.site_url)
    files[release_calendar.PAGE] = stash_html(release_calendar.render_page(
        env, plan.calendar, plan.as_of, lambda name, version: _version_page(plan, name, version),
        lambda name: (p.title, p.page) if (p := plan.package(name)) else None),
        stashed.setdefault(release_calendar.PAGE, {})).encode("utf-8")
    files[release_calendar.ICS] = release_calendar.ical(plan.calendar, settings.site_name, settings.site_url, plan.as_of)
    pages += 2
    files["catalog.json"] = _catalog_json(plan, settings).encode("utf-8")
    pages += 1
    fragments: dict[str, str] = {}
    for page in plan.commentary:
        _add_hand_written(files, page.relative, _render_commentary(env, plan, page, chart_html, fragments).encode("utf-8"))
    for static in plan.static:
        _add_hand_written(files, static.relative, static.source.read_bytes())
    for relative, data in _assets(templates).items():
        _add_hand_written(files, relative, data, origin="templates/assets")
    return RenderedSite(
        files=files,
        fragments=fragments,
        stashed=stashed,
        commentary=tuple(p.relative for p in plan.commentary),
        nav=tuple((p.title, p.page) for p in plan.packages),
        hand_written=tuple((p.title, p.relative) for p in plan.commentary),
        pages=pages + len(plan.commentary),
        charts=sum(1 for p in plan.packages for v in p.views if v.chart),
        downloads=sum(len(p.downloads) for p in plan.packages),
    )


def _version_page(plan: SitePlan, package: str, version: str) -> str | None:
    found = plan.package(package)
    release = found.version_plan(version) if found else None
    return release.page if release else None


def _add_version(env: Environment, files: dict, stashed: dict, package: PackagePlan, version, settings: SiteSettings) -> int:
    """A release's page and files (data/NAME/VERSION/): its data, descriptor and zip, as released."""
    url = settings.absolute(version.page) if settings.site_url else ""
    cited = releases.version_citation(package, version, settings.site_name, url or settings.absolute(version.page))
    zipped = releases.version_zip(package, version, releases.version_citation(package, version, settings.site_name, url))
    downloads = (*version.files, zipped)
    for download in downloads:
        if download.target in files:
            raise BuildError(f"datapackages/{package.name}: the file {download.target} of version {version.version} has "
                             "the same path as another file of the site", hint="rename the package's file or folder")
        files[download.target] = download.data
    text = env.get_template("version.md.j2").render(
        package=package, v=version, s=releases.summary(version), files=downloads, citation=cited,
        citation_files=[], latest=package.version, page=version.page,
        commit_url=repository_commit_url(settings, version.commit))
    files[version.page] = stash_html(text, stashed.setdefault(version.page, {})).encode("utf-8")
    return 1


def _add_hand_written(files: dict[str, bytes], relative: str, data: bytes, origin: str = "site_src") -> None:
    """Add a file of site_src/ (or an asset); refuse one whose path the build already generates."""
    if relative in files:
        raise BuildError(f"{origin}/{relative} has the same path as {_generated(relative)}, which the build makes: "
                         "the hand-written file would replace it",
                         hint="rename or move the hand-written file: data/, downloads/, charts/, catalog.json and "
                              f"{ASSETS}/ belong to the build")
    files[relative] = data


def _generated(relative: str) -> str:
    """What the build makes at ``relative``, in words."""
    parts = relative.split("/")
    if relative == "data/index.md":
        return "the catalog of datasets (data/index.html)"
    if relative == "catalog.json":
        return "the DCAT catalog of datasets"
    if parts[0] == "data" and len(parts) == 2:
        return f'the page of dataset "{parts[1].removesuffix(".md")}"'
    if parts[0] == "data" and len(parts) > 3 and parts[2] == "sources":
        return f'the page of a source document of dataset "{parts[1]}"'
    if parts[0] == "data" and len(parts) > 3:
        return f'a page or file of version {parts[2]} of dataset "{parts[1]}"'
    if relative in (releases.WHATS_NEW, releases.FEED):
        return "the What's new page and its feed"
    if relative in (release_calendar.PAGE, release_calendar.ICS):
        return "the release calendar"
    if parts[0] == "downloads":
        return "a download of a dataset"
    if parts[0] == "charts":
        return "a chart's file"
    return "a file of the site's own"


# --- the Jinja environment -----------------------------------------------------------------------

def make_environment(templates: Path) -> Environment:
    """The one template environment: strict about undefined names, autoescaping everything."""
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)
    env.filters.update(cell=format_cell, md=markdown_text, filesize=file_size, long_date=long_date,
                       value_text=releases.value_text,
                       period=lambda period: dates.period_summary(*period),
                       period_days=lambda period: dates.period_days(*period))
    # JSON in a page (a chart's spec, the JSON-LD) is written compactly, keys sorted; tojson still
    # escapes <, >, & and ' as \u003c..., so contributor text cannot end the <script> it is in.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    env.globals.update(url=relative_url, row_anchor=row_anchor, chart_id=chart_id, resource_anchor=resource_anchor,
                       dictionary_anchor=dictionary_anchor, is_quote_field=is_quote_field,
                       provenance_sentence=provenance_sentence, repository_host=repository_host,
                       repository_edit_url=repository_edit_url)
    return env


def relative_url(page: str, target: str) -> str:
    """The link from one docs-relative page to a docs-relative file; pages are built as .html."""
    if target.endswith(".md"):
        target = target[:-3] + ".html"
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def chart_id(view: ViewPlan) -> str:
    return _slug(view.key)


def resource_anchor(resource: ResourcePlan) -> str:
    return "table-" + _slug(resource.name)


def dictionary_anchor(resource: ResourcePlan) -> str:
    """The id of the data dictionary shown with a table (``plan.Dictionary.first``)."""
    return "dictionary-" + _slug(resource.name)


def _slug(text: str) -> str:
    return names.slug(text)


def format_cell(value, type_: str | None = None) -> str:
    """A cell for reading: thousands separators, ISO dates, empty for missing values."""
    if value is None:
        return ""
    if type_ == "year":
        return str(value)
    if type_ == "yearmonth" and isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]:04d}-{value[1]:02d}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (float, Decimal)):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def markdown_text(value) -> Markup:
    """Text from data placed where Markdown is parsed (a heading): no HTML, no Markdown syntax."""
    # One line: a line break in a title or a value would end the heading or the paragraph it is in
    # (red-team review: an old value with blank lines broke a commentary page's table).
    escaped = html.escape(" ".join(str(value).split()), quote=True)
    return Markup(re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", escaped))


def file_size(size: int) -> str:
    if size < 1000:
        return f"{size:,} bytes"
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000:
            return f"{size:,.1f} {unit}"
    return f"{size:,.1f} TB"


long_date = dates.long_date


def figure_text(figure: Figure) -> str:
    text = format_cell(figure.value)
    return f"{text}%" if figure.unit == "percent" else text


def provenance_sentence(package: PackagePlan) -> str:
    """How many of a dataset's figures link to the words of their source, counted from the data."""
    total, linked = len(package.figures), package.figures_linked
    if not total:
        return ""
    one = linked == 1 if linked else total == 1
    sentence = (f"{linked:,} of {total:,} figure{'' if total == 1 else 's'} in this dataset "
                f"link{'s' if one else ''} to the words of {'its' if one else 'their'} source.")
    if not package.figures_quoted:
        sentence += " Its figures have no quotes, so they cannot be checked against a source."
    return sentence


def provenance_count(package: PackagePlan) -> str:
    """A dataset's figures linked to their source, for the catalog: "18 of 18", "0 of 12 (no quotes)"."""
    total = len(package.figures)
    if not total:
        return "no figures"
    return f"{package.figures_linked:,} of {total:,}" + ("" if package.figures_quoted else " (no quotes)")


def site_provenance_sentence(plan: SitePlan) -> str:
    """How many of the site's figures link to the words of their source, counted from the data."""
    total = sum(len(p.figures) for p in plan.packages)
    if not total:
        return ""
    linked = sum(p.figures_linked for p in plan.packages)
    one = linked == 1 if linked else total == 1
    datasets = sum(1 for p in plan.packages if p.figures)
    return (f"{linked:,} of the {total:,} figure{'' if total == 1 else 's'} in {datasets:,} "
            f"dataset{'' if datasets == 1 else 's'} link{'s' if one else ''} to the words of "
            f"{'its' if one else 'their'} source.")


# --- charts --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _ChartOutput:
    view: ViewPlan
    svg: str
    files: dict[str, str]
    package_page: str


def _render_view_files(package: PackagePlan, view: ViewPlan, files: dict[str, bytes],
                       settings: SiteSettings = SiteSettings()) -> _ChartOutput:
    base = f"charts/{package.name}/{_slug(view.name)}"
    paths = {"csv": f"{base}.csv"}
    svg = ""
    if view.chart is not None:
        # Charts (issue 10): the page shows a static drawing (a narrow one on phones) until the
        # interactive chart replaces it; the downloads carry the title and a credit line.
        credit = _chart_credit(package, settings)
        paths.update(svg=f"{base}.svg", png=f"{base}.png", json=f"{base}.vl.json",
                     static=f"{base}.wide.svg", static_narrow=f"{base}.narrow.svg")
        files[paths["svg"]] = charts.render_export_svg(view.chart, credit).encode("utf-8")
        if settings.chart_png:
            files[paths["png"]] = charts.render_png(view.chart, credit)
        else:
            del paths["png"]
        files[paths["json"]] = charts.spec_json(view.chart, credit).encode("utf-8")
        for kind, width in (("static", charts.WIDTH), ("static_narrow", charts.NARROW_WIDTH)):
            drawing = charts.render_svg(view.chart, width)
            files[paths[kind]] = drawing.encode("utf-8")
            paths[f"{kind}_size"] = charts.svg_size(drawing)
    data = charts.rows_csv(view.chart) if view.chart is not None else _csv(view.columns, view.rows)
    files[paths["csv"]] = data.encode("utf-8")
    paths["bundle"] = f"{base}.zip"  # the chart's data with its datapackage.json, README and licence (issue 10)
    files[paths["bundle"]] = _chart_bundle(package, view, files[paths["csv"]], settings)
    return _ChartOutput(view, svg, paths, package.page)


def _chart_credit(package: PackagePlan, settings: SiteSettings) -> str:
    """The line a chart's image carries: "Source: <publisher> (<year>). Licence: <licence>. <site>"."""
    def short(text: str, most: int = 120) -> str:  # each part capped (red-team review: a 300,000-character
        text = " ".join(text.split())              # licence title stalled the drawing)
        return text if len(text) <= most else text[: most - 1].rstrip() + "…"

    cited = citation.of_package(package, settings.site_name, settings.absolute(package.page))
    source = short(" and ".join(cited.authors)) + (f" ({cited.year})" if cited.year else "")
    licence = short("; ".join(item.title for item in citation.licences(package.descriptor))) or "not given"
    site = short(settings.site_name) + (f", {short(cited.absolute_url)}" if cited.absolute_url else "")
    return f"Source: {source}. Licence: {licence}. {site}"


def _csv(columns, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


# The id of the one <script type="application/json"> of a page that holds the Vega-Lite ``config``
# (the site's chart theme) its charts share; charts.js puts it back in each spec that has none.
CHART_CONFIG_ID = "ot-chart-config"


@dataclass(frozen=True)
class _ChartConfig:
    """The chart theme a page writes once, just before its first chart: the Vega-Lite config most of
    its charts have (None when it has no chart)."""

    config: dict | None = None

    def inline_spec(self, view: ViewPlan) -> dict:
        """The spec a chart's figure carries: without its ``config`` when that is the shared one; a
        chart whose config differs keeps its own."""
        spec = view.chart.spec
        if self.config is not None and spec.get("config") == self.config:
            return {k: v for k, v in spec.items() if k != "config"}
        return spec


def _chart_config(views: list[ViewPlan]) -> _ChartConfig:
    """The config to write once on a page that shows ``views``: the one most of its charts have, the
    first seen on a tie, so that the same page is the same bytes."""
    configs = [json.dumps(v.chart.spec["config"], sort_keys=True) for v in views
               if v.chart is not None and isinstance(v.chart.spec.get("config"), dict)]
    if not configs:
        return _ChartConfig()
    (most, _), = collections.Counter(configs).most_common(1)  # on a tie, the one counted first
    return _ChartConfig(json.loads(most))


def _chart_fragment(env: Environment, output: _ChartOutput, page: str, shared: _ChartConfig = _ChartConfig(),
                    carries_config: bool = False) -> str:
    """A chart's figure. With ``shared``, its spec leaves out the page's shared config, which the chart
    that ``carries_config`` (the page's first) writes just before its figure."""
    view = output.view
    drawn = view.chart is not None
    return env.get_template("partials/chart.html.j2").render(
        view=view, files=output.files, svg=Markup(output.svg), page=page, view_page=output.package_page,
        spec=shared.inline_spec(view) if drawn else None,
        chart_config=shared.config if drawn and carries_config else None, chart_config_id=CHART_CONFIG_ID).strip()


def _table_fragment(env: Environment, package: PackagePlan, resource: ResourcePlan, rows, page: str,
                    caption: str, anchors: bool, tools: str = "") -> str:
    def quote_place(row: dict, name: str) -> tuple[str, int] | None:
        """The link to a quote's place in its source page, and its line there."""
        place = _quote_place(package, row, name)
        if place is None:
            return None
        source, quote = place
        return f"{relative_url(page, source.page)}#{quote.anchor}", quote.line

    # A table of figures is shown as one block per figure, which carries the row's id; its table
    # follows, whole but without the ids (figure_blocks).
    # ``tools``: trusted HTML (the dataset page's row count and dictionary), put in one row with the
    # figures' "All columns as a table".
    figures = figure_blocks.has_figures(resource)
    table = env.get_template("partials/table.html.j2").render(
        resource=resource, rows=rows, page=page, caption=caption, anchors=anchors and not figures,
        quote_place=quote_place, widths=figure_blocks.column_widths(resource.fields, rows, format_cell),
        tools="" if figures else Markup(tools).strip()).strip()
    if not figures:
        return table
    def corrections(ident: str) -> list[dict]:
        """The figure's corrections, the newest last; at most MAX_CORRECTIONS_SHOWN, after a count of the others."""
        fixes = package.corrections.get(f"{resource.name}/{ident}", ())
        shown = [{"version": c.version, "old": releases.clip(releases.value_text(c.old)), "link": relative_url(page, c.page)}
                 for c in fixes[-MAX_CORRECTIONS_SHOWN:]]
        if len(fixes) > MAX_CORRECTIONS_SHOWN:
            shown.insert(0, {"earlier": len(fixes) - MAX_CORRECTIONS_SHOWN})
        return shown

    return env.get_template("partials/figures.html.j2").render(
        corrections=corrections,
        figures=figure_blocks.figure_blocks(resource, rows, quote_place, format_cell, anchors), rows=len(rows),
        table=Markup(table), caption=caption, heading="h4" if anchors else "p", tools=Markup(tools).strip()).strip()


MAX_CORRECTIONS_SHOWN = 3  # under a figure: its newest corrections (the versions list has them all)


def _quote_place(package: PackagePlan, row: dict, name: str):
    source = next((s for s in package.sources if s.id == row.get(conventions.SOURCE_FIELD)), None)
    quote = row.get(name)
    if source is None or not isinstance(quote, str):
        return None
    place = source.place_of(quote)
    return (source, place) if place else None


# --- pages ---------------------------------------------------------------------------------------

def cited_in(plan: SitePlan, package: PackagePlan) -> list[tuple[str, str]]:
    """(title, page) of each hand-written page that takes a figure, chart or table from ``package``."""
    return [(page.title, page.relative) for page in plan.commentary
            if any(call.ref.split("/")[0] == package.name for call in page.calls)]


def _render_package_page(env: Environment, package: PackagePlan, chart_html: dict,
                         citing: list[tuple[str, str]] = ()) -> str:
    d = package.descriptor
    page = package.page
    shared = _chart_config(list(package.views))
    first = next((v.name for v in package.views if v.chart is not None), None)
    rendered_charts = {v.name: Markup(_chart_fragment(env, chart_html[v.key], page, shared, v.name == first))
                       for v in package.views}

    def table(resource, rows, from_page, caption, anchors, tools=""):
        return Markup(_table_fragment(env, package, resource, rows, from_page, caption, anchors, tools))

    return env.get_template("package.md.j2").render(
        package=package, page=page, charts=rendered_charts, table=table,
        keywords=[str(k) for k in d.get("keywords") or []],
        licences=_licences(d), licence_note=str(d.get("licenseNote") or ""),
        version=str(d.get("version") or ""), publisher=_publisher(d),
        contributors=_contributors(d), descriptor_sources=_descriptor_sources(package),
        citation=_citation(package, env.globals["site"]), citation_files=citation_files(package),
        json_ld=_json_ld(package, env.globals["site"]), cited_in=citing,
        versions=[(v, releases.summary(v) if n < releases.MAX_DETAILED else None)
                  for n, v in enumerate(list(reversed(package.versions))[:releases.MAX_VERSIONS_SHOWN])],
        earlier_versions=max(0, len(package.versions) - releases.MAX_VERSIONS_SHOWN),
        version_count=len(package.versions),
        unreleased=package.version if package.versions and not package.released and not package.drifted else "",
    )


def _licences(d: dict) -> list[dict]:
    items = d.get("licenses") or ([{"name": d["license"]}] if isinstance(d.get("license"), str) else [])
    out = []
    for item in items:
        if isinstance(item, dict):
            url = item.get("path") if _is_web_url(item.get("path")) else ""
            out.append({"title": str(item.get("title") or item.get("name") or url), "url": url,
                        "name": str(item.get("name") or "")})
    return out


_is_web_url = conventions.is_web_url  # one rule for every link taken from data


def _publisher(d: dict) -> str:
    publisher = d.get("publisher")
    if isinstance(publisher, dict):
        return str(publisher.get("title") or publisher.get("name") or "")
    return str(publisher or "")


def _contributors(d: dict) -> list[dict]:
    """Contributors grouped by person, with their roles (Data Package v1 ``role`` or v2 ``roles``)."""
    people: dict[str, dict] = {}
    for c in d.get("contributors") or []:
        if not isinstance(c, dict):
            continue
        title = str(c.get("title") or c.get("name") or "")
        roles = c.get("roles") or ([c["role"]] if c.get("role") else ["contributor"])
        roles = [roles] if isinstance(roles, str) else roles if isinstance(roles, list) else ["contributor"]
        person = people.setdefault(title, {"title": title, "roles": [], "url": c.get("path") if _is_web_url(c.get("path")) else ""})
        person["roles"] += [str(r) for r in roles if str(r) not in person["roles"]]
    return [{"title": p["title"], "role": " and ".join(p["roles"]), "url": p["url"]} for p in people.values()]


def _descriptor_sources(package: PackagePlan) -> list[dict]:
    """The descriptor's ``sources`` that the sources table does not already cite in full."""
    cited = {s.path for s in package.sources}
    out = []
    for s in package.descriptor.get("sources") or []:
        if not isinstance(s, dict) or s.get("path") in cited:
            continue
        path = s.get("path")
        out.append({"title": str(s.get("title") or s.get("name") or path or "source"),
                    "url": path if _is_web_url(path) else "",
                    "file": f"downloads/{package.name}/{path}" if isinstance(path, str) and not _is_web_url(path)
                    and (package.directory / path).is_file() and _is_downloaded(package, path) else ""})
    return out


def _is_downloaded(package: PackagePlan, path: str) -> bool:
    return any(d.target == f"downloads/{package.name}/{path}" for d in package.downloads)


def _creator(package: PackagePlan) -> str:
    d = package.descriptor
    return _publisher(d) or next((c["title"] for c in _contributors(d)), "") or SITE_NAME


# --- sources, citation and dates (issue 10) --------------------------------------------------------

def _citation(package: PackagePlan, settings: SiteSettings) -> citation.Citation:
    """How to cite a dataset: the body that published its figures, the source's date, the version, the
    page's address (absolute when the site's URL is set) and the date the data last changed."""
    return citation.of_package(package, settings.site_name, settings.absolute(package.page))


CITATION_FORMATS = (("bib", "BibTeX", "application/x-bibtex"), ("ris", "RIS", "application/x-research-info-systems"),
                    ("json", "CSL-JSON", "application/vnd.citationstyles.csl+json"))


def citation_files(package: PackagePlan) -> list[dict]:
    """The citation's download files: downloads/NAME/citation.bib, .ris and .json."""
    return [{"target": f"downloads/{package.name}/citation.{ext}", "label": label, "media_type": media}
            for ext, label, media in CITATION_FORMATS]


def _add_citation_files(files: dict[str, bytes], package: PackagePlan, settings: SiteSettings) -> None:
    cited = _citation(package, settings)
    texts = {"bib": cited.bibtex(), "ris": cited.ris(), "json": cited.csl_json()}
    for item, (ext, _, _) in zip(citation_files(package), CITATION_FORMATS):
        if item["target"] in files:
            raise BuildError(f"datapackages/{package.name}/citation.{ext} has the same path as the citation file the "
                             "build makes for the dataset", hint=f"rename the package's file citation.{ext}")
        files[item["target"]] = texts[ext].encode("utf-8")


def _view_description(package: PackagePlan, view: ViewPlan) -> str:
    if view.chart is not None:
        return view.chart.description
    declared = next((v for v in package.descriptor.get("views") or [] if isinstance(v, dict)
                     and str(v.get("name")) == view.name), {})
    return str(declared.get("description") or view.reason)


def _bundle_field(package: PackagePlan, column: str, values: list) -> dict:
    """A field of a chart's CSV: the package's own field of that name, else a type read from the values."""
    known = next((f for r in package.resources for f in r.fields if f.name == column), None)
    if known is not None:
        field = {"name": column, "type": known.type}
        field.update({k: v for k, v in (("title", known.title), ("description", known.description),
                                        ("unit", known.unit)) if v})
        if known.format not in ("default", "any", ""):
            field["format"] = known.format
        return field
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        kind = "integer"
    elif present and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in present):
        kind = "number"
    else:
        kind = "string"
    return {"name": column, "type": kind}


def _chart_bundle(package: PackagePlan, view: ViewPlan, csv_data: bytes, settings: SiteSettings) -> bytes:
    """A chart's downloads as one zip that stands alone: its CSV, a datapackage.json describing it
    (schema, licence, source), a README (title, description, citation, licence) and the licence's text."""
    folder = f"{package.name}-{_slug(view.name)}"
    columns = view.chart.columns if view.chart is not None else view.columns
    rows = view.chart.rows if view.chart is not None else view.rows
    cited = _citation(package, settings).portable()
    description = _view_description(package, view)
    licences = [item for item in package.descriptor.get("licenses") or [] if isinstance(item, dict)]
    descriptor = {
        "name": folder,
        "title": view.title,
        "description": description,
        "licenses": licences,
        "sources": [{"title": s.citation, **({"path": s.url} if s.url else {})} for s in package.sources]
        or [{"title": cited.text()}],
        "resources": [{
            "name": _slug(view.name), "path": "data.csv", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "profile": "tabular-data-resource",
            "schema": {"fields": [_bundle_field(package, c, [r[i] for r in rows if i < len(r)])
                                  for i, c in enumerate(columns)]},
        }],
    }
    for key in ("version", "modified"):
        if package.descriptor.get(key):
            descriptor[key] = str(package.descriptor[key])
    if cited.absolute_url:
        descriptor["homepage"] = cited.absolute_url
    entries = {"data.csv": csv_data,
               "datapackage.json": (json.dumps(descriptor, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"),
               "LICENCE.txt": citation.licence_text(package.descriptor, cited).encode("utf-8")}
    listed = sorted((f"{folder}/{name}", len(data)) for name, data in entries.items())
    entries["README.txt"] = citation.readme_text(view.title, description, cited, package.descriptor, package.period,
                                                 listed).encode("utf-8")
    return citation.zip_bytes(((f"{folder}/{name}", data) for name, data in entries.items()), package.modified)


def _plain(text: str, limit: int) -> str:
    stripped = re.sub(r"<[^>]+>", "", text)
    stripped = " ".join(html.unescape(stripped).split())
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rsplit(" ", 1)[0] + "…"


def _json_ld(package: PackagePlan, settings: SiteSettings = SiteSettings()) -> dict:
    """schema.org Dataset, so dataset search engines can index the page."""
    d = package.descriptor
    cited = _citation(package, settings)
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": package.title,
        "description": _plain(package.description_html, 5000) or package.title,
        "identifier": package.name,
        "url": settings.absolute(package.page),
        "keywords": [str(k) for k in d.get("keywords") or []],
        "license": next((l["url"] or l["title"] for l in _licences(d)), ""),
        "isAccessibleForFree": True,
        "creator": [{"@type": "Organization", "name": author} for author in cited.authors],
        "publisher": {"@type": "Organization", "name": _creator(package)},
        "distribution": [{"@type": "DataDownload", "name": x.label, "encodingFormat": x.media_type,
                          "contentUrl": settings.absolute(x.target) if settings.site_url
                          else relative_url(package.page, x.target), "contentSize": f"{x.size} B",
                          "sha256": x.sha256} for x in package.downloads],
    }
    if d.get("version"):
        data["version"] = str(d["version"])
    if package.modified:
        data["dateModified"] = package.modified
    if package.period:
        data["temporalCoverage"] = f"{package.period[0].isoformat()}/{package.period[1].isoformat()}"
    based_on = [s.citation for s in package.sources] + [
        str(s.get("title") or s.get("path")) for s in d.get("sources") or [] if isinstance(s, dict)
        and s.get("path") not in {x.path for x in package.sources}]
    if based_on:
        data["isBasedOn"] = based_on
    return data


# Python-Markdown's block-level tags: a block that opens with one is passed through as it is.
_BLOCK_TAGS = frozenset(markdown.Markdown().block_level_elements)
_HTML_BLOCK = re.compile(r"<([A-Za-z][A-Za-z0-9]*)[\s/>]")
STASH_TOKEN = re.compile(r"<p>(OTHTML[0-9a-f]{24})</p>")


def stash_html(text: str, stash: dict[str, str]) -> str:
    """A generated page's Markdown with each block of HTML in it replaced by a placeholder paragraph,
    the HTML kept in ``stash``. A block is what Python-Markdown passes through as it is: from a
    block-level tag at the start of a line (after a blank line) to the blank line after its closing
    tag, blank lines inside included.

    Python-Markdown reads every such block with an HTML parser only to pass it through unchanged, and
    a dataset page is mostly tables and figures: that was a fifth of a site's MkDocs build. MkDocs now
    converts the headings and text between them, and the write stage puts the blocks back before
    anything reads the page's HTML (``write._CommentaryPlugin.on_page_content``), registering their
    ids as the page's anchors, as MkDocs would have. The HTML is the build's own (templates, with every
    contributor string escaped), so counting a tag's openings and closings finds where a block ends."""
    parts = re.split(r"(\n[ \t]*\n)", text)
    out: list[str] = []
    n = 0
    while n < len(parts):
        block = parts[n]
        opening = _HTML_BLOCK.match(block.lstrip("\n"))  # at the start of the line: indented, it would be code
        tag = opening.group(1).lower() if opening else ""
        if tag not in _BLOCK_TAGS:
            out.append(block)
            n += 1
            continue
        # Openings and closings are counted part by part as parts join: a block of thousands of
        # paragraphs (a source document) is not scanned again each time one joins.
        unclosed = _unclosed(tag, block)
        while unclosed > 0 and n + 2 < len(parts):
            block += parts[n + 1] + parts[n + 2]
            unclosed += _unclosed(tag, parts[n + 2])
            n += 2
        token = "OTHTML" + hashlib.sha256(f"{len(out)}\0{block}".encode("utf-8")).hexdigest()[:24]
        stash[token] = block
        out.append(token)
        n += 1
    return "".join(out)


_VOID_TAGS = frozenset({"hr", "br", "img", "input", "meta", "link", "source", "col", "area", "base", "embed",
                        "param", "track", "wbr"})


def _unclosed(tag: str, text: str) -> int:
    """How many more ``tag`` elements ``text`` opens than it closes (none for a void tag)."""
    if tag in _VOID_TAGS:
        return 0
    return len(re.findall(rf"<{tag}[\s/>]", text, re.IGNORECASE)) - len(re.findall(rf"</{tag}\s*>", text, re.IGNORECASE))


def _render_source_page(env: Environment, package: PackagePlan, source: SourceDocument) -> str:
    figures = sorted((f for f in package.figures.values() if f.source is source and f.quote_place),
                     key=lambda f: (f.quote_place.start, f.key))
    return env.get_template("source.md.j2").render(
        source=source, package=package, page=source.page, figures=figures, figure_text=figure_text,
        download=f"downloads/{package.name}/{source.path}", marked_text=Markup(marked_source(source)))


def marked_source(source: SourceDocument) -> str:
    """The document's text, escaped, with every quoted passage in <mark> and an anchor where each starts."""
    spans: list[list[int]] = []
    for q in source.quotes:  # sorted by start
        if spans and q.start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], q.end)
        else:
            spans.append([q.start, q.end])
    anchors: dict[int, list[str]] = {}
    for q in source.quotes:
        anchors.setdefault(q.start, []).append(q.anchor)
    cuts = sorted({0, len(source.text), *[s for s, _ in spans], *[e for _, e in spans], *anchors})
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    out = []
    for i, at in enumerate(cuts):
        if at in ends:
            out.append("</mark>")
        for anchor in anchors.get(at, []):
            out.append(f'<span class="ot-anchor" id="{anchor}"></span>')
        if at in starts:
            out.append("<mark>")
        if i + 1 < len(cuts):
            out.append(html.escape(source.text[at:cuts[i + 1]]))
    return "".join(out)


# --- catalog -------------------------------------------------------------------------------------

def _formats(package: PackagePlan) -> list[str]:
    kinds = {Path(r.path).suffix.lstrip(".").upper() for r in package.resources if r.path}
    return sorted(k for k in kinds if k) + ["JSON (datapackage.json)", "ZIP"]


def _render_catalog(env: Environment, plan: SitePlan) -> str:
    entries = [{"title": p.title, "page": p.page, "summary": _plain(p.description_html, 240),
                "licence": ", ".join(l["title"] for l in _licences(p.descriptor)) or "not given",
                "modified": p.modified, "period": p.period, "formats": _formats(p), "figures": provenance_count(p)}
               for p in plan.packages]
    return env.get_template("catalog.md.j2").render(entries=entries, page="data/index.md",
                                                    provenance=site_provenance_sentence(plan))


def _catalog_json(plan: SitePlan, settings: SiteSettings = SiteSettings()) -> str:
    """Every dataset in the DCAT vocabulary (as JSON-LD), for harvesters and portals."""
    datasets = []
    for p in plan.packages:
        d = p.descriptor
        cited = _citation(p, settings)
        dataset = {
            "@type": "dcat:Dataset",
            "dct:identifier": p.name,
            "dct:title": p.title,
            "dct:description": _plain(p.description_html, 5000),
            "dcat:keyword": [str(k) for k in d.get("keywords") or []],
            "dcat:landingPage": {"@id": settings.absolute(p.page)},
            "dct:license": [{"@id": l["url"]} if l["url"] else l["title"] for l in _licences(d)],
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _creator(p)},
            "dct:creator": [{"@type": "foaf:Agent", "foaf:name": author} for author in cited.authors],
            "dcat:distribution": [{
                "@type": "dcat:Distribution",
                "dct:title": x.label,
                "dcat:downloadURL": {"@id": settings.absolute(x.target)},
                "dcat:mediaType": x.media_type,
                "dcat:byteSize": x.size,
                "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": "spdx:checksumAlgorithm_sha256",
                                  "spdx:checksumValue": x.sha256},
            } for x in p.downloads],
        }
        if d.get("version"):
            dataset["dcat:version"] = str(d["version"])
        if p.modified:
            dataset["dct:modified"] = {"@value": p.modified, "@type": "xsd:date"}
        if p.period:
            dataset["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                       "dcat:startDate": {"@value": p.period[0].isoformat(), "@type": "xsd:date"},
                                       "dcat:endDate": {"@value": p.period[1].isoformat(), "@type": "xsd:date"}}
        datasets.append(dataset)
    catalog = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "spdx": "http://spdx.org/rdf/terms#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@type": "dcat:Catalog",
        "dct:title": SITE_NAME,
        "dcat:dataset": datasets,
    }
    return json.dumps(catalog, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- commentary ----------------------------------------------------------------------------------

def _render_commentary(env: Environment, plan: SitePlan, page, chart_html: dict, fragments: dict) -> str:
    out, position = [], 0
    shown = [_called_view(plan, call) for call in page.calls if call.kind == "chart"]
    shared = _chart_config(shown)
    carrier = next((i for i, call in enumerate(page.calls)
                    if call.kind == "chart" and _called_view(plan, call).chart is not None), None)
    for index, call in enumerate(page.calls):
        out.append(page.text[position:call.start])
        position = call.end
        package = plan.package(call.ref.split("/")[0])
        if call.kind == "figure" and call.key:
            out.append(_cell_link(package, call, page.relative))
            continue
        if call.kind == "figure":
            out.append(_figure_link(package.figures[call.ref], page.relative)
                       + _correction_note(package, call.ref, page.relative))
            continue
        if call.kind == "chart":
            view = _called_view(plan, call)
            html_text = _chart_fragment(env, chart_html[view.key], page.relative, shared, index == carrier)
        else:
            resource = next(r for r in package.resources if r.name == call.ref.split("/")[1])
            html_text = _table_fragment(env, package, resource, resource.preview, page.relative,
                                        resource.title, anchors=False)
        token = "OTFRAGMENT" + hashlib.sha256(f"{page.relative}\0{index}\0{call.ref}".encode()).hexdigest()[:24]
        fragments[token] = html_text
        out.append(token)
    out.append(page.text[position:])
    return "".join(out)


def _called_view(plan: SitePlan, call) -> ViewPlan:
    """The view a chart("package/view") macro shows."""
    package, name = call.ref.split("/")
    return next(v for v in plan.package(package).views if v.name == name)


def _correction_note(package: PackagePlan, ref: str, page: str) -> str:
    """After a figure a release corrected, in commentary: " (corrected in 1.0.1: was 37)", the version
    linked to its page; the latest correction only (the figure's block on the dataset page lists all)."""
    fixes = package.corrections.get(ref.split("/", 1)[1])
    if not fixes:
        return ""
    last = fixes[-1]
    target = f"{relative_url(page, last.page)[:-5]}.md"
    return (f" (corrected in [version {markdown_text(last.version)}]({target}): "
            f"was {markdown_text(releases.clip(releases.value_text(last.old)))})")


def _figure_link(figure: Figure, page: str) -> str:
    """A figure as a Markdown link to its quote in the source (or to its row when it has no quote)."""
    package_page = f"data/{figure.key.split('/')[0]}.md"
    if figure.source is not None and figure.quote_place is not None:
        target = f"{relative_url(page, figure.source.page)[:-5]}.md#{figure.quote_place.anchor}"
    else:
        target = f"{relative_url(page, package_page)[:-5]}.md#{figure.row_anchor}"
    return f"[{figure_text(figure)}]({target}){{ .ot-figure }}"


def _cell_link(package: PackagePlan, call, page: str) -> str:
    """A cell named by its row's key and its column: the value with its field's unit, linked to the row
    on the dataset page (to the table, when a long table does not show that row)."""
    resource = next(r for r in package.resources if r.name == call.ref.split("/")[1])
    row = resource.find_row(call.key)
    field = next(f for f in resource.fields if f.name == call.column)
    cols = conventions.columns([f.name for f in resource.fields], resource.primary_key)
    # The unit of a figure's value is its row's "unit" cell (conventions); any other column's is its field's.
    unit = conventions.figure_unit(row, cols, field.unit) if field.name == cols.value else field.unit
    text = format_cell(row.get(field.name), field.type)
    if unit == "percent":
        text += "%"
    elif unit:
        text += f" {unit}"
    anchor = resource.anchor_of(row) if resource.is_shown(row) else None
    target = f"{relative_url(page, package.page)[:-5]}.md#{anchor or resource_anchor(resource)}"
    return f"[{markdown_text(text)}]({target}){{ .ot-figure }}"


# --- assets --------------------------------------------------------------------------------------

def _assets(templates: Path) -> dict[str, bytes]:
    files = {f"{ASSETS}/{p.name}": p.read_bytes() for p in sorted((templates / "assets").glob("*")) if p.is_file()}
    files[f"{ASSETS}/vega-embed.js"] = charts.vega_bundle().encode("utf-8")
    return files
