"""What must hold on every page of the site, checked in a real browser.

Each check returns a list of problems (empty when the page passes), so that the tests can assert
that the shipped site has none, and a test of the tests can show that a broken page has some.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

from axe_playwright_python.sync_playwright import Axe

# axe-core's rules for WCAG 2.0, 2.1 and 2.2, levels A and AA. No rule is switched off.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
_axe = Axe()


@dataclass
class Watch:
    """Everything a page did that it should not have."""

    base: str
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)  # Vega's, say: a page should log nothing
    failed_requests: list[str] = field(default_factory=list)
    other_hosts: list[str] = field(default_factory=list)
    page: object = None  # the page, while open: its Content-Security-Policy violations count too

    def problems(self) -> list[str]:
        found = ([f"console error: {m}" for m in self.console_errors]
                 + [f"console warning: {m}" for m in self.console_warnings]
                 + [f"failed request: {r}" for r in self.failed_requests]
                 + [f"request to another host: {u}" for u in self.other_hosts])
        if self.page is not None and not self.page.is_closed():
            found += csp_violations(self.page)
        return found


def _served(url: str) -> bool:
    """Whether the local server answers ``url`` with 200."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def watch(page, base: str) -> Watch:
    """Route every request: anything not for the local server is recorded and refused."""
    seen = Watch(base, page=page)
    origin = urlparse(base).netloc

    def route(route):
        url = route.request.url
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about") or parsed.netloc == origin:
            route.continue_()
        else:
            seen.other_hosts.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error"
            else seen.console_warnings.append(m.text) if m.type == "warning" else None)
    page.on("pageerror", lambda e: seen.console_errors.append(str(e)))
    def failed(request):
        if urlparse(request.url).netloc != origin:
            return
        # The browser itself cancels a lazy image it no longer needs (the reader scrolled past, or the
        # interactive chart replaced it): that is a failure only when the file is not there.
        if request.failure == "net::ERR_ABORTED" and request.resource_type == "image" and _served(request.url):
            return
        seen.failed_requests.append(f"{request.url} ({request.failure})")

    page.on("requestfailed", failed)
    page.on("response", lambda r: seen.failed_requests.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    return seen


# Records every Content-Security-Policy violation of the page (the console shows them too, as errors).
CSP_WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
    `${e.violatedDirective} refused ${e.blockedURI || 'inline'} ${e.sample || ''}`.trim()));"""


def csp_violations(page) -> list[str]:
    return [f"CSP violation: {v}" for v in page.evaluate("window.__cspViolations || []")]


def open_page(context, base: str, path: str, javascript: bool = True):
    """Open a page, watched; with JavaScript, wait until its charts are interactive."""
    page = context.new_page()
    page.add_init_script(CSP_WATCH)
    seen = watch(page, base)
    page.goto(f"{base}/{path}", wait_until="networkidle")
    if javascript:
        wait_for_charts(page)
    return page, seen


def wait_for_charts(page, timeout: float = 15_000) -> None:
    """With JavaScript on, wait until every chart has become interactive (or failed)."""
    if page.evaluate("document.querySelector('figure.ot-chart script.ot-chart__spec') !== null"):
        # charts.js draws a chart when it comes on screen: bring each one there.
        for figure in page.locator("figure.ot-chart").all():
            figure.scroll_into_view_if_needed()
        page.wait_for_function(
            """() => [...document.querySelectorAll('figure.ot-chart')]
                     .filter(f => f.querySelector('script.ot-chart__spec'))
                     .every(f => ['interactive', 'static'].includes(f.dataset.otChart))""",
            timeout=timeout)


def accessibility_problems(page) -> list[str]:
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    problems = []
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return problems


def audit_page(context, base: str, path: str) -> list[str]:
    """Console errors, failed requests, requests to other hosts and WCAG 2.2 AA violations."""
    page, seen = open_page(context, base, path)
    try:
        return seen.problems() + accessibility_problems(page)
    finally:
        page.close()


def narrow_screen_problems(page) -> list[str]:
    """At phone width nothing scrolls sideways, tables scroll in their own box, text stays readable."""
    return page.evaluate("""() => {
        const problems = [];
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth > width)
            problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px wide in ${width}px`);
        for (const table of document.querySelectorAll('.md-content table')) {
            const box = table.closest('.ot-table-scroll, .md-typeset__scrollwrap');
            if (table.getBoundingClientRect().width > width && !box)
                problems.push(`a table is wider than the screen outside a scrolling box: ${table.caption ? table.caption.textContent : ''}`);
            if (box && box.getBoundingClientRect().right > width + 1)
                problems.push('a table box is wider than the screen');
        }
        for (const p of document.querySelectorAll('.md-content p, .md-content li, .md-content td')) {
            const size = parseFloat(getComputedStyle(p).fontSize);
            if (p.offsetParent && size < 12) { problems.push(`text of ${size}px: ${p.textContent.slice(0, 40)}`); break; }
        }
        return problems;
    }""")


def keyboard_problems(page, limit: int = 400) -> list[str]:
    """Tab through the page: every visible control is reached, and each shows where the focus is."""
    controls = page.evaluate("""() => {
        const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
                               && !el.closest('[hidden], [inert], details:not([open]) > :not(summary)');
        const all = document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]');
        let n = 0;
        for (const el of all) {
            if (el.tabIndex < 0 || el.disabled || !visible(el)) continue;
            el.dataset.otControl = String(n++);
        }
        return n;
    }""")
    reached, unfocused = set(), []
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(min(limit, controls + 20)):
        page.keyboard.press("Tab")
        state = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const style = getComputedStyle(el);
            const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            const shadowed = style.boxShadow && style.boxShadow !== 'none';
            return {id: el.dataset.otControl ?? null, shown: outlined || shadowed,
                    name: el.tagName + ' ' + (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40)};
        }""")
        if state is None:
            continue
        if state["id"] is not None:
            reached.add(int(state["id"]))
        if not state["shown"]:
            unfocused.append(state["name"])
    problems = [f"no visible focus on: {name}" for name in sorted(set(unfocused))]
    missed = controls - len(reached)
    if missed > 0 and controls <= limit:
        names = page.evaluate("""ids => ids.map(i => {
            const el = document.querySelector(`[data-ot-control="${i}"]`);
            return el.tagName + ' ' + (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40);
        })""", [i for i in range(controls) if i not in reached][:10])
        problems.append(f"{missed} control(s) never reached with Tab, e.g. {names}")
    return problems
