"""Turn frictionless errors into issues a contributor can act on without reading code.

Frictionless says, for example, 'Type error in the cell "3o" in row "7" and field "value" at
position "3": type is "integer/default"'. A contributor needs: which file and row, which field, the
bad value, what was expected and how to fix it: 'outcomes.csv:7: field "value": "3o" is not an
integer'. Each frictionless error type is mapped here; an unknown one keeps frictionless's words.
"""

from __future__ import annotations

import re

from .issues import Issue, error

_EXPECTED = {
    "integer": ("an integer", "write a whole number with digits only, e.g. 42 (no letters, spaces or decimal point)"),
    "number": ("a number", "write a number with digits, e.g. 42 or 3.5"),
    "boolean": ("true or false", "write true or false"),
    "date": ("a date", "write the date as YYYY-MM-DD, e.g. 2013-07-24"),
    "datetime": ("a date and time", "write it as YYYY-MM-DDThh:mm:ssZ, e.g. 2013-07-24T09:00:00Z"),
    "time": ("a time", "write it as hh:mm:ss, e.g. 09:30:00"),
    "year": ("a year", "write a four-digit year, e.g. 2013"),
    "yearmonth": ("a year and month", "write it as YYYY-MM, e.g. 2013-07"),
    "duration": ("a duration", "write an ISO 8601 duration, e.g. P1Y2M"),
    "geopoint": ("a geographic point", 'write "longitude, latitude", e.g. "-0.12, 51.50"'),
    "geojson": ("a GeoJSON object", "write a GeoJSON object"),
    "object": ("a JSON object", 'write a JSON object, e.g. {"a": 1}'),
    "array": ("a JSON array", "write a JSON array, e.g. [1, 2]"),
    "string": ("text", "check the value"),
}


def row_issues(errors, path: str, skipped: set) -> list[Issue]:
    """Issues for the errors frictionless found in one resource's file."""
    issues = []
    flagged_unique = {(e.row_number) for e in errors if e.type == "unique-error"}
    for e in errors:
        if e.type == "primary-key" and e.row_number in flagged_unique:
            continue  # the unique-error on the same row already says it, with the field
        if e.type == "foreign-key" and getattr(e, "reference_name", None) in skipped:
            continue  # the referenced table was refused for its path; that error is reported
        issues.append(_row_issue(e, path))
    return issues


def _row_issue(e, path: str) -> Issue:
    kind = e.type
    row = getattr(e, "row_number", None)
    field = getattr(e, "field_name", None) or None
    cell = getattr(e, "cell", None)
    note = getattr(e, "note", "") or ""
    prefix = f'field "{field}": ' if field else ""

    if kind == "type-error":
        match = re.search(r'type is "(\w+)/(.*)"', note)
        type_, fmt = (match.group(1), match.group(2)) if match else ("string", "default")
        expected, hint = _EXPECTED.get(type_, (f"of type {type_}", "check the value"))
        if fmt not in ("default", "any", ""):
            expected += f" in the format {fmt}"
            hint = f"write the value in the format {fmt}, as the schema says"
        return error(kind, path, f'{prefix}"{cell}" is not {expected}', hint, row, field)
    if kind == "constraint-error":
        return _constraint_issue(note, cell, path, row, field)
    if kind == "unique-error":
        other = re.search(r"row at position (\d+)", note)
        where = f" row {other.group(1)} has the same value" if other else " another row has the same value"
        return error("duplicate-id", path, f'{prefix}"{cell}" is used again:{where}',
                     "each value in this column must be unique: give this row its own value", row, field)
    if kind == "primary-key":
        return error("duplicate-id", path, f"the row's primary key is used again: {note}",
                     "each row needs its own primary key value", row, field)
    if kind == "foreign-key":
        cells = ", ".join(f'"{c}"' for c in (getattr(e, "field_cells", None) or []))
        names = getattr(e, "field_names", None) or []
        ref = getattr(e, "reference_name", "") or "this table"
        ref_fields = getattr(e, "reference_field_names", None) or []
        field = names[0] if len(names) == 1 else field
        prefix = f'field "{field}": ' if field else ""
        column = "/".join(ref_fields) or "key"
        return error(kind, path, f'{prefix}{cells} is not found in column "{column}" of the table "{ref}"',
                     f'use a value that the table "{ref}" has, or add a row for it there', row, field)
    if kind == "missing-cell":
        return error(kind, path, f"{prefix}the row has no value for this column: it is shorter than the header",
                     "add the missing values (an empty value is written as nothing between two commas)", row, field)
    if kind == "extra-cell":
        return error(kind, path, f'the row has more values than the header has columns (extra value "{cell}")',
                     "a comma inside a value? put the whole value in double quotes", row, None)
    if kind == "blank-row":
        return error(kind, path, "the row is empty", "delete the empty row", row, None)
    if kind in ("blank-label", "duplicate-label", "incorrect-label", "missing-label", "extra-label"):
        return _label_issue(e, path)
    if kind == "encoding-error":
        return error(kind, path, f"the file cannot be read as text: {note}",
                     "save the file as UTF-8 (in a spreadsheet: Save As, CSV UTF-8)", None, None)
    if kind == "byte-count":
        return error(kind, path, f"the file's size is not the one the descriptor gives ({note})",
                     'update "bytes" in datapackage.json, or remove it', None, "bytes")
    if kind == "hash-count":
        return error(kind, path, f"the file's checksum is not the one the descriptor gives ({note})",
                     'update "hash" in datapackage.json, or remove it', None, "hash")
    return error(kind, path, e.message, "check the file against its schema in datapackage.json", row, field)


def _constraint_issue(note: str, cell, path: str, row, field) -> Issue:
    match = re.search(r'constraint "(\w+)" is "(.*)"', note, re.S)
    name, limit = (match.group(1), match.group(2)) if match else ("", note)
    prefix = f'field "{field}": ' if field else ""
    if name == "required":
        return error("missing-value", path, f"{prefix}a value is required but the cell is empty",
                     "fill in the cell; every row needs this value", row, field)
    if name == "enum":
        allowed = limit.strip("[]").replace("'", "")
        return error("constraint-error", path, f'{prefix}"{cell}" is not one of the allowed values: {allowed}',
                     "use one of the allowed values exactly as written", row, field)
    wording = {
        "minimum": f"is less than the minimum, {limit}",
        "maximum": f"is more than the maximum, {limit}",
        "exclusiveMinimum": f"is not more than {limit}",
        "exclusiveMaximum": f"is not less than {limit}",
        "pattern": f"does not match the pattern {limit}",
        "minLength": f"is shorter than {limit} characters",
        "maxLength": f"is longer than {limit} characters",
    }.get(name, f"breaks the constraint {name} = {limit}")
    return error("constraint-error", path, f'{prefix}"{cell}" {wording}',
                 f'correct the value; the schema in datapackage.json sets {name} = {limit}', row, field)


def _label_issue(e, path: str) -> Issue:
    number = getattr(e, "field_number", None)
    label = getattr(e, "label", None)
    name = getattr(e, "field_name", None)
    messages = {
        "blank-label": f"column {number} has no name in the header",
        "duplicate-label": f'column {number} has the same name as another column: "{label}"',
        "incorrect-label": f'column {number} is named "{label}" but the schema expects "{name}"',
        "missing-label": f'the header has no column "{name}" (column {number} in the schema)',
        "extra-label": f'column {number}, "{label}", is not in the schema',
    }
    return error("header-error", path, f"header: {messages[e.type]}",
                 "make the header row match the schema's fields, in the same order", 1, name or label)


def descriptor_issue(e, where: str) -> Issue:
    """An error frictionless found in a descriptor (or a schema file), with the property it is at."""
    note = getattr(e, "note", "") or e.message
    field = None
    match = re.search(r" at property '([^']*)'", note)
    if match:
        field = "/" + match.group(1)
        note = note[: match.start()]
    return error(e.type, where, f"the descriptor is not valid: {note}",
                 "correct datapackage.json against the Data Package standard (https://datapackage.org/standard/)",
                 None, field)
