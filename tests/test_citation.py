"""Sources, citation and dates (issue 10, points 3, 5 and 6), checked on the built site's files and HTML
and, where cheaper, on the functions: BibTeX, RIS and CSL-JSON that parse; zips that stand alone; the
period the data covers; links to a source's original; ``source-url`` errors."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import CONFIGURED_SITE_URL, NEXUS, ROOT, run_cli
from opentally import citation, conventions, dates
from opentally.pipeline import Project, build_site

DATASET = "data/operation-nexus.html"
SOURCE_PAGE = "data/operation-nexus/sources/mps-letter-2013-07-24.html"
SOURCES_CSV = "datapackages/operation-nexus/data/sources.csv"
CITATION_TEXT = ("Metropolitan Police Service (2013). Operation Nexus: Metropolitan Police figures, June 2012 to July "
                 "2013 [Data set]. Version 1.1.0. Open Tally. {url}. Data last changed 26 November 2026.")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def bibtex_fields(text: str) -> tuple[str, str, dict[str, str]]:
    """A BibTeX entry read as BibTeX reads it: type, key and fields, values with their outer braces off.
    Like BibTeX, counts every brace, a backslashed one too. Fails on unbalanced braces."""
    match = re.fullmatch(r"@(\w+)\{([^,\s]+),\n(.*)\}\n", text, re.S)
    assert match, text
    kind, key, body = match.groups()
    fields, at = {}, 0
    while at < len(body):
        name_match = re.compile(r"\s*(\w+) = ").match(body, at)
        assert name_match, body[at:]
        at = name_match.end()
        if body[at] == "{":
            depth, start = 0, at
            while True:
                depth += {"{": 1, "}": -1}.get(body[at], 0)
                at += 1
                if depth == 0:
                    break
            value = body[start + 1:at - 1]
        else:
            end = body.index(",", at)
            value, at = body[at:end], end
        assert body[at] == ",", body[at:]
        at += 1
        fields[name_match.group(1)] = value
        at = len(body) if not body[at:].strip() else at
    return kind, key, fields


def ris_records(text: str) -> list[tuple[str, str]]:
    lines = text.split("\r\n")
    assert lines[-1] == "", "every RIS line ends in CRLF"
    tags = []
    for line in lines[:-1]:
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, line
        tags.append(match.groups())
    assert tags[0] == ("TY", "DATA") and tags[-1] == ("ER", "")
    return tags


# --- the citation's formats ----------------------------------------------------------------------

class _Source:
    def __init__(self, publisher: str, date_: str):
        self.publisher, self.date = publisher, date_


def test_bibtex_ris_and_csl_json_parse_and_say_the_same_thing():
    cited = citation.cite("my-data", "Arrests {2023}: 50% & more_#~^\\", {"version": "2.1"},
                          [_Source("Home Office", "2023-05-04"), _Source("Home Office", "2022-01-01"),
                           _Source("Office for National Statistics", "")], "2024-02-03", "Open Tally",
                          "https://example.org/data/my-data.html")
    assert cited.authors == ("Home Office", "Office for National Statistics")
    assert cited.text() == ("Home Office and Office for National Statistics (2023). Arrests {2023}: 50% & more_#~^\\ "
                            "[Data set]. Version 2.1. Open Tally. https://example.org/data/my-data.html. "
                            "Data last changed 3 February 2024.")
    kind, key, fields = bibtex_fields(cited.bibtex())
    assert (kind, key) == ("misc", "my-data-2023")
    assert fields["author"] == "{Home Office} and {Office for National Statistics}"
    assert fields["title"] == (r"{Arrests \textbraceleft{}2023\textbraceright{}: 50\% \& more\_\#\~{}\^{}"
                               r"\textbackslash{}}")
    assert (fields["year"], fields["month"], fields["date"], fields["version"]) == ("2023", "may", "2023-05-04", "2.1")
    assert fields["url"] == "https://example.org/data/my-data.html"
    assert fields["note"] == "Data set. Data last changed 2024-02-03"
    tags = ris_records(cited.ris())
    assert ("AU", "Home Office") in tags and ("AU", "Office for National Statistics") in tags
    assert ("PY", "2023") in tags and ("DA", "2023/05/04") in tags and ("ET", "2.1") in tags
    assert ("UR", "https://example.org/data/my-data.html") in tags
    items = json.loads(cited.csl_json())
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    assert {"id", "type", "title", "author", "issued"} <= set(item)
    assert item["type"] == "dataset" and item["issued"] == {"date-parts": [[2023, 5, 4]]}
    assert item["author"] == [{"literal": "Home Office"}, {"literal": "Office for National Statistics"}]
    assert item["URL"] == "https://example.org/data/my-data.html" and item["version"] == "2.1"


# --- red-team review: BibTeX injection -----------------------------------------------------------

_LATEX_TEXT = {r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\^{}": "^",
               r"\~{}": "~", r"\&": "&", r"\%": "%", r"\$": "$", r"\#": "#", r"\_": "_"}


def _latex_text(value: str) -> str:
    """A BibTeX value as the text it typesets (the escapes ``citation`` writes, undone)."""
    return re.sub("|".join(re.escape(k) for k in _LATEX_TEXT), lambda m: _LATEX_TEXT[m.group()], value)


_FORGED = '}}, url = "https://evil.example/", x = jul'


@pytest.mark.parametrize("part", ["title", "version", "publisher", "author", "url", "site url"])
def test_a_brace_or_quote_in_any_part_never_closes_a_bibtex_field_or_forges_another(part):
    title, version, publisher, author, url = "Operation Nexus", "1.0.0", "Open Tally", "Home Office", \
        "https://example.org/data/x.html"
    payload = _FORGED + ' \\} { \\{ "'
    if part == "title":
        title += payload
    elif part == "version":
        version += payload
    elif part == "publisher":
        publisher += payload
    elif part == "author":
        author += payload
    elif part == "url":
        url += '?q=}},x={"}\\é'
    else:
        url = 'https://example.org/a},url={https://evil.example/}"/data/x.html'
    cited = citation.Citation("x-2023", (author,), title, "2023-05-04", version, publisher, url, "")
    bib = cited.bibtex()
    for line in bib.splitlines()[1:-1]:  # every field on its own line, its braces balanced within it
        depth = 0
        for c in line:
            depth += {"{": 1, "}": -1}.get(c, 0)
            assert depth >= 0, line
        assert depth == 0, line
    assert cited.absolute_url, url
    kind, key, fields = bibtex_fields(bib)
    assert set(fields) == {"author", "title", "year", "month", "date", "version", "publisher", "url", "note"}
    assert _latex_text(fields["title"]) == "{" + title + "}"
    assert _latex_text(fields["version"]) == version
    assert _latex_text(fields["publisher"]) == publisher
    assert _latex_text(fields["author"]) == "{" + author + "}"
    assert re.fullmatch(r"[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=\\%#]+", fields["url"]), fields["url"]
    assert "{" not in fields["url"] and '"' not in fields["url"] and " " not in fields["url"]


def test_without_sources_the_package_publisher_is_the_author_and_a_relative_address_stays_out_of_files():
    cited = citation.cite("x", "X", {"publisher": {"title": "A Council"}, "created": "2020-04-01T00:00:00Z"}, [], "",
                          "Open Tally", "data/x.html")
    assert cited.authors == ("A Council",) and cited.issued == "2020-04-01"
    assert cited.text() == "A Council (2020). X [Data set]. Open Tally. data/x.html."
    assert "url" not in bibtex_fields(cited.bibtex())[2]
    assert "UR" not in dict(ris_records(cited.ris()))
    assert "URL" not in json.loads(cited.csl_json())[0]
    assert cited.portable().text() == "A Council (2020). X [Data set]. Open Tally."


@pytest.mark.parametrize("start, end, text", [
    ("2012-06-01", "2013-07-24", "June 2012 to July 2013"),
    ("2013-06-01", "2013-07-24", "June to July 2013"),
    ("2013-07-01", "2013-07-31", "July 2013"),
    ("2013-07-01", "2013-07-24", "1 to 24 July 2013"),
    ("2013-07-24", "2013-07-24", "24 July 2013"),
])
def test_periods_read_as_people_write_them(start, end, text):
    assert dates.period_summary(date.fromisoformat(start), date.fromisoformat(end)) == text


class _Resource:
    def __init__(self, name, names, rows, key=("id",)):
        self.name, self.tabular, self.primary_key, self.rows = name, True, key, rows
        self.fields = [type("F", (), {"name": n}) for n in names]


def test_the_period_comes_from_temporal_else_from_the_figures_dates_without_targets():
    figures = _Resource("f", ["id", "value", "period_start", "period_end", "as_of", "qualifier"], [
        {"id": "a", "value": 1, "period_start": date(2012, 6, 1), "period_end": date(2013, 6, 30), "qualifier": "exact"},
        {"id": "b", "value": 2, "as_of": date(2013, 7, 24), "qualifier": "rounded"},
        {"id": "c", "value": 3, "period_end": date(2013, 12, 31), "qualifier": "aspiration"},
    ])
    not_figures = _Resource("g", ["id", "period_start"], [{"id": "x", "period_start": date(1999, 1, 1)}])
    assert conventions.data_period({}, [figures, not_figures]) == (date(2012, 6, 1), date(2013, 7, 24))
    assert conventions.data_period({"temporal": {"start": "2001", "end": "2002-02"}}, [figures]) == \
        (date(2001, 1, 1), date(2002, 2, 28))
    assert conventions.data_period({"temporal": "2010-01-05/2010-03"}, []) == (date(2010, 1, 5), date(2010, 3, 31))
    assert conventions.data_period({}, [not_figures]) is None


# --- the shipped site: pages -----------------------------------------------------------------------

def test_the_dataset_page_cites_the_body_with_the_source_date_version_and_last_change(built_site):
    page = soup(built_site / DATASET)
    text = page.select_one(".ot-citation .ot-cite").get_text()
    assert text == CITATION_TEXT.format(url="data/operation-nexus.html")
    assert "Open Tally (2026)" not in text
    for fmt in ("BibTeX", "RIS", "CSL-JSON"):
        assert page.find("summary", string=fmt) is not None
    files = {a.get_text(): a["href"] for a in page.select(".ot-cite-files a[download]")}
    assert files == {"BibTeX (bib)": "../downloads/operation-nexus/citation.bib",
                     "RIS (ris)": "../downloads/operation-nexus/citation.ris",
                     "CSL-JSON (json)": "../downloads/operation-nexus/citation.json"}
    bib = (built_site / "downloads/operation-nexus/citation.bib").read_text(encoding="utf-8")
    assert page.select_one("#_cite-bibtex").get_text() == bib.strip()
    assert bibtex_fields(bib)[2]["author"] == "{Metropolitan Police Service}"
    ris_records((built_site / "downloads/operation-nexus/citation.ris").read_bytes().decode("utf-8"))
    csl = json.loads((built_site / "downloads/operation-nexus/citation.json").read_text(encoding="utf-8"))
    assert csl[0]["issued"] == {"date-parts": [[2013, 7, 24]]} and csl[0]["version"] == "1.1.0"
    # Copy buttons come hidden: without JavaScript the text is there, and no button that does nothing.
    buttons = page.select("button.ot-copy")
    assert len(buttons) == 4 and all(b.has_attr("hidden") for b in buttons)
    boxes = [b.find_parent(attrs={"data-copy-box": True}) for b in buttons]  # each copies its own box
    assert all(box.select_one("[data-copy-text]") is not None and box.select_one("[data-copy-status]")["aria-live"]
               == "polite" and len(box.select("button.ot-copy")) == 1 for box in boxes)


def test_no_row_anchor_can_take_an_id_of_the_citation(built_site):
    """Red-team review: a row anchor is "{resource}-{row id}" (plan.row_anchor) and a resource name is a
    valid name (names._NAME): no such anchor equals an id of the citation box, whatever the row id."""
    from opentally import names, plan

    page = soup(built_site / DATASET)
    ids = [element["id"] for element in page.select(".ot-citation [id]")]
    assert {"_cite-text", "_cite-status", "_cite-bibtex", "_cite-ris", "_cite-csl-json"} <= set(ids)
    for id_ in ids:
        for at, char in enumerate(id_):  # every way to read the id as "{resource}-{row id}"
            if char == "-":
                resource, row = id_[:at], id_[at + 1:]
                assert plan.row_anchor(resource, row) == id_
                assert names.name_problem(resource) is not None, (id_, resource)
    assert plan.row_anchor("cite", "text") == "cite-text" not in ids  # the collision the review found


def test_the_letter_is_cited_naming_its_recipient_once(built_site):
    for path in (DATASET, SOURCE_PAGE):
        page = soup(built_site / path)
        cite = page.select_one("#source-mps-letter-2013-07-24" if path == DATASET else "p.ot-cite").get_text()
        assert cite.count("Joanne McCartney") == 1, cite
        assert "Mark Rowley (Assistant Commissioner, Specialist Crime and Operations)" in cite


def test_the_dataset_page_and_the_catalog_show_the_period_and_the_last_change_not_the_build_date(built_site):
    page = soup(built_site / DATASET)
    meta = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
            for dt in page.select("dl.ot-meta dt")}
    assert meta["Period covered"] == "June 2012 to July 2013 (1 June 2012 to 24 July 2013)"
    assert meta["Last changed"] == "26 November 2026"
    catalog = soup(built_site / "data/index.html")
    headers = [th.get_text() for th in catalog.select("table.ot-catalog thead th")]
    row = dict(zip(headers, catalog.select_one("table.ot-catalog tbody tr").find_all(["th", "td"])))
    assert row["Period covered"].get_text() == "June 2012 to July 2013"
    assert row["Last changed"].time["datetime"] == "2026-11-26"


def test_json_ld_and_dcat_give_the_body_the_period_and_absolute_addresses_when_the_site_url_is_set(
        built_site, configured_site):
    for site, base in ((built_site, ""), (configured_site, CONFIGURED_SITE_URL)):
        page = soup(site / DATASET)
        data = json.loads(page.find("script", type="application/ld+json").string)
        assert data["creator"] == [{"@type": "Organization", "name": "Metropolitan Police Service"}]
        assert data["temporalCoverage"] == "2012-06-01/2013-07-24"
        assert data["url"] == f"{base}data/operation-nexus.html"
        catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
        dataset = catalog["dcat:dataset"][0]
        assert dataset["dct:temporal"] == {
            "@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": "2012-06-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": "2013-07-24", "@type": "xsd:date"}}
        assert dataset["dct:creator"] == [{"@type": "foaf:Agent", "foaf:name": "Metropolitan Police Service"}]
        assert dataset["dcat:landingPage"] == {"@id": f"{base}data/operation-nexus.html"}
    configured = soup(configured_site / DATASET)
    assert configured.select_one(".ot-citation .ot-cite").get_text() == \
        CITATION_TEXT.format(url=f"{CONFIGURED_SITE_URL}data/operation-nexus.html")
    bib = bibtex_fields((configured_site / "downloads/operation-nexus/citation.bib").read_text(encoding="utf-8"))[2]
    assert bib["url"] == f"{CONFIGURED_SITE_URL}data/operation-nexus.html"


# --- the shipped site: downloads that stand alone ----------------------------------------------------

def test_the_zip_holds_a_readme_and_the_licence_and_its_files_carry_the_last_change(built_site):
    with zipfile.ZipFile(built_site / "downloads" / "operation-nexus.zip") as archive:
        infos = archive.infolist()
        assert {i.date_time for i in infos} == {(2026, 11, 26, 0, 0, 0)}
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert "operation-nexus/data/custody.csv" in names
        readme = archive.read("operation-nexus/README.txt").decode("utf-8")
        licence = archive.read("operation-nexus/LICENCE.txt").decode("utf-8")
    assert readme.startswith("Operation Nexus: Metropolitan Police figures, June 2012 to July 2013\n=====")
    assert "Operation Nexus is a Metropolitan Police Service (MPS) operation" in readme
    assert ("Metropolitan Police Service (2013). Operation Nexus: Metropolitan Police figures, June 2012 to July 2013 "
            "[Data set]. Version 1.1.0. Open Tally. Data last changed 26 November 2026.") in readme
    assert "Open Government Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in readme
    assert "Version: 1.1.0" in readme and "Data last changed: 26 November 2026 (2026-11-26)" in readme
    assert "Period covered: June 2012 to July 2013 (2012-06-01 to 2013-07-24)" in readme
    assert all(f"{name} (" in readme for name in names if not name.endswith("README.txt"))
    assert "Open Government Licence v3.0 (OGL-UK-3.0)" in licence
    assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in licence


def test_every_chart_offers_a_bundle_that_stands_alone(built_site, tmp_path):
    from frictionless import validate

    page = soup(built_site / DATASET)
    descriptor = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))
    for view in descriptor["views"]:
        figure = page.find("figure", id=f"operation-nexus-{view['name']}")
        links = {a.get_text(): a["href"] for a in figure.select(".ot-chart__downloads a[download]")}
        bundle = (built_site / "data" / links["Data with description and licence (ZIP)"]).resolve()
        folder = f"operation-nexus-{view['name']}"
        with zipfile.ZipFile(bundle) as archive:
            assert sorted(archive.namelist()) == [f"{folder}/{n}" for n in
                                                  ("LICENCE.txt", "README.txt", "data.csv", "datapackage.json")]
            assert {i.date_time for i in archive.infolist()} == {(2026, 11, 26, 0, 0, 0)}
            archive.extractall(tmp_path / view["name"])
        unpacked = tmp_path / view["name"] / folder
        assert (unpacked / "data.csv").read_bytes() == (built_site / "charts/operation-nexus" / f"{view['name']}.csv").read_bytes()
        package = json.loads((unpacked / "datapackage.json").read_text(encoding="utf-8"))
        assert package["title"] == view["title"]
        assert package["licenses"][0]["name"] == "OGL-UK-3.0"
        assert package["sources"][0]["title"].startswith("Metropolitan Police Service, from Mark Rowley")
        header = next(csv.reader(io.StringIO((unpacked / "data.csv").read_text(encoding="utf-8"))))
        assert [f["name"] for f in package["resources"][0]["schema"]["fields"]] == header
        report = validate(str(unpacked / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
        readme = (unpacked / "README.txt").read_text(encoding="utf-8")
        assert readme.startswith(view["title"] + "\n")
        assert view["description"] in readme
        assert "Metropolitan Police Service (2013). Operation Nexus" in readme and "data/operation-nexus.html" not in readme
        assert "Open Government Licence v3.0" in readme


def test_zips_are_the_same_bytes_for_the_same_input():
    entries = [("b/x.txt", b"x"), ("a/y.txt", b"y")]
    assert citation.zip_bytes(entries, "2020-02-03") == citation.zip_bytes(list(reversed(entries)), "2020-02-03")
    with zipfile.ZipFile(io.BytesIO(citation.zip_bytes(entries, ""))) as archive:
        assert archive.namelist() == ["a/y.txt", "b/x.txt"]
        assert archive.infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)


# --- a copy of the project: links to the original, git dates, validation -----------------------------

def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for folder in ("datapackages", "site_src", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


def _set_source_links(project: Path, url: str, archived: str) -> None:
    path = project / SOURCES_CSV
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    rows[0].update(url=url, archived_url=archived)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_source_pages_and_citations_link_to_the_original_and_its_archived_copy(tmp_path):
    project = _project(tmp_path)
    original = "https://www.london.gov.uk/example/appendix-b.pdf?a=1&b=2"
    archived = "https://web.archive.org/web/2013/https://www.london.gov.uk/example/appendix-b.pdf"
    _set_source_links(project, original, archived)
    result = build_site(Project(project), tmp_path / "site")
    assert result.ok, result.report
    for path in (DATASET, SOURCE_PAGE):
        page = soup(tmp_path / "site" / path)
        assert page.select_one("a.ot-source-original")["href"] == original, path
        assert page.select_one("a.ot-source-archived")["href"] == archived, path
    bundle = tmp_path / "site/charts/operation-nexus/officers.zip"
    with zipfile.ZipFile(bundle) as archive:
        package = json.loads(archive.read("operation-nexus-officers/datapackage.json"))
    assert package["sources"][0]["path"] == original


@pytest.mark.parametrize("field, value", [("url", "javascript:alert(1)"), ("archived_url", "www.example.org/x"),
                                          ("url", "https://exa mple.org/")])
def test_a_source_address_that_is_not_http_is_an_error_naming_file_row_and_field(nexus_copy, field, value):
    url, archived = (value, "") if field == "url" else ("", value)
    _set_source_links(nexus_copy.parent.parent, url, archived)
    result = run_cli("validate")
    assert result.exit_code == 1, result.output
    assert (f'{SOURCES_CSV}:2: error: field "{field}": "{value}" is not a web address (http:// or https://), so the '
            "site cannot link to it [source-url]") in result.output.splitlines()


@pytest.mark.parametrize("value", ["https://www.met.police.uk@evil.example/", "https://user:pw@evil.example/x",
                                   "http://:@evil.example/"])
def test_an_address_with_a_name_before_the_host_is_no_web_address_and_validate_says_why(nexus_copy, value):
    """Red-team review: user-info makes an address read as one host and lead to another."""
    assert not conventions.is_web_url(value)
    assert conventions.is_web_url("https://www.met.police.uk/x?a=b@c#d@e")  # "@" after the host is fine
    _set_source_links(nexus_copy.parent.parent, value, "")
    result = run_cli("validate")
    assert result.exit_code == 1, result.output
    assert (f'{SOURCES_CSV}:2: error: field "url": "{value}" is not a web address (http:// or https://), so the '
            'site cannot link to it: it has a name and "@" before the host, which hides where the link leads '
            "[source-url]") in result.output.splitlines(), result.output


def test_without_a_modified_date_the_last_change_comes_from_git_history(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = _project(tmp_path)
    descriptor_path = project / "datapackages/operation-nexus/datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    del descriptor["modified"], descriptor["created"]
    descriptor_path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    out = tmp_path / "no-git-site"
    assert build_site(Project(project), out).ok
    page = soup(out / DATASET)
    meta = [dt.get_text() for dt in page.select("dl.ot-meta dt")]
    assert "Last changed" not in meta  # not a git repository, no date given: no date at all, never the build's

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "2025-03-04T12:00:00Z",
           "GIT_COMMITTER_DATE": "2025-03-04T12:00:00Z", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "data"]):
        subprocess.run(command, cwd=project, env=env, check=True)
    assert build_site(Project(project), out).ok
    page = soup(out / DATASET)
    meta = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
            for dt in page.select("dl.ot-meta dt")}
    assert meta["Last changed"] == "4 March 2025"
    with zipfile.ZipFile(out / "downloads" / "operation-nexus.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2025, 3, 4, 0, 0, 0)}


# --- red-team review: the repository's host ------------------------------------------------------

@pytest.mark.parametrize("repo_url, host", [
    ("https://github.com/org/repo", "GitHub"), ("https://gitlab.com/org/repo", "GitLab"),
    ("https://gitlab.example.org/group/repo", "GitLab"), ("https://GitLab.Example.org/group/repo", "GitLab"),
    ("https://gitlab.@evil.example/org/repo", ""), ("https://gitlab.example.org@evil.example/org/repo", ""),
    ("https://user@github.com/org/repo", ""), ("https://gitlab./org/repo", ""), ("https://gitlab.-x.org/o/r", ""),
    ("https://gitlab.example.org:8443/o/r", ""), ("https://gitlab.exa_mple.org/o/r", ""),
    ("http://github.com/org/repo", ""), ("https://codeberg.org/org/repo", ""),
])
def test_only_a_plain_github_or_gitlab_hostname_gets_repository_links(repo_url, host):
    from types import SimpleNamespace

    from opentally import write
    from opentally.render import SiteSettings, make_environment

    assert write.repository_host(repo_url) == host
    env = make_environment(ROOT / "templates")
    env.globals["site"] = SiteSettings(repo_url=repo_url)
    package = SimpleNamespace(directory=ROOT / "datapackages" / "nexus")
    resource = SimpleNamespace(tabular=True, path="data/a.csv", title="A")
    html = env.get_template("partials/package/edit.html.j2").render(package=package, resource=resource)
    links = [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")]
    editor = {"GitHub": "/edit/", "GitLab": "/-/edit/"}.get(host)
    assert links == ([f"{repo_url}{editor}main/datapackages/nexus/data/a.csv"] if host else []), links
    assert f"in {host}'s editor" in html if host else html.strip() == ""
