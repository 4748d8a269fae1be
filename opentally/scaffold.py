"""`build.py new`: start a data package from one CSV file.

The package is written with every property a publisher must still fill in marked by a placeholder
that starts with ``TODO`` (the licence's ``name`` is ``TODO-choose-a-licence``, since a licence name
cannot hold a colon or a space). The validate stage reports each placeholder as an ``unfinished``
warning, so the new package validates, and can be previewed, at once, while ``--strict`` (and so CI)
refuses it until every placeholder is replaced.

Nothing is written unless the whole package is good: the CSV is read and its Table Schema inferred
with frictionless, the package is assembled in a hidden folder beside its destination and validated
there exactly as ``build.py validate`` would, and only then renamed into place. Every refusal is a
``BuildError`` with what is wrong and how to fix it.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from frictionless import Detector, Field, FrictionlessException, Resource

from . import load, validate
from .issues import BuildError

NAME_PATTERN = re.compile(r"^[a-z0-9_][a-z0-9._-]*$")  # the Data Package rule, less a leading "." or "-"
MAX_NAME = 100
# Enough rows to infer each column's type from the whole of any table a person would publish here;
# beyond it, the validation of the finished package still checks every row.
SAMPLE_ROWS = 100_000
BINARY_PROBE = 8192
# Types frictionless may guess that mislead more than they help in a table of statistics: "2,5" (a
# decimal comma) is not a geographic point, nor "[1]" (a footnote marker) a JSON array.
DOUBTFUL_TYPES = {"geopoint", "geojson", "object", "array", "duration", "any"}
# Day first: the publishers this project serves are British. Numeric formats only, so that the
# guess never depends on the machine's language settings.
DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
NUMERIC_TYPES = {"integer", "number"}

TODO_TITLE = "TODO: a short title for the public"
TODO_DESCRIPTION = ("TODO: describe the data for the public: what the figures are, who counted them, "
                    "for which period, and what they leave out")
TODO_LICENCE = {"name": "TODO-choose-a-licence",
                "title": "TODO: choose a licence, e.g. the Open Government Licence v3.0 (OGL-UK-3.0)"}
TODO_SOURCE = {"title": "TODO: name the document or web page the figures come from, and give its path"}


@dataclass(frozen=True)
class Scaffold:
    """What ``scaffold_package`` wrote, and what the publisher must still fill in."""

    directory: Path
    descriptor: Path
    data: Path
    rows: int
    fields: tuple[tuple[str, str], ...]  # (name, type) of each column, in order
    todo: tuple[str, ...]  # one line per placeholder, as `build.py validate` reports it


def scaffold_package(root: Path, name: str, csv_path: Path, title: str | None = None) -> Scaffold:
    """Write ``root/name/`` with a copy of ``csv_path`` and a datapackage.json describing it."""
    _check_name(name)
    target = root / name
    if target.exists() or target.is_symlink():
        raise BuildError("a package with this name already exists", load.display_path(target),
                         hint="choose another name; new never overwrites anything (to start again, "
                              "delete the folder first)")
    _check_is_text_file(csv_path)
    resource = _infer(csv_path)
    data_name = _safe_name(csv_path.stem) or "data"
    descriptor = _descriptor(name, title, data_name, resource)
    return _write(root, target, csv_path, f"data/{data_name}.csv", descriptor)


# --- refusals before the CSV is parsed -------------------------------------------------------------

def _check_name(name: str) -> None:
    rule = 'use lower case letters, digits, "-", "_" and ".", not starting with "." or "-"'
    suggestion = _safe_name(name)
    hint = f'{rule}, e.g. "{suggestion}"' if suggestion and suggestion != name else rule
    if not name:
        raise BuildError("the package name is empty", hint=f'{rule}, e.g. "police-custody-2013"')
    if len(name) > MAX_NAME:
        raise BuildError(f"the package name is {len(name)} characters long; at most {MAX_NAME} are allowed",
                         hint="choose a shorter name")
    bad = ", ".join(f'"{c}"' for c in dict.fromkeys(c for c in name if not re.match(r"[a-z0-9._-]", c)))
    if bad:
        raise BuildError(f'the package name "{name}" has characters a package name cannot have: {bad}',
                         hint=hint)
    if not NAME_PATTERN.match(name):
        raise BuildError(f'the package name "{name}" starts with "{name[0]}"', hint=hint)


def _check_is_text_file(csv_path: Path) -> None:
    shown = load.display_path(csv_path)
    if not csv_path.exists():
        raise BuildError("the file does not exist", shown, hint="check the path after --from (paths are case-sensitive)")
    if not csv_path.is_file():
        raise BuildError("this is not a file", shown, hint="give the path of a CSV file after --from")
    if csv_path.stat().st_size == 0:
        raise BuildError("the file is empty", shown, hint="give a CSV file with a header line and rows of data")
    with open(csv_path, "rb") as f:
        start = f.read(BINARY_PROBE)
    # Text never holds a NUL byte, except in UTF-16 and UTF-32, which start with a byte order mark.
    if b"\x00" in start and not start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BuildError("the file is not text but binary data, such as a spreadsheet (.xlsx) or an image", shown,
                         hint="open it in a spreadsheet and save it as CSV UTF-8 (comma-delimited), then try again")


# --- reading the CSV -------------------------------------------------------------------------------

def _infer(csv_path: Path) -> Resource:
    """The resource with its encoding, dialect and Table Schema, inferred by frictionless."""
    shown = load.display_path(csv_path)
    # Every sampled value must fit the type guessed (frictionless's default accepts 90%), so that
    # the new package validates.
    detector = Detector(sample_size=SAMPLE_ROWS, field_confidence=1.0)
    resource = Resource(path=str(csv_path.resolve()), format="csv", detector=detector)
    try:
        resource.infer()
    except FrictionlessException as exc:
        if exc.error.type == "encoding-error":
            raise BuildError("the file is not text in an encoding that can be read", shown,
                             hint="open it in a spreadsheet and save it as CSV UTF-8 (comma-delimited)") from None
        raise BuildError(f"the file cannot be read as CSV: {exc.error.note or exc.error.message}", shown,
                         hint="export the table as CSV (comma-separated values) and try again") from None
    _check_table_shape(resource.labels, resource.fragment, shown)
    return resource


def _check_table_shape(labels: list[str], rows: list[list[str]], shown: str) -> None:
    """A table: a header line of names, then at least one row, every row as wide as the header."""
    table_hint = ("export the table as CSV: one header line with a name for each column, then one line per row, "
                  "a value with a comma inside it in double quotes")
    if not labels:
        raise BuildError("the file has no header line", shown, hint=table_hint)
    for number, cells in enumerate(rows, start=2):
        if cells and len(cells) != len(labels):
            raise BuildError(f"this is not a CSV table: row {number} has {len(cells)} values, but the header "
                             f"(row 1) has {len(labels)}", shown, hint=table_hint)
    _check_header(labels, shown)
    if all(_looks_like_data(label) for label in labels):
        shown_labels = ", ".join(f'"{label}"' for label in labels[:3])
        raise BuildError(f"the first line holds no column names ({shown_labels} look like data)", shown,
                         hint='add a header line with a name for each column, e.g. "year,count"')
    if not any(rows):
        raise BuildError("the file has a header but no rows of data", shown,
                         hint="add the rows of data: the type of each column is inferred from them")


def _check_header(labels: list[str], shown: str) -> None:
    """Each column needs a name of its own: the schema's fields are matched to the header by name."""
    hint = "give each column its own name in the header line (the first line of the file)"
    seen: dict[str, int] = {}
    for number, label in enumerate(labels, start=1):
        if not label.strip():
            raise BuildError(f"column {number} has no name in the header", shown, 1, hint)
        if label in seen:
            raise BuildError(f'column {number} has the same name as column {seen[label]}: "{label}"', shown, 1, hint)
        seen[label] = number


def _looks_like_data(label: str) -> bool:
    for candidate in ({"type": "number"}, {"type": "date"}):
        if Field.from_descriptor({"name": "x", **candidate}).read_cell(label.strip())[1] is None:
            return True
    return False


# --- the descriptor --------------------------------------------------------------------------------

def _descriptor(name: str, title: str | None, data_name: str, resource: Resource) -> dict:
    """datapackage.json as a dict whose key order is the order a reader wants."""
    today = _today()
    return {
        "name": name,
        "title": title.strip() if title and title.strip() else TODO_TITLE,
        "description": TODO_DESCRIPTION,
        "licenses": [dict(TODO_LICENCE)],
        "version": "0.1.0",
        "created": f"{today.isoformat()}T00:00:00Z",
        "modified": today.isoformat(),
        "contributors": [],
        "sources": [dict(TODO_SOURCE)],
        "resources": [_resource(data_name, resource)],
    }


def _resource(data_name: str, resource: Resource) -> dict:
    described = {
        "name": data_name,
        "title": _humanise(data_name),
        "path": f"data/{data_name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": resource.encoding,
    }
    dialect = _dialect(resource)
    if dialect:
        described["dialect"] = dialect
    described["schema"] = {
        "fields": [_field(f, [row[i] if i < len(row) else "" for row in resource.fragment])
                   for i, f in enumerate(resource.schema.fields)],
        "missingValues": list(resource.schema.missing_values),
    }
    return described


def _dialect(resource: Resource) -> dict:
    """Only what differs from the CSV defaults, in the Data Package (v1) spelling."""
    control = resource.dialect.get_control("csv")
    dialect = {}
    if control.delimiter != ",":
        dialect["delimiter"] = control.delimiter
    if control.quote_char != '"':
        dialect["quoteChar"] = control.quote_char
    return dialect


def _field(field: Field, values: list[str]) -> dict:
    type_, format_ = field.type, None
    if type_ in DOUBTFUL_TYPES:
        type_ = "string"
    if type_ == "string":
        format_ = _date_format(values, field.missing_values)
        type_ = "date" if format_ else "string"
    described = {"name": field.name, "title": _humanise(field.name), "type": type_}
    if format_:
        described["format"] = format_
    described["description"] = f"TODO: what the column {field.name} holds, and what an empty cell means"
    if type_ in NUMERIC_TYPES:
        described["unit"] = 'TODO: what the numbers count or measure, e.g. "people", "percent" or "GBP"'
    return described


def _date_format(values: list[str], missing: list[str]) -> str | None:
    """The first date format every value of a column is written in (frictionless guesses ISO dates only)."""
    present = [v for v in values if v not in missing]
    for format_ in DATE_FORMATS:
        parser = Field.from_descriptor({"name": "x", "type": "date", "format": format_})
        if present and all(parser.read_cell(v)[1] is None for v in present):
            return format_
    return None


def _humanise(name: str) -> str:
    words = re.sub(r"[-_.\s]+", " ", name).strip()
    return words[:1].upper() + words[1:]


def _safe_name(text: str) -> str:
    """``text`` as a Data Package name: lower case ASCII letters, digits, "-", "_" and "."."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower()).strip("-._")[:MAX_NAME]


def _today() -> date:
    """Today, or the day SOURCE_DATE_EPOCH gives, so that the same input gives the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return datetime.now(timezone.utc).date()


# --- writing ---------------------------------------------------------------------------------------

def _write(root: Path, target: Path, csv_path: Path, data_path: str, descriptor: dict) -> Scaffold:
    """Assemble the package in a hidden folder, validate it there, then move it into place."""
    if root.exists() and not root.is_dir():
        raise BuildError("this is not a folder", load.display_path(root), hint="give a folder after --root")
    root.mkdir(parents=True, exist_ok=True)
    # A dot folder: find_packages skips it, so a build running meanwhile never sees a half-written package.
    staging = Path(tempfile.mkdtemp(prefix=f".new-{target.name}-", dir=root))
    try:
        (staging / data_path).parent.mkdir(parents=True)
        shutil.copyfile(csv_path, staging / data_path)
        (staging / load.DESCRIPTOR).write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        report = validate.validate_packages([load.load_package(staging)])
        _refuse_errors(report, csv_path)
        if target.exists():
            raise BuildError("a package with this name already exists", load.display_path(target),
                             hint="choose another name; new never overwrites anything")
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    fields = tuple((f["name"], f["type"]) for f in descriptor["resources"][0]["schema"]["fields"])
    todo = tuple(i.message for i in report.issues if i.code == "unfinished")
    return Scaffold(target, target / load.DESCRIPTOR, target / data_path, report.rows, fields, todo)


def _refuse_errors(report: validate.Report, csv_path: Path) -> None:
    """The first error in the new package, said of the CSV file: no other part of it can be wrong."""
    errors = [i for i in report.issues if i.is_error]
    if errors:
        first = errors[0]
        raise BuildError(first.message, load.display_path(csv_path), first.row, first.hint)
