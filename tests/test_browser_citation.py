"""Citing a dataset in a real browser (issue 10, point 3): the copy buttons copy the citation and say
"Copied" in a live region, by mouse or keyboard; without JavaScript no button shows and the citation is
text to select. The citation files download as built."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from page_audit import open_page

DATASET = "data/operation-nexus.html"


@pytest.fixture(scope="module")
def clipboard(browser):
    """A desktop window with JavaScript whose pages may write and read the clipboard."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield context
    context.close()


def test_the_copy_buttons_copy_the_citation_and_say_copied(site_server, clipboard):
    base, served = site_server
    page, seen = open_page(clipboard, base, DATASET, javascript=False)  # the test needs no chart
    try:
        text = page.locator(".ot-citation p.ot-cite").inner_text()
        assert text.startswith("Metropolitan Police Service (2013). Operation Nexus")
        button = page.get_by_role("button", name="Copy the citation")
        expect(button).to_be_visible()  # copy.js shows it once it runs: waited for, not assumed
        status = page.locator("#_cite-status")
        assert status.get_attribute("aria-live") == "polite" and status.get_attribute("role") == "status"
        button.click()
        expect(status).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == text

        # By keyboard: the BibTeX opens from its summary with Enter, and its button copies with Space.
        page.evaluate("navigator.clipboard.writeText('')")
        page.locator("summary", has_text="BibTeX").focus()
        page.keyboard.press("Enter")
        bibtex_button = page.get_by_role("button", name="Copy the BibTeX")
        bibtex_button.focus()
        page.keyboard.press("Space")
        expect(page.locator("#_cite-bibtex-status")).to_have_text("Copied")
        bib = (served / "downloads" / "operation-nexus" / "citation.bib").read_text(encoding="utf-8")
        assert page.evaluate("navigator.clipboard.readText()") == bib.strip()

        # The citation files download as built.
        for link in page.locator(".ot-cite-files a[download]").all():
            href = link.get_attribute("href")
            data = bytes(link.evaluate("async a => Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer()))"))
            assert data == (served / "data" / href).resolve().read_bytes(), href
        assert seen.problems() == []
    finally:
        page.close()


def test_without_javascript_the_citation_is_text_to_select_and_no_button_shows(site_server, phone_without_js):
    base, _ = site_server
    page, seen = open_page(phone_without_js, base, DATASET, javascript=False)
    try:
        cite = page.locator(".ot-citation p.ot-cite")
        cite.scroll_into_view_if_needed()
        assert cite.is_visible()
        assert page.locator("button.ot-copy").count() == 4
        assert not any(b.is_visible() for b in page.locator("button.ot-copy").all())
        assert cite.evaluate("p => getComputedStyle(p).userSelect") != "none"
        cite.click(click_count=3)  # a triple click selects the paragraph
        assert page.evaluate("getSelection().toString().trim()") == cite.inner_text().strip()
        assert seen.problems() == []
    finally:
        page.close()


def test_a_copy_button_copies_the_box_beside_it_never_an_element_found_by_id(site_server, clipboard):
    """Red-team review: a resource "cite" with rows "text" and "bibtex" has row anchors "cite-text" and
    "cite-bibtex"; the copy buttons must copy the citation next to them, whatever else carries an id."""
    base, _ = site_server
    page, seen = open_page(clipboard, base, DATASET, javascript=False)
    try:
        ids = page.locator(".ot-citation [id]").evaluate_all("els => els.map(e => e.id)")
        assert ids and all(i.startswith("_") for i in ids), ids  # no row anchor starts with "_"
        # Rows a contributor could have made, put first in the page and carrying every id the citation
        # has had or has: a lookup by id would find them before the citation.
        page.evaluate("""ids => { const main = document.querySelector("article");
            for (const id of ids.concat(["cite-text", "cite-bibtex", "cite-status", "cite-bibtex-status"])) {
                const row = document.createElement("p"); row.id = id; row.setAttribute("data-copy-text", "");
                row.textContent = "CONTRIBUTOR ROW " + id; main.prepend(row); } }""", ids)
        citation_text = page.locator(".ot-citation p.ot-cite").inner_text()
        page.get_by_role("button", name="Copy the citation").click()
        expect(page.locator(".ot-citation .ot-copy-box .ot-copy-status")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == citation_text
        page.locator("summary", has_text="RIS").click()
        page.get_by_role("button", name="Copy the RIS").click()
        ris_box = page.locator("details.ot-cite-format", has_text="RIS")
        expect(ris_box.locator(".ot-copy-status")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("TY  - DATA") and "CONTRIBUTOR" not in copied
        assert copied == ris_box.locator("code").inner_text()
        assert "CONTRIBUTOR" not in page.locator(".ot-citation").inner_text()
        assert seen.problems() == []
    finally:
        page.close()
