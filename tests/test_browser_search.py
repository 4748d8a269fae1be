"""The built-in search works offline, in the browser, finds prose (not chart labels, table headers or
file lists), shows each result's page and section, and every link and anchor resolves."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import NEXUS, site_pages
from page_audit import open_page


def search(page, query: str) -> list[str]:
    """Type a query into the site's search and return the result links (absolute URLs)."""
    # The site's keyboard shortcut opens search at any width (on a phone the box is behind a button).
    page.keyboard.press("/")
    box = page.get_by_role("textbox", name="Search")
    box.wait_for(state="visible")
    assert box.evaluate("el => el === document.activeElement")
    page.keyboard.type(query)
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    return page.eval_on_selector_all(".md-search-result__item a", "links => links.map(a => a.href)")


@pytest.mark.parametrize("query, expected", [
    ("high harm", "data/operation-nexus.html"),
    ("restrictive reporting conditions", "commentary/operation-nexus.html"),
])
def test_search_finds_pages_offline(site_server, desktop, query, expected):
    base, _ = site_server
    page, seen = open_page(desktop, base, "index.html")
    try:
        results = search(page, query)
        assert any(urlparse(r).path == f"/{expected}" for r in results), results
        assert seen.problems() == []  # nothing was fetched from another host
    finally:
        page.close()


def test_every_link_on_every_page_resolves_and_every_anchor_exists(site_server, desktop):
    base, served = site_server
    documents = {p: BeautifulSoup((served / p).read_text(encoding="utf-8"), "html.parser") for p in site_pages(served)}
    ids = {p: {e["id"] for e in d.find_all(id=True)} for p, d in documents.items()}
    checked, broken = 0, []
    for path, document in documents.items():
        for a in document.find_all("a", href=True):
            url = urljoin(f"{base}/{path}", a["href"])
            parsed = urlparse(url)
            if parsed.netloc != urlparse(base).netloc:
                continue  # a link to another host is not followed: no network here
            response = desktop.request.get(url.split("#")[0])
            checked += 1
            if response.status != 200:
                broken.append(f"{path}: {a['href']} -> HTTP {response.status}")
                continue
            target = parsed.path.lstrip("/") or "index.html"
            if parsed.fragment and target in ids and parsed.fragment not in ids[target]:
                broken.append(f"{path}: {a['href']} -> no element with id {parsed.fragment!r}")
    assert broken == []
    assert checked > 200


def _search_index(site) -> list[dict]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def _words(text: str) -> str:
    return " ".join(text.split())


def test_search_index_holds_prose_not_chart_labels_table_headers_or_file_lists(built_site):
    docs = _search_index(built_site)
    indexed = "\n".join(f"{d['title']} {d['text']}" for d in docs)
    indexed_words = _words(re.sub(r"<[^>]+>", " ", indexed))
    documents = {p: BeautifulSoup((built_site / p).read_text(encoding="utf-8"), "html.parser") for p in site_pages(built_site)}
    junk, prose = [], []
    for path, document in documents.items():
        # A drawn chart's labels (axis ticks, legend), any three in a row as the index would run them
        # together: from the drawing in the page, or from the SVG file the page shows as an image.
        drawings = document.select(".ot-chart__static svg")
        for img in document.select(".ot-chart__static img[src$='.svg']"):
            drawings.append(BeautifulSoup((built_site / path).parent.joinpath(img["src"]).read_text(encoding="utf-8"), "html.parser"))
        for svg in drawings:
            labels = [t.get_text() for t in svg.find_all("text") if t.get_text().strip()]
            junk += [(path, "".join(labels[i:i + 3])) for i in range(len(labels) - 2)]
        # Table headers ("FieldTitleTypeUnitDescriptionConstraints"), with or without spaces.
        for head in document.select("thead"):
            cells = [th.get_text(" ", strip=True) for th in head.find_all("th")]
            if len(cells) > 2:
                junk += [(path, "".join(cells)), (path, " ".join(cells))]
        # Lists of files: a chart's downloads, the package's files, the citation formats.
        junk += [(path, a.get_text(" ", strip=True)) for a in document.select(".ot-chart__downloads a")]
        for row in document.select(".ot-downloads tbody tr"):
            cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            junk += [(path, "".join(cells[:2])), (path, " ".join(cells[:2]))]  # "data/custody.csv 2.2 kB"
        junk += [(path, code.get_text()[:40]) for code in document.select(".ot-cite-format code")]
        # The prose: every chart's title and description, every quote of a figure, every paragraph of commentary.
        prose += [(path, _words(e.get_text())) for e in document.select(".ot-chart__title, .ot-chart__description")]
        prose += [(path, _words(q.get_text())) for q in document.select(".ot-fig__quote q")]
        if path.startswith("commentary/"):
            prose += [(path, _words(p.get_text())) for p in document.select(".md-content p") if len(p.get_text()) > 40]
    assert len(junk) > 50 and len(prose) > 30  # the site has charts, tables, files and prose to tell apart
    assert [(path, text) for path, text in junk if text and text in indexed] == []
    assert [(path, text) for path, text in prose if text not in indexed_words] == []
    for run in ("0102030405", "FieldTitleTypeUnitDescriptionConstraints", "Image (PNG)", "Vega-Lite spec", "Data dictionary"):
        assert run not in indexed  # what readers saw in the results before
    # Each section is its own entry, so that a result names the page and the section.
    dataset = {d["location"] for d in docs if d["location"].startswith("data/operation-nexus.html")}
    assert {"data/operation-nexus.html", "data/operation-nexus.html#charts", "data/operation-nexus.html#table-outcomes",
            "data/operation-nexus.html#cite"} <= dataset


def test_search_results_show_the_page_and_the_section(site_server, desktop):
    base, _ = site_server
    title = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))["title"]
    page, seen = open_page(desktop, base, "index.html")
    try:
        search(page, "restrictive reporting conditions")
        results = page.eval_on_selector_all(".md-search-result__item", """items => items.map(item => ({
            page: item.querySelector('article h1') ? item.querySelector('article h1').textContent.trim() : null,
            sections: [...item.querySelectorAll('article h2')].map(h => h.textContent.trim()),
            text: item.textContent}))""")
        pages = {r["page"]: r["sections"] for r in results}
        assert "Outcomes for high harm subjects" in pages.get(title, []), results
        assert "High harm referrals and outcomes" in pages.get("Operation Nexus: what the figures show, and what they do not", []), results
        shown = " ".join(r["text"] for r in results)
        for run in ("0102030405", "20,00040,000", "Data dictionary", "Image (PNG)"):  # chart ticks, tables, files
            assert run not in shown
        assert seen.problems() == []
    finally:
        page.close()


def test_marked_blocks_stay_out_of_material_s_index_even_with_blocks_of_the_same_tag_inside():
    """Material's search parser tells elements apart by tag name: a <div> inside a skipped <div> would
    end the skipping when it closes. The write stage marks the inner blocks instead."""
    from material.plugins.search.plugin import Parser

    from opentally.write import search_ready

    page = ('<h2 id="charts">Charts</h2><p>Prose before.</p>'
            '<div class="ot-chart__static"><div><svg><text>0</text><text>10</text><text>20</text></svg></div>'
            '<p>More ticks 30</p></div>'
            '<table><thead><tr><th>Field</th><th>Title</th></tr></thead><tbody><tr><td>one</td><td>two</td></tr></tbody></table>'
            '<ul class="ot-chart__downloads"><li><a href="a.csv" download>Data (CSV)</a></li></ul><p>Prose after.</p>')
    parser = Parser()
    parser.feed(search_ready(page))
    parser.close()
    indexed = " ".join("".join(section.text) for section in parser.data)
    assert "Prose before." in indexed and "Prose after." in indexed and "one two" in indexed
    for left_out in ("01020", "More ticks", "Field", "Title", "Data (CSV)"):
        assert left_out not in indexed
