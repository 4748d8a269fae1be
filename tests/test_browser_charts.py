"""Charts in the browser: interactive with JavaScript, readable without it, and their data exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import NEXUS
from page_audit import open_page

DATASET = "data/operation-nexus.html"
VIEWS = [v["name"] for v in json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))["views"]]


@pytest.fixture(scope="module")
def without_js(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    yield context
    context.close()


@pytest.mark.parametrize("view", VIEWS)
def test_with_javascript_each_chart_is_interactive_named_and_has_tooltips(site_server, desktop, view):
    base, _ = site_server
    page, seen = open_page(desktop, base, DATASET)
    try:
        figure = page.locator(f"figure#operation-nexus-{view}")
        expect(figure).to_have_attribute("data-ot-chart", "interactive")
        chart = figure.locator(".ot-chart__interactive")
        alt = figure.locator(".ot-chart__static img").get_attribute("alt")
        expect(chart).to_have_attribute("role", "img")
        # The static image's alt text, which reads out every value, names the interactive chart; the
        # figure's caption (title and description) names the figure.
        assert alt.startswith("Bar chart. ")
        expect(chart).to_have_accessible_name(alt)
        expect(figure).to_have_accessible_name(figure.locator("figcaption").text_content().strip())
        mark = chart.locator("g.role-mark path, g.role-mark circle, g.role-mark rect").first
        mark.hover()
        tooltip = page.locator("#vg-tooltip-element")
        expect(tooltip).to_be_visible()
        expect(tooltip).not_to_be_empty()
        assert seen.problems() == []
    finally:
        page.close()


@pytest.mark.parametrize("view", VIEWS)
def test_without_javascript_each_chart_is_seen_with_its_text_and_data(site_server, without_js, view):
    base, _ = site_server
    page, _ = open_page(without_js, base, DATASET, javascript=False)
    try:
        figure = page.locator(f"figure#operation-nexus-{view}")
        image = figure.locator(".ot-chart__static img")
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        box = image.bounding_box()
        assert box["width"] > 200 and box["height"] > 50
        assert image.evaluate("img => img.currentSrc").endswith(".wide.svg")
        expect(image).to_have_accessible_name(re.compile(r"^Bar chart\. .+: .+\.$"))
        expect(figure.locator(".ot-chart__title")).to_be_visible()
        expect(figure.locator(".ot-chart__description")).to_be_visible()
        figure.locator("details.ot-chart__data summary").click()
        table = figure.locator("details.ot-chart__data table")
        expect(table).to_be_visible()
        assert table.locator("tbody tr").count() >= 2
    finally:
        page.close()


def _displayed(value) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


@pytest.mark.parametrize("view", VIEWS)
def test_the_show_data_table_holds_exactly_the_values_of_the_chart(site_server, desktop, view):
    base, _ = site_server
    page, _ = open_page(desktop, base, DATASET)
    try:
        figure = page.locator(f"figure#operation-nexus-{view}")
        spec = json.loads(figure.locator("script.ot-chart__spec").text_content())
        values = spec["data"]["values"]
        figure.locator("details.ot-chart__data summary").click()
        header = figure.locator("details table thead th").all_text_contents()
        rows = [r.locator("td").all_text_contents() for r in figure.locator("details table tbody tr").all()]
        assert rows == [[_displayed(v[c]) if v.get(c) is not None else "" for c in header] for v in values]
    finally:
        page.close()


def _download(page, link) -> bytes:
    """Click a download link and return the file the browser saved."""
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def _fetch(link) -> bytes:
    """The bytes the browser gets for a link (Chromium asks before a page's tenth download, so the rest
    are fetched by the page itself)."""
    assert link.get_attribute("download") is not None
    return bytes(link.evaluate("async a => Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer()))"))


def test_package_downloads_through_the_browser_are_the_published_files(site_server, desktop):
    base, _ = site_server
    page, seen = open_page(desktop, base, DATASET)
    try:
        links = page.locator("table.ot-downloads tbody a")
        assert links.count() >= 12
        for i in range(links.count()):
            link = links.nth(i)
            name = link.text_content()
            data = _download(page, link) if i < 3 else _fetch(link)
            if name.endswith(".zip"):
                assert data[:4] == b"PK\x03\x04"
            else:
                assert data == (NEXUS / name).read_bytes(), name
        assert seen.problems() == []
    finally:
        page.close()


def test_chart_downloads_through_the_browser_are_the_built_files(site_server, desktop):
    base, served = site_server
    page, _ = open_page(desktop, base, DATASET)
    try:
        links = page.locator(".ot-chart__downloads a[download]")
        assert links.count() >= 4 * len(VIEWS)
        for i in range(links.count()):
            link = links.nth(i)
            href = link.get_attribute("href")
            data = _download(page, link) if i < 3 else _fetch(link)
            assert data == (served / "data" / href).resolve().read_bytes(), href
    finally:
        page.close()
