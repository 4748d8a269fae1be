"""`build.py new`: a data package started from one CSV file, with what is left to write marked TODO."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, run_cli

ANNUAL = CORPUS / "bond-yields-uk-10y" / "data" / "annual.csv"
CSV = ROOT / "tests" / "fixtures" / "csv"
MIXED = CSV / "referrals-by-month.csv"
LETTER_NOTES = CSV / "letter-notes.csv"
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
                                "contributors", "sources", "resources"]
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
        ], "missingValues": [""]},
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
