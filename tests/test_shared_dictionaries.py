"""One data dictionary per list of fields: tables with the same fields share one, shown once.

The dataset page shows a dictionary with the first table that has its fields, naming every table
that has them; each other table's section says in a sentence that its fields are those, and links
to that dictionary. Tables whose fields differ (or whose primary key differs) each keep their own.
Checked in the built HTML, as readers get it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import NEXUS
from opentally.pipeline import Project, build_site
from test_build import copy_project

# Contributor text is hostile: a title with markup, an ampersand and quotes stays text everywhere.
NORTH = 'North <em>"counts"</em> & more'
COUNTS = {"fields": [{"name": "region", "type": "string", "title": "Region", "description": "Where."},
                     {"name": "count", "type": "integer", "title": "Count", "constraints": {"minimum": 0}}],
          "primaryKey": ["region"]}
PRICES = {"fields": [{"name": "item", "type": "string"}, {"name": "price", "type": "number", "unit": "GBP"},
                     {"name": "when", "type": "date"}]}


def _shapes(package: Path) -> None:
    """Five tables: north (a schema file), south (the same fields inline) and east (the file again)
    share; west has the same fields but another primary key; prices has other fields."""
    (package / "data").mkdir(parents=True)
    (package / "schemas").mkdir()
    (package / "schemas" / "counts.json").write_text(json.dumps(COUNTS, indent=2), encoding="utf-8")
    for name in ("north", "south", "east", "west"):
        (package / "data" / f"{name}.csv").write_text(f"region,count\n{name}-a,1\n{name}-b,2\n", encoding="utf-8")
    (package / "data" / "prices.csv").write_text("item,price,when\ntea,1.5,2024-01-02\n", encoding="utf-8")
    resources = [
        {"name": "north", "title": NORTH, "path": "data/north.csv", "schema": "schemas/counts.json"},
        {"name": "prices", "title": "Prices", "path": "data/prices.csv", "schema": PRICES},
        {"name": "south", "title": "South", "path": "data/south.csv", "schema": json.loads(json.dumps(COUNTS))},
        {"name": "west", "title": "West", "path": "data/west.csv", "schema": {**COUNTS, "primaryKey": ["count"]}},
        {"name": "east", "title": "East", "path": "data/east.csv", "schema": "schemas/counts.json"},
    ]
    (package / "datapackage.json").write_text(json.dumps({
        "name": "shapes", "title": "Shapes", "description": "Tables that share their fields, and tables that do not.",
        "licenses": [{"name": "CC0-1.0"}], "sources": [{"title": "made up for the tests"}],
        "resources": resources}, indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def shapes_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    project = copy_project(root / "project", [NEXUS])
    _shapes(project / "datapackages" / "shapes")
    out = root / "site"
    result = build_site(Project(project), out)
    assert result.ok, result.report
    return out


def page_of(site: Path, name: str) -> tuple[BeautifulSoup, str]:
    text = (site / "data" / f"{name}.html").read_text(encoding="utf-8")
    return BeautifulSoup(text, "html.parser"), text


def section(page: BeautifulSoup, resource: str):
    """The rows, row count and dictionary (or sentence) of one table: what follows its heading."""
    return page.find(id=f"table-{resource}").find_next(class_="ot-resource")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def test_tables_with_the_same_fields_share_one_dictionary_that_names_them_all(shapes_site):
    page, _ = page_of(shapes_site, "shapes")
    dictionary = page.find(id="dictionary-north")
    assert dictionary.name == "details" and "ot-dictionary" in dictionary["class"]
    assert section(page, "north").find(id="dictionary-north") is dictionary  # shown with the first of them
    assert text(dictionary.summary) == "Data dictionary: 2 fields"
    assert text(dictionary.select_one("p.ot-dictionary__tables")) == "3 tables on this page have these 2 fields:"
    # Every table with these fields is named, in the page's order, the others linked to their sections,
    # and a schema file and the same fields inline group alike (the fields are compared, not the path).
    items = dictionary.select("ul.ot-dictionary__tables li")
    assert [i.get_text() for i in items] == [f"{NORTH} (this table)", "South", "East"]
    assert [a["href"] for a in dictionary.select("ul.ot-dictionary__tables a")] == ["#table-south", "#table-east"]
    assert dictionary.caption.get_text() == f"Data dictionary of {NORTH} and 2 other tables"
    assert dictionary.select_one("[role=region]")["aria-label"].startswith(f"Data dictionary of {NORTH} and 2 other")
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in dictionary.select("tbody tr")]
    assert rows == [["region", "Region", "string", "", "Where.", "primary key"],
                    ["count", "Count", "integer", "", "", "minimum: 0"]]
    # The other two say so in one sentence, with a link to that dictionary, and have no table of fields.
    for name in ("south", "east"):
        part = section(page, name)
        assert part.select("details.ot-dictionary") == [] and part.select("caption") != []  # only the rows' table
        sentence = part.select_one("p.ot-dictionary-shared")
        assert text(sentence) == f"Data dictionary: the same 2 fields as {NORTH} (its data dictionary) ."
        assert sentence.a["href"] == "#dictionary-north"
        assert sentence.a.get_text() == f"{NORTH} (its data dictionary)"
        assert "ot-visually-hidden" in sentence.a.span["class"]


def test_tables_with_other_fields_or_another_key_keep_their_own_dictionary(shapes_site):
    page, _ = page_of(shapes_site, "shapes")
    assert [d["id"] for d in page.select("details.ot-dictionary")] == ["dictionary-north", "dictionary-prices",
                                                                      "dictionary-west"]
    for name, title, fields in (("prices", "Prices", ["item", "price", "when"]), ("west", "West", ["region", "count"])):
        dictionary = section(page, name).select_one("details.ot-dictionary")
        assert dictionary["id"] == f"dictionary-{name}"
        assert text(dictionary.summary) == f"Data dictionary: {len(fields)} fields"
        assert dictionary.caption.get_text() == f"Data dictionary of {title}"
        assert dictionary.select("ul.ot-dictionary__tables, p.ot-dictionary__tables") == []
        assert [tr.th.get_text() for tr in dictionary.select("tbody tr")] == fields
        assert section(page, name).select("p.ot-dictionary-shared") == []
    # The same fields with another primary key are another dictionary: its key is said in it.
    west = section(page, "west").select_one("details.ot-dictionary")
    assert [td.get_text() for td in west.select("tbody tr td:last-child")] == ["", "minimum: 0; primary key"]


def test_contributor_text_stays_text_in_the_shared_dictionary_and_its_sentence(shapes_site):
    page, html = page_of(shapes_site, "shapes")
    assert page.select(".ot-dictionary em, .ot-dictionary-shared em") == []
    escaped = "North &lt;em&gt;&#34;counts&#34;&lt;/em&gt; &amp; more"
    assert html.count(escaped) >= 4  # the list, the caption, and the sentence of each of the two others


@pytest.mark.parametrize("name", ["shapes", "operation-nexus"])
def test_ids_are_unique_and_every_link_within_the_page_resolves(shapes_site, name):
    page, _ = page_of(shapes_site, name)
    ids = Counter(e["id"] for e in page.find_all(id=True))
    assert [i for i, n in ids.items() if n > 1] == []
    internal = [a["href"] for a in page.find_all("a", href=True) if a["href"].startswith("#") and a["href"] != "#"]
    assert internal and [h for h in internal if h[1:] not in ids] == []


def test_the_six_tables_of_the_nexus_figures_share_one_dictionary(shapes_site):
    page, _ = page_of(shapes_site, "operation-nexus")
    descriptor = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))
    sharing = [r for r in descriptor["resources"] if r.get("schema") == "schemas/observation.json"]
    assert len(sharing) == 6
    first, *others = sharing
    dictionary = page.find(id=f"dictionary-{first['name']}")
    assert [li.get_text().removesuffix(" (this table)") for li in dictionary.select("ul.ot-dictionary__tables li")] \
        == [r["title"] for r in sharing]
    fields = json.loads((NEXUS / "schemas" / "observation.json").read_text(encoding="utf-8"))["fields"]
    assert [tr.th.get_text() for tr in dictionary.select("tbody tr")] == [f["name"] for f in fields]
    for resource in others:
        assert section(page, resource["name"]).select_one(".ot-dictionary-shared a")["href"] == f"#{dictionary['id']}"
    # One table of fields per schema: the observations', the engagement table's and the sources'.
    assert len(page.select("details.ot-dictionary")) == 3


def test_the_nexus_dataset_page_is_at_most_150_kb(shapes_site):
    """Issue 11: the dataset page's HTML (not gzipped) is at most 150 kB."""
    assert (shapes_site / "data" / "operation-nexus.html").stat().st_size <= 150_000
