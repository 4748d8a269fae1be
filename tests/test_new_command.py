"""`build.py new`: a data package started from one CSV file, with what is left to write marked TODO."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, run_cli

ANNUAL = CORPUS / "bond-yields-uk-10y" / "data" / "annual.csv"
CSV = ROOT / "tests" / "fixtures" / "csv"
MIXED = CSV / "referrals-by-month.csv"
LETTER_NOTES = CSV / "letter-notes.csv"
# Spreadsheet exports: a byte-order mark, CRLF line ends, and counts written "4,788" in quotes...
EXPORT = CSV / "stop-search-export.csv"
# ...numbers written "1.234,5" and "12,5" in a file delimited by ";", as a German spreadsheet saves it...
DECIMAL_COMMA = CSV / "decimal-comma.csv"
# ...and columns that only look like numbers: a "[x]" among the counts, "1,20" among "4,788" and "12.5".
MIXED_COUNTS = CSV / "mixed-counts.csv"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
EPOCH = "1785024000"  # 2026-07-26
DESCRIPTOR = "datapackages/bond-yields/datapackage.json"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def new(*args: str):
    return run_cli("new", *args)


def descriptor_of(package: Path) -> dict:
    return json.loads((package / "datapackage.json").read_text(encoding="utf-8"))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to compare two folders whole."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(result, message: str, hint: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {message}\n  how to fix: {hint}\n"
    assert result.stdout == ""


def fill_in(package: Path) -> None:
    """What a publisher does after `new`: replace every placeholder."""
    path = package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["title"] = "UK 10-year government bond yields"
    descriptor["description"] = "The annual average yield of 10-year British Government Securities."
    descriptor["licenses"] = [{"name": "ODC-PDDL-1.0", "title": "Open Data Commons Public Domain Dedication and License"}]
    descriptor["sources"] = [{"title": "Bank of England, series IUAAMNPY", "path": "https://www.bankofengland.co.uk/"}]
    for field in descriptor["resources"][0]["schema"]["fields"]:
        field["description"] = f"The {field['name'].lower()} of the observation."
        if "unit" in field:
            field["unit"] = "percent"
    path.write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")


# --- a package from a real CSV -------------------------------------------------------------------

def test_new_prints_what_it_wrote_what_is_left_to_do_and_what_to_run(workdir):
    result = new("bond-yields", "--from", str(ANNUAL))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "created datapackages/bond-yields: 42 rows; columns Year (date), Rate (number)\n"
        "  datapackages/bond-yields/datapackage.json\n"
        f"  datapackages/bond-yields/data/annual.csv (a copy of {ANNUAL.as_posix()}, byte for byte)\n"
        "primary key Year: the first column, a date, has a value in every row, and no two rows share one\n"
        'charts: the table looks wide: one row for each Year; "howToAddAChart" in datapackage.json has a view to start from\n'
        "still to fill in, in datapackages/bond-yields/datapackage.json (`validate` warns about each until done):\n"
        "  /description: the description is still to be written\n"
        "  /licenses/0: the licence is still to be chosen\n"
        '  /resources/0/schema/fields/0/description: the description of field "Year" is still to be written\n'
        '  /resources/0/schema/fields/1/description: the description of field "Rate" is still to be written\n'
        '  /resources/0/schema/fields/1/unit: the unit of field "Rate" is still to be given\n'
        "  /sources/0: the source is still to be named\n"
        "  /title: the title is still to be written\n"
        "next: check the type guessed for each column, replace every TODO, then run\n"
        "  python build.py validate --strict datapackages/bond-yields\n"
        "  make serve\n")


def test_the_csv_is_copied_byte_for_byte(workdir):
    assert new("bond-yields", "--from", str(ANNUAL)).exit_code == 0
    assert (workdir / "datapackages/bond-yields/data/annual.csv").read_bytes() == ANNUAL.read_bytes()
    assert sorted(tree(workdir / "datapackages")) == ["bond-yields/data/annual.csv", "bond-yields/datapackage.json"]


def test_the_descriptor_marks_everything_still_to_write(workdir):
    assert new("bond-yields", "--from", str(ANNUAL)).exit_code == 0
    text = (workdir / DESCRIPTOR).read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "name": "bond-yields",\n')
    descriptor = json.loads(text)
    assert list(descriptor) == ["name", "title", "description", "licenses", "version", "created", "modified",
                                "contributors", "sources", "resources", "howToAddAChart"]
    assert descriptor["title"] == "TODO: a short title for the public"
    assert descriptor["description"].startswith("TODO: ")
    assert descriptor["licenses"] == [{"name": "TODO-choose-a-licence", "title": "TODO: choose a licence, e.g. "
                                       "the Open Government Licence v3.0 (OGL-UK-3.0)"}]
    assert descriptor["sources"][0]["title"].startswith("TODO: ")
    assert (descriptor["version"], descriptor["created"], descriptor["modified"], descriptor["contributors"]) == (
        "0.1.0", "2026-07-26T00:00:00Z", "2026-07-26", [])
    assert descriptor["resources"] == [{
        "name": "annual", "title": "Annual", "path": "data/annual.csv", "format": "csv", "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": [
            {"name": "Year", "title": "Year", "type": "date",
             "description": "TODO: what the column Year holds, and what an empty cell means"},
            {"name": "Rate", "title": "Rate", "type": "number",
             "description": "TODO: what the column Rate holds, and what an empty cell means",
             "unit": 'TODO: what the numbers count or measure, e.g. "people", "percent" or "GBP"'},
        ], "missingValues": [""], "primaryKey": ["Year"]},
    }]


def test_types_are_inferred_from_every_value(workdir):
    result = new("referrals", "--from", str(MIXED))
    assert result.exit_code == 0, result.output
    resource = descriptor_of(workdir / "datapackages" / "referrals")["resources"][0]
    assert resource["name"] == "referrals-by-month" and resource["path"] == "data/referrals-by-month.csv"
    fields = [(f["name"], f["type"], f.get("format"), "unit" in f) for f in resource["schema"]["fields"]]
    assert fields == [
        ("month", "date", None, False),
        ("referrals", "integer", None, True),  # one cell empty
        ("share_detained", "number", None, True),  # 12.5, 7.25, an empty cell and 10
        ("reported_on", "date", "%d/%m/%Y", False),  # day first, as British publishers write dates
        ("target_met", "boolean", None, False),
        ("note", "string", None, False),
    ]
    assert resource["schema"]["missingValues"] == [""]
    assert "4 rows; columns month (date), referrals (integer)" in result.stdout


def test_the_file_name_is_made_safe(workdir, tmp_path):
    source = tmp_path / "Referrals by Month (2012).CSV"
    source.write_bytes(MIXED.read_bytes())
    assert new("referrals", "--from", str(source)).exit_code == 0
    resource = descriptor_of(workdir / "datapackages" / "referrals")["resources"][0]
    assert (resource["name"], resource["path"]) == ("referrals-by-month-2012", "data/referrals-by-month-2012.csv")
    assert (workdir / "datapackages/referrals/data/referrals-by-month-2012.csv").read_bytes() == MIXED.read_bytes()


def test_title_and_root_options(workdir):
    result = new("bond-yields", "--from", str(ANNUAL), "--title", "UK bond yields", "--root", "elsewhere")
    assert result.exit_code == 0, result.output
    assert descriptor_of(workdir / "elsewhere" / "bond-yields")["title"] == "UK bond yields"
    assert "/title" not in result.stdout
    assert "  python build.py validate --strict elsewhere/bond-yields\n" in result.stdout
    assert list((workdir / "datapackages").iterdir()) == []


def test_the_same_input_gives_the_same_bytes(workdir):
    assert new("bond-yields", "--from", str(ANNUAL), "--root", "one").exit_code == 0
    assert new("bond-yields", "--from", str(ANNUAL), "--root", "two").exit_code == 0
    assert tree(workdir / "one") == tree(workdir / "two")


# --- what validate says of it ------------------------------------------------------------------------

def test_a_new_package_validates_with_a_warning_for_each_placeholder(workdir):
    assert new("bond-yields", "--from", str(ANNUAL)).exit_code == 0
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "ok  bond-yields (datapackages/bond-yields): 1 resource, 42 rows, 0 errors, 7 warnings"
    assert lines[-1] == "valid: 1 package, 1 resource, 42 rows checked: 0 errors, 7 warnings"
    assert f"{DESCRIPTOR}: warning: /licenses/0: the licence is still to be chosen [unfinished]" in lines
    assert ('    how to fix: replace the placeholder with the licence the publisher gave, e.g. {"name": "OGL-UK-3.0", '
            '"title": "Open Government Licence v3.0", '
            '"path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}') in lines
    assert (f"{DESCRIPTOR}: warning: /resources/0/schema/fields/1/unit: the unit of field \"Rate\" "
            "is still to be given [unfinished]") in lines
    assert (f"{DESCRIPTOR}: warning: /title: the title is still to be written [unfinished]") in lines
    assert result.output.count("[unfinished]") == 7
    assert "missing-" not in result.output  # the placeholders stand in for the licence, description and sources


def test_each_placeholder_is_an_issue_with_its_json_pointer(workdir):
    assert new("bond-yields", "--from", str(ANNUAL)).exit_code == 0
    report = json.loads(run_cli("validate", "--json").output)
    issues = report["packages"][0]["issues"]
    assert [(i["code"], i["severity"], i["path"], i["field"]) for i in issues] == [
        ("unfinished", "warning", DESCRIPTOR, pointer) for pointer in (
            "/description", "/licenses/0", "/resources/0/schema/fields/0/description",
            "/resources/0/schema/fields/1/description", "/resources/0/schema/fields/1/unit", "/sources/0", "/title")]


def test_strict_fails_until_every_placeholder_is_replaced(workdir):
    assert new("bond-yields", "--from", str(ANNUAL)).exit_code == 0
    strict = run_cli("validate", "--strict", "datapackages/bond-yields")
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1] == "INVALID: 1 package, 1 resource, 42 rows checked: 7 errors, 0 warnings"
    fill_in(workdir / "datapackages" / "bond-yields")
    strict = run_cli("validate", "--strict", "datapackages/bond-yields")
    assert strict.exit_code == 0, strict.output
    assert strict.output == ("ok  bond-yields (datapackages/bond-yields): 1 resource, 42 rows, 0 errors, 0 warnings\n"
                             "valid: 1 package, 1 resource, 42 rows checked: 0 errors, 0 warnings\n")


def test_a_todo_anywhere_else_in_a_descriptor_is_unfinished_too(workdir):
    assert new("bond-yields", "--from", str(ANNUAL), "--title", "UK bond yields").exit_code == 0
    fill_in(workdir / "datapackages" / "bond-yields")
    path = workdir / DESCRIPTOR
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["resources"][0]["description"] = "TODO say which months"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    result = run_cli("validate")
    assert result.exit_code == 0
    assert result.output.splitlines()[1:3] == [
        f"{DESCRIPTOR}: warning: /resources/0/description: a placeholder is still to be filled in [unfinished]",
        "    how to fix: replace the TODO text with the real value, or remove the property"]


# --- spreadsheet exports: a byte-order mark, CRLF, numbers with separators -------------------------------

def scaffold(source: Path, name: str = "x"):
    """`new` as build.py calls it, for what the summary is made from (Scaffold.notes)."""
    from opentally.scaffold import scaffold_package

    return scaffold_package(Path("datapackages"), name, source)


def rows_read(package: Path) -> list[dict]:
    """The rows of the package's one resource as frictionless reads them from the new descriptor."""
    from frictionless import Package

    return [dict(row) for row in Package(str(package / "datapackage.json")).resources[0].read_rows()]


def write_csv(folder: Path, content: str) -> Path:
    path = folder / "t.csv"
    path.write_bytes(content.encode("utf-8"))
    return path


def test_a_spreadsheet_export_keeps_its_bytes_and_its_counts_are_numbers(workdir):
    result = new("stop-search", "--from", str(EXPORT))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created datapackages/stop-search: 6 rows; columns month (yearmonth), "
                                    "force (string), searches (number), arrests (number)\n")
    package = workdir / "datapackages" / "stop-search"
    data = (package / "data" / "stop-search-export.csv").read_bytes()
    assert data == EXPORT.read_bytes() and data.startswith(b"\xef\xbb\xbfmonth,") and b'"4,788",412\r\n' in data
    resource = descriptor_of(package)["resources"][0]
    # The standard's name for the encoding: frictionless skips the byte-order mark itself.
    assert resource["encoding"] == "utf-8" and "dialect" not in resource
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["month"]["name"] == "month"  # no byte-order mark in the first column's name
    for name in ("searches", "arrests"):
        # "number", not "integer": frictionless 5.21 reads groupChar in number fields only.
        assert {k: fields[name].get(k) for k in ("type", "groupChar", "decimalChar")} == {
            "type": "number", "groupChar": ",", "decimalChar": None}
        assert fields[name]["unit"].startswith("TODO: ")
    assert resource["schema"]["primaryKey"] == ["month", "force"]


def test_validate_reads_the_counts_of_a_spreadsheet_export(workdir):
    assert new("stop-search", "--from", str(EXPORT)).exit_code == 0
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "valid: 1 package, 1 resource, 6 rows checked: 0 errors, 10 warnings"
    assert result.output.count("[unfinished]") == 10  # the chart note is not a placeholder
    rows = rows_read(workdir / "datapackages" / "stop-search")
    assert [(r["force"], r["searches"], r["arrests"]) for r in rows] == [
        ("North", 4788, 412), ("South", 1203, 98), ("North", 5012, 455), ("South", 987, 77),
        ("North", 12045, 1006), ("South", 1119, 101)]


def test_a_bar_view_on_the_counts_draws_them(workdir):
    """The issue: a bar view on a count column read as text validated, built and drew nothing."""
    from bs4 import BeautifulSoup

    from opentally.pipeline import Project, build_site

    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, workdir / name)
    shutil.copy(ROOT / "mkdocs.yml", workdir / "mkdocs.yml")
    shutil.copytree(ROOT / "datapackages" / "operation-nexus", workdir / "datapackages" / "operation-nexus")
    assert new("stop-search", "--from", str(EXPORT)).exit_code == 0
    path = workdir / "datapackages" / "stop-search" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    example = descriptor["howToAddAChart"]["example"]  # the view the note offers (the note left in place)
    bar = {"name": "searches", "title": "Searches by month", "specType": "vega-lite",
           "resources": ["stop-search-export"],
           "spec": {"mark": "bar", "encoding": {"x": {"field": "month", "type": "ordinal"},
                                                "y": {"field": "searches", "type": "quantitative"},
                                                "color": {"field": "force", "type": "nominal"}}}}
    descriptor["views"] = [bar, example]
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")

    result = build_site(Project(workdir), workdir / "site")
    assert result.ok, result.report
    page = BeautifulSoup((workdir / "site" / "data" / "stop-search.html").read_text(encoding="utf-8"), "html.parser")
    searches = [4788, 1203, 5012, 987, 12045, 1119]
    for view in (bar, example):
        figure = page.find("figure", id=f"stop-search-{view['name']}")
        spec = json.loads(figure.find("script", class_="ot-chart__spec").string)
        values = spec["data"]["values"] if "values" in spec["data"] else spec["datasets"][spec["data"]["name"]]
        assert [row["searches"] for row in values] == searches, view["name"]
        shown = [[td.get_text() for td in tr.find_all("td")] for tr in figure.select("details table tbody tr")]
        assert [row[-1] for row in shown] == ["4,788", "1,203", "5,012", "987", "12,045", "1,119"]
        assert "4,788" in figure.select_one(".ot-chart__static img")["alt"]  # the text alternative reads it


def test_numbers_with_a_decimal_comma(workdir):
    result = new("betraege", "--from", str(DECIMAL_COMMA))
    assert result.exit_code == 0, result.output
    resource = descriptor_of(workdir / "datapackages" / "betraege")["resources"][0]
    assert (resource["encoding"], resource["dialect"]) == ("utf-8", {"delimiter": ";"})
    fields = [{k: f[k] for k in ("name", "type", "format", "groupChar", "decimalChar") if k in f}
              for f in resource["schema"]["fields"]]
    assert fields == [{"name": "datum", "type": "date"}, {"name": "region", "type": "string"},
                      {"name": "betrag", "type": "number", "groupChar": ".", "decimalChar": ","},
                      {"name": "anteil", "type": "number", "decimalChar": ","}]
    assert run_cli("validate").exit_code == 0
    rows = rows_read(workdir / "datapackages" / "betraege")
    assert [(r["region"], r["betrag"], r["anteil"]) for r in rows] == [
        ("Nord", Decimal("1234.5"), Decimal("12.5")), ("Süd", Decimal("987.25"), 7),
        ("Nord", Decimal("2001.75"), Decimal("10.25")), ("Süd", 12, Decimal("3.5"))]


@pytest.mark.parametrize("content, chars, values", [
    ('x,n\na,"1,234.5"\nb,-12\nc,"1,234,567"\n', {"groupChar": ","}, ["1234.5", "-12", "1234567"]),
    ('x,n\na,"1 234,5"\nb,"12,25"\n', {"groupChar": " ", "decimalChar": ","}, ["1234.5", "12.25"]),
    ('x,n\na,"1\u00a0234"\nb,12\n', {"groupChar": "\u00a0"}, ["1234", "12"]),
    ('x,n\na,"1\u202f234,5"\nb,12\n', {"groupChar": "\u202f", "decimalChar": ","}, ["1234.5", "12"]),
    ('x,n\na,"12,5"\nb,"4,788"\n', {"decimalChar": ","}, ["12.5", "4.788"]),  # "12,5" says what the comma is
    ('x;n\na;4,788\nb;1,203\n', {"decimalChar": ","}, ["4.788", "1.203"]),  # ";": the comma is the decimal mark
    ('x,n\na,"4,788"\nb,"1,203"\n', {"groupChar": ","}, ["4788", "1203"]),  # ",": it separates thousands
], ids=["comma-groups", "space-groups", "no-break-space", "narrow-no-break-space", "decimal-comma",
        "semicolon-file", "comma-file"])
def test_number_styles(workdir, content, chars, values):
    assert new("x", "--from", str(write_csv(workdir, content))).exit_code == 0
    field = descriptor_of(workdir / "datapackages" / "x")["resources"][0]["schema"]["fields"][1]
    assert field["type"] == "number"
    assert {k: field[k] for k in ("groupChar", "decimalChar") if k in field} == chars
    assert [r["n"] for r in rows_read(workdir / "datapackages" / "x")] == [Decimal(v) for v in values]


def test_a_column_that_only_looks_like_numbers_stays_text(workdir):
    result = new("counts", "--from", str(MIXED_COUNTS))
    assert result.exit_code == 0, result.output
    fields = descriptor_of(workdir / "datapackages" / "counts")["resources"][0]["schema"]["fields"]
    assert [(f["name"], f["type"], "groupChar" in f or "decimalChar" in f) for f in fields] == [
        ("area", "string", False), ("count", "string", False), ("rate", "string", False)]
    assert run_cli("validate").exit_code == 0


@pytest.mark.parametrize("values", [
    ['"4,788"', '"1.234"'],  # 4788 and 1.234, or 4.788 and 1234: two conventions, no guess
    ['"1,23,456"', "12"],  # not groups of three
    ['"4,788"', "n/a"],  # a marker among the numbers
    ['"(1,234)"', "12"],  # an accountant's negative
    ['"1 234"', '"12 34"'],
], ids=["two-conventions", "not-thousands", "marker", "brackets", "spaces-not-thousands"])
def test_no_guess_on_a_column_that_does_not_fit_one_number_style(workdir, values):
    content = "x,n\n" + "".join(f"{letter},{value}\n" for letter, value in zip("abc", values))
    assert new("x", "--from", str(write_csv(workdir, content))).exit_code == 0
    field = descriptor_of(workdir / "datapackages" / "x")["resources"][0]["schema"]["fields"][1]
    assert (field["type"], "groupChar" in field, "decimalChar" in field) == ("string", False, False)


# --- the primary key, and how to add a chart ------------------------------------------------------------

@pytest.mark.parametrize("content, key, why", [
    (None, ["Year"], "primary key Year: the first column, a date, has a value in every row, and no two rows "
                     "share one"),
    ("region,id,count\nN,a1,3\nS,a2,4\nN,a3,5\n", ["id"],
     "primary key id: its name says it is an id, has a value in every row, and no two rows share one"),
    ("area,count\nLeeds,3\nYork,3\n", ["area"],
     "primary key area: the first column, the rows' labels, has a value in every row, and no two rows share one"),
    ("force,month,searches\nNorth,2024-01,3\nSouth,2024-01,4\nNorth,2024-02,5\n", ["force", "month"],
     "primary key force and month: no single column names each row, but these two together do; neither is "
     "ever empty"),
], ids=["first-column-date", "id-column", "first-column-labels", "pair"])
def test_a_primary_key_is_proposed_and_the_summary_says_why(workdir, content, key, why):
    made = scaffold(ANNUAL if content is None else write_csv(workdir, content))
    assert descriptor_of(made.directory)["resources"][0]["schema"]["primaryKey"] == key
    assert why in made.notes
    assert run_cli("validate").exit_code == 0


NO_KEY = ("no primary key: no column, nor pair of columns, has a value in every row that no other row shares; "
          'if some columns identify a row, add "primaryKey" to the schema')


@pytest.mark.parametrize("content", [
    "region,sex,count\nN,f,1\nN,f,2\nS,m,3\n",  # count differs in every row, but it is a measure, not a key
    "id,count\n1,3\n,4\n3,5\n",  # an id column with an empty cell
    "code,count\n01,3\n1,4\n2,5\n",  # "01" and "1" are both the whole number 1
    "year,rate\n2012,1.5\n2013,1.5\n2012,2.5\n",  # a year repeated, and a measure
], ids=["nothing-unique", "an-empty-id", "same-number", "repeated-year"])
def test_no_primary_key_when_no_column_identifies_a_row(workdir, content):
    made = scaffold(write_csv(workdir, content))
    assert "primaryKey" not in descriptor_of(made.directory)["resources"][0]["schema"]
    assert NO_KEY in made.notes


def test_the_key_is_checked_on_every_row_not_only_those_types_are_inferred_from(workdir, monkeypatch):
    import opentally.scaffold

    monkeypatch.setattr(opentally.scaffold, "SAMPLE_ROWS", 3)
    made = scaffold(write_csv(workdir, "code,count\na,1\nb,2\nc,3\nd,4\na,5\n"))
    assert "primaryKey" not in descriptor_of(made.directory)["resources"][0]["schema"]
    assert NO_KEY in made.notes


def test_the_summary_says_how_numbers_were_read_what_the_key_is_and_how_to_chart(workdir):
    made = scaffold(EXPORT)
    assert made.notes == (
        'column searches: numbers written with "," between thousands ("4,788"): type number, "groupChar": ","',
        'column arrests: numbers written with "," between thousands ("1,006"): type number, "groupChar": ","',
        "primary key month and force: no single column names each row, but these two together do; "
        "neither is ever empty",
        'charts: the table looks long: month repeats, once for each force; "howToAddAChart" in datapackage.json '
        "has a view to start from")


def test_the_chart_note_offers_a_vega_lite_view_for_long_data(workdir):
    made = scaffold(EXPORT)
    help_ = descriptor_of(made.directory)["howToAddAChart"]
    assert help_["note"][0] == "build.py new wrote this note, and nothing reads it: delete it once read."
    assert any('"vega-lite" view' in line and '"color"' in line for line in help_["note"])
    assert any('"simple" view' in line and "one row for each group" in line for line in help_["note"])
    assert help_["example"] == {
        "name": "searches-by-month", "title": "Searches by month", "specType": "vega-lite",
        "resources": ["stop-search-export"],
        "spec": {"mark": "line", "encoding": {"x": {"field": "month", "type": "temporal"},
                                              "y": {"field": "searches", "type": "quantitative"},
                                              "color": {"field": "force", "type": "nominal"}}}}


def test_the_chart_note_offers_a_simple_view_for_wide_data(workdir):
    made = scaffold(write_csv(workdir, "region,north.east,south\nA,1,2\nB,3,4\n"))
    help_ = descriptor_of(made.directory)["howToAddAChart"]
    assert help_["example"] == {
        "name": "by-region", "title": "North east and south by region", "specType": "simple",
        "resources": ["t"], "spec": {"type": "bar", "group": "region", "series": ["north.east", "south"]}}
    assert help_["note"][-1].startswith("This table looks wide: one row for each region.")


def test_the_chart_note_escapes_names_vega_lite_would_read_as_paths(workdir):
    made = scaffold(write_csv(workdir, "area.code,sex,count\nA,f,1\nA,m,2\nB,f,3\nB,m,4\n"))
    spec = descriptor_of(made.directory)["howToAddAChart"]["example"]["spec"]
    assert spec["encoding"]["x"]["field"] == "area\\.code"


def test_the_chart_note_offers_no_view_when_rows_repeat_without_series(workdir):
    made = scaffold(write_csv(workdir, "year,rate\n2012,1.5\n2013,1.5\n2012,2.5\n"))
    help_ = descriptor_of(made.directory)["howToAddAChart"]
    assert list(help_) == ["note"]
    assert help_["note"][-1].startswith("This table has several rows for one year, and no column of text")


def test_the_chart_note_when_there_is_nothing_to_draw(workdir):
    made = scaffold(MIXED_COUNTS)
    help_ = descriptor_of(made.directory)["howToAddAChart"]
    assert list(help_) == ["note"] and help_["note"][-1] == "This table has no column of numbers to draw."


# --- refusals: exit 1, one message with how to fix it, nothing written --------------------------------

def test_an_existing_package_is_never_overwritten(workdir):
    assert new("bond-yields", "--from", str(ANNUAL)).exit_code == 0
    before = tree(workdir / "datapackages")
    refused(new("bond-yields", "--from", str(MIXED)), "datapackages/bond-yields: a package with this name already exists",
            "choose another name; new never overwrites anything (to start again, delete the folder first)")
    assert tree(workdir / "datapackages") == before


@pytest.mark.parametrize("name, message, hint", [
    ("Bad Name", 'the package name "Bad Name" has characters a package name cannot have: "B", " ", "N"',
     'use lower case letters, digits, "-", "_" and ".", not starting with "." or "-", e.g. "bad-name"'),
    ("../x", 'the package name "../x" has characters a package name cannot have: "/"',
     'use lower case letters, digits, "-", "_" and ".", not starting with "." or "-", e.g. "x"'),
    (".hidden", 'the package name ".hidden" starts with "."',
     'use lower case letters, digits, "-", "_" and ".", not starting with "." or "-", e.g. "hidden"'),
    ("UPPER", 'the package name "UPPER" has characters a package name cannot have: "U", "P", "E", "R"',
     'use lower case letters, digits, "-", "_" and ".", not starting with "." or "-", e.g. "upper"'),
    ("", "the package name is empty",
     'use lower case letters, digits, "-", "_" and ".", not starting with "." or "-", e.g. "police-custody-2013"'),
    ("a" * 101, "the package name is 101 characters long; at most 100 are allowed", "choose a shorter name"),
])
def test_invalid_names(workdir, name, message, hint):
    refused(new(name, "--from", str(ANNUAL)), message, hint)
    assert list((workdir / "datapackages").iterdir()) == []


def test_a_missing_file(workdir):
    refused(new("x", "--from", "nowhere.csv"), "nowhere.csv: the file does not exist",
            "check the path after --from (paths are case-sensitive)")


def test_a_folder_is_not_a_file(workdir):
    refused(new("x", "--from", "datapackages"), "datapackages: this is not a file",
            "give the path of a CSV file after --from")


def test_an_empty_file(workdir):
    (workdir / "empty.csv").write_bytes(b"")
    refused(new("x", "--from", "empty.csv"), "empty.csv: the file is empty",
            "give a CSV file with a header line and rows of data")
    assert list((workdir / "datapackages").iterdir()) == []


@pytest.mark.parametrize("content", [PNG, b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"],
                         ids=["png", "xlsx"])
def test_a_binary_file(workdir, content):
    (workdir / "figures.csv").write_bytes(content)
    refused(new("x", "--from", "figures.csv"),
            "figures.csv: the file is not text but binary data, such as a spreadsheet (.xlsx) or an image",
            "open it in a spreadsheet and save it as CSV UTF-8 (comma-delimited), then try again")
    assert list((workdir / "datapackages").iterdir()) == []


def test_a_file_that_is_not_a_table(workdir):
    refused(new("x", "--from", str(LETTER_NOTES)),
            f"{LETTER_NOTES.as_posix()}: this is not a CSV table: row 2 has 4 values, but the header (row 1) has 2",
            "export the table as CSV: one header line with a name for each column, then one line per row, "
            "a value with a comma inside it in double quotes")
    assert list((workdir / "datapackages").iterdir()) == []


@pytest.mark.parametrize("content, message, hint", [
    (b"1,2,3\n4,5,6\n", ': the first line holds no column names ("1", "2", "3" look like data)',
     'add a header line with a name for each column, e.g. "year,count"'),
    (b"year,count\n", ": the file has a header but no rows of data",
     "add the rows of data: the type of each column is inferred from them"),
    (b"year,count,\n2012,4,\n", ":1: column 3 has no name in the header",
     "give each column its own name in the header line (the first line of the file)"),
    (b"year,count,count\n2012,4,5\n", ':1: column 3 has the same name as column 2: "count"',
     "give each column its own name in the header line (the first line of the file)"),
    (b"year,count\n2012,4\n\n2013,5\n", ":3: the row is empty", "delete the empty row"),
    (b"name,town\nJos\xe9,M\xe1laga\n" + "Ł".encode("utf-16-le"), ": the file is not text in an encoding that can be read",
     "open it in a spreadsheet and save it as CSV UTF-8 (comma-delimited)"),
], ids=["no-header", "no-rows", "blank-name", "duplicate-name", "blank-row", "no-encoding"])
def test_a_csv_the_package_could_not_be_valid_with(workdir, content, message, hint):
    (workdir / "t.csv").write_bytes(content)
    result = new("x", "--from", "t.csv")
    refused(result, f"t.csv{message}", hint)
    assert list((workdir / "datapackages").iterdir()) == []  # nor any half-written folder


def test_from_is_required(workdir):
    result = new("x")
    assert result.exit_code == 2
    assert "Missing option '--from'" in result.output


# --- a real process ------------------------------------------------------------------------------------

def test_a_real_process_exits_0_1_and_2_and_shows_no_traceback(workdir):
    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "build.py"), "new", *args], capture_output=True, text=True)

    made = run("bond-yields", "--from", str(ANNUAL))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created datapackages/bond-yields: 42 rows")
    again = run("bond-yields", "--from", str(ANNUAL))
    assert again.returncode == 1
    assert again.stderr.startswith("error: datapackages/bond-yields: a package with this name already exists\n")
    (workdir / "figures.csv").write_bytes(PNG)
    binary = run("figures", "--from", "figures.csv")
    assert binary.returncode == 1
    assert "Traceback" not in made.stderr + again.stderr + binary.stderr
    assert run("figures").returncode == 2
