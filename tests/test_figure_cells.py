"""figure() names any cell: a row by its primary key, a column by its name."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from conftest import run_cli
from opentally import load
from opentally.plan import plan_site
from test_build import copy_project

MONTHLY = {
    "name": "stop-search",
    "title": "Stop and search by month and area",
    "description": "Made up for the tests.",
    "licenses": [{"name": "CC0-1.0", "title": "Creative Commons Zero v1.0"}],
    "sources": [{"title": "Made up"}],
    "resources": [
        {"name": "searches", "path": "data/searches.csv", "schema": {
            "fields": [{"name": "month", "type": "yearmonth"}, {"name": "area", "type": "string"},
                       {"name": "arrests", "type": "integer", "unit": "arrests"},
                       {"name": "share", "type": "number", "unit": "percent"}],
            "primaryKey": ["month", "area"]}},
        {"name": "notes", "path": "data/notes.csv", "schema": {
            "fields": [{"name": "note", "type": "string"}, {"name": "count", "type": "integer"}]}},
    ],
}
ROWS = "month,area,arrests,share\n2024-03,North,4788,12.5\n2024-03,South,1006,8\n2024-04,North,4900,13\n"
PAGE = """# Arrests after stop and search

In March 2024 the North made {{ figure("stop-search/searches", key=["2024-03", "North"], column="arrests") }},
{{ figure("stop-search/searches", key=["2024-03", "North"], column="share") }} of searches.
The letter counts {{ figure("operation-nexus/outcomes", key="removed-from-uk", column="value") }}.
"""


def project_with(tmp_path, page: str):
    project = copy_project(tmp_path / "project")
    package = project / "datapackages" / "stop-search"
    (package / "data").mkdir(parents=True)
    (package / "datapackage.json").write_text(json.dumps(MONTHLY), encoding="utf-8")
    (package / "data" / "searches.csv").write_text(ROWS, encoding="utf-8")
    (package / "data" / "notes.csv").write_text("note,count\na,1\n", encoding="utf-8")
    (project / "site_src" / "commentary" / "cells.md").write_text(page, encoding="utf-8")
    return project


def test_a_cell_is_shown_with_its_unit_and_links_to_its_row(tmp_path):
    project = project_with(tmp_path, PAGE)
    result = run_cli("build", "--project", str(project), "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    page = BeautifulSoup((tmp_path / "site" / "commentary" / "cells.html").read_text(encoding="utf-8"), "html.parser")
    links = [(a.get_text(), a["href"]) for a in page.select("a.ot-figure")]
    assert links == [("4,788 arrests", "../data/stop-search.html#searches-2024-03--North"),
                     ("12.5%", "../data/stop-search.html#searches-2024-03--North"),
                     ("37 people", "../data/operation-nexus.html#outcomes-removed-from-uk")]
    dataset = BeautifulSoup((tmp_path / "site" / "data" / "stop-search.html").read_text(encoding="utf-8"), "html.parser")
    row = dataset.find(id="searches-2024-03--North")
    assert row is not None and "4,788" in row.get_text()


@pytest.mark.parametrize("call, words", [
    ('figure("stop-search/searches", key=["2024-03", "Nroth"], column="arrests")',
     ['has no row with the key ["2024-03", "Nroth"]', 'did you mean "2024-03, North"']),
    ('figure("stop-search/searches", key="2024-03", column="arrests")',
     ["the key of table \"searches\" is 2 column(s), month, area; key= gives 1 value(s)"]),
    ('figure("stop-search/searches", key=["2024-03", "North"], column="arests")',
     ['has no column "arests"', 'did you mean "arrests"']),
    ('figure("stop-search/notes", key="a", column="count")', ['table "notes" has no primary key']),
    ('figure("stop-serch/searches", key="a", column="b")', ['there is no package "stop-serch"', 'did you mean "stop-search"']),
    ('figure("stop-search/searches", key="a")', ["figure() needs both key= and column="]),
])
def test_a_cell_that_is_not_there_fails_with_the_page_line_and_nearest_names(tmp_path, call, words):
    project = project_with(tmp_path, "# Cells\n\nText.\n\n{{ " + call + " }}\n")
    packages = load.load_packages(load.find_packages(project / "datapackages"))
    _, issues = plan_site(packages, project / "site_src")
    messages = [f"{i.path}:{i.row}: {i.message} {i.hint}" for i in issues if i.is_error]
    assert len(messages) == 1, messages
    assert messages[0].split(":")[0].endswith("site_src/commentary/cells.md") and ":5:" in messages[0]
    for word in words:
        assert word in messages[0], messages[0]


def test_a_typo_names_the_nearest_choices_not_every_name(tmp_path):
    project = project_with(tmp_path, "# Cells\n\n{{ figure(\"operation-nexus/outcomes/removed-from-the-uk\") }}\n")
    packages = load.load_packages(load.find_packages(project / "datapackages"))
    _, issues = plan_site(packages, project / "site_src")
    hint = next(i.hint for i in issues if i.is_error)
    assert 'did you mean "removed-from-uk"' in hint
    assert "and " in hint and "more" in hint or hint.count(",") <= 8
