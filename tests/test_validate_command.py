"""`build.py validate`: exit codes and messages a contributor can act on, one broken copy per failure mode."""

from __future__ import annotations

import csv
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, DERIVED_QUOTE, ROOT, SHARED, add_derived_figure, run_cli

OUTCOMES = "datapackages/operation-nexus/data/outcomes.csv"
DESCRIPTOR = "datapackages/operation-nexus/datapackage.json"


def set_cell(package: Path, table: str, row_id: str, field: str, value: str) -> None:
    path = package / "data" / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fieldnames = list(rows[0])
    for row in rows:
        if row["id"] == row_id:
            row[field] = value
            break
    else:
        raise AssertionError(f"no row {row_id} in {table}")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit_descriptor(package: Path, change) -> None:
    path = package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def assert_fails_with(*lines: str):
    result = run_cli("validate")
    assert result.exit_code == 1, result.output
    for line in lines:
        assert line in result.output.splitlines(), f"{line!r} not in:\n{result.output}"
    assert result.output.splitlines()[-1].startswith("INVALID: 1 package")
    return result


# --- the shipped data -----------------------------------------------------------------------------

def test_shipped_packages_validate_from_the_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("ok  operation-nexus (datapackages/operation-nexus): 9 resources")
    assert result.output.splitlines()[-1] == "valid: 1 package, 9 resources, 29 rows checked: 0 errors, 0 warnings"


def test_a_real_process_exits_1_on_bad_data_and_shows_no_traceback(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "value", "3o")
    process = subprocess.run([sys.executable, str(ROOT / "build.py"), "validate"], capture_output=True, text=True)
    assert process.returncode == 1
    assert f'{OUTCOMES}:2: error: field "value": "3o" is not an integer [type-error]' in process.stdout
    assert "Traceback" not in process.stdout + process.stderr


# --- one broken copy per failure mode -------------------------------------------------------------

def test_wrong_type(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "value", "3o")
    assert_fails_with(
        f'{OUTCOMES}:2: error: field "value": "3o" is not an integer [type-error]',
        "    how to fix: write a whole number with digits only, e.g. 42 (no letters, spaces or decimal point)")


def test_missing_required_value(nexus_copy):
    set_cell(nexus_copy, "resourcing", "officers-planned", "measure", "")
    assert_fails_with('datapackages/operation-nexus/data/resourcing.csv:3: error: field "measure": '
                      'a value is required but the cell is empty [missing-value]')


def test_duplicate_id(nexus_copy):
    set_cell(nexus_copy, "prisoner-share", "share-several-boroughs", "id", "share-all-boroughs")
    result = assert_fails_with('datapackages/operation-nexus/data/prisoner-share.csv:3: error: field "id": '
                               '"share-all-boroughs" is used again: row 2 has the same value [duplicate-id]')
    assert result.output.count("[duplicate-id]") == 1  # the primary key error on the same row is not repeated


def test_duplicate_id_where_the_schema_does_not_declare_it_unique(workdir):
    package = workdir / "datapackages" / "plain"
    (package / "data").mkdir(parents=True)
    (package / "data" / "t.csv").write_text("id,n\na,1\nb,2\na,3\n", encoding="utf-8")
    (package / "datapackage.json").write_text(json.dumps({
        "name": "plain", "title": "Plain", "description": "d", "licenses": [{"name": "CC0-1.0"}],
        "sources": [{"title": "s"}],
        "resources": [{"name": "t", "path": "data/t.csv", "schema": {"fields": [
            {"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]}}]}), encoding="utf-8")
    assert_fails_with('datapackages/plain/data/t.csv:4: error: field "id": "a" is used again: '
                      'the same id is in row 2 [duplicate-id]')


def test_value_not_allowed_by_enum(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "qualifier", "exactly")
    assert_fails_with(f'{OUTCOMES}:2: error: field "qualifier": "exactly" is not one of the allowed values: '
                      'exact, approximate, rounded, lower bound, target, aspiration, planned [constraint-error]')


def test_value_below_minimum(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "value", "-37")
    assert_fails_with(f'{OUTCOMES}:2: error: field "value": "-37" is less than the minimum, 0 [constraint-error]')


def test_unknown_source(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "source", "mps-letter-2031")
    assert_fails_with(f'{OUTCOMES}:2: error: field "source": "mps-letter-2031" is not found in column "id" of '
                      'the table "sources" [foreign-key]')


def test_quote_not_in_source(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "quote", "37 removed from UK")
    assert_fails_with(
        f'{OUTCOMES}:2: error: field "quote": the quote is not in source "mps-letter-2013-07-24": '
        '"37 removed from UK" [quote-not-in-source]',
        "    how to fix: copy the words exactly as the source has them (only spacing and line breaks may differ); "
        'near there the source reads: "37 removed from the UK - 74 on"')


def test_a_quote_may_differ_from_the_source_in_spacing_only(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "quote", "37  removed\nfrom the UK")
    result = run_cli("validate")
    assert result.exit_code == 0, result.output


# --- a value must be stated by its quote ----------------------------------------------------------

def test_a_value_its_quote_does_not_state_fails(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "value", "39")
    assert_fails_with(
        f'{OUTCOMES}:2: error: field "value": 39 is not stated in its quote "37 removed from the UK" '
        "(forms tried: 39, thirty-nine) [value-not-in-quote]",
        "    how to fix: the quote states 37: correct the value, or quote the words of the source that state it "
        "(copied word for word); a figure the source does not state (a sum, a rate worked out from other figures) "
        'must say how it was derived in a "derivation" column (declare it in the table\'s schema)')
    issue = json.loads(run_cli("validate", "--json").output)["packages"][0]["issues"][0]
    assert (issue["code"], issue["path"], issue["row"], issue["field"]) == ("value-not-in-quote", OUTCOMES, 2, "value")


def test_a_value_is_matched_whole_and_in_the_forms_sources_write(nexus_copy):
    set_cell(nexus_copy, "custody", "prisoners-through-custody", "value", "207")  # the quote says 207k
    set_cell(nexus_copy, "resourcing", "officers-dedicated", "value", "5")  # the quote says 50
    result = assert_fails_with()
    assert ('datapackages/operation-nexus/data/custody.csv:2: error: field "value": 207 is not stated in its quote '
            '"207k prisoners have passed through MPS custody since inception" (forms tried: 207) '
            "[value-not-in-quote]") in result.output.splitlines()
    assert ('datapackages/operation-nexus/data/resourcing.csv:2: error: field "value": 5 is not stated in its quote '
            '"there are currently 50 MPS officers dedicated to this operation" (forms tried: 5, five) '
            "[value-not-in-quote]") in result.output.splitlines()


def test_a_derived_figure_passes_with_its_derivation(nexus_copy):
    add_derived_figure(nexus_copy, "37 removed from the UK plus 74 on restrictive reporting conditions")
    result = run_cli("validate", "--strict")
    assert result.exit_code == 0, result.output


def test_a_derived_figure_without_its_derivation_fails(nexus_copy):
    add_derived_figure(nexus_copy, "")
    assert_fails_with(f'{OUTCOMES}:5: error: field "value": 111 is not stated in its quote "{DERIVED_QUOTE}" '
                      "(forms tried: 111) [value-not-in-quote]")


def write_package(workdir: Path, name: str, csv_text: str, fields: list[dict], resources: list[dict] = ()) -> Path:
    package = workdir / "datapackages" / name
    (package / "data").mkdir(parents=True)
    (package / "data" / "t.csv").write_text(csv_text, encoding="utf-8")
    (package / "datapackage.json").write_text(json.dumps({
        "name": name, "title": name, "description": "d", "licenses": [{"name": "CC0-1.0"}], "sources": [{"title": "s"}],
        "resources": [{"name": "t", "path": "data/t.csv", "schema": {"fields": fields, "primaryKey": ["id"]}},
                      *resources]}), encoding="utf-8")
    return package


def test_figures_without_any_quote_are_a_warning_unless_strict(workdir):
    write_package(workdir, "counts", "id,value\na,1\nb,2\n", [{"name": "id"}, {"name": "value", "type": "integer"}])
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert ("datapackages/counts/datapackage.json: warning: the package has 2 figures (rows with an id and a value) "
            "and none has a quote, so no reader can check them against the words of their source [no-provenance]"
            ) in result.output.splitlines()
    strict = run_cli("validate", "--strict")
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1].endswith("1 error, 0 warnings")


def test_quotes_are_checked_against_the_table_named_sources_only(workdir):
    # The one rule: the sources table is the resource named "sources". A table of documents under
    # another name, even with a foreign key to it, leaves the quotes unchecked, and validate says so.
    package = write_package(
        workdir, "quoted", "id,value,source,quote\na,1,doc,one thing\n",
        [{"name": "id"}, {"name": "value", "type": "integer"}, {"name": "source"}, {"name": "quote"}],
        [{"name": "documents", "path": "data/documents.csv",
          "schema": {"fields": [{"name": "id"}, {"name": "path"}], "primaryKey": ["id"]}}])
    (package / "data" / "documents.csv").write_text("id,path\ndoc,doc.txt\n", encoding="utf-8")
    (package / "doc.txt").write_text("It says one thing.\n", encoding="utf-8")
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert ('datapackages/quoted/datapackage.json: warning: table "t" has quotes but the package has no sources table '
            '(a resource named "sources"), so they cannot be checked [source-without-file]') in result.output.splitlines()


def test_a_source_the_sources_table_does_not_list_is_an_error_without_a_foreign_key(nexus_copy):
    schema_path = nexus_copy / "schemas" / "observation.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    del schema["foreignKeys"]
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "source", "mps-letter-2031")
    assert_fails_with(f'{OUTCOMES}:2: error: field "source": "mps-letter-2031" is not an id of the sources table, so '
                      "the quotes of this row cannot be checked [unknown-source]")


def test_changed_source_document(nexus_copy):
    letter = nexus_copy / "sources" / "mps-operation-nexus-letter-2013-07-24.txt"
    letter.write_text(letter.read_text(encoding="utf-8").replace("37 removed", "39 removed"), encoding="utf-8")
    assert_fails_with('datapackages/operation-nexus/data/sources.csv:2: error: field "sha256": the file '
                      'sources/mps-operation-nexus-letter-2013-07-24.txt does not match its checksum [source-checksum]')


def test_path_that_leaves_the_package(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(path="../../outcomes.csv"))
    assert_fails_with(f'{DESCRIPTOR}: error: /resources/4/path: the data path leaves the package with "..": '
                      '"../../outcomes.csv" [unsafe-path]')


def test_absolute_path(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(path="/etc/passwd"))
    result = assert_fails_with(f'{DESCRIPTOR}: error: /resources/4/path: the data path is absolute: "/etc/passwd" '
                               '[unsafe-path]')
    assert "root:" not in result.output


def test_symbolic_link_out_of_the_package_is_refused_without_reading_it(nexus_copy, tmp_path_factory):
    secret = tmp_path_factory.mktemp("outside") / "secret.csv"
    secret.write_text("id,value\nTOP-SECRET-CONTENT,1\n", encoding="utf-8")
    link = nexus_copy / "data" / "outcomes.csv"
    link.unlink()
    os.symlink(secret, link)
    result = assert_fails_with(f'{DESCRIPTOR}: error: /resources/4/path: the data path is a link that leads out of '
                               'the package: "data/outcomes.csv" [unsafe-path]')
    assert "TOP-SECRET" not in result.output
    assert str(secret) not in result.output


def test_data_on_another_host_is_refused_before_any_request(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(path="https://example.org/outcomes.csv"))
    assert_fails_with(f'{DESCRIPTOR}: error: /resources/4/path: the data file is on another host: '
                      '"https://example.org/outcomes.csv" [remote-path]')


def test_schema_and_profile_on_another_host_are_refused(nexus_copy):
    def change(d):
        d["resources"][4]["schema"] = "http://example.org/schema.json"
        d["profile"] = "http://example.org/profile.json"
    edit_descriptor(nexus_copy, change)
    assert_fails_with(
        f'{DESCRIPTOR}: error: /resources/4/schema: the schema file is on another host: '
        '"http://example.org/schema.json" [remote-path]',
        f'{DESCRIPTOR}: error: /profile points at another host: "http://example.org/profile.json" [remote-path]')


def test_missing_data_file(nexus_copy):
    (nexus_copy / "data" / "outcomes.csv").unlink()
    assert_fails_with(f'{DESCRIPTOR}: error: /resources/4/path: the data file does not exist: "data/outcomes.csv" '
                      '[missing-file]')


def test_broken_descriptor_json(nexus_copy):
    path = nexus_copy / "datapackage.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"version": "1.1.0",', '"version": "1.1.0"'),
                    encoding="utf-8")
    result = assert_fails_with()
    version_line = path.read_text(encoding="utf-8").splitlines().index('  "version": "1.1.0"') + 1
    # JSON parsers notice a missing comma where the next value begins: the line after.
    assert (f"{DESCRIPTOR}:{version_line + 1}: error: the file is not valid JSON: Expecting ',' delimiter "
            f"(line {version_line + 1}, column 3) [descriptor-json]") in result.output.splitlines()


def test_invalid_field_type_in_descriptor(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][6].update(
        schema={"fields": [{"name": "id", "type": "integr"}]}))
    assert_fails_with(f'{DESCRIPTOR}: error: the descriptor is not valid: field type "integr" is not supported '
                      '[field-error]')


def test_header_that_does_not_match_the_schema(nexus_copy):
    path = nexus_copy / "data" / "outcomes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("id,label,measure,value", "id,label,measure,valu", 1),
                    encoding="utf-8")
    assert_fails_with(f'{OUTCOMES}:1: error: header: column 4 is named "valu" but the schema expects "value" '
                      '[header-error]')


def test_title_and_licence_are_required(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: (d.pop("title"), d.pop("licenses")))
    assert_fails_with(f"{DESCRIPTOR}: error: the package has no title [missing-title]",
                      f"{DESCRIPTOR}: error: the package has no licence, so nobody may legally re-use it "
                      "[missing-licence]")


def test_description_and_sources_are_warnings_unless_strict(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: (d.pop("description"), d.pop("sources")))
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert (f"{DESCRIPTOR}: warning: the package has no description, so its page cannot tell the public what the "
            "data is [missing-description]") in result.output.splitlines()
    assert result.output.splitlines()[-1].endswith("0 errors, 2 warnings")
    strict = run_cli("validate", "--strict")
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1].endswith("2 errors, 0 warnings")


def test_every_problem_is_reported_in_one_run(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "value", "3o")
    set_cell(nexus_copy, "resourcing", "officers-planned", "measure", "")
    edit_descriptor(nexus_copy, lambda d: d.pop("title"))
    result = run_cli("validate")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "INVALID: 1 package, 9 resources, 29 rows checked: 3 errors, 0 warnings"


# --- machines and usage ---------------------------------------------------------------------------

def test_json_report(nexus_copy):
    set_cell(nexus_copy, "outcomes", "removed-from-uk", "value", "3o")
    result = run_cli("validate", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["summary"] == {"packages": 1, "resources": 9, "rows": 29, "errors": 1, "warnings": 0}
    assert report["packages"][0]["issues"] == [{
        "code": "type-error", "severity": "error", "path": OUTCOMES, "row": 2, "field": "value",
        "message": 'field "value": "3o" is not an integer',
        "hint": "write a whole number with digits only, e.g. 42 (no letters, spaces or decimal point)"}]


@pytest.mark.parametrize("args", [["validate", "--no-such-option"], ["validate", "no/such/folder"], ["no-such-command"]])
def test_usage_errors_exit_2(workdir, args):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_no_packages_is_a_failure(workdir):
    result = run_cli("validate")
    assert result.exit_code == 1
    assert result.output.startswith("no data packages found")


def test_named_package_folders_only_are_validated(nexus_copy, workdir):
    broken = workdir / "datapackages" / "broken"
    broken.mkdir()
    result = run_cli("validate", "datapackages/operation-nexus")
    assert result.exit_code == 0, result.output
    assert run_cli("validate").exit_code == 1  # the folder without a descriptor fails the full run


# --- packages published by others -----------------------------------------------------------------

def test_a_real_package_published_by_others_validates_unchanged(workdir):
    target = workdir / "datapackages" / "bond-yields-uk-10y"
    shutil.copytree(CORPUS / "bond-yields-uk-10y", target)
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "valid: 1 package, 2 resources, 210 rows checked: 0 errors, 0 warnings"
    comparison = filecmp.dircmp(CORPUS / "bond-yields-uk-10y", target)
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only


def test_the_corpus_fixture_is_the_published_package():
    original = SHARED / "corpus" / "bond-yields-uk-10y"
    if not original.exists():
        pytest.skip("../shared/corpus is not beside this checkout")
    for path in sorted(original.rglob("*")):
        if path.is_file():
            assert (CORPUS / "bond-yields-uk-10y" / path.relative_to(original)).read_bytes() == path.read_bytes()


# --- views ---------------------------------------------------------------------------------------

def test_a_view_naming_a_missing_resource_is_an_error_with_its_location(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["views"][0].update(resources=["custodie"]))
    result = assert_fails_with()
    line = next(l for l in result.output.splitlines() if "[view-error]" in l)
    assert line.startswith(f"{DESCRIPTOR}: error: /views/0/resources/0: ")
    assert '"custodie"' in line


def test_a_view_naming_a_missing_field_is_an_error_with_its_location(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["views"][0]["spec"]["encoding"]["x"].update(field="valeu"))
    result = assert_fails_with()
    line = next(l for l in result.output.splitlines() if "[view-error]" in l)
    assert line.startswith(f"{DESCRIPTOR}: error: /views/0/spec/encoding/x/field: ")
    assert '"valeu"' in line


def test_a_view_of_an_unknown_type_is_not_an_error(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["views"].append(
        {"name": "plotted", "specType": "plot", "resources": ["outcomes"], "spec": {"x": "label"}}))
    result = run_cli("validate")
    assert result.exit_code == 0, result.output


def test_half_a_character_in_a_json_cell_is_an_error_at_its_row_not_a_crash(tmp_path, monkeypatch):
    """Red-team review: an ``object`` cell with a lone surrogate escape ("\\ud800") passed validation and
    stopped the build with a traceback. Both halves of a pair make one character, which passes."""
    folder = tmp_path / "datapackages" / "cells"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "rows.csv").write_text(
        'id,meta\na,"{""x"": ""\\ud83d\\ude00""}"\nb,"{""x"": [""ok"", ""\\ud800""]}"\n', encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps({
        "name": "cells", "title": "Cells", "description": "JSON cells.", "version": "1.0.0",
        "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "resources": [{"name": "rows", "title": "Rows", "path": "data/rows.csv", "format": "csv", "mediatype": "text/csv",
                       "encoding": "utf-8", "profile": "tabular-data-resource",
                       "schema": {"fields": [{"name": "id", "type": "string"}, {"name": "meta", "type": "object"}],
                                  "primaryKey": ["id"]}}]}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate", "--json")
    assert result.exit_code == 1, result.output
    issues = json.loads(result.output)["packages"][0]["issues"]
    found = [i for i in issues if i["code"] == "encoding-error"]
    assert [(i["row"], i["field"]) for i in found] == [(3, "meta")], issues
