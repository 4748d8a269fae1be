"""`build.py check`: what a pull request does to the data, in temporary git repositories."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NEXUS, ROOT, run_cli

OUTCOMES = "datapackages/operation-nexus/data/outcomes.csv"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository like the project's, with the shipped package and commentary committed on main."""
    repo = tmp_path / "repo"
    shutil.copytree(NEXUS, repo / "datapackages" / "operation-nexus")
    shutil.copytree(ROOT / "site_src", repo / "site_src")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    # Its first release, 1.0.0, as in the project's history (the release calendar names it), then the base.
    current = json.loads((package(repo) / "datapackage.json").read_text(encoding="utf-8"))["version"]
    set_version(repo, "1.0.0")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "first release")
    set_version(repo, current)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    monkeypatch.chdir(repo)
    return repo


def package(repo: Path) -> Path:
    return repo / "datapackages" / "operation-nexus"


def set_version(repo: Path, version: str) -> None:
    path = package(repo) / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["version"] = version
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_rows(repo: Path, table: str, change) -> None:
    path = package(repo) / "data" / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    rows, header = change(rows, header)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_value(repo: Path, table: str, row_id: str, field: str, value: str) -> None:
    def change(rows, header):
        for row in rows:
            if row["id"] == row_id:
                row[field] = value
        return rows, header
    edit_rows(repo, table, change)


def check(*args: str):
    return run_cli("check", "--base", "main", *args)


def lines(result) -> list[str]:
    return result.output.splitlines()


def test_no_change_can_be_merged(repo):
    result = check()
    assert result.exit_code == 0, result.output
    assert lines(result)[:2] == ["<!-- opentally-check -->", "## ✅ This change can be merged"]
    assert "- **0 packages** touched" in lines(result)


def test_a_changed_cell_shows_old_and_new_value_and_the_commentary_quoting_it(repo):
    # 39 is not what the quote says ("37 removed from the UK"): the value check blocks the merge.
    set_value(repo, "outcomes", "removed-from-uk", "value", "39")
    set_version(repo, "1.1.1")
    result = check()
    assert result.exit_code == 1, result.output
    assert lines(result)[1] == "## ❌ This change cannot be merged yet"
    assert any(l.startswith('| `datapackages/operation-nexus/data/outcomes.csv:2` | field "value": 39 is not stated in '
                            'its quote "37 removed from the UK" (forms tried: 39, thirty-nine) | the quote states 37: ')
               for l in lines(result)), result.output
    assert "| 2 | `removed-from-uk` | `value` | 37 | 39 |" in lines(result)
    assert "- rows: 0 added, 0 removed, 1 changed" in lines(result)
    line = next(n for n, text in enumerate((repo / "site_src" / "index.md").read_text(encoding="utf-8").splitlines(), 1)
                if "operation-nexus/outcomes/removed-from-uk" in text)
    assert f"- `site_src/index.md:{line}` quotes `operation-nexus/outcomes/removed-from-uk`: **37 → 39**" in lines(result)
    assert "### Package `operation-nexus`: changed, version 1.1.0 → 1.1.1" in lines(result)


def test_a_value_corrected_with_its_quote_can_be_merged_and_the_quote_change_is_shown(repo):
    def change(rows, header):
        row = next(r for r in rows if r["id"] == "removed-from-uk")
        row["value"], row["quote"] = "74", "74 on restrictive reporting conditions"
        return rows, header
    edit_rows(repo, "outcomes", change)
    set_version(repo, "1.1.1")
    result = check()
    assert result.exit_code == 0, result.output
    assert "- rows: 0 added, 0 removed, 1 changed; 1 quote changed" in lines(result)
    assert "### Quotes changed" in lines(result)
    assert ('- `datapackages/operation-nexus/data/outcomes.csv:2` `operation-nexus/outcomes/removed-from-uk`, `quote`: '
            '"37 removed from the UK" → **"74 on restrictive reporting conditions"**') in lines(result)
    report = json.loads(check("--json").output)
    assert report["quotes"] == [{"path": OUTCOMES, "row": 2, "ref": "operation-nexus/outcomes/removed-from-uk",
                                 "field": "quote", "old": "37 removed from the UK",
                                 "new": "74 on restrictive reporting conditions"}]


def test_a_quote_changed_to_words_that_do_not_state_the_value_cannot_be_merged(repo):
    set_value(repo, "outcomes", "removed-from-uk", "quote", "74 on restrictive reporting conditions")
    set_version(repo, "1.1.1")
    result = check("--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(i["code"], i["row"], i["field"]) for i in report["issues"]] == [("value-not-in-quote", 2, "value")]
    assert report["quotes"][0]["old"] == "37 removed from the UK"


def test_changed_data_without_a_new_version_cannot_be_merged(repo):
    set_value(repo, "outcomes", "removed-from-uk", "value", "39")
    result = check()
    assert result.exit_code == 1
    assert lines(result)[1] == "## ❌ This change cannot be merged yet"
    assert ('| `datapackages/operation-nexus/datapackage.json` | the data changed but "version" is still 1.1.0 | '
            'raise "version" in datapackage.json: the patch number for a correction (1.0.0 → 1.0.1), the minor '
            'number for new rows or fields (1.0.0 → 1.1.0) |') in lines(result)


def test_an_added_row(repo):
    def add(rows, header):
        new = dict(rows[0], id="removed-again", label="Removed again", value="37")  # as its quote says
        return rows + [new], header
    edit_rows(repo, "outcomes", add)
    set_version(repo, "1.2.0")
    result = check()
    assert result.exit_code == 0, result.output
    assert "- rows: 1 added, 0 removed, 0 changed" in lines(result)
    assert any(l.startswith("- row 5: `removed-again`: id=removed-again, label=Removed again") for l in lines(result))


def test_a_removed_row(repo):
    edit_rows(repo, "outcomes", lambda rows, header: ([r for r in rows if r["id"] != "in-custody-or-monitored"], header))
    set_version(repo, "1.2.0")
    result = check()
    assert result.exit_code == 0, result.output
    assert "- rows: 0 added, 1 removed, 0 changed" in lines(result)
    assert any(l.startswith("- row 4: `in-custody-or-monitored`: ") for l in lines(result))


def rename_field(repo: Path, old: str, new: str) -> None:
    schema_path = package(repo) / "schemas" / "observation.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == old:
            f["name"] = new
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    for table in ("custody", "prisoner-share", "targets", "high-harm-referrals", "outcomes", "resourcing"):
        edit_rows(repo, table, lambda rows, header: ([{(new if k == old else k): v for k, v in r.items()} for r in rows],
                                                     [new if h == old else h for h in header]))


def test_a_renamed_field_is_breaking_and_needs_a_new_major_version(repo):
    rename_field(repo, "note", "notes")
    set_version(repo, "1.2.0")
    result = check()
    assert result.exit_code == 1
    assert '- **breaking**: `outcomes`: field "note" renamed to "notes"' in lines(result)
    assert any('a breaking schema change (custody: field "note" renamed to "notes") needs a new major version, but '
               "the version goes from 1.1.0 to 1.2.0" in l for l in lines(result))
    set_version(repo, "2.0.0")
    assert check().exit_code == 0


def test_a_widened_type_is_not_breaking(repo):
    schema_path = package(repo) / "schemas" / "observation.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == "value")["type"] = "number"
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    set_version(repo, "1.2.0")
    result = check()
    assert result.exit_code == 0, result.output
    assert "- `outcomes`: field &quot;value&quot;: type widened from integer to number" not in lines(result)
    assert '- `outcomes`: field "value": type widened from integer to number' in lines(result)
    assert "- schema: 6 changes, 0 breaking" in lines(result)


def test_a_metadata_change_needs_no_new_version(repo):
    path = package(repo) / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["title"] = "Operation Nexus figures"
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    result = check()
    assert result.exit_code == 0, result.output
    assert ('- `package`: title: "Operation Nexus: Metropolitan Police figures, June 2012 to July 2013" → '
            '"Operation Nexus figures"') in lines(result)


def test_a_commentary_change_is_listed(repo):
    page = repo / "site_src" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = check()
    assert result.exit_code == 0, result.output
    assert "| `site_src/about.md` | changed | +2 −0 |" in lines(result)
    assert "- commentary: 1 page changed" in lines(result)


def test_a_formula_like_cell_is_flagged_and_the_csv_is_left_as_it_is(repo):
    set_value(repo, "outcomes", "removed-from-uk", "note", '=HYPERLINK("http://example.org","x")')
    set_version(repo, "1.1.1")
    before = (repo / OUTCOMES).read_bytes()
    result = check()
    assert result.exit_code == 0, result.output
    assert ('| `datapackages/operation-nexus/data/outcomes.csv:2` | field "note": "=HYPERLINK("http://example.org","x")" '
            'begins with "=", so a spreadsheet may run it as a formula | check the value is meant; the published CSV is '
            "not altered. People opening it in a spreadsheet should import it as text |") in lines(result)
    assert (repo / OUTCOMES).read_bytes() == before


def test_invalid_data_blocks_the_merge_with_the_validation_report(repo):
    set_value(repo, "outcomes", "removed-from-uk", "value", "3o")
    set_version(repo, "1.1.1")
    result = check()
    assert result.exit_code == 1
    assert ('| `datapackages/operation-nexus/data/outcomes.csv:2` | field "value": "3o" is not an integer | write a whole '
            "number with digits only, e.g. 42 (no letters, spaces or decimal point) |") in lines(result)


def test_json_report_and_the_github_summary(repo, monkeypatch, tmp_path):
    set_value(repo, "outcomes", "removed-from-uk", "value", "39")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = check("--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["mergeable"] is False
    assert report["packages"][0]["resources"][0]["changed"] == [
        {"key": "removed-from-uk", "row": 2, "cells": [{"field": "value", "old": "37", "new": "39"}]}]
    assert [i["code"] for i in report["issues"]] == ["value-not-in-quote", "version-not-bumped"]
    assert summary.read_text(encoding="utf-8").startswith("<!-- opentally-check -->\n## ❌")


def test_old_versions_are_read_with_git_without_checking_anything_out(repo):
    set_value(repo, "outcomes", "removed-from-uk", "value", "39")
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    check()
    assert (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")) == (head, status)


def test_the_default_base_is_the_merge_base_with_main(repo):
    set_value(repo, "outcomes", "removed-from-uk", "value", "39")
    result = run_cli("check")
    assert result.exit_code == 1
    assert "| 2 | `removed-from-uk` | `value` | 37 | 39 |" in lines(result)


def test_an_unknown_base_is_a_usage_error(repo):
    result = run_cli("check", "--base", "no-such-branch")
    assert result.exit_code == 2
    assert 'Error: --base "no-such-branch" is not a commit or branch of this repository' in result.output


def test_outside_a_repository_the_check_fails_with_a_message(tmp_path):
    process = subprocess.run([sys.executable, str(ROOT / "build.py"), "check"], cwd=tmp_path, capture_output=True, text=True)
    assert process.returncode == 1
    assert process.stderr.startswith("error: git rev-parse --git-dir failed: fatal: not a git repository")
    assert "Traceback" not in process.stderr


def test_a_tightened_constraint_is_breaking_and_a_view_change_is_listed(repo):
    schema_path = package(repo) / "schemas" / "observation.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == "value")["constraints"]["minimum"] = 1
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    path = package(repo) / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["views"] = [v for v in descriptor["views"] if v["name"] != "officers"]
    descriptor["version"] = "2.0.0"
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    result = check()
    assert result.exit_code == 0, result.output
    assert '- **breaking**: `outcomes`: field "value": constraint minimum tightened: 0 → 1' in lines(result)
    assert "- `officers`: view removed" in lines(result)
