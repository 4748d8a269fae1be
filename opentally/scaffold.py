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

A CSV exported from a spreadsheet is read as the spreadsheet meant it: a byte-order mark and CRLF
line ends need nothing (the copy keeps them; frictionless skips the mark), and a text column whose
every value is a number written with separators ("4,788", "1.234,5", "1 234,5") becomes a number
field with its ``groupChar`` and ``decimalChar``. The schema proposes a ``primaryKey`` (a column, else
a pair, whose values are all there and never repeat), and the descriptor holds a note, beside where
``views`` go, on how to draw the table: long data with a vega-lite view, wide data with a simple one.
``Scaffold.notes`` says what was chosen and why.
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

from frictionless import Detector, Field, FrictionlessException, Resource, Schema

from . import load, names, validate
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
DATE_TYPES = {"date", "datetime", "year", "yearmonth"}
# How spreadsheets write numbers, as (groupChar, decimalChar): "4,788.5", "4.788,5", "4 788,5" (a space,
# a no-break space or a narrow one, as French settings write it), "4 788.5", and "12,5".
NUMBER_STYLES = ((",", "."), ("", ","), (".", ","), (" ", ","), (" ", "."), ("\u00a0", ","), ("\u00a0", "."),
                 ("\u202f", ","), ("\u202f", "."))
SEPARATOR_WORDS = {",": '","', ".": '"."', " ": "a space", "\u00a0": "a no-break space",
                   "\u202f": "a narrow no-break space"}
# Column names that say a column names or dates its rows (matched on the lower-cased name).
ID_NAME = re.compile(r"(?:^|[^a-z])(?:id|code|key|ref|reference|identifier)$")
DATE_NAME = re.compile(r"(?:^|[^a-z])(?:date|day|week|month|quarter|year|period)$")
MAX_KEY_CANDIDATES = 8  # columns tried in pairs for a primary key: at most 28 pairs
CHART_HELP = "howToAddAChart"  # the note on adding a view, beside where "views" goes

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
    # What new read and chose, and why, one line each: numbers with separators, the primary key, how to
    # add a chart.
    notes: tuple[str, ...] = ()


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
    described, chart_help, notes = _resource(data_name, resource)
    descriptor = _descriptor(name, title, described, chart_help)
    return _write(root, target, csv_path, f"data/{data_name}.csv", descriptor, tuple(notes))


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

def _descriptor(name: str, title: str | None, resource: dict, chart_help: dict) -> dict:
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
        "resources": [resource],
        CHART_HELP: chart_help,
    }


def _resource(data_name: str, resource: Resource) -> tuple[dict, dict, list[str]]:
    """The resource's descriptor, the note on how to chart it, and what the summary says of both."""
    described = {
        "name": data_name,
        "title": _humanise(data_name),
        "path": f"data/{data_name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        # Frictionless reads "utf-8-sig" for a file that starts with a byte-order mark, as spreadsheets
        # write it; it skips the mark under the standard's own name as well ("utf-8", from the IANA
        # list the Data Package standard asks for), so that is the name written.
        "encoding": "utf-8" if resource.encoding == "utf-8-sig" else resource.encoding,
    }
    dialect = _dialect(resource)
    if dialect:
        described["dialect"] = dialect
    delimiter = resource.dialect.get_control("csv").delimiter
    fields, notes = [], []
    for i, inferred in enumerate(resource.schema.fields):
        values = [row[i] if i < len(row) else "" for row in resource.fragment]
        field, note = _field(inferred, values, list(resource.schema.missing_values), delimiter)
        fields.append(field)
        notes += [note] if note else []
    described["schema"] = {"fields": fields, "missingValues": list(resource.schema.missing_values)}
    columns = _key_columns(resource, described["schema"])
    key, why = _primary_key(fields, columns)
    if key:
        described["schema"]["primaryKey"] = key
    notes.append(why)
    chart_help, chart_note = _chart_help(data_name, fields, columns, key)
    notes.append(chart_note)
    return described, chart_help, notes


def _dialect(resource: Resource) -> dict:
    """Only what differs from the CSV defaults, in the Data Package (v1) spelling."""
    control = resource.dialect.get_control("csv")
    dialect = {}
    if control.delimiter != ",":
        dialect["delimiter"] = control.delimiter
    if control.quote_char != '"':
        dialect["quoteChar"] = control.quote_char
    return dialect


def _field(field: Field, values: list[str], missing: list[str], delimiter: str) -> tuple[dict, str | None]:
    """The field's descriptor, and what the summary says of how its numbers are written."""
    type_, format_, style = field.type, None, None
    if type_ in DOUBTFUL_TYPES:
        type_ = "string"
    if type_ == "string":
        format_ = _date_format(values, missing)
        type_ = "date" if format_ else "string"
    if type_ == "string":
        # "number" even when every value is whole: frictionless 5.21 reads "groupChar" in a number field
        # only (as Table Schema v1 defines it), and an integer field with it fails on "4,788".
        style = _number_style([v for v in values if v not in missing], delimiter)
        type_ = "number" if style else "string"
    described = {"name": field.name, "title": _humanise(field.name), "type": type_}
    if format_:
        described["format"] = format_
    note = None
    if style:
        group, decimal = style
        if group:
            described["groupChar"] = group
        if decimal != ".":
            described["decimalChar"] = decimal
        note = _number_note(field.name, style, values, missing)
    described["description"] = f"TODO: what the column {field.name} holds, and what an empty cell means"
    if type_ in NUMERIC_TYPES:
        described["unit"] = 'TODO: what the numbers count or measure, e.g. "people", "percent" or "GBP"'
    return described, note


def _date_format(values: list[str], missing: list[str]) -> str | None:
    """The first date format every value of a column is written in (frictionless guesses ISO dates only)."""
    present = [v for v in values if v not in missing]
    for format_ in DATE_FORMATS:
        parser = Field.from_descriptor({"name": "x", "type": "date", "format": format_})
        if present and all(parser.read_cell(v)[1] is None for v in present):
            return format_
    return None


# --- numbers as spreadsheets write them ------------------------------------------------------------

def _number_style(values: list[str], delimiter: str) -> tuple[str, str] | None:
    """(groupChar, decimalChar) that reads every value of a text column as a number, if exactly one does.

    Spreadsheets export "4,788", "1.234,5" or "1 234,5": frictionless reads them as text unless the
    field says which character separates thousands and which marks the decimals. A style fits when
    every value is written in it and at least one value uses it; a column where one value does not fit
    (a footnote marker, "n/a", "1,20") stays text. Values that two styles read differently are not
    guessed at, with one exception: "4,788" (a comma, then three digits, and no "." anywhere) is a
    thousands separator, unless the file's delimiter is ";", which spreadsheets use where the comma
    is the decimal mark.
    """
    styles = set()
    for group, decimal in NUMBER_STYLES:
        pattern = _number_pattern(group, decimal)
        if not values or not all(pattern.fullmatch(v.strip()) for v in values):
            continue
        group = group if any(group in v for v in values) else ""
        decimal = decimal if decimal != "." and (group == "." or any(decimal in v for v in values)) else "."
        if (group, decimal) != ("", "."):
            styles.add((group, decimal))
    if styles == {(",", "."), ("", ",")}:  # "4,788": see above
        styles = {("", ",")} if delimiter == ";" else {(",", ".")}
    if len(styles) != 1:
        return None
    group, decimal = styles.pop()
    reader = Field.from_descriptor({"name": "x", "type": "number", "groupChar": group, "decimalChar": decimal})
    if not all(reader.read_cell(v)[1] is None for v in values):
        return None
    return group, decimal


def _number_pattern(group: str, decimal: str) -> re.Pattern:
    whole = rf"(?:[0-9]{{1,3}}(?:{re.escape(group)}[0-9]{{3}})+|[0-9]+)" if group else "[0-9]+"
    return re.compile(rf"[+-]?{whole}(?:{re.escape(decimal)}[0-9]+)?")


def _number_note(name: str, style: tuple[str, str], values: list[str], missing: list[str]) -> str:
    group, decimal = style
    example = next((v.strip() for v in values if v not in missing and (group and group in v or decimal in v)), "")
    said = []
    if group:
        said.append(f"{SEPARATOR_WORDS[group]} between thousands")
    if decimal != ".":
        said.append(f"{SEPARATOR_WORDS[decimal]} as the decimal mark")
    chars = ", ".join(f'"{key}": {json.dumps(char)}'
                      for key, char in (("groupChar", group), ("decimalChar", decimal if decimal != "." else ""))
                      if char)
    return f'column {name}: numbers written with {" and ".join(said)} ("{example}"): type number, {chars}'


# --- the primary key -------------------------------------------------------------------------------

def _key_columns(resource: Resource, schema: dict) -> dict[str, list]:
    """The typed values of every column that could be part of a key, read from every row.

    Typed as the finished package will read them (frictionless compares keys by value, so "1.0" and
    "1" are the same number), and from the whole file, not only the rows types were inferred from: a
    key that a later row repeats would make the new package invalid.
    """
    wanted = [f["name"] for f in schema["fields"] if _key_like(f)]
    readable = [{k: v for k, v in f.items() if k not in ("title", "description", "unit")} for f in schema["fields"]]
    reader = Resource(path=resource.path, format="csv", encoding=resource.encoding,
                      dialect=resource.dialect.to_copy(),
                      schema=Schema.from_descriptor({"fields": readable, "missingValues": schema["missingValues"]}))
    columns: dict[str, list] = {name: [] for name in wanted}
    try:
        with reader:
            for row in reader.row_stream:
                for name in wanted:
                    columns[name].append(row[name])
    except FrictionlessException:
        return {}  # validating the package reports what cannot be read
    return columns


def _primary_key(fields: list[dict], columns: dict[str, list]) -> tuple[list[str], str]:
    """A primary key to propose, and why: a column, else a pair, each row's own and never empty.

    Only columns that name or date a row are candidates (text, dates, and whole numbers named like an
    id or a year), never a count that happens to differ in every row. Among single columns: the first
    column when it is an id or a date, then a column named like an id, then a date, then a first
    column of text (the row labels of a wide table). Pairs are tried, in column order, only when no
    single column will do, of columns that are not each unique already.
    """
    first = fields[0]["name"]
    complete = {name: values for name, values in columns.items() if values and None not in values}
    unique = [name for name, values in complete.items() if len(set(values)) == len(values)]
    by_name = {f["name"]: f for f in fields}
    choices = [
        (lambda f: f["name"] == first and (_id_like(f) or _date_like(f)),
         lambda f: f"the first column, {_kind_of_key(f)}"),
        (_id_like, lambda f: "its name says it is an id"),
        (_date_like, lambda f: f"a column of {_kind_of_key(f, plural=True)}"),
        (lambda f: f["name"] == first and f["type"] == "string", lambda f: "the first column, the rows' labels"),
    ]
    for fits, reason in choices:
        for name in unique:
            if fits(by_name[name]):
                return [name], (f"primary key {name}: {reason(by_name[name])}, has a value in every row, "
                                "and no two rows share one")
    candidates = [name for name in complete if name not in unique][:MAX_KEY_CANDIDATES]
    for i, a in enumerate(candidates):
        for b in candidates[i + 1:]:
            pairs = list(zip(complete[a], complete[b]))
            if len(set(pairs)) == len(pairs):
                return [a, b], (f"primary key {a} and {b}: no single column names each row, but these two "
                                "together do; neither is ever empty")
    return [], ("no primary key: no column, nor pair of columns, has a value in every row that no other row "
                'shares; if some columns identify a row, add "primaryKey" to the schema')


def _id_like(field: dict) -> bool:
    name = field["name"].strip()
    return _key_like(field) and bool(ID_NAME.search(name.lower()) or name.endswith(("Id", "ID")))


def _date_like(field: dict) -> bool:
    name = field["name"].strip().lower()
    if field["type"] == "string":
        return bool(DATE_NAME.search(name))
    return field["type"] in DATE_TYPES or field["type"] == "integer" and bool(DATE_NAME.fullmatch(name))


def _key_like(field: dict) -> bool:
    """A column that names or dates a row, rather than measuring something."""
    type_, name = field["type"], field["name"].strip()
    if type_ in ("string", *DATE_TYPES):
        return True
    return type_ == "integer" and bool(ID_NAME.search(name.lower()) or name.endswith(("Id", "ID"))
                                       or DATE_NAME.fullmatch(name.lower()))


def _kind_of_key(field: dict, plural: bool = False) -> str:
    if field["type"] in DATE_TYPES:
        word = {"datetime": "date and time", "yearmonth": "month", "year": "year"}.get(field["type"], "date")
    elif _date_like(field):
        word = "period"
    else:
        word = "id"
    if plural:
        return "dates and times" if word == "date and time" else word + "s"
    return ("an " if word[0] in "aeiou" else "a ") + word


# --- how to chart it -------------------------------------------------------------------------------

def _chart_help(data_name: str, fields: list[dict], columns: dict[str, list],
                key: list[str]) -> tuple[dict, str]:
    """A note on how to add a view, with a view to start from when the table has numbers to draw.

    Written into datapackage.json, beside where "views" goes: the publisher is editing that file
    when the chart is to be added, and a note printed once is gone by then. It holds no "TODO", so
    ``validate`` does not flag it (a package needs no chart); nothing reads it, and the note says to
    delete it.
    """
    measures = [f for f in fields if f["type"] in NUMERIC_TYPES and not _key_like(f)]
    labels = [f for f in fields if _key_like(f)]
    x = next((f for f in labels if _date_like(f)), labels[0] if labels else None)
    note = [
        "build.py new wrote this note, and nothing reads it: delete it once read.",
        'A chart is a view, in a list "views" beside "resources" (see "Charts" in README.md).',
        'Long (tidy) data, with one row for each group and series (month, region, count), is drawn with a '
        '"vega-lite" view: a "bar" or "line" mark, with the series column as "color".',
        'Wide data, with one row for each group and a column of numbers for each series (month, north, south), '
        'is drawn with a "simple" view: {"type": "line" or "bar", "group": the group column, '
        '"series": [the columns of numbers]}.',
    ]
    if not measures or x is None:
        note.append("This table has no column of numbers to draw.")
        return {"note": note}, 'charts: no column of numbers to draw; see "howToAddAChart" in datapackage.json'
    xs = [v for v in columns.get(x["name"], []) if v is not None]
    repeats = [f for f in labels if f is not x and f["type"] == "string"
               and len(set(columns.get(f["name"], []))) < len(columns.get(f["name"], []))]
    # The series: the column that, with x, is the primary key (month and region), else the first text
    # column whose values repeat.
    series = next((f for f in repeats if len(key) == 2 and {x["name"], f["name"]} == set(key)),
                  repeats[0] if repeats else None)
    if len(set(xs)) < len(xs) and series is None:
        # Neither shape: a simple view would zig-zag through the rows of one x, and there is no series.
        note.append(f"This table has several rows for one {x['name']}, and no column of text that tells them "
                    "apart as series: choose the columns to draw yourself.")
        return {"note": note}, (f"charts: {x['name']} repeats, and no column of text tells its rows apart; "
                                'see "howToAddAChart" in datapackage.json')
    if series and len(set(xs)) < len(xs):
        shape = f"long: {x['name']} repeats, once for each {series['name']}"
        y = measures[0]
        spec = {"mark": "line" if _temporal(x) else "bar",
                "encoding": {"x": {"field": _vega_lite_field(x["name"]), "type": _vega_lite_type(x)},
                             "y": {"field": _vega_lite_field(y["name"]), "type": "quantitative"},
                             "color": {"field": _vega_lite_field(series["name"]), "type": "nominal"}}}
        example = {"name": _view_name(f"{y['name']}-by-{x['name']}"), "title": _chart_title([y], x),
                   "specType": "vega-lite", "resources": [data_name], "spec": spec}
    else:
        shape = f"wide: one row for each {x['name']}"
        example = {"name": _view_name(f"by-{x['name']}"), "title": _chart_title(measures, x), "specType": "simple",
                   "resources": [data_name],
                   "spec": {"type": "line" if _temporal(x) else "bar", "group": x["name"],
                            "series": [f["name"] for f in measures]}}
    note.append(f'This table looks {shape}. "example" is a view to start from: move it into "views", '
                "and check its columns, mark and title.")
    return ({"note": note, "example": example},
            f'charts: the table looks {shape}; "howToAddAChart" in datapackage.json has a view to start from')


def _chart_title(measures: list[dict], x: dict) -> str:
    """The example view's title, e.g. "Searches by month" or "Referrals and share detained by month"."""
    words = [_in_sentence(f["title"]) for f in measures]
    drawn = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    text = f"{drawn} by {_in_sentence(x['title'])}"
    return text[:1].upper() + text[1:]


def _in_sentence(title: str) -> str:
    """A title as a word inside a sentence: "Share detained" -> "share detained", but "GDP" stays."""
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def _vega_lite_field(name: str) -> str:
    """A column name as Vega-Lite reads it: "." and "[" would otherwise reach into nested objects."""
    return re.sub(r"([\\.\[\]])", r"\\\1", name)


def _temporal(field: dict) -> bool:
    return field["type"] in DATE_TYPES


def _vega_lite_type(field: dict) -> str:
    return "temporal" if _temporal(field) else "ordinal" if field["type"] == "integer" else "nominal"


def _view_name(text: str) -> str:
    name = _safe_name(text)[:MAX_NAME].strip("-._")
    return name if name and names.name_problem(name) is None else "chart"


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

def _write(root: Path, target: Path, csv_path: Path, data_path: str, descriptor: dict,
           notes: tuple[str, ...]) -> Scaffold:
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
    return Scaffold(target, target / load.DESCRIPTOR, target / data_path, report.rows, fields, todo, notes)


def _refuse_errors(report: validate.Report, csv_path: Path) -> None:
    """The first error in the new package, said of the CSV file: no other part of it can be wrong."""
    errors = [i for i in report.issues if i.is_error]
    if errors:
        first = errors[0]
        raise BuildError(first.message, load.display_path(csv_path), first.row, first.hint)
