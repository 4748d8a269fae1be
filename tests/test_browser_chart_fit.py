"""Charts that fit and tell (issue 10): on a phone every word of a chart is inside it, with or without
JavaScript; bars carry their values; a qualifier has one colour on every chart; descriptions are
sentences; the downloaded images say where they come from."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from conftest import NEXUS
from opentally import charts
from page_audit import open_page

DATASET = "data/operation-nexus.html"


def chart_pages(site) -> list[str]:
    """Every page of the built site with a drawable chart on it: dataset and commentary pages alike."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if 'class="ot-chart__spec"' in p.read_text(encoding="utf-8"))


def test_the_site_has_charts_on_dataset_and_commentary_pages(built_site):
    pages = chart_pages(built_site)
    assert DATASET in pages and any(p.startswith("commentary/") for p in pages), pages


# What lies outside its chart's box: every <text> of the interactive chart, and the chart box itself
# against the page's width.
OUTSIDE = """figure => {
    const box = figure.querySelector('.ot-chart__interactive').getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    const out = [];
    if (box.left < -0.5 || box.right > width + 0.5) out.push(`the chart box runs off the page: ${box.left}-${box.right} of ${width}`);
    for (const text of figure.querySelectorAll('.ot-chart__interactive svg text')) {
        if (!text.textContent.trim()) continue;
        const r = text.getBoundingClientRect();
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
            out.push(`"${text.textContent}" at ${Math.round(r.left)}-${Math.round(r.right)} x ${Math.round(r.top)}-${Math.round(r.bottom)}`
                     + ` outside ${Math.round(box.left)}-${Math.round(box.right)} x ${Math.round(box.top)}-${Math.round(box.bottom)}`);
    }
    return out;
}"""


def test_at_375_px_with_javascript_every_word_of_every_chart_lies_inside_it(built_site, site_server, phone):
    base, _ = site_server
    for path in chart_pages(built_site):
        page, seen = open_page(phone, base, path)
        try:
            figures = page.locator("figure.ot-chart:has(script.ot-chart__spec)").all()
            assert figures, path
            for figure in figures:
                expect(figure).to_have_attribute("data-ot-chart", "interactive")
                assert figure.locator(".ot-chart__interactive svg text").count() > 3
                assert figure.evaluate(OUTSIDE) == [], f"{path} {figure.get_attribute('id')}"
            # No Vega warning ("Dropping fit-y", a sort it cannot union) nor anything else in the console.
            assert seen.problems() == [], path
        finally:
            page.close()


# The words of a static drawing, opened as a document of its own, against its viewBox.
SVG_OUTSIDE = """() => {
    const svg = document.documentElement;
    const [, , w, h] = svg.getAttribute('viewBox').split(/\\s+/).map(Number);
    const out = [];
    for (const text of svg.querySelectorAll('text')) {
        const b = text.getBBox();
        const m = text.getCTM();
        const left = m.e + b.x, top = m.f + b.y;
        if (left < -0.5 || top < -0.5 || left + b.width > w + 0.5 || top + b.height > h + 0.5)
            out.push(`"${text.textContent}" at ${Math.round(left)},${Math.round(top)} ${Math.round(b.width)}x${Math.round(b.height)}`);
    }
    return {out, width: w, texts: svg.querySelectorAll('text').length};
}"""


def test_at_375_px_without_javascript_each_chart_is_a_drawing_that_fits_unscaled(built_site, site_server,
                                                                                phone_without_js):
    base, _ = site_server
    drawings = set()
    for path in chart_pages(built_site):
        page, seen = open_page(phone_without_js, base, path, javascript=False)
        try:
            for figure in page.locator("figure.ot-chart:has(script.ot-chart__spec)").all():
                image = figure.locator(".ot-chart__static img")
                image.scroll_into_view_if_needed()
                expect(image).to_be_visible()
                page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
                state = image.evaluate("""img => ({src: img.currentSrc, shown: img.getBoundingClientRect().width,
                    natural: img.naturalWidth, box: img.parentElement.parentElement.clientWidth,
                    scrolls: img.closest('.ot-chart__static').scrollWidth > img.closest('.ot-chart__static').clientWidth,
                    alt: img.alt})""")
                # The phone's drawing, shown at (nearly) its own size: its 12 px text stays 12 px.
                assert state["src"].endswith(".narrow.svg"), state
                assert not state["scrolls"] and state["shown"] <= state["box"] + 0.5, state
                assert 0.95 <= state["shown"] / state["natural"] <= 1.1, state
                assert state["alt"].startswith(("Bar chart.", "Line chart.", "Chart")), state
                drawings.add(state["src"])
            assert seen.problems() == [], path
        finally:
            page.close()
    # Every word of each phone drawing inside the drawing.
    for src in sorted(drawings):
        page = phone_without_js.new_page()
        try:
            page.goto(src)
            found = page.evaluate(SVG_OUTSIDE)
            assert found["texts"] > 3 and found["width"] <= 360, (src, found)
            assert found["out"] == [], src
        finally:
            page.close()


def _nexus_views() -> dict[str, dict]:
    return {v["name"]: v for v in json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))["views"]}


def test_bars_carry_their_values_and_descriptions_are_sentences_with_the_largest(site_server, phone):
    base, _ = site_server
    page, seen = open_page(phone, base, DATASET)
    try:
        for name, view in _nexus_views().items():
            figure = page.locator(f"figure#operation-nexus-{name}")
            spec = json.loads(figure.locator("script.ot-chart__spec").text_content())
            values = [row["value"] for row in spec["data"]["values"]]
            texts = figure.locator(".ot-chart__interactive svg g.mark-text.role-mark text").all_text_contents()
            # Each bar's value is written beside it, small ones too (977 and 903 beside 207,000).
            assert sorted(texts) == sorted(f"{v:,}" for v in values), name
            for label in figure.locator(".ot-chart__interactive svg g.mark-text.role-mark text").all():
                box = label.bounding_box()
                assert box["width"] > 5 and box["height"] >= 10, name
            # The title is HTML above the chart, where it wraps; the description is sentences.
            title = figure.locator("figcaption .ot-chart__title")
            expect(title).to_be_visible()
            expect(title).to_have_text(view["title"])
            description = figure.locator("figcaption .ot-chart__description").text_content()
            assert description.startswith(view["description"])
            said = description[len(view["description"]):].strip()
            assert "chart of" not in said.lower() and said.endswith(".")
            assert re.search(r"\b(largest|larger)\b", said) and f"{max(values):,}" in said, said
            assert re.search(r"\b(smallest|smaller)\b", said) and f"{min(values):,}" in said, said
        assert seen.problems() == []
    finally:
        page.close()


FILLS = """figure => [...figure.querySelectorAll('.ot-chart__interactive svg g.mark-rect path')].map(p => ({
    fill: getComputedStyle(p).fill, label: p.getAttribute('aria-label') || ''}))"""


def _hex(rgb: str) -> str:
    r, g, b = (int(n) for n in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def test_a_qualifier_has_the_same_colour_on_every_chart_of_the_site(built_site, site_server, desktop):
    base, _ = site_server
    colours: dict[str, set[str]] = {}
    for path in chart_pages(built_site):
        page, _ = open_page(desktop, base, path)
        try:
            for figure in page.locator("figure.ot-chart:has(script.ot-chart__spec)").all():
                for bar in figure.evaluate(FILLS):
                    match = re.search(r"Qualifier: ([^;]+)", bar["label"])
                    if match:
                        colours.setdefault(match.group(1).strip(), set()).add(_hex(bar["fill"]))
        finally:
            page.close()
    assert {"exact", "rounded", "approximate", "lower bound", "target", "aspiration"} <= set(colours), colours
    for qualifier, seen in colours.items():
        assert seen == {charts.QUALIFIER_COLOURS[qualifier]}, (qualifier, seen)


def test_the_chart_images_carry_a_credit_line(site_server, desktop):
    base, _ = site_server
    page, _ = open_page(desktop, base, DATASET)
    try:
        links = page.locator(".ot-chart__downloads a[download]")
        svgs = [a.get_attribute("href") for a in links.all() if (a.get_attribute("href") or "").endswith(".svg")]
        assert len(svgs) == len(_nexus_views())
        for href in svgs:
            text = page.evaluate("async href => await (await fetch(href)).text()", href)
            words = " ".join(re.sub(r"<[^>]+>", " ", text.split("</desc>", 1)[1]).split())
            assert "Source: Metropolitan Police Service (2013)." in words, href
            assert "Licence: Open Government Licence v3.0." in words and "Open Tally" in words, href
    finally:
        page.close()


def test_a_console_warning_counts_as_a_problem_of_the_page(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, "about.html")
    try:
        assert seen.problems() == []
        page.evaluate("console.warn('WARN Dropping \"fit-y\" because spec has discrete height.')")
        page.wait_for_timeout(50)
        assert seen.problems() == ['console warning: WARN Dropping "fit-y" because spec has discrete height.']
    finally:
        page.close()
