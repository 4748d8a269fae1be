"""Figures people can read, and wide tables that stay readable: the dataset page in a real browser.

A figure (``conventions``: a row with an id and a value) is one block with its value and its quote in
full, never behind a sideways scroll; any other wide table keeps readable columns, a fixed header and
first column, a visible cue that it scrolls, and sorting and filtering by keyboard when JavaScript runs
(complete without it); and the page stays short enough to read through.
"""

from __future__ import annotations

import csv
import json
import re
import struct
import zlib
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from conftest import NEXUS
from opentally import conventions
from opentally.render import format_cell
from page_audit import open_page

PAGE = "data/operation-nexus.html"
WIDE_TABLE = "Community engagement"  # a table of the Nexus package that is not a table of figures
MAX_HEIGHT = 8_000  # px, at 1280 px wide


def nexus_tables() -> list[tuple[str, list[str], list[dict], conventions.Columns, dict]]:
    """(resource name, field names, rows, columns by the conventions, fields by name) of each CSV table."""
    descriptor = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))
    tables = []
    for resource in descriptor["resources"]:
        if not isinstance(resource.get("schema"), str):
            continue
        schema = json.loads((NEXUS / resource["schema"]).read_text(encoding="utf-8"))
        fields = {f["name"]: f for f in schema["fields"]}
        with open(NEXUS / resource["path"], newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        cols = conventions.columns(list(fields), schema.get("primaryKey"))
        tables.append((resource["name"], list(fields), rows, cols, fields))
    return tables


def nexus_figures() -> list[dict]:
    """Each figure of the package: the id of its row on the page, its value as the page writes it, its quote."""
    figures = []
    for name, _, rows, cols, fields in nexus_tables():
        if not cols.has_figures:
            continue
        for row in rows:
            figure = conventions.figure_id(row, cols)
            if figure is None:
                continue
            kind = fields[cols.value]["type"]
            value = int(row[cols.value]) if kind == "integer" else Decimal(row[cols.value])
            text = format_cell(value, kind)
            figures.append({"anchor": f"{name}-{figure}", "values": [text, f"{text}%"],
                            "quote": conventions.normalise(conventions.figure_quote(row, cols))})
    return figures


@pytest.fixture(scope="module")
def without_js(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    yield context
    context.close()


# Where each figure's value and quote are on the page, and whether reading them takes a sideways scroll.
FIGURE_PLACES = """figures => {
    const width = document.documentElement.clientWidth;
    const norm = text => text.replace(/\\s+/g, ' ').trim();
    const scrolledSideways = el => {
        for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if (['auto', 'scroll', 'hidden'].includes(overflow) && box.scrollWidth > box.clientWidth + 1) return true;
        }
        return false;
    };
    const place = el => {
        if (!el) return 'missing';
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return 'not shown';
        if (r.left < 0 || r.right > width + 0.5) return `outside the screen (${Math.round(r.left)} to ${Math.round(r.right)} of ${width})`;
        if (scrolledSideways(el)) return 'inside a box that scrolls sideways';
        return 'ok';
    };
    return figures.map(f => {
        const block = document.getElementById(f.anchor);
        if (!block) return {anchor: f.anchor, value: 'no element with this id', quote: 'no element with this id'};
        const value = [...block.querySelectorAll('*')].find(el => el.children.length === 0 && f.values.includes(norm(el.textContent)));
        const quote = [...block.querySelectorAll('q, blockquote')].find(el => norm(el.textContent) === f.quote);
        return {anchor: f.anchor, value: place(value), quote: place(quote)};
    }).filter(p => p.value !== 'ok' || p.quote !== 'ok');
}"""


@pytest.mark.parametrize("context_name", ["desktop", "phone"])
def test_every_figure_value_and_quote_is_read_without_scrolling_sideways(site_server, request, context_name):
    base, _ = site_server
    figures = nexus_figures()
    assert len(figures) >= 18
    page, seen = open_page(request.getfixturevalue(context_name), base, PAGE)
    try:
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert page.evaluate(FIGURE_PLACES, figures) == []
        # Each block reads as a figure: its label is a heading, its period is a date a machine can read too.
        custody = page.locator("#custody-prisoners-through-custody")
        assert custody.get_by_role("heading").inner_text() == "Through MPS custody"
        assert custody.locator("time").first.get_attribute("datetime") == "2012-06-01"
        assert "June 2012 to June 2013" in custody.inner_text()
        assert "rounded" in custody.inner_text() and "people" in custody.inner_text()
        assert custody.locator("a.ot-quote-link").inner_text() == "in the source, line 67"
        assert seen.problems() == []
    finally:
        page.close()


def test_the_dataset_page_is_at_most_8000_px_tall_at_1280_px(site_server, desktop, without_js):
    """Everything but the list of versions, which grows by design with every release (issue 12; it is
    capped at releases.MAX_VERSIONS_SHOWN, and the older ones are one line each)."""
    base, _ = site_server
    heights = {}
    for name, context in (("with JavaScript", desktop), ("without JavaScript", without_js)):
        page, _ = open_page(context, base, PAGE, javascript=name == "with JavaScript")
        try:
            assert page.viewport_size["width"] == 1280
            versions = page.evaluate("document.querySelector('ol.ot-versions').getBoundingClientRect().height")
            assert versions > 0
            heights[name] = page.evaluate("document.documentElement.scrollHeight") - versions
        finally:
            page.close()
    assert max(heights.values()) <= MAX_HEIGHT, heights


def _png_strip_brightness(png: bytes) -> float:
    """The mean brightness (0-255) of a PNG screenshot, decoded here (8-bit RGB or RGBA, no interlace)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data = 8, b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        body = png[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    assert depth == 8 and interlace == 0 and colour in (2, 6)
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(data), width * step
    previous, total, at = bytearray(stride), 0, 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for x in range(stride):
            a = line[x - step] if x >= step else 0
            b, c = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        total += sum(v for i, v in enumerate(line) if i % step < 3)
        previous = line
    return total / (width * height * 3)


WIDE = """caption => {
    const table = [...document.querySelectorAll('table')].find(t => t.caption && t.caption.textContent.trim() === caption);
    const box = table.closest('[role=region]');
    box.scrollIntoView({block: 'center'});
    box.dataset.testBox = 'wide';
    return true;
}"""


@pytest.mark.parametrize("context_name", ["desktop", "phone"])
def test_a_wide_table_keeps_readable_columns_a_fixed_header_and_first_column_and_a_scroll_cue(
        site_server, request, context_name):
    base, _ = site_server
    page, seen = open_page(request.getfixturevalue(context_name), base, PAGE)
    try:
        page.evaluate(WIDE, WIDE_TABLE)
        box = page.locator("[data-test-box=wide]")
        # Assistive technology hears that the box scrolls; the table is wider than its box.
        assert "scroll" in box.get_attribute("aria-label")
        assert box.evaluate("b => b.scrollWidth > b.clientWidth + 100")
        # Readable columns: no cell of several words is set one word per line.
        squeezed = box.evaluate("""b => [...b.querySelectorAll('tbody td, tbody th')].filter(cell => {
            const words = cell.textContent.trim().split(/\\s+/).filter(Boolean).length;
            if (words < 4) return false;
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
            return lines >= words - 1;
        }).map(cell => cell.textContent.trim().slice(0, 40))""")
        assert squeezed == []
        # The header row stays at the top of the box when its rows scroll under it...
        edges = box.evaluate("""b => {
            b.scrollTop = 150; b.scrollLeft = 0;
            const header = b.querySelector('thead th:nth-child(3)').getBoundingClientRect();
            const top = b.getBoundingClientRect().top + b.clientTop;
            return {scrolled: b.scrollTop, gap: Math.abs(header.top - top)};
        }""")
        assert edges["scrolled"] > 0 and edges["gap"] <= 2, edges
        # ...and the first column at its left when the table scrolls sideways.
        edges = box.evaluate("""b => {
            b.scrollTop = 0; b.scrollLeft = 300;
            const first = b.querySelector('tbody tr th').getBoundingClientRect();
            const left = b.getBoundingClientRect().left + b.clientLeft;
            return {scrolled: b.scrollLeft, gap: Math.abs(first.left - left)};
        }""")
        assert edges["scrolled"] > 0 and edges["gap"] <= 2, edges

        # The cue: a shade on the right edge while there is more to the right, none at the end.
        def right_edge(cue: bool, at_end: bool) -> float:
            clip = box.evaluate("""async (b, [cue, atEnd]) => {
                b.style.background = cue ? '' : '#fff';
                b.scrollTop = 0;
                b.scrollLeft = atEnd ? b.scrollWidth : 0;
                const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
                await frame(); await frame();  // painted as scrolled
                const r = b.getBoundingClientRect();
                const head = b.querySelector('thead').getBoundingClientRect().height;
                return {x: scrollX + r.left + b.clientLeft + b.clientWidth - 12, y: scrollY + r.top + b.clientTop + head + 4,
                        width: 10, height: Math.min(120, b.clientHeight - head - 40)};
            }""", [cue, at_end])
            return _png_strip_brightness(page.screenshot(clip=clip, full_page=True, animations="disabled"))

        assert right_edge(cue=False, at_end=False) - right_edge(cue=True, at_end=False) >= 6
        assert abs(right_edge(cue=False, at_end=True) - right_edge(cue=True, at_end=True)) < 1
        box.evaluate("b => { b.style.background = ''; }")
        assert seen.problems() == []
    finally:
        page.close()


def test_with_javascript_a_table_sorts_and_filters_by_keyboard(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, PAGE)
    try:
        page.evaluate(WIDE, WIDE_TABLE)
        box = page.locator("[data-test-box=wide]")
        table = box.locator("table")
        headers = table.locator("thead th")
        assert headers.count() == table.locator("thead th button").count() == 9
        # Filter: a labelled box; typing hides the rows without the words and says how many are shown.
        search = page.get_by_label(f"Filter rows of {WIDE_TABLE}")
        search.focus()
        page.keyboard.type("CRG")
        visible = table.locator("tbody tr:visible")
        assert visible.count() == 4
        assert all("CRG" in text for text in visible.all_inner_texts())
        assert page.get_by_role("status").filter(has_text="rows").first.inner_text() == "4 of 10 rows"
        # Sort: Tab to the "Latest date" header's button, Enter sorts up, Space sorts down; aria-sort says so.
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == "Latest date":
                break
        latest = headers.filter(has_text="Latest date")
        assert page.evaluate("document.activeElement.tagName") == "BUTTON"
        page.keyboard.press("Enter")
        assert latest.get_attribute("aria-sort") == "ascending"
        dates = [row.locator("td").nth(4).inner_text() for row in visible.all()]
        assert dates == sorted(dates) and len(set(dates)) > 1
        page.keyboard.press("Space")
        assert latest.get_attribute("aria-sort") == "descending"
        assert [row.locator("td").nth(4).inner_text() for row in visible.all()] == sorted(dates, reverse=True)
        assert table.locator("thead th[aria-sort]").count() == 1
        page.keyboard.press("Shift+Tab")
        for _ in range(20):
            if page.evaluate("document.activeElement.type") == "search":
                break
            page.keyboard.press("Shift+Tab")
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        assert table.locator("tbody tr:visible").count() == 10
        # A table in a closed disclosure gets its sort buttons when the disclosure opens.
        details = page.locator("details.ot-all-columns").first
        assert details.locator("thead th button").count() == 0
        details.locator("summary").click()
        assert details.locator("thead th button").count() == details.locator("thead th").count() > 5
        assert seen.problems() == []
    finally:
        page.close()


def test_without_javascript_every_table_is_complete_and_every_figure_has_one_anchor(site_server, without_js):
    base, served = site_server
    page, seen = open_page(without_js, base, PAGE, javascript=False)
    try:
        assert page.locator("table button, .ot-table-filter").count() == 0
        for name, names, rows, cols, fields in nexus_tables():
            title = next(r["title"] for r in json.loads((NEXUS / "datapackage.json").read_text())["resources"]
                         if r["name"] == name)
            table = page.locator("table").filter(has=page.locator("caption", has_text=re.compile(f"^{re.escape(title)}$")))
            assert table.count() == 1, name
            assert table.locator("thead th").count() == len(names)
            assert table.locator("tbody tr").count() == len(rows)
            first_cells = table.locator("tbody tr > :first-child").all_text_contents()
            assert first_cells == [row[names[0]] for row in rows]
            if cols.has_figures:
                # The whole table of figures is one click away, in a disclosure.
                details = table.locator("xpath=ancestor::details")
                assert details.locator("summary").inner_text() == "All columns as a table"
                assert not table.is_visible()
                details.locator("summary").click()
                assert table.is_visible()
        assert seen.problems() == []
    finally:
        page.close()
    document = BeautifulSoup((served / PAGE).read_text(encoding="utf-8"), "html.parser")
    ids = [element["id"] for element in document.find_all(id=True)]
    assert len(ids) == len(set(ids))
    for figure in nexus_figures():
        block = document.find(id=figure["anchor"])
        assert block is not None and "ot-fig" in block["class"], figure["anchor"]
        assert block.find_parent("table") is None


def test_the_sites_disclosures_are_plain_with_a_marker_that_turns_and_a_visible_focus(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, PAGE)
    try:
        page.emulate_media(reduced_motion="reduce")
        # Material's own disclosure, for comparison: an admonition with a pencil icon.
        pencil = page.evaluate("""() => {
            const details = document.createElement('details');
            details.innerHTML = '<summary>Material</summary>';
            document.querySelector('article.md-typeset').appendChild(details);
            const before = getComputedStyle(details.firstChild, '::before');
            const mask = before.maskImage || before.webkitMaskImage;
            details.remove();
            return mask;
        }""")
        assert "svg" in pencil
        summaries = page.locator("details[class*='ot-'] > summary")
        assert summaries.count() >= 8  # "Show data" of each chart, each dictionary, each "All columns as a table"
        icons = summaries.evaluate_all("""all => all.map(s => {
            const before = getComputedStyle(s, '::before'), details = getComputedStyle(s.parentElement);
            return {mask: before.maskImage || before.webkitMaskImage, shadow: details.boxShadow,
                    border: details.borderTopStyle, transform: before.transform};
        })""")
        assert all(icon["mask"] != pencil for icon in icons)
        assert all(icon["shadow"] == "none" and icon["border"] == "none" for icon in icons)
        summary = page.locator("details.ot-dictionary > summary").first
        summary.scroll_into_view_if_needed()
        closed = summary.evaluate("s => getComputedStyle(s, '::before').transform")
        summary.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        assert summary.evaluate("s => s === document.activeElement")
        outline = summary.evaluate("s => [getComputedStyle(s).outlineStyle, parseFloat(getComputedStyle(s).outlineWidth)]")
        assert outline[0] != "none" and outline[1] >= 2
        page.keyboard.press("Enter")
        assert summary.evaluate("s => s.parentElement.open")
        assert summary.evaluate("s => getComputedStyle(s, '::before').transform") != closed
        assert seen.problems() == []
    finally:
        page.close()
