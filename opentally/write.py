"""Stage 5, write: lay out the docs folder, run MkDocs, check the result, and publish it atomically.

Everything happens in a fresh temporary folder beside the output folder. The output folder is
replaced only when MkDocs succeeded and the built site passed its checks; a failed build leaves the
last good site exactly as it was.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.plugins import BasePlugin

from .issues import BuildError
from .load import display_path
from .render import RenderedSite
from .sanitise import clean_html

MAX_PAGE_BYTES = 1_000_000


@dataclass(frozen=True)
class WrittenSite:
    path: Path
    files: int
    bytes: int
    largest_page: tuple[str, int]


def write_site(rendered: RenderedSite, site_src: Path, config_file: Path, out: Path, build_date) -> WrittenSite:
    """Build the site with MkDocs into a temporary folder, check it, then swap it in for ``out``."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    try:
        docs, built = work / "docs", work / "site"
        _lay_out_docs(rendered, site_src, docs)
        _run_mkdocs(rendered, config_file, docs, built, build_date, site_src)
        summary = _check_built_site(built)
        _swap_in(built, out)
        return WrittenSite(out, *summary)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _lay_out_docs(rendered: RenderedSite, site_src: Path, docs: Path) -> None:
    """site_src/ joined with the generated files; site_src itself is never written to."""
    if site_src.is_dir():
        shutil.copytree(site_src, docs, symlinks=False)
    for relative, content in sorted(rendered.files.items()):
        target = docs / relative
        if target.exists() and not relative.endswith(".md"):
            raise BuildError(f"site_src/{relative} has the same path as a generated file",
                             hint="rename or move the hand-written file: data/, downloads/, charts/ and "
                                  "assets/opentally/ belong to the build")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


class _CommentaryPlugin(BasePlugin):
    """Sanitises the HTML of hand-written pages, then puts the trusted chart and table HTML in."""

    def __init__(self, rendered: RenderedSite):
        super().__init__()
        self.rendered = rendered

    def on_page_content(self, html, page, config, files):
        if page.file.src_uri not in self.rendered.commentary:
            return html
        html = clean_html(html)
        for token, fragment in self.rendered.fragments.items():
            if token in html:
                html = html.replace(f"<p>{token}</p>", fragment).replace(token, fragment)
        return html


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


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
    logger.addHandler(collector)
    try:
        with _source_date(build_date):
            config = load_config(str(config_file), docs_dir=str(docs), site_dir=str(built))
            config["nav"] = _nav_with_datasets(config["nav"], rendered.nav)
            config.plugins["opentally/commentary"] = _CommentaryPlugin(rendered)
            mkdocs_build(config)
    except (MkDocsException, SystemExit) as exc:
        shown = display_path(site_src)
        details = "\n".join(f"  {m.replace(str(docs), shown)}" for m in collector.messages) or f"  {exc}"
        raise BuildError(f"MkDocs could not build the site:\n{details}",
                         hint="a broken link or anchor in site_src/ is the usual cause: correct the link "
                              "(links between pages point at the .md file, e.g. [About](about.md))") from None
    finally:
        logger.removeHandler(collector)


def _nav_with_datasets(nav, datasets: tuple[tuple[str, str], ...]):
    """The Data menu entry of mkdocs.yml (``Data: data/index.md``) opened into the catalog and every dataset."""
    if not nav:
        return nav
    result = []
    for item in nav:
        if isinstance(item, dict) and list(item.values()) == ["data/index.md"]:
            title = next(iter(item))
            result.append({title: [{"All datasets": "data/index.md"}, *[{t: p} for t, p in datasets]]})
        else:
            result.append(item)
    return result


# --- checks on the built site --------------------------------------------------------------------

class _References(HTMLParser):
    """Collects every address a page would make the browser load."""

    LOADS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("link", "href"), ("source", "src"),
             ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("img", "srcset"),
             ("source", "srcset"), ("image", "href"), ("use", "href"), ("form", "action")}

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in self.LOADS and value:
                if tag == "link" and dict(attrs).get("rel") in ("canonical", "alternate"):
                    continue
                self.loads.append(value)


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
        if path.suffix == ".html":
            largest = max(largest, (relative, size), key=lambda x: x[1])
            if size > MAX_PAGE_BYTES:
                problems.append(f"{relative}: the page is {size:,} bytes, over the 1 MB limit")
            parser = _References()
            parser.feed(path.read_text(encoding="utf-8"))
            problems += [f"{relative}: loads {u} from another host" for u in parser.loads if _loads_from_another_host(u)]
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
