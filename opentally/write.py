"""Stage 5, write: lay out the docs folder, run MkDocs, check the result, and publish it atomically.

Everything happens in a fresh temporary folder beside the output folder. The output folder is
replaced only when MkDocs succeeded and the built site passed its checks; a failed build leaves the
last good site exactly as it was.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import logging
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.plugins import BasePlugin

from . import cache
from .commentary import PAGE_META_HIDE, PAGE_META_TEXT
from .issues import BuildError
from .load import display_path
from .render import STASH_TOKEN, RenderedSite, SiteSettings, repository_edit_url, repository_host
from .sanitise import clean_html

MAX_PAGE_BYTES = 1_000_000


@dataclass(frozen=True)
class WrittenSite:
    path: Path
    files: int
    bytes: int
    largest_page: tuple[str, int]
    notices: tuple[str, ...] = ()  # what MkDocs noticed below warning level, said as the build's warnings


def site_settings(config_file: Path) -> SiteSettings:
    """The settings of ``mkdocs.yml`` that pages show: site name, ``site_url`` (``!ENV`` resolved) and
    ``repo_url``. Read with MkDocs' own YAML loader, so the values are the ones MkDocs builds with."""
    from mkdocs.utils.yaml import yaml_load

    with open(config_file, encoding="utf-8") as f:
        config = yaml_load(f) or {}
    site_url = str(config.get("site_url") or "").strip()
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    repo_url = str(config.get("repo_url") or "").strip().rstrip("/")
    edit_uri = str(config.get("edit_uri") or "")
    branch = edit_uri.split("/")[1] if re.match(r"^(edit|blob)/[^/]+", edit_uri) else "main"
    extra = config.get("extra") if isinstance(config.get("extra"), dict) else {}
    ours = extra.get("opentally") if isinstance(extra.get("opentally"), dict) else {}
    return SiteSettings(site_name=str(config.get("site_name") or SiteSettings.site_name),
                        site_url=site_url if site_url.startswith(("https://", "http://")) else "",
                        repo_url=repo_url if repo_url.startswith("https://") else "", edit_branch=branch,
                        chart_png=ours.get("chart_png") is True)


def write_site(rendered: RenderedSite, site_src: Path, config_file: Path, out: Path, build_date) -> WrittenSite:
    """Build the site with MkDocs into a temporary folder, check it, then swap it in for ``out``."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    try:
        docs, built = work / "docs", work / "site"
        _lay_out_docs(rendered, docs)
        theme_dirs, notices = _run_mkdocs(rendered, config_file, docs, built, build_date, site_src)
        secure_pages(built, theme_scripts(theme_dirs))
        summary = _check_built_site(built)
        _swap_in(built, out)
        return WrittenSite(out, *summary, notices)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _lay_out_docs(rendered: RenderedSite, docs: Path) -> None:
    """The docs folder MkDocs builds from: exactly the files the render stage made, nothing else.

    Hand-written pages and the static files of site_src/ reach it through the plan, which took only
    what may be published (see ``files``); site_src itself is never written to. No file lands
    outside ``docs``: every path is checked before anything is written.
    """
    root = docs.resolve()
    for relative in rendered.files:
        _confined(root, relative)
    folders = {"/".join(relative.split("/")[:n]) for relative in rendered.files for n in range(1, relative.count("/") + 1)}
    if clashes := sorted(folders & set(rendered.files)):
        raise BuildError(f"the build would make {clashes[0]!r} both a file and a folder",
                         hint="two names in the data make the same path (a package named like another's download); "
                              "rename one of them")
    for relative, content in sorted(rendered.files.items()):
        target = docs / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):  # a data file, published as it is: copied, not read whole
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)


def _confined(root: Path, relative: str) -> Path:
    """``root / relative``, refused unless it is a plain relative path that stays inside ``root``."""
    parts = relative.split("/")
    plain = (relative and "\\" not in relative and "\0" not in relative and not relative.startswith("/")
             and all(part not in ("", ".", "..") for part in parts))
    target = (root / relative).resolve() if plain else None
    if target is None or not target.is_relative_to(root) or target == root:
        raise BuildError(f"the build made a file path that would leave the site: {relative!r}",
                         hint="a name in the data (a package, resource or view name, a source id) breaks the "
                              "safe-name rule; run `python build.py validate` to find it")
    return target


class _CommentaryPlugin(BasePlugin):
    """Sanitises the HTML of hand-written pages, then puts the trusted chart and table HTML in.

    It also makes every title MkDocs hands the theme HTML text: MkDocs' own titles (from a page's
    first heading, or from the navigation) already are, a page's front matter is not, and Material
    prints both as they are. See ``page_meta``.
    """

    def __init__(self, rendered: RenderedSite):
        super().__init__()
        self.rendered = rendered

    def on_page_markdown(self, markdown, page, config, files):
        page.meta = page_meta(page.meta)
        return markdown

    def on_page_content(self, html, page, config, files):
        stash = self.rendered.stashed.get(page.file.src_uri)
        if stash:
            # The generated page's HTML blocks, put back in one pass (a block's own text is never
            # searched for placeholders), and their ids made the page's anchors, as MkDocs would.
            html = STASH_TOKEN.sub(lambda m: stash.get(m.group(1), m.group(0)), html)
            if page.present_anchor_ids is not None:
                page.present_anchor_ids |= {value for block in stash.values() for value in _anchor_ids(block)}
        if page.file.src_uri in self.rendered.commentary:
            html = clean_html(html)
            # A chart or a table stands on a line of its own (the commentary stage checks it), so its
            # placeholder is a paragraph of its own: only that is replaced, never the same text elsewhere.
            for token, fragment in self.rendered.fragments.items():
                html = html.replace(f"<p>{token}</p>", fragment)
        # Last: the search plugin reads the content in on_page_context, after this. The same page is
        # marked the same way: an unchanged page is taken from the cache.
        return cache.memo("pages", ["search-ready", cache.digest(html), _CODE()],
                          lambda: search_ready(html).encode("utf-8")).decode("utf-8")


_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(\s[^>]*)?>")
_ANCHOR_ATTRIBUTE = re.compile(r'\s(id|name)="([^"]*)"')


def _anchor_ids(block: str) -> set[str]:
    """The ids a block of the build's own HTML defines (and the names of its <a> elements), as MkDocs'
    raw-HTML reader collects them: what links elsewhere may point at."""
    found = set()
    for tag in _START_TAG.finditer(block):
        for key, value in _ANCHOR_ATTRIBUTE.findall(tag.group(2) or ""):
            if key == "id" or tag.group(1).lower() == "a":
                found.add(html.unescape(value))
    return found


def page_meta(meta: dict) -> dict:
    """The front matter the theme may see (``commentary.PAGE_META_TEXT`` and ``hide``), its text escaped.

    Escaped here, where it enters: Material prints page.meta.title into <title> and the header, and
    the description into a <meta> attribute, as they are. The commentary stage refuses other keys.
    """
    safe: dict = {}
    for key in PAGE_META_TEXT:
        if isinstance(meta.get(key), (str, int, float)):
            safe[key] = html.escape(" ".join(str(meta[key]).split()), quote=True)
    hide = meta.get("hide")
    if isinstance(hide, list):
        safe["hide"] = [h for h in hide if h in PAGE_META_HIDE]
    return safe


# --- what the search index reads ----------------------------------------------------------------

# Blocks the search index leaves out, by class: text that is not prose (a chart's drawn ticks and
# labels, its data table, lists of files, a data dictionary) matches any query for a number and shows
# in the results as words run together ("People.0102030405..."). Material's search skips an element
# that carries data-search-exclude; a template asks for that with one of these classes, or with
# "ot-no-search". Table headers (<thead>) are left out too: they label columns, they say nothing.
SEARCH_EXCLUDED = frozenset({
    "ot-no-search",
    "ot-chart__static", "ot-chart__data", "ot-chart__downloads",  # a chart's drawing, data table and files
    "ot-dictionary", "ot-downloads", "ot-rows", "ot-edit",  # a dataset's field list, files and file links
    "ot-cite-format", "ot-cite-files", "ot-copy-row",  # a citation's BibTeX, RIS and CSL-JSON, files and buttons
    "ot-version-files", "ot-release-changes",  # a release's files and checksums, its changed cells and rows
})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})
# Cells and terms written back to back ("</td><td>") run together in the index: a space keeps them words.
_ADJACENT_CELLS = re.compile(r"(</(?:td|th|dt|dd)>)(?=<(?:td|th|dt|dd)[\s>])")


def search_ready(content: str) -> str:
    """The page's HTML as the search index should read it: the blocks of ``SEARCH_EXCLUDED`` and every
    table header marked ``data-search-exclude``, and adjacent table cells apart. What readers see is
    unchanged: whitespace between cells shows nothing, and the attribute only speaks to search."""
    content = _ADJACENT_CELLS.sub(r"\1 ", content)
    parser = _Elements()
    parser.feed(content)
    parser.close()
    at: list[int] = []
    _find_excluded(parser.root, at)
    for offset in sorted(at, reverse=True):
        content = content[:offset] + " data-search-exclude" + content[offset:]
    return content


@dataclass
class _Element:
    tag: str
    classes: frozenset
    name_end: int  # where the tag's name ends in the text: the attribute goes there
    children: list = field(default_factory=list)
    has_content: bool = True  # False for <x/>, which holds nothing
    skipped: bool = False  # it carries data-search-exclude already

    def tags_within(self) -> set[str]:
        return {t for child in self.children for t in (child.tag, *child.tags_within())}


class _Elements(HTMLParser):
    """The page's elements as a tree, each with the place of its start tag."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Element("", frozenset(), -1)
        self._open = [self.root]
        self._line_starts = [0]

    def feed(self, data):
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", data)]
        super().feed(data)

    def _element(self, tag, attrs) -> _Element:
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        classes = frozenset((dict(attrs).get("class") or "").split())
        element = _Element(tag, classes, start + 1 + len(tag), skipped=any(k == "data-search-exclude" for k, _ in attrs))
        self._open[-1].children.append(element)
        return element

    def handle_starttag(self, tag, attrs):
        element = self._element(tag, attrs)
        if tag not in _VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs).has_content = False

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return


def _find_excluded(element: _Element, at: list[int]) -> None:
    for child in element.children:
        if child.skipped:
            continue
        if child.tag == "thead" or child.classes & SEARCH_EXCLUDED:
            _exclude(child, at)
        else:
            _find_excluded(child, at)


def _exclude(element: _Element, at: list[int]) -> None:
    """Mark ``element`` for search to skip. Material's search tells elements apart by tag name only:
    an element of the same tag inside a skipped one would end the skipping when it closes. Such an
    element is left unmarked and its children are marked instead."""
    if element.tag in _VOID or not element.has_content or element.skipped:
        return
    if element.tag not in element.tags_within():
        at.append(element.name_end)
    else:
        for child in element.children:
            _exclude(child, at)


# --- links to the project's repository -----------------------------------------------------------

def report_error_url(settings: SiteSettings, title: str, page_url: str) -> str:
    """A link that opens a new issue on the repository, titled with the page and giving its address;
    "" when the repository's host is not known."""
    host = repository_host(settings.repo_url)
    if not host:
        return ""
    body = (f"Page: {page_url}\n\nWhat is wrong (give the figure's id, if it has one):\n\n"
            "What it should be, and the words of the source that say so:\n")
    fields = {"GitHub": ("/issues/new?", "title", "body"), "GitLab": ("/-/issues/new?", "issue[title]", "issue[description]")}
    path, title_field, body_field = fields[host]
    return (settings.repo_url + path + urlencode({title_field: f"Error on page: {title}", body_field: body},
                                                 quote_via=quote, safe=""))


_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)


def plain_title(title) -> str:
    """A title MkDocs hands the theme (HTML text) as plain text."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", str(title or ""))).split())


class _RepositoryLinks(BasePlugin):
    """With ``repo_url`` set: the "Report an error" link of every page (the theme prints
    ``ot_report_error_url`` when it is not empty), and edit links that lead somewhere.

    MkDocs gives every page an edit_url into the repository's docs/ folder, which Material shows with
    the content.action.edit feature: a page this build generated has no file there, and a hand-written
    page's file is in site_src/. So a hand-written page's edit_url is its file in site_src/, and a
    generated page has none.
    """

    def __init__(self, settings: SiteSettings, site_src: str | None, hand_written: set[str]):
        super().__init__()
        self.settings, self.site_src, self.hand_written = settings, site_src, hand_written

    def on_page_context(self, context, page, config, nav):
        # The page's own heading names it best: the navigation's title may be short ("Home", "Methodology").
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", _HEADERLINK.sub("", page.content or ""), re.S)
        title = plain_title((page.meta or {}).get("title") or (heading and heading.group(1)) or page.title
                            or config["site_name"])
        url = self.settings.site_url + page.url if self.settings.site_url else page.url
        context["ot_report_error_url"] = report_error_url(self.settings, title, url)
        context["ot_repository_host"] = repository_host(self.settings.repo_url)
        source = page.file.src_uri
        page.edit_url = (repository_edit_url(self.settings, f"{self.site_src}/{source}")
                         if self.site_src is not None and source in self.hand_written else None)
        return context


class _Collect(logging.Handler):
    """MkDocs' warnings (they fail the build: mkdocs.yml is strict) and its notices about files and links,
    which it logs below warning level (a page no navigation lists, an odd link): those become the
    build's warnings, so that nothing MkDocs noticed goes unsaid."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.notices: list[str] = []

    def emit(self, record):
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())
        elif record.name.startswith("mkdocs.structure"):
            self.notices.append(record.getMessage())


@contextmanager
def _source_date(build_date):
    """MkDocs dates the sitemap from SOURCE_DATE_EPOCH: pin it to the build date from the data."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.combine(build_date, time(), timezone.utc).timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _run_mkdocs(rendered: RenderedSite, config_file: Path, docs: Path, built: Path, build_date, site_src: Path):
    collector = _Collect()
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.addHandler(collector)
    logger.setLevel(min(level or logging.INFO, logging.INFO))
    try:
        with _source_date(build_date):
            # Source documents are reached from their dataset's page, not from the navigation.
            # So are datasets, when there are more than the menu can list (see MAX_DATASETS_IN_NAV).
            # So are the pages of versions (from their dataset's page and What's new); What's new and the
            # release calendar are in the navigation when mkdocs.yml lists them (the shipped one does).
            unlisted = ("/data/*/sources/*.md\n/data/*/*/index.md\n/whats-new.md\n/release-calendar.md"
                        + ("\n/data/*.md" if len(rendered.nav) > MAX_DATASETS_IN_NAV else ""))
            config = load_config(str(config_file), docs_dir=str(docs), site_dir=str(built), not_in_nav=unlisted)
            _check_config_text(config, config_file)
            config["nav"] = site_nav(config["nav"], rendered.nav, rendered.hand_written)
            config.plugins["opentally/commentary"] = _CommentaryPlugin(rendered)
            config.plugins["opentally/repository"] = _RepositoryLinks(
                site_settings(config_file), _repository_path(site_src, config_file), {page for _, page in rendered.hand_written})
            mkdocs_build(config)
            shown = display_path(site_src)
            return list(config.theme.dirs), tuple(n.replace(str(docs), shown) for n in collector.notices)
    except (MkDocsException, SystemExit) as exc:
        shown = display_path(site_src)
        details = "\n".join(f"  {m.replace(str(docs), shown)}" for m in collector.messages) or f"  {exc}"
        raise BuildError(f"MkDocs could not build the site:\n{details}",
                         hint="a broken link or anchor in site_src/ is the usual cause: correct the link "
                              "(links between pages point at the .md file, e.g. [About](about.md))") from None
    finally:
        logger.removeHandler(collector)
        logger.setLevel(level)


def _repository_path(folder: Path, config_file: Path) -> str | None:
    """``folder`` as a path in the repository, whose root is taken to be mkdocs.yml's folder; None outside it."""
    try:
        return folder.resolve().relative_to(config_file.resolve().parent).as_posix()
    except ValueError:
        return None


# Settings of mkdocs.yml that the theme prints into every page as HTML, unescaped (MkDocs' Jinja does not
# autoescape): plain text only, so a change to mkdocs.yml cannot add markup to every page.
CONFIG_TEXT = ("site_name", "site_description", "site_author", "copyright", "repo_name", "site_url", "repo_url",
               "edit_uri")
_MARKUP = re.compile(r'[<>"\x00-\x1f\x7f]')


def _check_config_text(config, config_file: Path) -> None:
    for key in CONFIG_TEXT:
        value = config.get(key)
        if isinstance(value, str) and (found := _MARKUP.search(value)):
            raise BuildError(f"{display_path(config_file)}: {key} holds {found.group()!r}, which the theme would print "
                             "into every page as markup",
                             hint=f"write {key} as plain text, without <, > or \" (or control characters)")


# What mkdocs.yml may ask MkDocs to load. Anything else can run a contributor's code in the build
# (``hooks``, a plugin or Markdown extension importable from the repository), read files from outside
# it (``INHERIT``, pymdownx.snippets) or take templates from elsewhere (``custom_dir``): refused
# before MkDocs reads the file (red-team review: ``hooks:`` ran a contributor's Python in the build).
ALLOWED_PLUGINS = frozenset({"search", "offline"})
ALLOWED_EXTENSIONS = frozenset({
    "abbr", "admonition", "attr_list", "def_list", "footnotes", "md_in_html", "sane_lists", "tables", "toc",
    "pymdownx.superfences", "pymdownx.details", "pymdownx.tabbed", "pymdownx.caret", "pymdownx.mark",
    "pymdownx.tilde", "pymdownx.smartsymbols", "pymdownx.betterem",
})
THEME_DIR = "templates/theme"
_REFUSED_KEYS = {"hooks": "runs Python files in the build", "INHERIT": "reads another configuration file"}


def check_config(config_file: Path) -> None:
    """Refuse a mkdocs.yml that would load code, files or templates from anywhere but the site's own
    (see ``ALLOWED_PLUGINS``, ``ALLOWED_EXTENSIONS``, ``THEME_DIR``). Read as plain YAML, before MkDocs
    (whose loader already acts on ``INHERIT`` and ``hooks``)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    for tag in ("!ENV", "!relative"):
        _Loader.add_constructor(tag, lambda loader, node: None)
    shown = display_path(config_file)
    try:
        config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BuildError(f"{shown}: the file cannot be read as YAML ({' '.join(str(exc).split())[:200]})",
                         hint="correct the YAML (indentation, quotes) and build again") from None
    if not isinstance(config, dict):
        raise BuildError(f"{shown}: the file holds no settings", hint="mkdocs.yml is a mapping of settings")

    def refuse(what: str, hint: str) -> None:
        raise BuildError(f"{shown}: {what}", hint=hint)

    for key, why in _REFUSED_KEYS.items():
        if key in config:
            refuse(f"{key} {why}, which the site never does",
                   f"remove {key}: the build runs only its own code and reads only this file")
    for setting, allowed in (("plugins", ALLOWED_PLUGINS), ("markdown_extensions", ALLOWED_EXTENSIONS)):
        entries = config.get(setting) or []
        if not isinstance(entries, list):
            entries = list(entries) if isinstance(entries, dict) else [entries]
        for entry in entries:
            name = next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else entry
            if not isinstance(name, str) or name not in allowed:
                refuse(f"{setting} names {str(name)[:80]!r}, which the site does not load",
                       f"use only {', '.join(sorted(allowed))}: anything else could run code or read files in the build")
    theme = config.get("theme")
    if isinstance(theme, dict):
        if theme.get("name") != "material":
            refuse(f"theme name {str(theme.get('name'))[:80]!r} is not the site's theme", 'set theme: name: material')
        if theme.get("custom_dir") not in (None, THEME_DIR):
            refuse(f"theme custom_dir {str(theme.get('custom_dir'))[:80]!r} is not {THEME_DIR}",
                   f"keep the theme's overrides in {THEME_DIR}/, which the build checks")
    elif theme not in (None, "material"):
        refuse(f"theme {str(theme)[:80]!r} is not the site's theme", "set theme: name: material")


COMMENTARY = "commentary/"  # hand-written pages here join the navigation's Commentary section by themselves


def site_nav(nav, datasets: tuple[tuple[str, str], ...], hand_written: tuple[tuple[str, str], ...]):
    """The navigation MkDocs is given: mkdocs.yml's, with every dataset under Data and every page of
    site_src/commentary/ under Commentary, ordered by title. Every other page of site_src/ must be in
    mkdocs.yml's navigation: a page no reader can reach is a build error."""
    if not nav:
        return nav  # no nav in mkdocs.yml: MkDocs lists every page itself
    nav = _nav_with_datasets(nav, datasets)
    listed = set(_nav_pages(nav))
    titles = dict((page, title) for title, page in hand_written)
    new = [page for _, page in hand_written if page.startswith(COMMENTARY) and page not in listed]
    if new:
        section = next((item for item in nav if isinstance(item, dict) and len(item) == 1
                        and isinstance(next(iter(item.values())), list)
                        and any(p.startswith(COMMENTARY) for p in _nav_pages(item))), None)
        if section is None:
            section = {"Commentary": []}
            nav.insert(1, section)
        entries = next(iter(section.values())) + new  # a new page takes its title from its own heading

        def title_of(entry) -> str:
            if isinstance(entry, dict):
                return str(next(iter(entry)))
            return titles.get(entry, entry)

        entries.sort(key=lambda e: (title_of(e).casefold(), str(e)))
        section[next(iter(section))] = entries
        listed |= set(new)
    unreachable = [page for _, page in hand_written if page not in listed]
    if unreachable:
        raise BuildError("no navigation reaches these pages of site_src/:\n" + "\n".join(f"  site_src/{p}" for p in unreachable),
                         hint="add each page to nav: in mkdocs.yml (e.g. under About: - My page: my-page.md), or move "
                              f"it into site_src/{COMMENTARY}, whose pages join the Commentary menu by themselves")
    return nav


def _nav_pages(nav) -> list[str]:
    """Every page a navigation lists, however deep."""
    if isinstance(nav, str):
        return [nav] if nav.endswith(".md") else []
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_pages(value)]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    return []


# Every page carries the whole menu (the theme draws it for phones): with more datasets than this, the
# Data entry leads to the catalog alone, so that a page's size does not grow with the number of
# datasets (at 100 datasets the menu added 29 kB to every page).
MAX_DATASETS_IN_NAV = 20


def _nav_with_datasets(nav, datasets: tuple[tuple[str, str], ...]):
    """The Data menu entry of mkdocs.yml (``Data: data/index.md``) opened into the catalog and every
    dataset, when there are at most ``MAX_DATASETS_IN_NAV``; else left as the catalog's link."""
    if not nav or len(datasets) > MAX_DATASETS_IN_NAV:
        return nav
    result = []
    for item in nav:
        if isinstance(item, dict) and list(item.values()) == ["data/index.md"]:
            title = next(iter(item))
            # A package's title is the publisher's text: the theme prints navigation titles as HTML.
            result.append({title: [{"All datasets": "data/index.md"},
                                   *[{html.escape(t, quote=True): p} for t, p in datasets]]})
        else:
            result.append(item)
    return result


# --- the Content-Security-Policy ---------------------------------------------------------------------

# What a page may load and run. Scripts: the site's own files, and the theme's few inline scripts by
# their hash; no 'unsafe-inline', no 'unsafe-eval' (charts run Vega's expressions through its
# interpreter, `ast: true`). Styles may be inline: vega-embed adds a <style> element and Vega sets
# style attributes; CSS runs no script. Nothing from any other host, no plugins, no <base>.
CSP = ("default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; frame-src 'self'; "
       "manifest-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
_DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}  # data a script reads; a browser never runs it
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
# What a Jinja expression inside a theme script may print: a base URL such as "../.." or "/".
_TEMPLATE_VALUE = r"[A-Za-z0-9./_:-]*"


def theme_scripts(theme_dirs: list[str]) -> tuple[re.Pattern, ...]:
    """The inline scripts the theme's templates can print, as patterns of their exact text.

    Read from the templates themselves (Material's ``partials/javascripts/*.html`` and the like), so
    that an inline script is allowed only when the theme wrote it, never because a page carries it.
    """
    patterns = set()
    for folder in theme_dirs:
        for path in sorted(Path(folder).rglob("*.html")):
            for body in _INLINE_SCRIPT.findall(path.read_text(encoding="utf-8")):
                patterns.add(_TEMPLATE_VALUE.join(re.escape(part) for part in _JINJA.split(body)))
    return tuple(re.compile(p, re.S) for p in sorted(patterns))


class _Scripts(HTMLParser):
    """The inline scripts a page would run, and any event-handler attribute or javascript: link."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.inline: list[str] = []
        self.problems: list[str] = []
        self._in_script: bool | None = None  # True inside an inline script that runs, False in one that does not
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an event handler ({name})")
            elif value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag}> has a {name} that runs script")
        if tag == "script" and "src" not in values:
            kind = (values.get("type") or "").strip().lower()
            self._in_script = kind not in _DATA_SCRIPT_TYPES
            self._text = []

    def handle_data(self, data):
        if self._in_script is not None:
            self._text.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            if self._in_script:
                self.inline.append("".join(self._text))
            self._in_script = None


def secure_pages(built: Path, allowed: tuple[re.Pattern, ...]) -> None:
    """Give every page its Content-Security-Policy; refuse a page that runs a script the theme did not write."""
    problems = []
    for path in sorted(built.rglob("*.html")):
        if not path.is_file():
            continue  # a folder whose name ends in .html (red-team review: a version named "2.html")
        text = path.read_text(encoding="utf-8")
        scan = json.loads(cache.memo("pages", ["scripts", cache.digest(text), _CODE()], lambda: _scan_scripts(text)))
        relative = path.relative_to(built).as_posix()
        problems += [f"{relative}: {p}" for p in scan["problems"]]
        unknown = [s for s in scan["inline"] if not any(p.fullmatch(s) for p in allowed)]
        problems += [f"{relative}: an inline script the theme did not write: {s[:80]!r}" for s in unknown]
        hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
                         for s in scan["inline"]})
        meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(hashes=" ".join(hashes))}">'
        at = re.search(r"<meta charset=[^>]*>", text) or re.search(r"<head(?:\s[^>]*)?>", text)
        if at is None:
            problems.append(f"{relative}: the page has no <head> for its Content-Security-Policy")
            continue
        path.write_text(text[:at.end()] + meta + text[at.end():], encoding="utf-8")
    if problems:
        raise BuildError("the built site could run script it should not:\n" + "\n".join(f"  {p}" for p in problems),
                         hint="a page or a template carries script: the site runs only its own files and the "
                              "theme's scripts (see the Content-Security-Policy in the README)")


def _scan_scripts(text: str) -> bytes:
    """The inline scripts of a page and the script it must not carry, as JSON (kept in the cache)."""
    parser = _Scripts()
    parser.feed(text)
    parser.close()
    return json.dumps({"problems": parser.problems, "inline": parser.inline}).encode("utf-8")


@functools.lru_cache(maxsize=1)
def _CODE() -> str:  # noqa: N802 - a constant, computed once
    """The code that scans pages: part of the key of every scan kept in the cache."""
    return cache.source_digest(Path(__file__))


# --- checks on the built site --------------------------------------------------------------------

class _References(HTMLParser):
    """Collects every address a page would make the browser load."""

    LOADS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("link", "href"), ("source", "src"),
             ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("img", "srcset"),
             ("source", "srcset"), ("image", "href"), ("use", "href"), ("form", "action"),
             ("image", "xlink:href"), ("use", "xlink:href"), ("feimage", "href"), ("feimage", "xlink:href"),
             ("script", "href"), ("script", "xlink:href"), ("input", "src"), ("track", "src"),
             ("video", "poster"), ("object", "codebase"), ("applet", "code"), ("frame", "src"), ("meta", "content")}

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.refreshes: list[str] = []  # <meta http-equiv=refresh>: a navigation no policy can stop

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in self.LOADS and value:
                if tag == "link" and dict(attrs).get("rel") in ("canonical", "alternate"):
                    continue
                if tag == "meta":  # only a refresh loads anything, and the site never needs one
                    if (dict(attrs).get("http-equiv") or "").lower().strip() == "refresh":
                        self.refreshes.append(value)
                    continue
                self.loads.append(value)


def _references(text: str) -> tuple[list[str], list[str]]:
    """(every address the document would load, every refresh it asks for); the same text is read once."""
    def scan() -> bytes:
        parser = _References()
        parser.feed(text)
        parser.close()
        return json.dumps([parser.loads, parser.refreshes]).encode("utf-8")

    loads, refreshes = json.loads(cache.memo("pages", ["references", cache.digest(text), _CODE()], scan))
    return loads, refreshes


def _loads_from_another_host(url: str) -> bool:
    parsed = urlparse(url.strip())
    return bool(parsed.netloc) or parsed.scheme not in ("", "data", "blob")


def _check_built_site(built: Path) -> tuple[int, int, tuple[str, int]]:
    """Refuse a site that would load anything from another host, or that has a page over 1 MB."""
    problems, files, total, largest = [], 0, 0, ("", 0)
    for path in sorted(built.rglob("*")):
        if not path.is_file():
            continue
        files += 1
        size = path.stat().st_size
        total += size
        relative = path.relative_to(built).as_posix()
        if path.suffix == ".svg":
            loads, _ = _references(path.read_text(encoding="utf-8", errors="replace"))
            problems += [f"{relative}: loads {u} from another host" for u in loads if _loads_from_another_host(u)]
        if path.suffix == ".html":
            largest = max(largest, (relative, size), key=lambda x: x[1])
            if size > MAX_PAGE_BYTES:
                problems.append(f"{relative}: the page is {size:,} bytes, over the 1 MB limit")
            loads, refreshes = _references(path.read_text(encoding="utf-8"))
            problems += [f"{relative}: loads {u} from another host" for u in loads if _loads_from_another_host(u)]
            problems += [f"{relative}: a <meta http-equiv=refresh> ({r}) would send readers elsewhere" for r in refreshes]
        elif path.suffix == ".css":
            for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", path.read_text(encoding="utf-8", errors="replace")):
                if _loads_from_another_host(url):
                    problems.append(f"{relative}: loads {url} from another host")
    if problems:
        raise BuildError("the built site breaks the site's rules:\n" + "\n".join(f"  {p}" for p in problems),
                         hint="the site must load nothing from another host and keep every page under 1 MB")
    return files, total, largest


def _swap_in(built: Path, out: Path) -> None:
    """Replace ``out`` with ``built`` in two renames, so readers never see a half-written site."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}-old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    built.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
