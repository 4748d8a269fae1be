"""What validation found and read of a package, as JSON the build cache can keep, and back.

A package whose files, the code and the tools are those of an earlier build is not validated
again: its report, its typed tables and its charts come from the cache (``validate``). JSON, not
pickle: an entry is data, never code, even if it were forged (and entries are sealed, see ``cache``).

Typed cells are written with a tag for the types JSON lacks: ``Decimal``, dates, times and naive
date-times, and objects (so a cell that is an object cannot pass for a tag). A value of any other
type (a time-zone-aware date-time, a year-month, a duration, a geopoint) makes the package
unstorable: it is validated again on the next build, which gives the same result, only later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from decimal import Decimal

from .issues import Issue
from .tables import Field, Table

# A table beyond this many rows is not kept: reading it back would take as long as validating it.
MAX_STORED_ROWS = 200_000


class Unstorable(Exception):
    """A value this module does not write."""


def _encode(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unstorable(value)
        return value
    if isinstance(value, Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise Unstorable(value)
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise Unstorable(value)
        return {"$": "time", "v": value.isoformat()}
    if type(value) is list:
        return [_encode(v) for v in value]
    if type(value) is dict:
        return {"$": "object", "v": {str(k): _encode(v) for k, v in value.items()}}
    raise Unstorable(value)


_DECODE = {"decimal": Decimal, "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
           "time": dt.time.fromisoformat}


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if value["$"] == "object":
            return {k: _decode(v) for k, v in value["v"].items()}
        return _DECODE[value["$"]](value["v"])
    return value


def _table(table: Table) -> dict:
    return {"name": table.name, "title": table.title, "row_numbers": list(table.row_numbers),
            "fields": [dataclasses.asdict(f) for f in table.fields],
            "rows": [[_encode(row.get(f.name)) for f in table.fields] for row in table.rows]}


def _table_from(d: dict) -> Table:
    fields = tuple(Field(**f) for f in d["fields"])
    names = [f.name for f in fields]
    rows = tuple({n: _decode(v) for n, v in zip(names, row)} for row in d["rows"])
    return Table(d["name"], fields, rows, d["title"], tuple(d["row_numbers"]))


def _chart(chart) -> dict:
    from .charts import UnsupportedView

    if isinstance(chart, UnsupportedView):
        return {"unsupported": chart.reason}
    fields = {f.name: getattr(chart, f.name) for f in dataclasses.fields(chart)}
    fields["rows"] = [[_encode(v) for v in row] for row in chart.rows]
    fields["spec"] = _encode(chart.spec)
    return fields


def _chart_from(d: dict):
    from .charts import Chart, UnsupportedView

    if "unsupported" in d:
        return UnsupportedView(d["unsupported"])
    d = dict(d)
    d["spec"] = _decode(d["spec"])
    d["rows"] = tuple(tuple(_decode(v) for v in row) for row in d["rows"])
    d["columns"] = tuple(d["columns"])
    return Chart(**d)


def report_dict(report, with_read: bool = True) -> dict:
    """A ``validate.PackageReport`` as JSON values: its counts and issues, and (``with_read``) the
    tables and charts validation read. Raises ``Unstorable`` for a value this module does not write."""
    read = report.read if with_read else None
    return {"name": report.name, "path": report.path, "resources": report.resources, "rows": report.rows,
            "issues": [i.to_dict() for i in report.issues],
            "read": None if read is None else {
                "tables": [_table(t) for t in read.tables.values()],
                "charts": {key: _chart(c) for key, c in read.charts.items()}}}


def report_from(d: dict, report_type, read_type):
    """The report ``report_dict`` wrote (``report_type`` and ``read_type`` are validate's classes)."""
    read = None
    if d["read"] is not None:
        tables = {t["name"]: _table_from(t) for t in d["read"]["tables"]}
        read = read_type(tables, {key: _chart_from(c) for key, c in d["read"]["charts"].items()})
    return report_type(d["name"], d["path"], d["resources"], d["rows"],
                       tuple(Issue.from_dict(i) for i in d["issues"]), read)


def dump(report) -> bytes | None:
    """A ``validate.PackageReport`` as JSON bytes; None when it holds what this module does not write."""
    read = report.read
    try:
        if read is not None and sum(len(t.rows) for t in read.tables.values()) > MAX_STORED_ROWS:
            return None
        return json.dumps(report_dict(report), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
    except (Unstorable, ValueError, TypeError, RecursionError):  # a cell nested hundreds deep: not stored
        return None


def load(data: bytes, report_type, read_type):
    """The report ``dump`` wrote."""
    return report_from(json.loads(data), report_type, read_type)
