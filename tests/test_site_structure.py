"""Every page is reachable, no page is silently replaced, and each of the build's own site checks fires."""

from __future__ import annotations

import shutil

import pytest
from bs4 import BeautifulSoup

from conftest import run_cli
from test_build import copy_project, tree_digest


def build(project, out):
    return run_cli("build", "--project", str(project), "--out", str(out))


@pytest.fixture(scope="module")
def site_with_new_pages(tmp_path_factory):
    """The shipped project with two new commentary pages, no navigation entry for either, and
    mkdocs.yml asking MkDocs only to notice (not to fail on) a link to a missing anchor."""
    project = copy_project(tmp_path_factory.mktemp("structure") / "project")
    commentary = project / "site_src" / "commentary"
    (commentary / "stop-and-search.md").write_text(
        "# Arrests after stop and search\n\nRemoved: {{ figure(\"operation-nexus/outcomes/removed-from-uk\") }}.\n\n"
        "See [the method](../methodology.md#no-such-anchor).\n\n"
        # Anchors of the dataset page's own HTML, which MkDocs does not convert (render.stash_html):
        "See [the fields](../data/operation-nexus.md#dictionary-custody) and "
        "[the first figure](../data/operation-nexus.md#custody-prisoners-through-custody).\n", encoding="utf-8")
    (commentary / "zebra.md").write_text("---\ntitle: Zebra crossings\n---\n\nNo figures here.\n", encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("    anchors: warn", "    anchors: info"), encoding="utf-8")
    out = project / "site"
    result = build(project, out)
    assert result.exit_code == 0, result.output
    return out, result.output


def nav_links(page) -> list[tuple[str, str]]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    primary = soup.select_one("nav.md-nav--primary")
    return [(" ".join(a.get_text().split()), a["href"]) for a in primary.select("a.md-nav__link[href]")]


def test_commentary_pages_join_the_commentary_menu_ordered_by_title(site_with_new_pages):
    out, _ = site_with_new_pages
    links = nav_links(out / "index.html")
    commentary = [title for title, href in links if href.startswith("commentary/")]
    assert commentary == ["Arrests after stop and search", "Operation Nexus", "Zebra crossings"]


def test_a_dataset_page_lists_the_pages_that_cite_it(site_with_new_pages):
    out, _ = site_with_new_pages
    soup = BeautifulSoup((out / "data" / "operation-nexus.html").read_text(encoding="utf-8"), "html.parser")
    cited = [(a.get_text(), a["href"]) for a in soup.select("ul.ot-cited-in a")]
    assert ("Arrests after stop and search", "../commentary/stop-and-search.html") in cited
    assert ("Operation Nexus: what the figures show, and what they do not", "../commentary/operation-nexus.html") in cited
    assert not any("zebra" in href for _, href in cited)


def test_what_mkdocs_notices_below_warning_level_is_a_warning_of_the_build(site_with_new_pages):
    _, output = site_with_new_pages
    notice = next(line for line in output.splitlines() if "[mkdocs-notice]" in line)
    assert "no-such-anchor" in notice
    assert notice.split(": warning:")[0].endswith("site_src/commentary/stop-and-search.md")


def test_links_to_anchors_in_a_dataset_pages_tables_and_figures_are_known_to_mkdocs(site_with_new_pages):
    """MkDocs is not given a generated page's HTML blocks to convert (they are put back after), yet a
    hand-written link to an id in them is a link to an anchor that exists: only the missing one is noticed."""
    out, output = site_with_new_pages
    notices = [line for line in output.splitlines() if "[mkdocs-notice]" in line]
    assert len(notices) == 1 and "no-such-anchor" in notices[0], notices
    page = (out / "data" / "operation-nexus.html").read_text(encoding="utf-8")
    assert 'id="dictionary-custody"' in page and 'id="custody-prisoners-through-custody"' in page


def test_a_page_no_navigation_reaches_fails_the_build_naming_it(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "site_src" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")
    out = tmp_path / "site"
    result = build(project, out)
    assert result.exit_code == 1
    assert "no navigation reaches these pages of site_src/:\n  site_src/orphan.md" in result.output
    assert "add each page to nav: in mkdocs.yml" in result.output
    assert not out.exists()


@pytest.mark.parametrize("case", ["collision", "large-page", "other-host"])
def test_each_check_of_the_built_site_fires_and_keeps_the_last_good_site(tmp_path, built_site, case):
    project = copy_project(tmp_path / "project")
    expected = {
        "collision": "site_src/data/index.md has the same path as the catalog of datasets (data/index.html), "
                     "which the build makes",
        "large-page": "about.html: the page is",
        "other-host": "loads https://fonts.example.org/font.css from another host",
    }[case]
    if case == "collision":
        (project / "site_src" / "data").mkdir()
        (project / "site_src" / "data" / "index.md").write_text("# My own catalog\n", encoding="utf-8")
    elif case == "large-page":
        about = project / "site_src" / "about.md"
        about.write_text(about.read_text(encoding="utf-8") + "\n\n" + "A long sentence of the page. " * 40_000,
                         encoding="utf-8")
    else:
        config = project / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "extra_css:\n", "extra_css:\n  - https://fonts.example.org/font.css\n"), encoding="utf-8")
    out = tmp_path / "site"
    shutil.copytree(built_site, out)
    good = tree_digest(out)
    result = build(project, out)
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output
    assert tree_digest(out) == good


def test_with_many_datasets_the_menu_leads_to_the_catalog_and_pages_do_not_grow(tmp_path, built_site):
    """Past ``MAX_DATASETS_IN_NAV`` datasets, the Data menu is the catalog's link alone: every page
    carries the menu, so listing hundreds of datasets there would make every page grow with them."""
    import json

    from opentally import write

    project = copy_project(tmp_path / "project")
    for n in range(write.MAX_DATASETS_IN_NAV):
        folder = project / "datapackages" / f"small-{n:02d}"
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "rows.csv").write_text("id,count\na,1\nb,2\n", encoding="utf-8")
        (folder / "datapackage.json").write_text(json.dumps({
            "name": f"small-{n:02d}", "title": f"Small {n}", "description": "Rows for a test.",
            "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
            "version": "1.0.0", "modified": "2026-11-26",
            "resources": [{"name": "rows", "title": "Rows", "path": "data/rows.csv", "format": "csv",
                           "mediatype": "text/csv", "encoding": "utf-8", "profile": "tabular-data-resource",
                           "schema": {"fields": [{"name": "id", "title": "Id", "type": "string"},
                                                 {"name": "count", "title": "Count", "type": "integer"}],
                                      "primaryKey": ["id"]}}]}), encoding="utf-8")
    out = project / "site"
    result = build(project, out)
    assert result.exit_code == 0, result.output
    assert "not included in the" not in result.output

    links = nav_links(out / "index.html")
    assert ("Data", "data/") in links or ("Data", "data/index.html") in links, links
    assert not [href for _, href in links if href.startswith("data/") and "small-" in href]
    assert (out / "data" / "small-07.html").is_file() and "small-07" in (out / "data" / "index.html").read_text(encoding="utf-8")
    # The same dataset page is no larger for the 21 datasets beside it than alone (give or take its menu).
    alone = (built_site / "data" / "operation-nexus.html").stat().st_size
    assert (out / "data" / "operation-nexus.html").stat().st_size <= alone + 1_000
