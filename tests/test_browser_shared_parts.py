"""In Chromium: the parts a page now says once. Each chart draws with the theme its page writes once
(#ot-chart-config), a chart with a config of its own keeps it, and a page that lost the theme keeps
its static charts; the sentence of a table that shares another's data dictionary leads to it, open
with JavaScript, at its summary without."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from conftest import serving
from page_audit import accessibility_problems, open_page

DATASET = "data/operation-nexus.html"
OWN = "#aa0000"  # the axis label colour of a chart whose config differs from the page's


def _shared_config(page) -> dict:
    return json.loads(page.locator("script#ot-chart-config").text_content())


def _drawn(figure) -> dict:
    """What the interactive chart drew: its axis labels' and titles' text style, its bars' outline."""
    return figure.evaluate("""figure => {
        const svg = figure.querySelector('.ot-chart__interactive svg');
        const style = (selector, names) => [...svg.querySelectorAll(selector)].map(
            e => Object.fromEntries(names.map(n => [n, e.getAttribute(n)])));
        return {labels: style('g.role-axis-label text', ['fill', 'font-family', 'font-size']),
                titles: style('g.role-axis-title text', ['fill', 'font-family', 'font-size', 'font-weight']),
                bars: style('g.mark-rect path', ['stroke', 'stroke-width'])};
    }""")


def test_every_chart_draws_with_the_theme_its_page_writes_once(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, DATASET)
    try:
        config = _shared_config(page)
        figures = page.locator("figure.ot-chart:has(script.ot-chart__spec)").all()
        assert len(figures) >= 6
        for figure in figures:
            expect(figure).to_have_attribute("data-ot-chart", "interactive")
            drawn = _drawn(figure)
            assert drawn["labels"] and drawn["titles"] and drawn["bars"], figure.get_attribute("id")
            # Vega's own defaults would be grey #888 labels in sans-serif 10px, and bars without outline.
            assert {tuple(s.values()) for s in drawn["labels"]} == {
                (config["axis"]["labelColor"], config["font"], f"{config['axis']['labelFontSize']}px")}
            assert {tuple(s.values()) for s in drawn["titles"]} == {
                (config["axis"]["titleColor"], config["font"], f"{config['axis']['titleFontSize']}px", "bold")}
            assert {(s["stroke"], float(s["stroke-width"])) for s in drawn["bars"]} == {
                (config["bar"]["stroke"], config["bar"]["strokeWidth"])}
        assert seen.problems() == []
    finally:
        page.close()


@pytest.fixture(scope="module")
def altered_site(built_site, tmp_path_factory):
    """The built site, with two altered copies of the dataset page beside it: in own-config.html the
    second chart's spec has a config of its own (axis labels in OWN); no-config.html lost the theme."""
    served = tmp_path_factory.mktemp("altered") / "site"
    shutil.copytree(built_site, served)
    html = (served / DATASET).read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    config = json.loads(page.select_one("script#ot-chart-config").string)
    second = page.select("figure.ot-chart script.ot-chart__spec")[1].string
    spec = json.loads(second)
    spec["config"] = {**config, "axis": {**config["axis"], "labelColor": OWN}}
    assert html.count(second) == 1
    (served / "data" / "own-config.html").write_text(
        html.replace(second, json.dumps(spec, sort_keys=True, separators=(",", ":")).replace("<", "\\u003c")
                     .replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")), encoding="utf-8")
    theme = re.findall(r'<script type="application/json" id="ot-chart-config">[^<]*</script>', html)
    assert len(theme) == 1
    theme = theme[0]
    (served / "data" / "no-config.html").write_text(html.replace(theme, ""), encoding="utf-8")
    with serving(served) as url:
        yield url


def test_a_chart_whose_config_differs_draws_with_its_own_and_the_others_with_the_page_s(altered_site, desktop):
    page, seen = open_page(desktop, altered_site, "data/own-config.html")
    try:
        config = _shared_config(page)
        figures = page.locator("figure.ot-chart:has(script.ot-chart__spec)").all()
        for index, figure in enumerate(figures):
            expect(figure).to_have_attribute("data-ot-chart", "interactive")
            colours = {s["fill"] for s in _drawn(figure)["labels"]}
            assert colours == ({OWN} if index == 1 else {config["axis"]["labelColor"]}), figure.get_attribute("id")
        assert seen.problems() == []
    finally:
        page.close()


def test_a_page_without_the_theme_keeps_its_static_charts_and_says_why_in_the_console(altered_site, desktop):
    page, seen = open_page(desktop, altered_site, "data/no-config.html")
    try:
        figures = page.locator("figure.ot-chart:has(script.ot-chart__spec)").all()
        assert figures
        for figure in figures:
            expect(figure).to_have_attribute("data-ot-chart", "static")
            expect(figure.locator(".ot-chart__static img")).to_be_visible()
            assert figure.locator(".ot-chart__interactive").count() == 0
        assert seen.console_errors == []
        assert len(seen.console_warnings) == len(figures)
        assert all("the interactive chart could not be drawn" in w and "ot-chart-config" in w
                   for w in seen.console_warnings), seen.console_warnings
    finally:
        page.close()


# --- a data dictionary several tables share --------------------------------------------------------

SHARED_LINK = "#table-prisoner-share ~ .ot-resource .ot-dictionary-shared a"


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def test_with_javascript_the_sentence_s_link_opens_the_shared_dictionary(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, DATASET)
    try:
        link = page.locator(SHARED_LINK).first
        expect(link).to_have_accessible_name(
            "Prisoners through MPS custody, June 2012 to June 2013 (its data dictionary)")
        link.click()
        dictionary = page.locator("details#dictionary-custody")
        expect(dictionary).to_have_js_property("open", True)
        assert page.evaluate("location.hash") == "#dictionary-custody"
        assert _in_view(page, dictionary.locator("summary"))
        expect(dictionary.locator("caption")).to_be_visible()
        expect(dictionary.locator("li")).to_have_count(6)
        # The same link again, once the reader has closed it (the address does not change): open again.
        dictionary.locator("summary").click()
        expect(dictionary).to_have_js_property("open", False)
        page.locator(SHARED_LINK).first.click()
        expect(dictionary).to_have_js_property("open", True)
        assert accessibility_problems(page) == []
        assert seen.problems() == []
    finally:
        page.close()


def test_an_address_that_names_the_dictionary_opens_it(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, f"{DATASET}#dictionary-custody")
    try:
        expect(page.locator("details#dictionary-custody")).to_have_js_property("open", True)
        assert seen.problems() == []
    finally:
        page.close()


def test_without_javascript_the_link_leads_to_the_dictionary_s_summary(site_server, phone_without_js):
    base, _ = site_server
    page, _ = open_page(phone_without_js, base, DATASET, javascript=False)
    try:
        page.locator(SHARED_LINK).first.click()
        summary = page.locator("details#dictionary-custody > summary")
        assert page.evaluate("location.hash") == "#dictionary-custody"
        expect(summary).to_have_text("Data dictionary: 13 fields")
        page.wait_for_function("() => window.scrollY > 0")
        assert _in_view(page, summary)
        summary.click()
        expect(page.locator("details#dictionary-custody table caption")).to_be_visible()
    finally:
        page.close()
