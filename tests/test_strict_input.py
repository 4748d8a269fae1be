"""Hostile or broken contributor input: each is an issue with its code and line, never a traceback.

One broken copy of the shipped package per failure mode, validated in-process (`run_cli` lets any
exception escape, so a traceback fails the test): the JSON of the descriptor and of the schema
files (``strict_json``), the paths, the profiles that would reach the network, and the CSV files'
bytes and quoting (``csv_checks``).
"""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from opentally import strict_json

PACKAGE = "datapackages/operation-nexus"
DESCRIPTOR = f"{PACKAGE}/datapackage.json"
OBSERVATION = f"{PACKAGE}/schemas/observation.json"
OUTCOMES = f"{PACKAGE}/data/outcomes.csv"
OUTCOMES_ROW = ("x{n},Label,Measure,{value},people,exact,,,2013-07-24,,mps-letter-2013-07-24,"
                "37 removed from the UK,")


def replace_once(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    changed = text.replace(old, new, 1)
    path.write_text(changed, encoding="utf-8")
    return changed


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


def edit_descriptor(package: Path, change) -> None:
    path = package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def validate_fails(code: str) -> tuple[list[dict], str]:
    """Run `validate --json` and the text report; both exit 1. The issues with ``code``, and the text."""
    result = run_cli("validate", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = [i for p in report["packages"] for i in p["issues"] if i["code"] == code]
    assert found, f"no {code} in:\n{result.output}"
    text = run_cli("validate")
    assert text.exit_code == 1
    assert "Traceback" not in text.output
    assert text.output.splitlines()[-1].startswith("INVALID: 1 package")
    return found, text.output


def write_outcomes(package: Path, lines: list[str]) -> Path:
    path = package / "data" / "outcomes.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


# --- datapackage.json, read strictly --------------------------------------------------------------

def test_a_duplicate_key_in_the_descriptor_is_refused_at_the_second_one(nexus_copy):
    text = replace_once(nexus_copy / "datapackage.json", '"path": "data/outcomes.csv",',
                        '"path": "data/outcomes.csv",\n      "path": "data/custody.csv",')
    second = line_of(text, '"path": "data/outcomes.csv"') + 1
    [issue], output = validate_fails("duplicate-key")
    assert issue["path"] == DESCRIPTOR
    assert issue["row"] == second
    assert issue["field"] == "/resources/4/path"
    assert f'the key "path" is given twice in the same object (line {second - 1} and line {second})' in issue["message"]
    assert f"{DESCRIPTOR}:{second}: error: " in output


def test_nan_in_the_descriptor_is_refused_with_its_line(nexus_copy):
    text = replace_once(nexus_copy / "datapackage.json", '"version": "1.1.0"', '"version": NaN')
    [issue], _ = validate_fails("json-number")
    assert issue["row"] == line_of(text, "NaN")
    assert issue["field"] == "/version"
    assert issue["message"] == "NaN is not a number JSON allows (at /version)"


def test_infinity_as_a_maximum_in_a_schema_file_is_refused_before_frictionless_reads_it(nexus_copy):
    # Python's json reads it as float("inf"); frictionless then failed with a TypeError.
    text = replace_once(nexus_copy / "schemas" / "observation.json", '"minimum": 0',
                        '"minimum": 0,\n        "maximum": Infinity')
    [issue], output = validate_fails("json-number")
    assert issue["path"] == OBSERVATION
    assert issue["row"] == line_of(text, "Infinity")
    assert issue["field"] == "/fields/3/constraints/maximum"
    assert "Infinity is not a number JSON allows" in issue["message"]
    assert "TypeError" not in output


def test_negative_infinity_and_overflowing_numbers_are_refused():
    for text, message in (('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
                          ('{"a": [1, 1e999]}', "1e999 is too large a number to be read")):
        with pytest.raises(strict_json.JsonProblem) as caught:
            strict_json.parse(text)
        assert caught.value.code == "json-number"
        assert message in caught.value.message


def test_a_descriptor_nested_10000_deep_is_an_error_with_its_line_not_a_recursion_error(nexus_copy):
    path = nexus_copy / "datapackage.json"
    text = replace_once(path, '"keywords": [', '"extra": ' + "[" * 10_000 + "]" * 10_000 + ',\n  "keywords": [')
    [issue], _ = validate_fails("json-too-deep")
    assert issue["row"] == line_of(text, '"extra"')
    assert issue["message"].startswith(f"objects and arrays are nested more than {strict_json.MAX_DEPTH} levels deep")


def test_a_20_mb_descriptor_is_refused_by_its_size(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d.update(padding="x" * 20_000_000))
    [issue], _ = validate_fails("json-too-large")
    assert issue["path"] == DESCRIPTOR
    assert issue["message"] == "the file is 20.0 MB, over the 10 MB a JSON descriptor may be"


def test_a_syntax_error_keeps_jsons_own_words_line_and_column(nexus_copy):
    text = replace_once(nexus_copy / "datapackage.json", '"version": "1.1.0",', '"version": "1.1.0",,')
    [issue], _ = validate_fails("descriptor-json")
    line = line_of(text, ",,")
    assert issue["row"] == line
    assert issue["message"].startswith("the file is not valid JSON: Expecting property name enclosed in double quotes "
                                       f"(line {line}, column")


def test_a_control_character_in_a_title_is_an_error_at_its_pointer_and_line(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(title="Outcomes\u0007 of referrals"))
    text = (nexus_copy / "datapackage.json").read_text(encoding="utf-8")
    [issue], output = validate_fails("control-character")
    assert issue["path"] == DESCRIPTOR
    assert issue["field"] == "/resources/4/title"
    assert issue["row"] == line_of(text, "\\u0007")
    assert "U+0007 (BEL, bell)" in issue["message"]
    assert "\x07" not in output
    # The rest of the package is still checked: only that one error.
    assert output.splitlines()[-1].endswith(": 1 error, 0 warnings")


def test_a_lone_surrogate_is_refused_because_it_cannot_be_written_as_utf8(nexus_copy):
    replace_once(nexus_copy / "datapackage.json", '"publisher": "Open Tally"', '"publisher": "Open \\ud800Tally"')
    [issue], _ = validate_fails("lone-surrogate")
    assert issue["field"] == "/publisher"
    assert "U+D800" in issue["message"]


# --- schema and dialect files, read strictly before frictionless --------------------------------

def test_a_duplicate_key_in_a_schema_file_is_refused_at_that_file_and_line(nexus_copy):
    text = replace_once(nexus_copy / "schemas" / "observation.json", '"title": "Label",',
                        '"title": "Label",\n      "title": "Another label",')
    [issue], output = validate_fails("duplicate-key")
    assert issue["path"] == OBSERVATION
    assert issue["row"] == line_of(text, '"title": "Another label"')
    assert issue["field"] == "/fields/1/title"
    assert f"{OBSERVATION}:{issue['row']}: error: the key \"title\" is given twice" in output
    # The schema is shared by six resources: it is reported once.
    assert output.count("[duplicate-key]") == 1


def test_a_dialect_file_is_read_strictly_too(nexus_copy):
    (nexus_copy / "dialect.json").write_text('{"delimiter": ",",\n "delimiter": ";"}\n', encoding="utf-8")
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(dialect="dialect.json"))
    [issue], _ = validate_fails("duplicate-key")
    assert issue["path"] == f"{PACKAGE}/dialect.json"
    assert issue["row"] == 2


# --- paths ------------------------------------------------------------------------------------------

def test_a_nul_byte_in_a_descriptor_path_is_an_unsafe_path_not_an_exception(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(path="data/out\u0000comes.csv"))
    found, output = validate_fails("unsafe-path")
    issue = next(i for i in found if "control character" in i["message"])
    assert issue["field"] == "/resources/4/path"
    assert issue["message"] == ('/resources/4/path: the data path holds the control character U+0000 (NUL): '
                                '"data/out\\u0000comes.csv"')
    assert "\x00" not in output
    assert "[control-character]" not in output  # said once, as the path's problem


def test_a_control_character_in_a_source_document_path_is_refused(nexus_copy):
    path = nexus_copy / "data" / "sources.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("sources/mps-", "sources/\x01mps-"), encoding="utf-8")
    found, output = validate_fails("unsafe-path")
    assert any(i["path"] == f"{PACKAGE}/data/sources.csv" and i["row"] == 2 and i["field"] == "path"
               and "control character U+0001" in i["message"] for i in found), output
    assert "\x01" not in output


def test_a_path_too_long_for_the_file_system_is_an_error_not_an_exception(nexus_copy):
    edit_descriptor(nexus_copy, lambda d: d["resources"][4].update(path="data/" + "a" * 5000 + ".csv"))
    found, _ = validate_fails("unsafe-path")
    assert any(i["field"] == "/resources/4/path" and "cannot be used (file name too long)" in i["message"]
               for i in found)


# --- profiles never reach the network ------------------------------------------------------------

@pytest.fixture
def counting_server():
    """An HTTP server on 127.0.0.1 that counts the requests it gets; yields (base URL, requests)."""
    requests: list[str] = []

    class Counting(SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            body = b'{"type": "object"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Counting, directory="."))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_remote_profiles_are_refused_and_never_fetched(nexus_copy, counting_server):
    base, requests = counting_server
    url = f"{base}/profile.json"

    def change(d):
        d["profile"] = url
        d["resources"][0]["profile"] = url
    edit_descriptor(nexus_copy, change)
    replace_once(nexus_copy / "schemas" / "observation.json", '"fields": [', f'"$schema": "{url}",\n  "fields": [')
    found, output = validate_fails("remote-path")
    assert {(i["path"], i["field"]) for i in found} == {
        (DESCRIPTOR, "/profile"), (DESCRIPTOR, "/resources/0/profile"), (OBSERVATION, "/$schema")}
    assert requests == []
    assert run_cli("validate", "--strict").exit_code == 1
    assert requests == []


def test_a_remote_resource_profile_is_never_fetched_while_the_rest_is_validated(nexus_copy, counting_server):
    base, requests = counting_server
    edit_descriptor(nexus_copy, lambda d: d["resources"][6].update(profiles=[f"{base}/resource.json"]))
    [issue], output = validate_fails("remote-path")
    assert issue["field"] == "/resources/6/profiles/0"
    assert requests == []
    # Only that resource is left out (the shipped package has 29 rows, 10 of them in engagement).
    assert output.splitlines()[0].endswith(": 9 resources, 19 rows, 1 error, 0 warnings")


@pytest.mark.parametrize("profile, code", [("fiscal-data-package", "remote-path"), ("my-profile.json", "unsafe-path")])
def test_a_profile_frictionless_would_fetch_or_read_from_a_file_is_refused(nexus_copy, profile, code):
    edit_descriptor(nexus_copy, lambda d: d.update(profile=profile))
    [issue], _ = validate_fails(code)
    assert issue["field"] == "/profile"


# --- CSV files ----------------------------------------------------------------------------------

def test_a_nul_byte_in_a_cell_is_an_error_with_its_row_and_field(nexus_copy):
    path = nexus_copy / "data" / "outcomes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Removed from the UK", "Removed\x00 from the UK", 1),
                    encoding="utf-8")
    [issue], output = validate_fails("control-character")
    assert issue["path"] == OUTCOMES
    assert issue["row"] == 2
    assert issue["field"] == "label"
    assert issue["message"] == ('field "label": the value holds the control character U+0000 (NUL) at character 8: '
                                '"Removed\\u0000 from the UK"')
    assert "\x00" not in output


def test_a_noncharacter_in_a_cell_is_an_error_not_a_failed_drawing(nexus_copy):
    """Red-team review: a label holding U+FFFF passed validate, then vl-convert refused to draw it (XML
    forbids U+FFFE and U+FFFF). It is refused where it is, as a control character is."""
    path = nexus_copy / "data" / "outcomes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Removed from the UK", "Removed\uffff from the UK", 1),
                    encoding="utf-8")
    [issue], output = validate_fails("control-character")
    assert (issue["path"], issue["row"], issue["field"]) == (OUTCOMES, 2, "label")
    assert "U+FFFF (a noncharacter) at character 8" in issue["message"] and "\uffff" not in output


def test_an_unclosed_quote_on_line_2_of_a_2000_line_file_is_found(nexus_copy):
    rows = [OUTCOMES_ROW.format(n=n, value=n) for n in range(1998)]
    rows[0] = rows[0].replace("Label", '"Label')  # opens a quote that never closes
    write_outcomes(nexus_copy, rows)
    [issue], output = validate_fails("unclosed-quote")
    assert issue["path"] == OUTCOMES
    assert issue["row"] == 2
    assert issue["field"] == "label"
    assert issue["message"] == ('the quote that opens the value of column "label" on line 2 is never closed, so '
                                "everything after it, to the end of the file (line 1,999), is read as that one value")
    assert "close the quote, or double a quote inside a quoted value" in issue["hint"]
    assert "quote-not-in-source" not in output  # the file's rows are not read as if they were right


def test_text_after_a_closing_quote_is_an_error(nexus_copy):
    write_outcomes(nexus_copy, [OUTCOMES_ROW.format(n=1, value=1).replace("Label", '"Lab"el')])
    [issue], _ = validate_fails("stray-quote")
    assert issue["row"] == 2


def test_bad_bytes_at_156_kb_are_reported_on_their_line_with_their_byte_offset(nexus_copy):
    rows = [OUTCOMES_ROW.format(n=n, value=n) for n in range(2000)]
    path = write_outcomes(nexus_copy, rows)
    data = path.read_bytes()
    cut = data.index(b"\n", 156_000) + 1
    data = data[:cut] + b"y,Caf\xe9,M,1,people,exact,,,2013-07-24,,mps-letter-2013-07-24,37 removed from the UK,\n" \
        + data[cut:]
    path.write_bytes(data)
    bad = data.index(b"\xe9")
    line = data[:bad].count(b"\n") + 1
    [issue], output = validate_fails("encoding-error")
    assert issue["path"] == OUTCOMES
    assert issue["row"] == line
    assert issue["message"] == (f"the file cannot be read as UTF-8 text: byte {bad:,} (on line {line:,}) is 0xE9, "
                                "which is not UTF-8")
    assert f"{OUTCOMES}:{line}: error: " in output


def test_5000_type_errors_say_that_frictionless_stopped_at_1000_and_give_the_total(nexus_copy):
    write_outcomes(nexus_copy, [OUTCOMES_ROW.format(n=n, value="many") for n in range(5000)])
    result = run_cli("validate", "--json")
    assert result.exit_code == 1
    package = json.loads(result.output)["packages"][0]
    [limit] = [i for i in package["issues"] if i["code"] == "error-limit"]
    assert limit["path"] == OUTCOMES
    assert limit["message"] == "frictionless stopped after 1,000 errors; the file has 5,000 (the first 1,000 are listed)"
    assert sum(1 for i in package["issues"] if i["code"] == "type-error") == 1000
    # Every row of the file is counted, not only those read before the limit (26 rows in the other tables).
    assert package["rows"] == 5000 + 26


# --- the shipped package, and check ------------------------------------------------------------------

def test_the_shipped_package_is_strictly_valid(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run_cli("validate", "--strict")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "valid: 1 package, 9 resources, 29 rows checked: 0 errors, 0 warnings"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.mark.parametrize("old, new", [
    ('"keywords": [', '"extra": ' + "[" * 10_000 + "]" * 10_000 + ', "keywords": ['),
    ('"version": "1.1.0",', '"version": "1.1.0",\n  "version": "1.1.1",'),
])
def test_check_reports_a_hostile_descriptor_cleanly(nexus_copy, workdir, old, new):
    git(workdir, "init", "-q", "-b", "main")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", "base")
    replace_once(nexus_copy / "datapackage.json", old, new)
    result = run_cli("check", "--base", "main", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["mergeable"] is False
    assert {i["code"] for i in report["issues"]} & {"json-too-deep", "duplicate-key"}, result.output
