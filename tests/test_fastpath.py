"""The differential test of validation's fast path (``opentally/fastpath.py``) against frictionless.

Every fixture package, every hostile case of the corpus and a table of bad-input CSV files are
validated twice, in this process: with the fast path on every CSV file whatever its size
(``OPENTALLY_FAST_PATH=always``) and with frictionless alone (``off``). Both must report the same
findings (code, file, row, field, message) and hand the later stages the same typed rows with the same
row numbers. And the fast path must be sound where it matters: it proves no resource valid in which
frictionless finds an error, and it does prove the plain valid files (or it would be no fast path).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from hostile_cases import CASES, OUTSIDE_MARKER, World
from opentally import cache, fastpath, load, validate
from opentally.load import display_path

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def _validate(folders: list[Path], mode: str, monkeypatch) -> tuple[list, dict, dict[str, bool]]:
    """(findings, tables, {file: proven}) of validating ``folders`` with the fast path ``mode``; each
    file tried is named as the findings name it."""
    proven: dict[str, bool] = {}
    real = fastpath.prove

    def prove(resource, path, checked, so_far=None):
        proof = real(resource, path, checked, so_far)
        proven[display_path(path)] = proof is not None
        return proof

    monkeypatch.setenv(fastpath.SETTING, mode)
    monkeypatch.setenv("OPENTALLY_PROCESSES", "1")  # in this process, so that the wrapper sees every call
    monkeypatch.setattr(fastpath, "prove", prove)
    cache.use(None)
    report = validate.validate_packages(load.load_packages(folders))
    findings = [(i.severity, i.code, i.path, i.row, i.field, i.message) for i in report.issues]
    tables = {}
    for package in report.packages:
        read = report.read_of(package.path)
        for name, table in (read.tables.items() if read is not None else ()):
            tables[(package.path, name)] = (table.fields, table.rows, tuple(table.row_numbers))
    return findings, tables, proven


def _same_both_ways(folders: list[Path], monkeypatch) -> tuple[list, dict[str, bool]]:
    fast = _validate(folders, "always", monkeypatch)
    slow = _validate(folders, "off", monkeypatch)
    assert not slow[2], "with the fast path off, it must not be tried"
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    return fast[0], fast[2]


# --- fixture packages and the hostile corpus ----------------------------------------------------

def _fixture_packages() -> list[Path]:
    found = [ROOT / "datapackages" / "operation-nexus", *sorted((ROOT / "tests" / "fixtures" / "packages").iterdir()),
             *sorted((ROOT / "tests" / "fixtures" / "corpus").iterdir())]
    if SHARED_CORPUS.is_dir():
        found += sorted(p.parent for p in SHARED_CORPUS.glob("*/datapackage.json"))
    return found


@pytest.mark.parametrize("folder", _fixture_packages(), ids=lambda p: p.name)
def test_every_fixture_package_gives_the_same_findings_and_rows_both_ways(folder, tmp_path, monkeypatch):
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    monkeypatch.chdir(tmp_path)
    findings, proven = _same_both_ways([copy], monkeypatch)
    assert proven, "the fast path was tried on no resource"
    errors = {f[2] for f in findings if f[0] == "error"}
    assert not [path for path in errors if proven.get(path)]


def test_the_shipped_package_is_proven_valid_by_the_fast_path(tmp_path, monkeypatch):
    copy = tmp_path / "operation-nexus"
    shutil.copytree(ROOT / "datapackages" / "operation-nexus", copy)
    monkeypatch.chdir(tmp_path)
    _, proven = _same_both_ways([copy], monkeypatch)
    assert sum(proven.values()) >= 3, proven  # figures, sources, engagement...: plain CSV, proven


def test_every_hostile_case_gives_the_same_findings_both_ways(tmp_path, monkeypatch):
    """Every case of the hostile corpus (tests/hostile_cases.py) that changes the packages."""
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text(f"{OUTSIDE_MARKER}\n", encoding="utf-8")
    compared = 0
    for case in CASES:
        project = tmp_path / case.name
        for name in ("datapackages", "site_src", "templates"):
            shutil.copytree(ROOT / name, project / name, symlinks=True)
        shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
        try:
            case.change(project, World(outside, "http://127.0.0.1:9"))
        except OSError:
            continue  # a case this file system cannot make (a name it refuses): test_hostile says so
        monkeypatch.chdir(project)
        folders = load.find_packages(project / "datapackages")
        try:
            _same_both_ways(folders, monkeypatch)
        except AssertionError as failure:
            raise AssertionError(f"hostile case {case.name}: the fast path and frictionless disagree") from failure
        compared += 1
    assert compared >= len(CASES) - 3


# --- bad input, one CSV file at a time ------------------------------------------------------------

FIELDS = [{"name": "label", "type": "string"}, {"name": "n", "type": "integer"}, {"name": "x", "type": "number"},
          {"name": "day", "type": "date"}, {"name": "ok", "type": "boolean"}]
GOOD = "label,n,x,day,ok\na,1,1.5,2020-02-29,true\nb,-0,2,2021-12-31,0\nc,007,,,\n"


def _label(**constraints) -> list[dict]:
    """The fields, with these constraints on the first, "label" (text)."""
    return [{"name": "label", "type": "string", "constraints": constraints}, *FIELDS[1:]]


def _case(name: str, text: str | bytes, fields=None, schema: dict | None = None, resource: dict | None = None,
          valid: bool | None = None) -> tuple:
    return name, text, fields, schema or {}, resource or {}, valid


# A second resource, "codes", that a foreign key of "table" can name (written when a case names it).
CODES = "code,name\na,A\nb,B\n"
FK = {"foreignKeys": [{"fields": ["label"], "reference": {"resource": "codes", "fields": ["code"]}}]}


CSV_CASES = [
    _case("good", GOOD, valid=True),
    _case("crlf", GOOD.replace("\n", "\r\n"), valid=True),
    _case("quoted commas and newlines", 'label,n,x,day,ok\n"a, b",1,1,2020-01-01,true\n"c\nd",2,2,2020-01-02,false\n',
          valid=True),
    _case("quoted line break in a file of CRLF", 'label,n,x,day,ok\r\n"c\r\nd",2,2,2020-01-02,false\r\n', valid=True),
    _case("doubled quotes", 'label,n,x,day,ok\n"say ""hi""",1,1,2020-01-01,true\n', valid=True),
    _case("header only", "label,n,x,day,ok\n", valid=True),
    _case("no final newline", GOOD.rstrip("\n"), valid=True),
    _case("unicode text", "label,n,x,day,ok\nÉire – 🙂,1,1,2020-01-01,TRUE\n", valid=True),
    _case("spaces kept in text", "label,n,x,day,ok\n  a  ,1,1,2020-01-01,True\n", valid=True),
    _case("lone carriage return", GOOD.replace("\n", "\r")),
    _case("byte-order mark", "\ufeff" + GOOD),
    _case("integer with plus", "label,n,x,day,ok\na,+5,1,2020-01-01,true\n"),
    _case("integer with spaces", "label,n,x,day,ok\na, 5 ,1,2020-01-01,true\n"),
    _case("integer with underscore", "label,n,x,day,ok\na,1_000,1,2020-01-01,true\n"),
    _case("integer in arabic digits", "label,n,x,day,ok\na,٣,1,2020-01-01,true\n"),
    _case("integer beyond 64 bits", "label,n,x,day,ok\na,99999999999999999999999,1,2020-01-01,true\n"),
    _case("integer as decimal", "label,n,x,day,ok\na,1.0,1,2020-01-01,true\n"),
    _case("integer as word", "label,n,x,day,ok\na,one,1,2020-01-01,true\n"),
    _case("number with exponent", "label,n,x,day,ok\na,1,1e5,2020-01-01,true\n"),
    _case("number nan", "label,n,x,day,ok\na,1,NaN,2020-01-01,true\n"),
    _case("number with comma", "label,n,x,day,ok\na,1,\"1,000\",2020-01-01,true\n"),
    _case("number with trailing point", "label,n,x,day,ok\na,1,1.,2020-01-01,true\n"),
    _case("number text", "label,n,x,day,ok\na,1,lots,2020-01-01,true\n"),
    _case("date not in a leap year", "label,n,x,day,ok\na,1,1,2021-02-29,true\n"),
    _case("date month 13", "label,n,x,day,ok\na,1,1,2021-13-01,true\n"),
    _case("date year 0", "label,n,x,day,ok\na,1,1,0000-01-01,true\n"),
    _case("date short parts", "label,n,x,day,ok\na,1,1,2021-2-3,true\n"),
    _case("date with time", "label,n,x,day,ok\na,1,1,2021-02-03T00:00:00,true\n"),
    _case("date with space", "label,n,x,day,ok\na,1,1, 2021-02-03,true\n"),
    _case("boolean yes", "label,n,x,day,ok\na,1,1,2020-01-01,yes\n"),
    _case("boolean t", "label,n,x,day,ok\na,1,1,2020-01-01,t\n"),
    _case("blank row", "label,n,x,day,ok\na,1,1,2020-01-01,true\n,,,,\nb,2,2,2020-01-02,false\n"),
    _case("empty line", "label,n,x,day,ok\na,1,1,2020-01-01,true\n\nb,2,2,2020-01-02,false\n"),
    _case("extra cell", "label,n,x,day,ok\na,1,1,2020-01-01,true,extra\n"),
    _case("missing cell", "label,n,x,day,ok\na,1,1,2020-01-01\n"),
    _case("header renamed", "label,count,x,day,ok\na,1,1,2020-01-01,true\n"),
    _case("header in capitals", "LABEL,n,x,day,ok\na,1,1,2020-01-01,true\n"),
    _case("header with space", "label ,n,x,day,ok\na,1,1,2020-01-01,true\n"),
    _case("header reordered", "n,label,x,day,ok\n1,a,1,2020-01-01,true\n"),
    _case("no header row", "a,1,1,2020-01-01,true\nb,2,2,2020-01-02,false\n"),
    _case("empty file", ""),
    _case("stray quote", 'label,n,x,day,ok\n"a"b,1,1,2020-01-01,true\n'),
    _case("unclosed quote", 'label,n,x,day,ok\n"a,1,1,2020-01-01,true\nb,2,2,2020-01-02,false\n'),
    _case("quote inside a value", 'label,n,x,day,ok\na"b,1,1,2020-01-01,true\n'),
    _case("nul byte", "label,n,x,day,ok\na\x00,1,1,2020-01-01,true\n"),
    _case("latin-1 bytes", "label,n,x,day,ok\ncafé,1,1,2020-01-01,true\n".encode("latin-1")),
    _case("latin-1 declared", "label,n,x,day,ok\ncafé,1,1,2020-01-01,true\n".encode("latin-1"),
          resource={"encoding": "latin-1"}),
    _case("semicolons", "label;n;x;day;ok\na;1;1;2020-01-01;true\nb;2;2;2020-01-02;false\n"),
    _case("semicolons declared", "label;n;x;day;ok\na;1;1;2020-01-01;true\n", resource={"dialect": {"delimiter": ";"}}),
    _case("tabs", "label\tn\tx\tday\tok\na\t1\t1\t2020-01-01\ttrue\n"),
    _case("required missing", "label,n,x,day,ok\n,1,1,2020-01-01,true\n",
          fields=_label(required=True)),
    _case("required present", "label,n,x,day,ok\na,1,1,2020-01-01,true\n",
          fields=_label(required=True), valid=True),
    _case("unique repeated", "label,n,x,day,ok\na,1,1,2020-01-01,true\na,2,2,2020-01-02,false\n",
          fields=_label(unique=True)),
    _case("unique integers equal as numbers", "label,n,x,day,ok\na,1,1,2020-01-01,true\nb,01,2,2020-01-02,false\n",
          fields=[FIELDS[0], {"name": "n", "type": "integer", "constraints": {"unique": True}}, *FIELDS[2:]]),
    _case("unique with missing cells", "label,n,x,day,ok\n,1,1,2020-01-01,true\n,2,2,2020-01-02,false\n",
          fields=_label(unique=True), valid=True),
    _case("unique numbers", "label,n,x,day,ok\na,1,1.0,2020-01-01,true\nb,2,1.00,2020-01-02,false\n",
          fields=[*FIELDS[:2], {"name": "x", "type": "number", "constraints": {"unique": True}}, *FIELDS[3:]]),
    _case("primary key repeated", "label,n,x,day,ok\na,1,1,2020-01-01,true\na,2,2,2020-01-02,false\n",
          schema={"primaryKey": ["label"]}),
    _case("primary key missing", "label,n,x,day,ok\n,1,1,2020-01-01,true\n", schema={"primaryKey": ["label"]}),
    _case("primary key as one string", "label,n,x,day,ok\na,1,1,2020-01-01,true\nb,1,1,2020-01-01,true\n",
          schema={"primaryKey": "label"}),  # a string is a schema error
    _case("composite key repeated", "label,n,x,day,ok\na,1,1,2020-01-01,true\na,01,2,2020-01-02,false\n",
          schema={"primaryKey": ["label", "n"]}),
    _case("composite key distinct", "label,n,x,day,ok\na,1,1,2020-01-01,true\na,2,2,2020-01-02,false\n",
          schema={"primaryKey": ["label", "n"]}, valid=True),
    # Repeats are found by sorting, then comparing neighbours: repeats far apart, and keys whose columns
    # each repeat while no pair of them does.
    _case("unique repeated far apart", "label,n,x,day,ok\nb,1,1,2020-01-01,true\nc,2,2,2020-01-02,false\n"
          ",3,3,2020-01-03,true\nb,4,4,2020-01-04,true\n,5,5,2020-01-05,false\n", fields=_label(unique=True)),
    _case("composite key crossed", "label,n,x,day,ok\nb,2,1,2020-01-01,true\na,1,1,2020-01-01,true\n"
          "b,1,1,2020-01-01,true\na,2,1,2020-01-01,true\n", schema={"primaryKey": ["label", "n"]}, valid=True),
    _case("composite key repeated far apart", "label,n,x,day,ok\nb,2,1,2020-01-01,true\na,1,1,2020-01-01,true\n"
          "a,2,1,2020-01-01,true\nb,2,1,2020-01-01,true\n", schema={"primaryKey": ["label", "n"]}),
    # Red-team review: numbers stay text in the fast path, and frictionless compares them as numbers.
    _case("number key equal as numbers", "label,n,x,day,ok\na,1,1.0,2020-01-01,true\nb,2,1.00,2020-01-02,false\n",
          schema={"primaryKey": ["x"]}),
    _case("composite key with a number equal as numbers", "label,n,x,day,ok\na,1,0,2020-01-01,true\n"
          "a,2,-0,2020-01-02,false\n", schema={"primaryKey": ["label", "x"]}),
    # Red-team review: Python's reader gives an empty line no cell (a blank row), pyarrow one empty cell.
    _case("empty line in one column", "label\na\n\nb\n", fields=[{"name": "label", "type": "string"}],
          schema={"missingValues": ["NA"]}),
    _case("empty line at the end of one column", "label\na\nb\n\n", fields=[{"name": "label", "type": "string"}]),
    _case("composite key partly missing", "label,n,x,day,ok\na,,1,2020-01-01,true\na,,2,2020-01-02,false\n",
          schema={"primaryKey": ["label", "n"]}),
    _case("minimum broken", "label,n,x,day,ok\na,-1,1,2020-01-01,true\n",
          fields=[FIELDS[0], {"name": "n", "type": "integer", "constraints": {"minimum": 0}}, *FIELDS[2:]]),
    _case("maximum broken", "label,n,x,day,ok\na,11,1,2020-01-01,true\n",
          fields=[FIELDS[0], {"name": "n", "type": "integer", "constraints": {"maximum": 10}}, *FIELDS[2:]]),
    _case("bounds kept", "label,n,x,day,ok\na,0,1,2020-01-01,true\nb,10,1,2020-01-01,true\nc,,1,,\n",
          fields=[FIELDS[0], {"name": "n", "type": "integer", "constraints": {"minimum": 0, "maximum": 10}},
                  *FIELDS[2:]], valid=True),
    _case("minimum as text", "label,n,x,day,ok\na,5,1,2020-01-01,true\n",
          fields=[FIELDS[0], {"name": "n", "type": "integer", "constraints": {"minimum": "3"}}, *FIELDS[2:]]),
    _case("enum broken", "label,n,x,day,ok\nz,1,1,2020-01-01,true\n",
          fields=_label(enum=["a", "b"])),
    _case("enum kept", "label,n,x,day,ok\na,1,1,2020-01-01,true\n,2,2,2020-01-02,false\n",
          fields=_label(enum=["a", "b"]), valid=True),
    _case("pattern", "label,n,x,day,ok\na1,1,1,2020-01-01,true\n",
          fields=_label(pattern="[a-z]")),
    _case("max length", "label,n,x,day,ok\nabc,1,1,2020-01-01,true\n",
          fields=_label(maxLength=2)),
    _case("missing values", "label,n,x,day,ok\na,NA,1,2020-01-01,true\n", schema={"missingValues": ["", "NA"]}),
    _case("true values", "label,n,x,day,ok\na,1,1,2020-01-01,yes\n",
          fields=[*FIELDS[:4], {"name": "ok", "type": "boolean", "trueValues": ["yes"]}]),
    _case("decimal comma", "label,n,x,day,ok\na,1,\"1,5\",2020-01-01,true\n",
          fields=[*FIELDS[:2], {"name": "x", "type": "number", "decimalChar": ","}, *FIELDS[3:]]),
    _case("date format", "label,n,x,day,ok\na,1,1,01/02/2020,true\n",
          fields=[*FIELDS[:3], {"name": "day", "type": "date", "format": "%d/%m/%Y"}, FIELDS[4]]),
    _case("year type", "label,n,x,day,ok\na,1,1,2020,true\n",
          fields=[*FIELDS[:3], {"name": "day", "type": "year"}, FIELDS[4]]),
    _case("one column with an empty line", "label\na\n\nb\n", fields=[FIELDS[0]]),
    _case("one column", "label\na\nb\n", fields=[FIELDS[0]], valid=True),
    _case("pattern kept", "label,n,x,day,ok\nab-c,1,1,2020-01-01,true\nz9,2,2,2020-01-02,false\n",
          fields=_label(pattern="[a-z0-9]+(-[a-z0-9]+)*"), valid=True),
    _case("pattern broken", "label,n,x,day,ok\nAB,1,1,2020-01-01,true\n",
          fields=_label(pattern="[a-z]+")),
    _case("pattern and a final newline", 'label,n,x,day,ok\n"ab\n",1,1,2020-01-01,true\n',
          fields=_label(pattern="[a-z]+")),
    _case("pattern with inline flags", "label,n,x,day,ok\nABC,1,1,2020-01-01,true\n",
          fields=_label(pattern="(?i)abc")),
    _case("pattern with lookahead", "label,n,x,day,ok\nab,1,1,2020-01-01,true\n",
          fields=_label(pattern="(?=a)ab")),
    _case("pattern with alternation", "label,n,x,day,ok\nbz,1,1,2020-01-01,true\n",
          fields=_label(pattern="a|b")),
    _case("pattern with unicode digits", "label,n,x,day,ok\n٣,1,1,2020-01-01,true\n",
          fields=_label(pattern="\\d+")),
    _case("missing values listed", "label,n,x,day,ok\na,NA,1,2020-01-01,true\nb,,2,n/a,false\n",
          schema={"missingValues": ["", "NA", "n/a"]}, valid=True),
    _case("missing number listed", "label,n,x,day,ok\na,1,NA,2020-01-01,true\nb,2,2.5,2020-01-02,false\n",
          schema={"missingValues": ["NA"]}, valid=True),  # was a crash: Decimal("NA")
    _case("missing values without the empty string", "label,n,x,day,ok\na,,1,2020-01-01,true\n",
          schema={"missingValues": ["NA"]}),
    _case("blank row of listed missing values", "label,n,x,day,ok\na,1,1,2020-01-01,true\nNA,NA,NA,NA,NA\n",
          schema={"missingValues": ["NA"]}),
    _case("foreign key kept", "label,n,x,day,ok\na,1,1,2020-01-01,true\n,2,2,2020-01-02,false\n", schema=FK,
          valid=True),
    _case("foreign key broken", "label,n,x,day,ok\na,1,1,2020-01-01,true\nz,2,2,2020-01-02,false\n", schema=FK),
    _case("foreign key to a missing field", "label,n,x,day,ok\na,1,1,2020-01-01,true\n",
          schema={"foreignKeys": [{"fields": ["label"], "reference": {"resource": "codes", "fields": ["nope"]}}]}),
    _case("foreign key of another type", "label,n,x,day,ok\na,1,1,2020-01-01,true\n",
          schema={"foreignKeys": [{"fields": ["n"], "reference": {"resource": "codes", "fields": ["code"]}}]}),
    _case("declared bytes", GOOD, resource={"bytes": 3}),
    _case("foreign key to itself", "label,n,x,day,ok\na,1,1,2020-01-01,true\n",
          schema={"foreignKeys": [{"fields": "n", "reference": {"resource": "", "fields": "label"}}]}),
]


def _write_case(folder: Path, name: str, text: str | bytes, fields, schema: dict, resource: dict) -> None:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "table.csv").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    descriptor = {
        "name": folder.name, "title": f"Case {name}", "description": "A case of the fast path's differential test.",
        "licenses": [{"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/",
                      "title": "CC0 1.0"}],
        "sources": [{"title": "made up for a test"}],
        "resources": [{"name": "table", "path": "data/table.csv", "format": "csv",
                       "schema": {"fields": fields or FIELDS, **schema}, **resource}],
    }
    if "codes" in json.dumps(schema):
        (folder / "data" / "codes.csv").write_text(CODES, encoding="utf-8")
        descriptor["resources"].append({"name": "codes", "path": "data/codes.csv", "format": "csv", "schema": {
            "fields": [{"name": "code", "type": "string"}, {"name": "name", "type": "string"}]}})
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def test_bad_input_gives_the_same_findings_both_ways_and_is_never_proven_valid(tmp_path, monkeypatch):
    """All the cases in one validation each way (each case its own package), then each case's verdicts."""
    folders = []
    for n, (name, text, fields, schema, resource, _) in enumerate(CSV_CASES):
        folder = tmp_path / f"case-{n:03d}"
        _write_case(folder, name, text, fields, schema, resource)
        folders.append(folder)
    monkeypatch.chdir(tmp_path)
    fast = _validate(folders, "always", monkeypatch)
    slow = _validate(folders, "off", monkeypatch)
    for n, (name, *_, valid) in enumerate(CSV_CASES):
        where = f"case-{n:03d}/"

        def mine(result):
            return [f for f in result[0] if where in f[2]], {k: v for k, v in result[1].items() if where in k[0]}

        assert mine(fast) == mine(slow), f"case {name!r}: the fast path and frictionless disagree"
        errors = [f for f in mine(slow)[0] if f[0] == "error" and f[2].endswith("table.csv")]
        proved = fast[2].get(f"{where}data/table.csv", False)
        assert not (errors and proved), f"case {name!r}: proven valid, but frictionless finds {errors}"
        if valid:
            assert not errors, f"case {name!r} should be valid: {errors}"
            assert proved, f"case {name!r}: plain and valid, yet not proven by the fast path"


def test_the_fast_path_is_off_for_small_files_unless_asked(tmp_path, monkeypatch):
    folder = tmp_path / "small"
    _write_case(folder, "small", GOOD, None, {}, {})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(fastpath.SETTING, raising=False)
    assert not fastpath.wanted(folder / "data" / "table.csv")
    big = folder / "data" / "big.csv"
    big.write_bytes(b"x" * fastpath.MIN_BYTES)
    assert fastpath.wanted(big)
    monkeypatch.setenv(fastpath.SETTING, "off")
    assert not fastpath.wanted(big)


def test_a_pattern_python_cannot_compile_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    """Found by the cases above: frictionless raises re.error on "(?i)abc" (read as ^(?i)abc$)."""
    folder = tmp_path / "flags"
    _write_case(folder, "flags", "label,n,x,day,ok\nABC,1,1,2020-01-01,true\n",
                _label(pattern="(?i)abc"), {}, {})
    monkeypatch.chdir(tmp_path)
    findings, _, _ = _validate([folder], "always", monkeypatch)
    assert [(f[1], f[5]) for f in findings if f[0] == "error"] == [
        ("descriptor-error", 'a "pattern" constraint is not a regular expression frictionless can use: '
                             "global flags not at the start of the expression at position 1")]


# --- the whole site, both ways ------------------------------------------------------------------

def _many_rows_package(folder: Path, rows: int = 3_000) -> None:
    """A table over ``charts.MAX_POINTS`` rows whose views take every aggregation a chart makes of a
    large table: the largest of many bars (with tied totals), categories kept whole (with a missing
    one), days and numbers along the axis, a line of too many categories, and two cases the columns
    leave to the rows (intervals of days; decimal numbers; sums past 64 bits)."""
    (folder / "data").mkdir(parents=True)
    lines = ["id,area,day,when,n,m,x,unit,huge"]
    for i in range(rows):
        area = "" if i % 97 == 0 else f"area-{(i * 7) % 13:02d}"
        n = "" if i % 31 == 0 else str((i * 37) % 1000 - 50)
        when = (dt.date(2000, 1, 1) + dt.timedelta(days=i)).isoformat()  # every row its own day
        lines.append(f"r{i:05d},{area},2020-{1 + i % 12:02d}-{1 + i % 28:02d},{when},{n},{i % 5},{i % 7}.25,people,"
                     f"{2 ** 62 + i}")
    (folder / "data" / "many.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fields = [{"name": "id", "type": "string", "title": "Row"}, {"name": "area", "type": "string", "title": "Area"},
              {"name": "day", "type": "date", "title": "Day"}, {"name": "when", "type": "date", "title": "When"},
              {"name": "n", "type": "integer", "title": "Count"}, {"name": "m", "type": "integer", "title": "Other"},
              {"name": "x", "type": "number", "title": "Rate"}, {"name": "unit", "type": "string", "title": "Unit"},
              {"name": "huge", "type": "integer", "title": "Huge"}]

    def simple(name, kind, group, series):
        return {"name": name, "title": name.replace("-", " ").capitalize(), "resources": ["many"],
                "specType": "simple", "spec": {"type": kind, "group": group, "series": series}}

    descriptor = {
        "name": "many-rows", "title": "Many rows", "description": "More rows than a chart draws.",
        "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "version": "1.0.0", "modified": "2026-11-27",
        "resources": [{"name": "many", "title": "Many", "path": "data/many.csv", "format": "csv", "mediatype": "text/csv",
                       "encoding": "utf-8", "profile": "tabular-data-resource",
                       "schema": {"fields": fields, "primaryKey": ["id"]}}],
        "views": [simple("largest-bars", "bar", "id", "m"), simple("each-area", "bar", "area", ["n", "m"]),
                  simple("each-day", "line", "day", "n"), simple("each-count", "line", "n", "m"),
                  simple("too-many-lines", "line", "id", "n"), simple("day-intervals", "line", "when", "n"),
                  simple("decimal-rates", "bar", "area", "x"),
                  # Sums past 64 bits: left to the rows (red-team review: they failed the build both ways).
                  simple("huge-sums", "bar", "area", "huge")],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def test_the_site_is_the_same_bytes_with_the_fast_path_as_without(tmp_path, monkeypatch):
    """The golden project and a table of more rows than a chart holds, built with the fast path on every
    file and with frictionless alone: the same files, byte for byte. The rows the fast path keeps as
    columns reach the plan, the pages and the charts (aggregated on the columns, ``_bounded_columns``)."""
    from opentally import charts
    from opentally.pipeline import Project, build_site

    project = tmp_path / "project"
    shutil.copytree(ROOT / "tests" / "fixtures" / "golden" / "project", project)
    shutil.copytree(ROOT / "templates", project / "templates")
    _many_rows_package(project / "datapackages" / "many-rows")
    aggregated: list[str] = []
    real = charts._bounded_columns

    def recorded(rows, roles):
        result = real(rows, roles)
        if result is not None:
            aggregated.append(roles.dimension + ": " + result[1])
        return result

    monkeypatch.setattr(charts, "_bounded_columns", recorded)
    monkeypatch.setenv("OPENTALLY_PROCESSES", "1")
    sites = {}
    for mode in ("always", "off"):
        monkeypatch.setenv(fastpath.SETTING, mode)
        out = tmp_path / f"site-{mode}"
        result = build_site(Project(project), out, use_cache=False)
        assert result.ok, result.report
        sites[mode] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert sorted(sites["always"]) == sorted(sites["off"])
    different = [name for name in sites["off"] if sites["always"][name] != sites["off"][name]]
    assert different == []
    # Not vacuous: five of the views were aggregated on the columns, in each of the ways it knows.
    assert len(aggregated) == 5, aggregated
    notes = "\n".join(aggregated)
    assert "id: The table has 3,000 Row values, more bars than can be read: the chart shows the 40" in notes
    assert "area: The table has 3,000 rows, more than a chart can hold: the chart shows the sum of" in notes
    assert "id: The table has 3,000 rows, more than a chart can hold: the chart shows the mean for each of " \
           "the 2,000 Row values with the largest totals, of 2,903" in notes  # 97 rows have no count
    assert "the mean of Other for each Count, 1,000 points" in notes and "the mean of Count for each Day" in notes
    # The three the columns leave to the rows: intervals of days, decimal numbers, sums past 64 bits.
    page = sites["off"]["data/many-rows.html"].decode("utf-8")
    assert "the chart shows the mean of Count for each 2-day interval of When, 1,500 points" in page
    assert "the chart shows the sum of Rate for each Area, 13 points" in page
    assert "the chart shows the sum of Huge for each Area, 13 points" in page
