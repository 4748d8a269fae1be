"""The built-in search works offline, in the browser, and every link and anchor resolves."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import site_pages
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
