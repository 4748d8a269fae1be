"""Every page of the shipped site, in headless Chromium: no errors, no third parties, WCAG 2.2 AA,
phone-sized screens and keyboards."""

from __future__ import annotations


import pytest

from conftest import ROOT, shipped_releases, site_pages
from page_audit import audit_page, keyboard_problems, narrow_screen_problems, open_page

SCREENSHOTS = ROOT / "tests" / "screenshots"
PAGE_TYPES = {"home": "index.html", "commentary": "commentary/operation-nexus.html",
              "dataset": "data/operation-nexus.html", "catalog": "data/index.html",
              "source": "data/operation-nexus/sources/mps-letter-2013-07-24.html",
              "whats-new": "whats-new.html",
              "calendar": "release-calendar.html"}


def pytest_generate_tests(metafunc):
    if "page_path" in metafunc.fixturenames:
        metafunc.parametrize("page_path", _shipped_pages())


def _shipped_pages() -> list[str]:
    """The pages of the shipped site, known before it is built: site_src pages and the generated ones."""
    pages = {p.relative_to(ROOT / "site_src").with_suffix(".html").as_posix() for p in (ROOT / "site_src").rglob("*.md")}
    pages |= {"404.html", *PAGE_TYPES.values()}
    # A page per release of the package in the project's history (data/NAME/VERSION/index.html).
    pages |= {f"data/operation-nexus/{version}/index.html" for version in shipped_releases()}
    return sorted(pages)


def test_the_test_list_is_every_page_of_the_built_site(built_site):
    assert _shipped_pages() == site_pages(built_site)


def test_no_errors_no_other_hosts_and_no_accessibility_violations(site_server, desktop, page_path):
    base, _ = site_server
    assert audit_page(desktop, base, page_path) == []


def test_on_a_phone_nothing_scrolls_sideways_and_text_stays_readable(site_server, phone, page_path):
    base, _ = site_server
    page, seen = open_page(phone, base, page_path)
    try:
        assert narrow_screen_problems(page) + seen.problems() == []
    finally:
        page.close()


def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(site_server, desktop, page_path):
    base, _ = site_server
    page, _ = open_page(desktop, base, page_path)
    try:
        assert keyboard_problems(page) == []
    finally:
        page.close()


@pytest.mark.parametrize("kind", sorted(PAGE_TYPES) + ["search", "dataset-without-javascript"])
def test_screenshots_of_each_page_type(site_server, browser, desktop, phone, kind):
    """For reviewers: what the public sees, at 1280 and 375 px wide, in tests/screenshots/ (every page
    type with JavaScript, and the dataset page without it, as its charts and tables are then static)."""
    base, _ = site_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    javascript = kind != "dataset-without-javascript"
    path = PAGE_TYPES.get(kind.removesuffix("-without-javascript"), "index.html")
    for name, context in (("1280", desktop), ("375", phone)):
        if not javascript:
            context = browser.new_context(viewport={"width": int(name), "height": 900}, java_script_enabled=False)
        page, seen = open_page(context, base, path, javascript=javascript)
        try:
            if kind == "search":
                from test_browser_search import search

                search(page, "high harm")
            # The static charts are lazy images, loaded as they come on screen: scroll through the page first.
            height = page.evaluate("document.documentElement.scrollHeight")
            for y in range(0, height, 700):
                page.mouse.wheel(0, 700)
                page.wait_for_timeout(30)
            page.wait_for_function("[...document.images].every(i => i.complete)")
            target = SCREENSHOTS / f"{kind}-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
            assert seen.problems() == []
        finally:
            page.close()
            if not javascript:
                context.close()
