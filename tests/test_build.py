"""`build.py build`: the shipped site, built into a temporary folder, checked as files and HTML."""

from __future__ import annotations

import base64
import csv
import filecmp
import hashlib
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import NEXUS, ROOT, add_derived_figure, run_cli, shipped_releases
from opentally.commentary import read_commentary
from opentally.pipeline import Project, build_site


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def site(built_site) -> Path:
    """The shipped site, built once for the session (shared with the browser tests, which serve a copy)."""
    return built_site


def copy_project(target: Path, packages: list[Path] | None = None) -> Path:
    """A project folder like the repository's, with the given packages instead of the shipped ones."""
    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    (target / "datapackages").mkdir()
    for package in packages if packages is not None else [NEXUS]:
        shutil.copytree(package, target / "datapackages" / package.name)
    return target


def links(page: Path) -> list[str]:
    return [a["href"] for a in soup(page).find_all("a", href=True)]


# --- pages ---------------------------------------------------------------------------------------

def test_one_page_per_package_and_per_commentary_page(site):
    for page in ["index.html", "commentary/operation-nexus.html", "methodology.html", "about.html",
                 "accessibility.html", "data/index.html", "data/operation-nexus.html",
                 "data/operation-nexus/sources/mps-letter-2013-07-24.html"]:
        assert (site / page).is_file(), page
    commentary = sorted(p.relative_to(ROOT / "site_src").with_suffix(".html").as_posix()
                        for p in (ROOT / "site_src").rglob("*.md"))
    assert all((site / page).is_file() for page in commentary)


def test_the_dataset_page_shows_metadata_dictionary_previews_sources_and_citation(site):
    page = soup(site / "data" / "operation-nexus.html")
    descriptor = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))
    assert page.h1.get_text(strip=True).startswith(descriptor["title"][:40])
    meta = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in page.select("dl.ot-meta dt")}
    assert meta["Licence"] == "Open Government Licence v3.0"
    releases = shipped_releases()  # the project's history (a shallow clone holds fewer)
    assert meta["Version"] == "1.1.0" + (f" ({len(releases)} versions)" if len(releases) > 1 else "")
    if releases:
        assert page.select_one("dl.ot-meta dd a[href='#versions']").get_text() == "1.1.0"
    assert meta["Last changed"] == "26 November 2026"
    assert "Operation Nexus" in meta["Keywords"]
    # Every table's fields are explained: by its own dictionary, or by the one it shares with the tables
    # of the same fields, which names it and to which its section links (test_shared_dictionaries).
    for resource in descriptor["resources"]:
        if resource["path"].endswith(".csv"):
            section = page.find(id=f"table-{resource['name']}").find_next(class_="ot-resource")
            own = section.select_one("details.ot-dictionary")
            dictionary = own or page.find(id=section.select_one(".ot-dictionary-shared a")["href"].removeprefix("#"))
            assert dictionary.caption.get_text().startswith("Data dictionary of "), resource["name"]
            assert resource["title"] in dictionary.get_text(), resource["name"]
    # Every figure row has an anchor, and its quote links to the marked passage in the source page.
    row = page.find(id="outcomes-removed-from-uk")
    assert row is not None and "37" in row.get_text()
    quote_link = row.find("a", class_="ot-quote-link")
    target, anchor = quote_link["href"].split("#")
    source_page = soup((site / "data" / target).resolve())
    marked = source_page.find(id=anchor)
    assert marked is not None and marked.find_next("mark").get_text().startswith("37 removed from the UK")
    assert "Metropolitan Police Service" in page.select_one(".ot-sources").get_text()
    assert "Version 1.1.0" in page.select_one(".ot-cite").get_text()


def test_the_dataset_page_has_schema_org_json_ld(site):
    page = soup(site / "data" / "operation-nexus.html")
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "Dataset"
    assert data["name"].startswith("Operation Nexus")
    assert data["license"].startswith("https://www.nationalarchives.gov.uk/")
    assert {d["name"] for d in data["distribution"]} >= {"custody.csv", "datapackage.json", "operation-nexus.zip"}


def test_catalog_page_and_dcat_catalog(site):
    page = soup(site / "data" / "index.html")
    row = page.select_one("table.ot-catalog tbody tr")
    assert row.th.a["href"] == "operation-nexus.html"
    assert "Open Government Licence v3.0" in row.get_text()
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["@type"] == "dcat:Catalog"
    dataset = catalog["dcat:dataset"][0]
    assert dataset["dct:identifier"] == "operation-nexus"
    for distribution in dataset["dcat:distribution"]:
        path = site / distribution["dcat:downloadURL"]["@id"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == distribution["spdx:checksum"]["spdx:checksumValue"]


# --- downloads -----------------------------------------------------------------------------------

def test_every_download_is_the_published_file_with_its_size_and_sha256(site):
    page = site / "data" / "operation-nexus.html"
    rows = soup(page).select("table.ot-downloads tbody tr")
    assert len(rows) >= 12
    for row in rows:
        href = row.th.a["href"]
        file = (page.parent / unquote(href)).resolve()
        shown_hash = row.select_one("code.ot-hash").get_text()
        assert hashlib.sha256(file.read_bytes()).hexdigest() == shown_hash
        if file.suffix != ".zip":
            original = NEXUS / file.relative_to((site / "downloads" / "operation-nexus").resolve())
            assert file.read_bytes() == original.read_bytes(), href


def test_the_zip_holds_the_whole_package_unchanged(site):
    import zipfile

    with zipfile.ZipFile(site / "downloads" / "operation-nexus.zip") as archive:
        # Beside the package, the README and LICENCE the build writes (tests/test_citation.py checks them).
        names = sorted(n for n in archive.namelist() if n not in ("operation-nexus/README.txt", "operation-nexus/LICENCE.txt"))
        for name in names:
            assert archive.read(name) == (NEXUS / name.split("/", 1)[1]).read_bytes()
    expected = sorted(f"operation-nexus/{p.relative_to(NEXUS).as_posix()}" for p in NEXUS.rglob("*") if p.is_file())
    assert names == expected


# --- charts --------------------------------------------------------------------------------------

def test_every_declared_chart_has_a_static_drawing_a_data_table_and_downloads(site):
    descriptor = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))
    page_path = site / "data" / "operation-nexus.html"
    page = soup(page_path)
    for view in descriptor["views"]:
        figure = page.find("figure", id=f"operation-nexus-{view['name']}")
        assert figure is not None, view["name"]
        image = figure.select_one(".ot-chart__static img")
        assert image["alt"].strip() and figure.figcaption.get_text().startswith(view["title"])
        drawing = (page_path.parent / image["src"]).resolve()
        assert drawing.read_text(encoding="utf-8").lstrip().startswith("<svg")
        assert figure.select_one("details.ot-chart__data table tbody tr") is not None
        hrefs = [a["href"] for a in figure.select(".ot-chart__downloads a")]
        for suffix in (".csv", ".svg", ".vl.json"):
            href = next(h for h in hrefs if h.endswith(suffix))
            assert (page_path.parent / href).resolve().is_file(), href
        assert any(h.endswith(f"#operation-nexus-{view['name']}") for h in hrefs)  # permalink
        spec = json.loads(figure.find("script", class_="ot-chart__spec").string)
        assert {"encoding", "layer", "mark", "hconcat", "vconcat", "facet"} & set(spec)  # drawn by Vega-Lite
        download = json.loads((page_path.parent / next(h for h in hrefs if h.endswith(".vl.json"))).resolve().read_text())
        assert download["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_the_data_table_of_a_chart_holds_the_values_it_draws(site):
    figure = soup(site / "data" / "operation-nexus.html").find("figure", id="operation-nexus-high-harm-outcomes")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in figure.select("details table tbody tr")]
    values = sorted(row[[th.get_text() for th in figure.select("details table thead th")].index("value")]
                    for row in cells)
    with open(NEXUS / "data" / "outcomes.csv", newline="", encoding="utf-8") as f:
        assert values == sorted(r["value"] for r in csv.DictReader(f))


def test_the_site_hosts_its_own_vega_bundle(site):
    bundle = site / "assets" / "opentally" / "vega-embed.js"
    assert bundle.stat().st_size > 100_000
    assert "vegaEmbed" in bundle.read_text(encoding="utf-8")


# --- commentary ----------------------------------------------------------------------------------

def test_each_figure_macro_shows_the_value_in_the_data(site):
    pages, issues = read_commentary(ROOT / "site_src")
    assert not issues
    checked = 0
    for page in pages:
        html = soup(site / Path(page.relative).with_suffix(".html"))
        shown = [a.get_text() for a in html.select("a.ot-figure")]
        expected = []
        for call in page.calls:
            if call.kind != "figure":
                continue
            _, resource, figure_id = call.ref.split("/")
            with open(NEXUS / "data" / f"{resource}.csv", newline="", encoding="utf-8") as f:
                row = next(r for r in csv.DictReader(f) if r["id"] == figure_id)
            value = f"{int(row['value']):,}"
            expected.append(f"{value}%" if row["unit"] == "percent" else value)
        assert shown == expected, page.relative
        checked += len(expected)
    assert checked >= 10


def test_figure_links_lead_to_the_quote_in_the_source(site):
    page = site / "commentary" / "operation-nexus.html"
    for a in soup(page).select("a.ot-figure"):
        target, anchor = a["href"].split("#")
        assert soup((page.parent / target).resolve()).find(id=anchor) is not None, a["href"]


def test_charts_and_tables_embedded_in_commentary(site):
    page = soup(site / "commentary" / "operation-nexus.html")
    assert page.select("figure.ot-chart .ot-chart__static img[alt]")
    assert "OTFRAGMENT" not in str(page)


# --- the whole site ------------------------------------------------------------------------------

def test_no_html_file_loads_anything_from_another_host(site):
    for path in site.rglob("*.html"):
        page = soup(path)
        for tag, attribute in (("script", "src"), ("img", "src"), ("link", "href"), ("iframe", "src"),
                               ("source", "src"), ("image", "href")):
            for element in page.find_all(tag):
                value = element.get(attribute)
                if value and not (tag == "link" and "canonical" in (element.get("rel") or [])):
                    assert not urlparse(value).netloc, f"{path}: {tag} {value}"
        assert "fonts.googleapis" not in path.read_text(encoding="utf-8")


def test_every_internal_link_resolves(site):
    for path in site.rglob("*.html"):
        for href in links(path):
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or href.startswith("#") or not parsed.path:
                continue
            # The 404 page links from the site root, since it is served for any missing path.
            base = site if parsed.path.startswith("/") else path.parent
            target = (base / unquote(parsed.path).lstrip("/")).resolve()
            assert target.exists(), f"{path.relative_to(site)} links to missing {href}"


def test_no_page_is_over_1_mb(site):
    for path in site.rglob("*.html"):
        assert path.stat().st_size < 1_000_000, path


def test_two_builds_are_byte_identical(site, tmp_path):
    again = tmp_path / "again"
    assert build_site(Project(ROOT), again).ok
    assert tree_digest(again) == tree_digest(site)


def test_site_src_is_never_written(tmp_path):
    before = tree_digest(ROOT / "site_src")
    project = copy_project(tmp_path / "project")
    source_before = tree_digest(project / "site_src")
    assert build_site(Project(project), tmp_path / "out").ok
    assert tree_digest(project / "site_src") == source_before
    assert tree_digest(ROOT / "site_src") == before


# --- failures leave the last good site -----------------------------------------------------------

def test_a_broken_package_exits_1_and_leaves_the_previous_site_untouched(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project)
    first = run_cli("build")
    assert first.exit_code == 0, first.output
    before = tree_digest(project / "site")
    outcomes = project / "datapackages" / "operation-nexus" / "data" / "outcomes.csv"
    outcomes.write_text(outcomes.read_text(encoding="utf-8").replace(",37,", ",3o,"), encoding="utf-8")
    second = run_cli("build")
    assert second.exit_code == 1
    assert 'datapackages/operation-nexus/data/outcomes.csv:2: error: field "value": "3o" is not an integer' in second.output
    assert "not built: the site in site was left as it was" in second.output
    assert tree_digest(project / "site") == before
    assert not [p for p in project.iterdir() if p.name.startswith(".site-")]  # no temporary folder left


def test_a_value_its_quote_does_not_state_fails_the_build(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project)
    outcomes = project / "datapackages" / "operation-nexus" / "data" / "outcomes.csv"
    outcomes.write_text(outcomes.read_text(encoding="utf-8").replace(",37,", ",39,"), encoding="utf-8")
    result = run_cli("build")
    assert result.exit_code == 1
    assert ('datapackages/operation-nexus/data/outcomes.csv:2: error: field "value": 39 is not stated in its quote '
            '"37 removed from the UK" (forms tried: 39, thirty-nine) [value-not-in-quote]') in result.output.splitlines()
    assert not (project / "site").exists()


def figure_rows() -> int:
    """The figures of the shipped package, counted from its CSV files: rows of tables with an id and a value."""
    count = 0
    for path in (NEXUS / "data").glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if rows and {"id", "value"} <= set(rows[0]):
            count += sum(1 for row in rows if row["id"])
    return count


def test_the_dataset_page_and_the_catalog_count_the_figures_linked_to_their_source(site):
    count = figure_rows()
    assert count >= 18
    page = soup(site / "data" / "operation-nexus.html")
    assert page.select_one("p.ot-provenance").get_text() == (
        f"{count} of {count} figures in this dataset link to the words of their source.")
    catalog = soup(site / "data" / "index.html")
    assert catalog.select_one("p.ot-provenance").get_text().startswith(
        f"{count} of the {count} figures in 1 dataset link to the words of their source.")
    assert catalog.select_one("table.ot-catalog tbody tr").find_all("td")[-1].get_text() == f"{count} of {count}"


def test_no_hand_written_page_claims_that_every_figure_links_to_its_source():
    claim = re.compile(r"\b(every|each|all)\s+(the\s+)?figures?\b[^.]*?\blinks?\b", re.I)
    for page in sorted((ROOT / "site_src").rglob("*.md")):
        text = " ".join(page.read_text(encoding="utf-8").split())
        assert not claim.search(text), f"{page.relative_to(ROOT)}: {claim.search(text).group(0)!r}"


def test_a_derived_figure_shows_its_derivation_beside_it(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    derivation = "37 removed from the UK plus 74 on restrictive reporting conditions"
    add_derived_figure(project / "datapackages" / "operation-nexus", derivation)
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    page = soup(project / "site" / "data" / "operation-nexus.html")
    block = page.find(id="outcomes-removed-or-on-conditions")  # the figure's block, its derivation beside its value
    assert block.select_one(".ot-fig__number").get_text() == "111"
    assert block.select_one(".ot-fig__derivation").get_text() == f"How it was worked out: {derivation}"
    table = page.find("caption", string="Outcomes for high harm subjects").find_parent("table")  # and the whole table
    row = next(tr for tr in table.select("tbody tr") if tr.th.get_text() == "removed-or-on-conditions")
    headers = [th.get_text() for th in table.select("thead th")]
    cells = [c.get_text() for c in row.find_all(["th", "td"])]
    assert cells[headers.index("Value")] == "111"
    assert cells[headers.index("Derivation")] == derivation
    count = figure_rows() + 1
    assert page.select_one("p.ot-provenance").get_text() == (
        f"{count} of {count} figures in this dataset link to the words of their source.")
    source = soup(project / "site" / "data" / "operation-nexus" / "sources" / "mps-letter-2013-07-24.html")
    derived = next(tr for tr in source.select("table tbody tr")
                   if tr.th and tr.th.get_text() == "Removed or on conditions")
    assert f"derived: {derivation}" in derived.get_text()


def test_a_package_whose_figures_have_no_quotes_says_so_on_its_page_and_in_the_catalog(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    counts = project / "datapackages" / "counts"
    (counts / "data").mkdir(parents=True)
    (counts / "data" / "t.csv").write_text("id,value\na,1\nb,2\n", encoding="utf-8")
    (counts / "datapackage.json").write_text(json.dumps({
        "name": "counts", "title": "Counts", "description": "Two counts.", "licenses": [{"name": "CC0-1.0"}],
        "sources": [{"title": "A table"}],
        "resources": [{"name": "t", "path": "data/t.csv", "schema": {
            "fields": [{"name": "id"}, {"name": "value", "type": "integer"}], "primaryKey": ["id"]}}]}), encoding="utf-8")
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 0, result.output  # a warning (no-provenance) does not stop the build
    page = soup(project / "site" / "data" / "counts.html")
    assert page.select_one("p.ot-provenance").get_text() == (
        "0 of 2 figures in this dataset link to the words of their source. "
        "Its figures have no quotes, so they cannot be checked against a source.")
    catalog = soup(project / "site" / "data" / "index.html")
    rows = {tr.th.get_text(): tr.find_all("td")[-1].get_text() for tr in catalog.select("table.ot-catalog tbody tr")}
    assert rows["Counts"] == "0 of 2 (no quotes)"
    count = figure_rows()
    assert catalog.select_one("p.ot-provenance").get_text().startswith(
        f"{count} of the {count + 2} figures in 2 datasets link to the words of their source.")


def test_a_missing_figure_in_commentary_fails_with_file_and_line(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    page = project / "site_src" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") + '\n\nSee {{ figure("operation-nexus/outcomes/removed") }}.\n',
                    encoding="utf-8")
    line = page.read_text(encoding="utf-8").splitlines().index('See {{ figure("operation-nexus/outcomes/removed") }}.') + 1
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 1
    assert (f'site_src/about.md:{line}: error: figure("operation-nexus/outcomes/removed"): table "outcomes" has no '
            'row with id "removed" [missing-reference]') in result.output
    assert not (project / "site").exists()


@pytest.mark.parametrize("macro, message", [
    ('{{ chart("operation-nexus/no-such-view") }}', 'package "operation-nexus" has no view "no-such-view"'),
    ('{{ table("nexus/outcomes") }}', 'there is no package "nexus"'),
    ('{{ graph("operation-nexus/officers") }}', 'unknown macro "graph"'),
    ('{{ figure(operation-nexus) }}', 'is not a macro this site knows'),
])
def test_bad_macros_fail_the_build(tmp_path, monkeypatch, macro, message):
    project = copy_project(tmp_path / "project")
    page = project / "site_src" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n\n{macro}\n", encoding="utf-8")
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 1
    assert message in result.output
    assert "site_src/about.md:" in result.output


def test_a_broken_internal_link_in_commentary_fails_the_build(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    page = project / "site_src" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n\n[gone](no-such-page.md)\n", encoding="utf-8")
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 1
    assert "no-such-page.md" in result.output
    assert "Traceback" not in result.output


# --- untrusted content ---------------------------------------------------------------------------

def test_script_handlers_and_javascript_links_are_removed(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    evil = ('<script>alert("x")</script><img src="x.png" onerror="alert(1)">'
            '<a href="javascript:alert(2)">click</a><p onclick="alert(3)">text</p>'
            '<img src="https://tracker.example/pixel.png" alt="pixel">')
    descriptor_path = project / "datapackages" / "operation-nexus" / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor["description"] += "\n\n" + evil
    descriptor["resources"][0]["title"] = 'Custody <script>alert("t")</script> [x](javascript:alert(4))'
    descriptor_path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    page = project / "site_src" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n\n" + evil + "\n", encoding="utf-8")
    monkeypatch.chdir(project)
    assert run_cli("build").exit_code == 0
    for built in [project / "site" / "data" / "operation-nexus.html", project / "site" / "about.html"]:
        html = soup(built)
        for script in html.find_all("script"):
            assert "alert" not in (script.string or ""), built
        for element in html.find_all(True):
            assert not any(name.startswith("on") for name in element.attrs), (built, element)
            for name in ("href", "src"):
                assert not str(element.get(name, "")).lower().startswith("javascript:"), (built, element)
        assert not html.find("img", src=re.compile("tracker.example"))
        assert html.find("a", href="https://tracker.example/pixel.png") is not None  # the image became a link


# --- packages published by others ----------------------------------------------------------------

def test_a_package_published_by_others_publishes_unchanged_with_its_simple_view(tmp_path, monkeypatch):
    from conftest import CORPUS

    project = copy_project(tmp_path / "project", [NEXUS, CORPUS / "bond-yields-uk-10y"])
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    page = soup(project / "site" / "data" / "bond-yields-uk-10y.html")
    figure = page.find("figure", id="bond-yields-uk-10y-graph")
    assert figure.select_one(".ot-chart__static img[alt]") is not None
    assert len(figure.select("details table tbody tr")) == 168
    assert not page.find("img", src=re.compile("badgen"))
    downloaded = project / "site" / "downloads" / "bond-yields-uk-10y"
    assert not filecmp.dircmp(CORPUS / "bond-yields-uk-10y" / "data", downloaded / "data").diff_files


def test_real_world_formats_views_and_unknown_view_types(tmp_path, monkeypatch):
    sink = ROOT / "tests" / "fixtures" / "packages" / "kitchen-sink"
    project = copy_project(tmp_path / "project", [NEXUS, sink])
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    page_path = project / "site" / "data" / "kitchen-sink.html"
    page = soup(page_path)
    for name in ("by-names", "by-objects", "by-resource-name"):
        figure = page.find("figure", id=f"kitchen-sink-{name}")
        assert figure.select_one(".ot-chart__static img[alt]") is not None, name
    plotted = page.find("figure", id="kitchen-sink-plotted")
    assert plotted.select_one(".ot-chart__static") is None and plotted.select_one("img") is None
    assert 'This site cannot draw views of type "plot"' in plotted.get_text()
    assert [td.get_text() for td in plotted.select("details table tbody tr")[0].find_all("td")] == ["North", "10"]
    rows = page.find("caption", string="mixed").find_parent("table").select("tbody tr")
    cells = [[c.get_text() for c in row.find_all(["th", "td"])] for row in rows]
    assert cells[0] == ["2019", "2019-01", "2019-02-01", "1,234.5", "0.5", "true", "first"]
    assert cells[1][4] == "" and cells[1][6] == ""  # missing values are empty, not "NA"
    assert cells[2][3] == "123,456"
    # The CRLF file with its byte-order mark is published byte for byte.
    published = project / "site" / "downloads" / "kitchen-sink" / "data" / "mixed.csv"
    assert published.read_bytes() == (sink / "data" / "mixed.csv").read_bytes()
    assert published.read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_large_resource_gets_a_bounded_preview_and_pages_stay_under_1_mb(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project", [NEXUS])
    big = project / "datapackages" / "big"
    (big / "data").mkdir(parents=True)
    with open(big / "data" / "daily.csv", "w", encoding="utf-8", newline="") as f:
        f.write("day,count\n")
        for n in range(60_000):
            f.write(f"{2000 + n // 366:04d}-{1 + (n // 31) % 12:02d}-{1 + n % 28:02d},{n % 997}\n")
    (big / "datapackage.json").write_text(json.dumps({
        "name": "big", "title": "Big", "description": "Many rows.", "licenses": [{"name": "CC0-1.0"}],
        "sources": [{"title": "generated"}],
        "resources": [{"name": "daily", "path": "data/daily.csv", "schema": {"fields": [
            {"name": "day", "type": "date"}, {"name": "count", "type": "integer"}]}}],
        "views": [{"name": "trend", "title": "Count by day", "resources": ["daily"], "specType": "simple",
                   "spec": {"type": "line", "group": "day", "series": ["count"]}}]}), encoding="utf-8")
    monkeypatch.chdir(project)
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    page_path = project / "site" / "data" / "big.html"
    assert page_path.stat().st_size < 1_000_000
    page = soup(page_path)
    assert "The table shows the first 50 of 60,000 rows." in page.get_text()
    assert len(page.find("caption", string="daily").find_parent("table").select("tbody tr")) == 50
    figure = page.find("figure", id="big-trend")
    assert figure.select_one(".ot-chart__static img[alt]") is not None
    assert len(figure.select("details table tbody tr")) <= 2_000


def test_with_a_site_url_the_sitemap_lists_every_page(tmp_path, monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://stats.example.org/nexus/")
    out = tmp_path / "site"
    assert build_site(Project(ROOT), out).ok
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    sitemap = ET.parse(out / "sitemap.xml").getroot()
    listed = sorted(loc.text.strip().removeprefix("https://stats.example.org/nexus/") for loc in sitemap.findall("s:url/s:loc", ns))
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if p.name != "404.html")
    assert listed == pages
    assert {m.text for m in sitemap.findall("s:url/s:lastmod", ns)} == {"2026-11-26"}  # the data's date, not the clock


# --- the Content-Security-Policy -------------------------------------------------------------------

def test_every_page_carries_a_csp_that_allows_no_inline_script_and_comes_before_any_script(site):
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        page = soup(path)
        meta = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert meta is not None, path
        policy = dict(part.strip().split(" ", 1) for part in meta["content"].split(";"))
        assert policy["default-src"] == "'none'"
        scripts = policy["script-src"].split()
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
        assert all(s == "'self'" or s.startswith("'sha256-") for s in scripts), scripts
        assert text.index("Content-Security-Policy") < text.index("<script"), path
        # Each inline script that runs is one the policy names by its hash.
        for script in page.find_all("script", src=False):
            if script.get("type") in ("application/json", "application/ld+json"):
                continue
            digest = hashlib.sha256(script.string.encode("utf-8")).digest()
            assert f"'sha256-{base64.b64encode(digest).decode()}'" in scripts, path


def test_a_page_with_an_inline_script_the_theme_did_not_write_is_refused(tmp_path):
    from opentally.issues import BuildError
    from opentally.write import secure_pages, theme_scripts

    allowed = theme_scripts([str(ROOT / "templates" / "theme")])
    (tmp_path / "ok.html").write_text("<html><head><meta charset=\"utf-8\"></head><body><p>x</p></body></html>")
    (tmp_path / "bad.html").write_text("<html><head></head><body><script>alert(1)</script>"
                                       "<a href=\" JaVaScRiPt:alert(2)\">a</a><img src=x onerror=alert(3)></body></html>")
    with pytest.raises(BuildError) as caught:
        secure_pages(tmp_path, allowed)
    message = str(caught.value)
    assert "bad.html: an inline script the theme did not write: 'alert(1)'" in message
    assert "bad.html: <a> has a href that runs script" in message
    assert "bad.html: <img> has an event handler (onerror)" in message
    assert "ok.html" not in message
