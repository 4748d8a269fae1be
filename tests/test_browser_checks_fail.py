"""A test of the browser tests: the checks that pass on the shipped site fail on a broken page."""

from __future__ import annotations

import re

import pytest

from page_audit import audit_page, keyboard_problems, narrow_screen_problems, open_page

INJECTIONS = {
    "external-image": '<img src="https://tracker.example.org/pixel.png" alt="tracking pixel">',
    "unlabelled-button": '<button type="button"><svg width="10" height="10"></svg></button>',
    "console-error": '<script src="zz-broken-console.js"></script>',
    "inline-script": "<script>document.title = 'ran'</script>",
    "too-wide": '<div style="width: 900px">a block wider than a phone</div>',
    "no-focus-style": '<style>a:focus, a:focus-visible { outline: none !important; box-shadow: none !important; }</style>',
}


@pytest.fixture(scope="module")
def broken_pages(site_server):
    """Copies of the about page, each with one fault, served beside the site (never part of it)."""
    base, served = site_server
    about = (served / "about.html").read_text(encoding="utf-8")
    names = {}
    (served / "zz-broken-console.js").write_text("console.error('broken on purpose');\n", encoding="utf-8")
    for name, snippet in INJECTIONS.items():
        page = f"zz-broken-{name}.html"
        (served / page).write_text(about.replace("</article>", f"{snippet}</article>", 1), encoding="utf-8")
        names[name] = page
    yield names
    for page in names.values():
        (served / page).unlink()
    (served / "zz-broken-console.js").unlink()


def test_an_image_from_another_host_fails_the_page(site_server, desktop, broken_pages):
    """The page's Content-Security-Policy refuses it before any request; the refusal fails the page."""
    problems = audit_page(desktop, site_server[0], broken_pages["external-image"])
    assert "CSP violation: img-src refused https://tracker.example.org/pixel.png" in problems
    assert not any(p.startswith("request to another host") for p in problems)


def test_a_request_to_another_host_fails_the_page(site_server, desktop, broken_pages):
    """Without the policy (a page that lost it), the request itself is caught and refused."""
    base, served = site_server
    page_path = broken_pages["external-image"].replace(".html", "-no-csp.html")
    text = (served / broken_pages["external-image"]).read_text(encoding="utf-8")
    (served / page_path).write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text), encoding="utf-8")
    try:
        problems = audit_page(desktop, base, page_path)
        assert "request to another host: https://tracker.example.org/pixel.png" in problems
    finally:
        (served / page_path).unlink()


def test_a_button_without_a_name_fails_the_page(site_server, desktop, broken_pages):
    problems = audit_page(desktop, site_server[0], broken_pages["unlabelled-button"])
    assert any(p.startswith("axe button-name (critical)") for p in problems), problems


def test_a_console_error_fails_the_page(site_server, desktop, broken_pages):
    problems = audit_page(desktop, site_server[0], broken_pages["console-error"])
    assert "console error: broken on purpose" in problems


def test_a_block_wider_than_a_phone_fails_the_page(site_server, phone, broken_pages):
    page, _ = open_page(phone, site_server[0], broken_pages["too-wide"])
    try:
        assert any(p.startswith("the page scrolls sideways") for p in narrow_screen_problems(page))
    finally:
        page.close()


def test_links_without_a_visible_focus_fail_the_page(site_server, desktop, broken_pages):
    page, _ = open_page(desktop, site_server[0], broken_pages["no-focus-style"])
    try:
        assert any(p.startswith("no visible focus on: A") for p in keyboard_problems(page))
    finally:
        page.close()


def test_an_inline_script_the_theme_did_not_write_is_refused_and_fails_the_page(site_server, desktop, broken_pages):
    """The Content-Security-Policy stops it (the title stays), and the refusal fails the page."""
    page, seen = open_page(desktop, site_server[0], broken_pages["inline-script"])
    try:
        assert page.title() != "ran"
        assert any(p.startswith("CSP violation: script-src") for p in seen.problems()), seen.problems()
    finally:
        page.close()
