"""With ``repo_url`` in mkdocs.yml, every page offers "Report an error" (a new issue on the repository,
titled with the page and giving its address) and every dataset "Edit this data" (each CSV file in the
repository's web editor), and no page asks another host for anything; without it, no such link."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import CONFIGURED_REPO_URL, CONFIGURED_SITE_URL, NEXUS, ROOT, site_pages
from page_audit import accessibility_problems, open_page

LINKS = """() => {
    const links = selector => [...document.querySelectorAll(selector)];
    const named = text => links('.md-content a').filter(a => a.textContent.trim().startsWith(text)).map(a => a.href);
    const h1 = document.querySelector('.md-content h1');
    return {
        h1: h1 ? h1.textContent.replace('\u00b6', '').trim() : '',
        report: named('Report an error'),
        edit: named('Edit this data'),
        repository: links('a.md-source').map(a => a.href),
        widgets: links('[data-md-component="source"]').length,
        editButtons: links('a.md-content__button').map(a => a.href),
    };
}"""


def _csv_paths(package) -> list[str]:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    return [r["path"] for r in descriptor["resources"] if str(r.get("path", "")).lower().endswith(".csv")]


def test_with_repo_url_every_page_can_report_an_error_and_loads_nothing_from_another_host(configured_server, desktop):
    base, served = configured_server
    problems, checked = [], 0
    # 404.html links its files from the site's root path (/tally/), which this server does not have.
    for path in [p for p in site_pages(served) if p != "404.html"]:
        page, seen = open_page(desktop, base, path)  # with JavaScript: Material's repository widget would fetch now
        try:
            links = page.evaluate(LINKS)
            problems += [f"{path}: {p}" for p in seen.problems() + accessibility_problems(page)]
        finally:
            page.close()
        # The header links to the repository as a plain link: no widget that asks api.github.com for stars.
        assert links["widgets"] == 0, path
        assert links["repository"] and set(links["repository"]) == {CONFIGURED_REPO_URL}, path
        assert links["editButtons"] == [], path  # Material's edit button is not switched on
        assert len(links["report"]) == 1, path
        report = urlparse(links["report"][0])
        assert f"{report.scheme}://{report.netloc}{report.path}" == f"{CONFIGURED_REPO_URL}/issues/new", path
        query = parse_qs(report.query)
        assert query["title"] == [f"Error on page: {links['h1']}"], (path, query)  # the page's own heading
        assert f"{CONFIGURED_SITE_URL}{path}" in query["body"][0], (path, query)
        expected_edit = ([f"{CONFIGURED_REPO_URL}/edit/main/datapackages/operation-nexus/{p}" for p in _csv_paths(NEXUS)]
                         if path == "data/operation-nexus.html" else [])
        assert links["edit"] == expected_edit, path
        checked += 1
    assert problems == [], "\n".join(problems)
    assert checked >= 7
    for p in _csv_paths(NEXUS):  # the editor opens files that are in the repository
        assert (ROOT / "datapackages" / "operation-nexus" / p).is_file()


def test_without_repo_url_no_page_links_to_a_repository(built_site):
    found = []
    for path in site_pages(built_site):
        document = BeautifulSoup((built_site / path).read_text(encoding="utf-8"), "html.parser")
        found += [f"{path}: {e.name}.{'.'.join(e.get('class', []))}" for e in document.select(".ot-report, .ot-edit, .md-source")]
        found += [f"{path}: {a.get_text(strip=True)} -> {a['href']}" for a in document.find_all("a", href=True)
                  if a.get_text(strip=True).startswith(("Report an error", "Edit this data")) or "/issues/new" in a["href"]]
    assert found == []


@pytest.fixture(scope="module")
def site_with_edit_buttons(tmp_path_factory):
    """The shipped site with repo_url (on GitLab, a branch of its own) and Material's edit and view buttons on."""
    from opentally.pipeline import Project, build_site

    project = tmp_path_factory.mktemp("edit-buttons") / "project"
    for folder in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("  features:\n", "  features:\n    - content.action.edit\n    - content.action.view\n", 1)
    config += "\nrepo_url: https://gitlab.com/example-org/open-tally\nedit_uri: edit/published/site_src/\n"
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    out = project.parent / "site"
    result = build_site(Project(project), out)
    assert result.ok, result.report
    return out


def test_edit_buttons_and_links_lead_to_files_in_the_repository(site_with_edit_buttons):
    """Material's edit button leads to a hand-written page's file in site_src/, and is not shown on a
    page the build generated (it has no file to edit); GitLab gets its own new-issue and editor links."""
    repo = "https://gitlab.com/example-org/open-tally"
    buttons = {}
    for path in site_pages(site_with_edit_buttons):
        document = BeautifulSoup((site_with_edit_buttons / path).read_text(encoding="utf-8"), "html.parser")
        buttons[path] = [a["href"] for a in document.select("a.md-content__button")]
        if path == "data/operation-nexus.html":
            edits = [a["href"] for a in document.select(".ot-edit a")]
            assert edits == [f"{repo}/-/edit/published/datapackages/operation-nexus/{p}" for p in _csv_paths(NEXUS)]
        if path != "404.html":
            report = [a["href"] for a in document.select(".ot-report a")]
            assert len(report) == 1 and report[0].startswith(f"{repo}/-/issues/new?"), path
            query = parse_qs(urlparse(report[0]).query)
            assert query["issue[title]"][0].startswith("Error on page: ") and path in query["issue[description]"][0]
    for path, hrefs in buttons.items():
        source = path.removesuffix(".html") + ".md"
        if (ROOT / "site_src" / source).is_file():
            assert hrefs == [f"{repo}/-/edit/published/site_src/{source}", f"{repo}/-/raw/published/site_src/{source}"], path
        else:
            assert hrefs == [], path  # generated pages (datasets, catalog, sources) and 404


@pytest.mark.parametrize("repo_url, expected", [
    ("https://github.com/org/repo", "https://github.com/org/repo/edit/main/datapackages/nexus/data/a%20b.csv"),
    ("https://gitlab.example.org/group/repo", "https://gitlab.example.org/group/repo/-/edit/main/datapackages/nexus/data/a%20b.csv"),
    ("https://codeberg.org/org/repo", None),  # a host whose editor address is not known: no link
    ("", None),
])
def test_edit_this_data_link_per_host(repo_url, expected):
    from opentally.render import SiteSettings, make_environment

    env = make_environment(ROOT / "templates")
    env.globals["site"] = SiteSettings(repo_url=repo_url)
    package = SimpleNamespace(directory=ROOT / "datapackages" / "nexus")
    resource = SimpleNamespace(tabular=True, path="data/a b.csv", title="A <b>table</b>")
    html = env.get_template("partials/package/edit.html.j2").render(package=package, resource=resource)
    links = [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")]
    assert links == ([expected] if expected else [])
    assert "<b>" not in html  # the title is text
    assert html.strip() if expected else html == ""
