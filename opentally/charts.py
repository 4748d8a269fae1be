"""Charts: each drawable view of a Data Package becomes a chart value, then SVG, PNG and CSV.

``build_chart`` is a pure function: a view and the package's tables in, a ``Chart`` out, holding the
Altair chart, its Vega-Lite spec (the rows it draws inline), a text alternative written from the
data, and exactly the rows it draws for a "show data" table. Nothing here reads files or reaches
the network; ``render_svg``/``render_png`` draw with vl-convert, which is told to load nothing, in a
child process, so that a crash of its native code is an error naming the chart, not the build's end.

Determinism: the same input gives byte-identical output. Data sits inline (Altair names inline
datasets by content hash), no chart gets a generated parameter name, JSON is written with sorted
keys, and two things that vary between machines are pinned:

* fonts: vl-convert measures text with the fonts it can find, and its binary embeds Liberation Sans.
  A family it cannot find (Arial, Helvetica, system-ui on a bare Debian) is measured with a fallback,
  and an installed family (DejaVu Sans) only where installed: rendered once as usual and once with
  /usr/share/fonts hidden (an empty mount over it), a DejaVu Sans chart changed and a Liberation Sans
  one, SVG and PNG, stayed the same byte for byte. So "Liberation Sans" comes first in the stack.
  Browsers without it use Arial or Helvetica, which share its metrics. (Not checked: a machine with
  another version of Liberation Sans installed, which vl-convert might prefer to its own.)
* time zone: vl-convert formats dates in the machine's zone (``TZ``), so a date-only value drawn on a
  local-time scale gave a different SVG in London, New York and Tokyo. Every temporal encoding is
  therefore put on UTC scales and time units, which is also what a date in a CSV file means.
"""

from __future__ import annotations

import atexit
import copy
import csv
import datetime as dt
import functools
import heapq
import io
import json
import math
import itertools
import multiprocessing
import operator
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

import altair as alt
import vl_convert

from . import cache, chart_worker, dates, fastpath, parallel, views
from .tables import Field, Table, read_table  # the typed table, shared by every stage
from .issues import BuildError

# The newest Vega-Lite that vl-convert 1.9 ships (get_vegalite_versions()), and the schema altair 6.3
# writes (v6.4.1): the static SVG, the PNG and the hosted bundle all use this one version.
VEGA_LITE_VERSION = "6.4"
# Named in the spec a reader downloads, so that any Vega-Lite tool knows which version to read it as.
VEGA_LITE_SCHEMA = f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION.split('.')[0]}.json"
# Above this many points a chart draws aggregates, so that no page carries megabytes of JSON.
MAX_POINTS = 2_000
# Bars of categories (one per name) beyond this many cannot be told apart or labelled on a phone: a
# chart keeps the largest, and says how many it left out; the table and the downloads keep them all.
MAX_CATEGORIES = 40
# A "show data" table for a view that cannot be drawn shows at most this many rows.
MAX_TABLE_ROWS = 2_000
# At most this many values are read out one by one in a text alternative; longer series are summarised.
MAX_LISTED = 20
# Only the snippet's assignments reach ``window``; vega-embed 7 carries its own expression
# interpreter (see ``vega_bundle``), so nothing else needs exposing.
BUNDLE_SNIPPET = "window.vegaEmbed = vegaEmbed;\n"

_TEMPORAL_TYPES = {"date", "datetime", "year", "yearmonth"}
_NUMERIC_TYPES = {"integer", "number"}
# Table Schema types a temporal encoding can read (Vega-Lite parses their ISO text as dates and times).
DATE_TYPES = ("date", "datetime", "year", "yearmonth", "time")
# Aggregates that count rows: they draw a number whatever the type of the field they are given.
COUNTING_OPS = ("count", "distinct", "valid", "missing")

# --- the site theme ------------------------------------------------------------------------------

# Okabe-Ito, reordered by contrast against white (WCAG 1.4.11 asks 3:1 for graphics): blue 5.2,
# vermillion 3.9, bluish green 3.4, reddish purple 3.1, black 21; orange (2.3) and sky blue (2.3)
# come last, for a sixth and seventh series, and bars carry a dark outline so that even those meet
# 3:1. Yellow (1.3:1) is left out.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9")
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
TEXT = "#1a1a1a"        # 17.4:1 on white
MUTED_TEXT = "#333333"  # 12.6:1 on white
AXIS_LINE = "#595959"   # 7:1 on white
WIDTH = 600             # the static drawing's width; the interactive chart fills its container
NARROW_WIDTH = 340      # the static drawing a phone shows (375 px less the page's margins)

THEME = {
    "background": "white",
    "font": FONT,
    "numberFormat": ",~f",
    "padding": 8,
    "view": {"continuousWidth": WIDTH, "continuousHeight": 300, "step": 24, "stroke": None},
    "range": {"category": list(PALETTE)},
    "mark": {"color": PALETTE[0]},
    "bar": {"stroke": TEXT, "strokeWidth": 0.75},
    "arc": {"stroke": "white", "strokeWidth": 1},
    "line": {"strokeWidth": 2.5},
    "point": {"filled": True, "size": 50},
    "text": {"fontSize": 12, "color": TEXT},
    "title": {"fontSize": 14, "color": TEXT, "anchor": "start", "limit": WIDTH, "subtitleFontSize": 13,
              "subtitleColor": MUTED_TEXT},
    "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": MUTED_TEXT, "titleColor": TEXT,
             "domainColor": AXIS_LINE, "tickColor": AXIS_LINE, "gridColor": "#dddddd", "labelLimit": 240,
             "titleFontWeight": "bold"},
    "legend": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": MUTED_TEXT, "titleColor": TEXT,
               "labelLimit": 240, "orient": "bottom", "direction": "horizontal", "columns": 2},  # two fit beside long labels on a phone
    "header": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": MUTED_TEXT, "titleColor": TEXT},
}



# --- values --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    """One drawable view, ready to render.

    ``spec`` is the Vega-Lite spec the page draws, with its data inline; ``description`` says what the
    chart shows in sentences (the view's description, then the largest and smallest values, and the
    trend along a time axis); ``columns`` and ``rows`` are exactly the
    rows the chart draws (after the view's filters, and after aggregation for a large table), as
    JSON values: numbers, text, ISO dates, None. ``source_rows`` counts the rows before
    aggregation; ``aggregation`` says how they were aggregated, or is None. ``values`` counts the
    values the text alternative reads out (0: it says "with no values"), or is None when the spec
    is not one whose values can be told.
    """

    key: str
    name: str
    title: str
    description: str
    spec: dict
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    source_rows: int = 0
    aggregation: str | None = None
    values: int | None = None
    text_alternative: str = ""  # every value read out (or each series summarised): the image's alt text

    @property
    def html_id(self) -> str:
        return chart_id(self.key)


class UnsupportedView(Exception):
    """The view is legal but this site cannot draw it: the page shows its data as a table instead."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Roles:
    """What a chart shows, read from its spec: enough to describe it and to aggregate its data."""

    mark: str                           # "bar", "line", "area", "point"...
    dimension: str | None               # the field along the category or time axis
    dimension_title: str
    dimension_kind: str                 # "temporal", "quantitative" or "nominal"
    measures: tuple[str, ...]           # the fields whose values are drawn
    measure_titles: tuple[str, ...]
    series: str | None = None           # a field that splits the values into coloured series
    series_title: str = ""
    groups: tuple[str, ...] = ()        # every field that splits the data (series, detail, facets)
    order: str | None = None            # "ascending"/"descending" by value, as the spec sorts it

    @property
    def op(self) -> str:
        # Bars with the same category stack, so their sum is what is drawn; elsewhere the mean.
        return "sum" if self.mark == "bar" else "mean"


# --- reading tables ------------------------------------------------------------------------------

def tables_from_package(package, only: Iterable[str] | None = None) -> dict[str, Table]:
    """Every tabular resource of a frictionless ``Package`` as a ``Table``, in the package's order
    (only those named in ``only``, when given: the others' rows are not read). For a caller that
    validation handed no tables to (``validate.PackageRead``)."""
    wanted = None if only is None else set(only)
    return {resource.name: read_table(resource) for resource in package.resources
            if resource.tabular and (wanted is None or resource.name in wanted)}


# --- building a chart ----------------------------------------------------------------------------

def build_chart(view: dict, tables: dict[str, Table], key: str,
                resource_names: Sequence[str] | None = None) -> Chart:
    """The chart a view declares, drawn from the rows of its resources.

    ``tables`` holds the package's tabular resources by name; ``resource_names`` lists all the
    package's resources in order (it resolves views that name resources by index; default: the
    tables' names). Raises ``UnsupportedView`` for a specType this site does not draw, and
    ``BuildError`` for a view that ``views.view_problems`` finds fault with.
    """
    kind = views.spec_type(view)
    if kind is None:
        raise UnsupportedView(f"the view's specType {_quoted(view.get('specType'))} is not one this site draws "
                              '("simple" or "vega-lite"), so its data is shown as a table')
    names = list(resource_names) if resource_names is not None else list(tables)
    problems = views.view_problems(view, 0, {n: [f.name for f in t.fields] for n, t in tables.items()}, names,
                                   {n: t.rows for n, t in tables.items()})
    if problems:
        _, message, hint = problems[0]
        raise BuildError(f"{key}: {message}", hint=hint)
    resources = views.view_resources(view, names)
    fields = _fields_of(tables, resources)
    kept = tables[resources[0]].rows if len(resources) == 1 else None
    # A table kept as columns is aggregated on its columns where it can be (see ``_bounded_columns``).
    draft = (_simple_draft(view["spec"], fields, None, kept)
             if kind == views.SIMPLE and isinstance(kept, fastpath.ColumnRows) else None)
    if draft is None:
        # Only the columns the spec reads are converted: a million rows of every column would be slow.
        rows = _stacked_rows(tables, resources, fields, _needed_columns(kind, view["spec"], fields))
        if kind == views.SIMPLE:
            draft = _simple_draft(view["spec"], fields, rows)
        else:
            draft = _vega_lite_draft(view["spec"], fields, rows)
    title = _chart_title(view, tables, resources)
    summary, readout = _describe(draft, fields)
    description = _join(view.get("description"), summary)
    spec = _finish(draft, description)
    return Chart(key=key, name=str(view.get("name")), title=title, description=description,
                 spec=spec, columns=draft.columns,
                 rows=tuple(tuple(r.get(c) for c in draft.columns) for r in draft.rows),
                 source_rows=draft.source_rows, aggregation=draft.aggregation,
                 values=None if draft.roles is None else len(_points(draft, draft.roles, fields)),
                 text_alternative=readout)


def data_for_view(view: dict, tables: dict[str, Table], resource_names: Sequence[str] | None = None,
                  limit: int = MAX_TABLE_ROWS) -> tuple[tuple[str, ...], tuple[tuple, ...]]:
    """(columns, rows) of every resource the view names, one after another, at most ``limit`` rows.

    For a view that cannot be drawn: its page shows this table instead. Resources that are not
    tables are left out.
    """
    names = list(resource_names) if resource_names is not None else list(tables)
    resources = [r for r in views.view_resources(view, names) if r in tables]
    fields = _fields_of(tables, resources)
    columns = tuple(fields)
    rows = []
    for name in resources:
        for row in tables[name].rows:
            if len(rows) == limit:
                return columns, tuple(rows)
            rows.append(tuple(_json_value(row.get(c), fields[c].type) for c in columns))
    return columns, tuple(rows)


@dataclass(frozen=True)
class _Draft:
    """A chart before its theme, title and data: what it draws and the rows it draws it from."""

    chart: alt.TopLevelMixin
    roles: _Roles | None
    columns: tuple[str, ...]
    rows: tuple[dict, ...]
    source_rows: int
    aggregation: str | None
    units: tuple[str | None, ...] = ()  # per drawn row, from a "unit" column


def _fields_of(tables: dict[str, Table], resources: list[str]) -> dict[str, Field]:
    """Every field of the resources, by name, in order of first appearance."""
    fields: dict[str, Field] = {}
    for name in resources:
        for f in tables[name].fields:
            fields.setdefault(f.name, f)
    return fields


def _stacked_rows(tables: dict[str, Table], resources: list[str], fields: dict[str, Field],
                  columns: Iterable[str]) -> list[dict]:
    """The rows of each resource, one resource after another, with JSON values in ``columns``."""
    columns = [c for c in columns if c in fields]
    # Text, integers and booleans are JSON values already: only the other columns are converted.
    converters = [(c, functools.partial(_json_value, field_type=fields[c].type)) for c in columns
                  if not all(f is None or f.type in _JSON_TYPES for f in (tables[r].field(c) for r in resources))]
    stacked: list[dict] = []
    for resource in resources:
        rows = tables[resource].rows
        if isinstance(rows, fastpath.ColumnRows) and columns:  # rows kept as columns: none made whole
            values = [rows.column(c) if c in rows.names else itertools.repeat(None, len(rows)) for c in columns]
            stacked.extend(map(dict, map(zip, itertools.repeat(columns), zip(*values))))
        else:
            stacked.extend({c: row.get(c) for c in columns} for row in rows)
    for c, convert in converters:
        for row in stacked:
            row[c] = convert(row[c])
    return stacked


# Field types whose values frictionless gives as JSON values already (str, int, bool, or None).
_JSON_TYPES = frozenset({"string", "integer", "boolean"})


def _needed_columns(kind: str, spec: dict, fields: dict[str, Field]) -> list[str]:
    """The columns a view reads, and "unit", which the text alternative reads out with each value."""
    if kind == views.SIMPLE:
        series = [spec["series"]] if isinstance(spec["series"], str) else list(spec["series"])
        named = [spec["group"], *series]
    else:
        named = list(_used_columns(spec, fields))
    return list(dict.fromkeys([*named, *(["unit"] if "unit" in fields else [])]))


def _json_value(value, field_type: str = "string"):
    """The value as JSON can hold it: ISO text for dates and times, numbers for decimals."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if field_type == "year" and isinstance(value, int):
        return f"{value:04d}"  # as the CSV writes it; a number would be read as milliseconds
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None  # JSON has no NaN or Infinity
        number = float(value)
        return int(value) if number.is_integer() else number
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if field_type == "yearmonth" and isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]:04d}-{value[1]:02d}"
    if isinstance(value, (list, dict)):
        return value
    return str(value)


def _chart_title(view: dict, tables: dict[str, Table], resources: list[str]) -> str:
    """The view's title, else the title its spec draws, else its resource's title, else its name."""
    if isinstance(view.get("title"), str) and view["title"].strip():
        return view["title"].strip()
    spec_title = (view.get("spec") or {}).get("title") if isinstance(view.get("spec"), dict) else None
    if isinstance(spec_title, dict):
        spec_title = spec_title.get("text")
    if isinstance(spec_title, list):
        spec_title = " ".join(str(t) for t in spec_title)
    if isinstance(spec_title, str) and spec_title.strip():
        return spec_title.strip()
    first = tables[resources[0]] if resources else None
    if first is not None and first.title:
        return first.title
    return str(view.get("name"))


def _join(*parts: str | None) -> str:
    texts = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    return " ".join(t if t[-1] in ".!?" else t + "." for t in texts)


def _quoted(value) -> str:
    return f'"{value}"' if isinstance(value, str) else "missing" if value is None else json.dumps(value)


# --- simple views (datahub) ----------------------------------------------------------------------

def _simple_draft(spec: dict, fields: dict[str, Field], rows: list[dict] | None,
                  kept: fastpath.ColumnRows | None = None) -> _Draft | None:
    """A datahub "simple" view: ``group`` along x, each of ``series`` as a line or bars. Drawn from
    ``rows``, or from a table ``kept`` as columns; None when those columns cannot be aggregated as
    they are (``_bounded_columns``): then the rows must be given."""
    group = fields[spec["group"]]
    series = [spec["series"]] if isinstance(spec["series"], str) else list(spec["series"])
    mark = "bar" if spec["type"] == "bar" else "line"
    kind = _kind_of(group)
    roles = _Roles(mark, group.name, group.label, kind, tuple(series),
                   tuple(fields[s].label_with_unit for s in series))
    columns = (group.name, *series)
    if kept is not None:
        bounded = _bounded_columns(kept, roles)
        if bounded is None:
            return None
        units, source_rows = _column_units(kept), len(kept)
        rows, aggregation = bounded
    else:
        units, source_rows = _row_units(rows), len(rows)
        rows, aggregation = _bounded(rows if rows and rows[0].keys() == set(columns) else
                                     [{c: r[c] for c in columns} for r in rows], roles)
    value_title = _value_title([fields[s] for s in series], units)
    # Categories read best down the side, where long labels fit; time and numbers run along x.
    horizontal = mark == "bar" and kind == "nominal"
    along, across = ("y", "x") if horizontal else ("x", "y")
    value_channel = alt.X if horizontal else alt.Y
    base = alt.Chart(alt.Data(name="rows"))
    base = base.mark_bar() if mark == "bar" else base.mark_line(point=spec["type"] == "lines-and-points")
    encoding = {along: _position_channel(group, kind, mark, horizontal)}
    tooltip = [_tooltip_of(group, kind)]
    if len(series) == 1:
        encoding[across] = value_channel(field=_vl_field(series[0]), type="quantitative", title=value_title)
        tooltip.append(alt.Tooltip(field=_vl_field(series[0]), type="quantitative", title=value_title))
    else:
        # One colour per series; the spec folds them into (series, value) pairs, so the data
        # keeps one row per x value, as the table has it.
        key, val = _free_name("series", columns), _free_name("value", columns)
        base = base.transform_fold([_vl_field(s) for s in series], as_=[key, val])
        encoding[across] = value_channel(field=val, type="quantitative", title=value_title)
        encoding["color"] = alt.Color(field=key, type="nominal", title="Series", sort=series)
        tooltip += [alt.Tooltip(field=key, type="nominal", title="Series"),
                    alt.Tooltip(field=val, type="quantitative", title=value_title)]
    unit = base.encode(**encoding, tooltip=tooltip).to_dict(validate=False)
    if horizontal and _generic_title(group):
        unit["encoding"][along]["title"] = None  # "Label" above the labels says nothing: the labels do
    for key in ("config", "$schema"):  # altair's defaults: the site theme replaces them in _finish
        unit.pop(key, None)
    chart = _chart_from_dict(_with_hover_points(unit))
    return _Draft(chart, roles, columns, tuple(rows), source_rows, aggregation, () if aggregation else units)


def _generic_title(f: Field) -> bool:
    """Whether a field's title only repeats its name ("Value" for "value"): it tells a reader nothing."""
    return f.label.strip().lower() == f.name.replace("_", " ").strip().lower()


def _value_title(series: list[Field], units: Sequence[str | None] = ()) -> str:
    """The value axis: the one series' title (from the schema) and unit, or "Value" and the unit they
    share. A unit given per row (a "unit" column) that every row shares stands for a title that only
    repeats the field's name: "Officers", not "Value"."""
    shared = set(units) if units else set()
    row_unit = shared.pop() if len(shared) == 1 and None not in shared else None
    if len(series) == 1:
        if series[0].unit is None and row_unit:
            return row_unit[:1].upper() + row_unit[1:] if _generic_title(series[0]) else f"{series[0].label} ({row_unit})"
        return series[0].label_with_unit
    units = {f.unit for f in series}
    return f"Value ({units.pop()})" if len(units) == 1 and None not in units else "Value"


def _row_units(rows: list[dict]) -> tuple[str | None, ...]:
    """Each row's unit where the table gives it per row, in a "unit" column (as observation tables do)."""
    return tuple(r.get("unit") if isinstance(r.get("unit"), str) else None for r in rows)


def _column_units(kept: fastpath.ColumnRows) -> tuple[str | None, ...]:
    """The distinct units of ``_row_units`` for a table kept as columns (each once: callers read their set)."""
    if kept.type_of("unit") != "string":
        return (None,)
    return tuple(kept.array("unit").unique().to_pylist())


def _kind_of(f: Field) -> str:
    if f.type in _TEMPORAL_TYPES:
        return "temporal"
    return "quantitative" if f.type in _NUMERIC_TYPES else "nominal"


def _position_channel(group: Field, kind: str, mark: str, horizontal: bool):
    channel = alt.Y if horizontal else alt.X
    if kind == "temporal":
        return channel(field=_vl_field(group.name), type="temporal", title=group.label, scale=alt.Scale(type="utc"))
    if kind == "quantitative" and mark == "line":
        return channel(field=_vl_field(group.name), type="quantitative", title=group.label_with_unit)
    # Bars over numbers are categories; sort=None keeps the publisher's order.
    return channel(field=_vl_field(group.name), type="nominal" if kind == "nominal" else "ordinal",
                   title=group.label, sort=None)


def _tooltip_of(f: Field, kind: str):
    if kind == "temporal":
        return alt.Tooltip(field=_vl_field(f.name), type="temporal", title=f.label, timeUnit=_utc_unit(f.type),
                           format=_time_format(f.type))
    return alt.Tooltip(field=_vl_field(f.name), type="quantitative" if kind == "quantitative" else "nominal",
                       title=f.label_with_unit)


def _utc_unit(field_type: str | None) -> str:
    return {"year": "utcyear", "yearmonth": "utcyearmonth",
            "datetime": "utcyearmonthdatehoursminutes"}.get(field_type or "", "utcyearmonthdate")


def _time_format(field_type: str | None) -> str:
    """Dates read as the text alternative writes them, "31 Mar 1984", not in the American order."""
    return {"year": "%Y", "yearmonth": "%b %Y", "datetime": "%-d %b %Y %H:%M"}.get(field_type or "", "%-d %b %Y")


def _vl_field(name: str) -> str:
    """A column name as Vega-Lite reads it: "." and "[" would otherwise reach into nested objects."""
    return re.sub(r"([\\.\[\]])", r"\\\1", name)


def _free_name(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    name = base
    while name in taken:
        name += "_"
    return name


# --- vega-lite views -----------------------------------------------------------------------------

_CHART_CLASSES = (("layer", alt.LayerChart), ("hconcat", alt.HConcatChart), ("vconcat", alt.VConcatChart),
                  ("concat", alt.ConcatChart), ("repeat", alt.RepeatChart), ("facet", alt.FacetChart))
_SCALE_CHANNELS = {"x", "y", "color", "fill", "stroke", "opacity", "fillOpacity", "strokeOpacity", "size",
                   "strokeWidth", "angle", "theta", "radius", "xOffset", "yOffset", "shape", "strokeDash"}
_TOOLTIP_KEYS = ("field", "type", "aggregate", "timeUnit", "bin", "title", "format", "formatType")


def _vega_lite_draft(spec: dict, fields: dict[str, Field], rows: list[dict]) -> _Draft:
    """A vega-lite view: the publisher's spec, with the rows it draws put inline."""
    spec = copy.deepcopy(spec)
    spec.pop("$schema", None)  # the build compiles with VEGA_LITE_VERSION, whatever the publisher wrote
    spec.pop("data", None)     # the rows of the view's resources replace it
    filters, rest = _leading_filters(spec.get("transform") or [])
    if rest:
        spec["transform"] = rest
    else:
        spec.pop("transform", None)
    rows = [r for r in rows if all(_matches(p, r) for p in filters)]
    _fill_titles(spec, fields)
    _add_tooltips(spec)
    _use_utc(spec, fields)
    roles = _vega_lite_roles(spec, fields)
    aggregable = roles is not None and _is_unit(spec)
    spec = _with_hover_points(spec)
    source_rows = len(rows)
    units = _row_units(rows)
    columns = _used_columns(spec, fields)
    drawn = [{c: r.get(c) for c in columns} for r in rows]
    if len(drawn) > MAX_POINTS or (aggregable and _too_many_bars(drawn, roles)):
        if not aggregable:
            raise UnsupportedView(f"the view draws {len(drawn):,} rows, more than a chart can hold "
                                  f"({MAX_POINTS:,}), and its spec is not one that can be aggregated "
                                  "(a single chart with one value along an axis), so its data is shown as a table")
        columns = tuple(c for c in columns if c in {roles.dimension, *roles.measures, *roles.groups})
        drawn, aggregation = _bounded([{c: r[c] for c in columns} for r in drawn], roles)
        units = ()
    else:
        aggregation = None
    spec["data"] = {"name": "rows"}
    chart = _chart_from_dict(spec)
    return _Draft(chart, roles, columns, tuple(drawn), source_rows, aggregation, units)


def _chart_from_dict(spec: dict) -> alt.TopLevelMixin:
    """The Altair chart for a spec, validated against the Vega-Lite schema (data not yet inline)."""
    cls = next((c for key, c in _CHART_CLASSES if key in spec), alt.Chart)
    try:
        return cls.from_dict(spec)
    except Exception as exc:  # altair raises jsonschema's and its own errors
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildError(f"the view's spec is not valid Vega-Lite {VEGA_LITE_VERSION}: {reason}",
                         hint="check the spec against https://vega.github.io/vega-lite/docs/ "
                              "(a chart needs at least a mark and an encoding)") from exc


def _is_unit(spec: dict) -> bool:
    return "mark" in spec and not any(key in spec for key, _ in _CHART_CLASSES)


# --- checking a view as the build will draw it (for validate) ------------------------------------

def view_build_problems(view: dict, index: int, tables: dict[str, Table], key: str,
                        resource_names: Sequence[str] | None = None,
                        built: dict | None = None) -> list[views.Problem]:
    """What stops the build from drawing the view at ``views[index]``, for ``validate`` to report.

    For a view that ``views.view_problems`` passes: a vega-lite spec is checked against the
    Vega-Lite schema the site draws with (the one altair 6.3 bundles), with a JSON pointer to the
    faulty part, and then the chart is built exactly as the build will build it, so that ``validate``
    accepts no view that the build would refuse. A view this site shows as a table is no problem.

    Then what the build would draw wrongly, or not at all, is refused too (see ``view_data_problems``):
    a field drawn with an encoding its type does not fit, a simple view with two rows for one group
    value, and a chart that would be drawn with no values.

    The chart built (or the ``UnsupportedView`` raised) is put in ``built`` under ``key``, when given,
    so that the build draws it without building it again.
    """
    where = f"/views/{index}"
    label = f'view "{view["name"]}"' if isinstance(view.get("name"), str) and view["name"].strip() else f"view {index}"
    if views.spec_type(view) == views.VEGA_LITE and isinstance(view.get("spec"), dict):
        problems = spec_schema_problems(view["spec"], f"{where}/spec", label)
        if problems:
            return problems
    try:
        problems = view_data_problems(view, index, tables, resource_names)
        if problems:
            return problems
        chart = build_chart(view, tables, key, resource_names)
        problems = _nothing_drawn_problems(view, where, label, chart, tables, resource_names)
        if built is not None and not problems:
            built[key] = chart  # the build draws this chart, not another one built again
        return problems
    except UnsupportedView as unsupported:
        if built is not None:
            built[key] = unsupported
        return []
    except BuildError as exc:
        message = exc.message.removeprefix(f"{key}: ")
        return [(f"{where}/spec", f"{label} cannot be drawn: {message}", exc.hint or _SPEC_HINT)]
    except Exception as exc:  # the build would stop on it with a traceback: say so now, in words
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [(f"{where}/spec", f"{label} cannot be drawn: the spec has a part the build cannot read ({reason})",
                 _SPEC_HINT)]


def view_data_problems(view: dict, index: int, tables: dict[str, Table],
                       resource_names: Sequence[str] | None = None) -> list[views.Problem]:
    """What the build would draw wrongly from the data, for a view that ``views.view_problems`` passes.

    * A field drawn as numbers (``"type": "quantitative"``, or a simple view's series) whose Table
      Schema type is ``string``: its text cannot be drawn as numbers. An aggregate that counts rows
      (``COUNTING_OPS``) fits any field.
    * A field drawn on a time scale (``"type": "temporal"``) whose type is not one of ``DATE_TYPES``.
    * A simple view whose group value repeats within a series: it draws one point per row, so the
      line goes back and forth between them (a bar is drawn over another). A table of more than
      ``MAX_POINTS`` rows is aggregated per group by the build, and says so, so it is not refused.

    Fields that a transform makes are not the table's, and are not checked.
    """
    if not isinstance(view, dict) or not isinstance(view.get("spec"), dict):
        return []
    where = f"/views/{index}/spec"
    label = f'view "{view["name"]}"' if isinstance(view.get("name"), str) and view["name"].strip() else f"view {index}"
    names = list(resource_names) if resource_names is not None else list(tables)
    resources = [r for r in views.view_resources(view, names) if r in tables]
    kind = views.spec_type(view)
    if kind == views.SIMPLE:
        return _simple_data_problems(view["spec"], where, label, resources, tables)
    if kind == views.VEGA_LITE:
        return _encoding_type_problems(view["spec"], where, label, resources, tables)
    return []


def _simple_data_problems(spec: dict, where: str, label: str, resources: list[str],
                          tables: dict[str, Table]) -> list[views.Problem]:
    series = spec.get("series")
    pointers = ([(f"{where}/series", series)] if isinstance(series, str) else
                [(f"{where}/series/{n}", s) for n, s in enumerate(series) if isinstance(s, str)]
                if isinstance(series, list) else [])
    problems = []
    for pointer, name in pointers:
        for resource in resources:
            f = tables[resource].field(name)
            if f is not None and f.type == "string":
                problems.append((pointer, f'{label} draws series "{name}" as numbers, but {_typed(resource, resources)} '
                                 '"string" (text), so none of its values can be drawn',
                                 f'a simple view draws each series as numbers: name a numeric field in "series", or, '
                                 f'if the column holds numbers, give field "{name}" the type "integer" or "number" '
                                 "in the schema (validate then checks every value is one)"))
                break
    group = spec.get("group")
    if problems or not isinstance(group, str):
        return problems
    return _repeated_group_problems(spec, group, [name for _, name in pointers], where, label, resources, tables)


def _typed(resource: str, resources: list[str]) -> str:
    """"its type is", or "resource "x" gives it the type" when the view draws several resources."""
    return f'resource "{resource}" gives it the type' if len(resources) > 1 else "its type is"


def _repeated_group_problems(spec: dict, group: str, series: list[str], where: str, label: str,
                             resources: list[str], tables: dict[str, Table]) -> list[views.Problem]:
    """The first group value that two rows share within a series, as a problem; none for a large table."""
    if sum(len(tables[resource].rows) for resource in resources) > MAX_POINTS:
        return []  # aggregated per group by the build, which the chart's description says
    rows = [(resource, n, row) for resource in resources for n, row in enumerate(tables[resource].rows)]
    group_field = next((f for r in resources for f in [tables[r].field(group)] if f is not None), None)
    group_type = group_field.type if group_field else "string"
    for name in series:
        seen: dict[str, tuple[str, int]] = {}
        for resource, n, row in rows:
            if row.get(name) is None or row.get(group) is None:
                continue  # nothing is drawn for a missing value
            value = _json_value(row[group], group_type)
            key = json.dumps(value, sort_keys=True, default=str)
            if key not in seen:
                seen[key] = (resource, n)
                continue
            first, first_n = seen[key]
            places = (f'rows {first_n + 2} and {n + 2} of resource "{resource}"' if first == resource else
                      f'row {first_n + 2} of resource "{first}" and row {n + 2} of resource "{resource}"')
            shown = _value_words(value)
            drawn = (f'its bars for "{name}" at {shown} would be drawn one over the other'
                     if spec.get("type") == "bar" else
                     f'its line for "{name}" would go back and forth between their values: a saw-tooth, not a trend')
            return [(f"{where}/group", f'{label} has more than one row for {shown} in its group field "{group}" '
                     f"({places}): a simple view draws one point per row, so {drawn}",
                     f'give each value of "{group}" one row: aggregate the rows (one total per "{group}"), '
                     f'or pivot long data to one row per "{group}" with one column per series; or draw it with '
                     f'a "vega-lite" view that aggregates, e.g. "y": {{"field": "{name}", "aggregate": "sum", '
                     '"type": "quantitative"}')]
    return []


def _encoding_type_problems(spec: dict, where: str, label: str, resources: list[str],
                            tables: dict[str, Table]) -> list[views.Problem]:
    """Each encoding of a table's field with a type its values do not fit: numbers from text, dates from
    what is not a date."""
    if views._has_transform(spec, "pivot"):
        return []  # pivot makes fields named by data values: which field is the table's cannot be told
    made = views._fields_made_by_transforms(spec)
    problems = []
    for pointer, definition in _field_definitions(spec, where):
        name = definition["field"]
        column = views._root_field(name)
        if name == "*" or column in made or column != re.sub(r"\\(.)", r"\1", name):
            continue  # every field, a field a transform makes, or a value inside a column
        aggregate = definition.get("aggregate")
        if aggregate in COUNTING_OPS:
            continue  # a count is a number whatever it counts
        kind = definition.get("type")
        if kind is None and ((isinstance(aggregate, str) and aggregate not in ("argmin", "argmax"))
                             or definition.get("bin") not in (None, False)):
            kind = "quantitative"  # as Vega-Lite reads an aggregated or binned field without a type
        at = f"{pointer}/type" if "type" in definition else f"{pointer}/field"
        for resource in resources:
            f = tables[resource].field(column)
            if f is None:
                continue
            if kind == "quantitative" and f.type == "string":
                problems.append((at, f'{label} draws field "{column}" as numbers ("type": "quantitative"), but '
                                 f'{_typed(resource, resources)} "string" (text), so none of its values can be drawn',
                                 'change the encoding\'s "type" to "nominal" or "ordinal" to draw the values as '
                                 'categories (or count the rows with "aggregate": "count"); if the column holds '
                                 f'numbers, give field "{column}" the type "integer" or "number" in the schema '
                                 "(validate then checks every value is one)"))
                break
            if kind == "temporal" and f.type not in DATE_TYPES:
                problems.append((at, f'{label} draws field "{column}" on a time scale ("type": "temporal"), but '
                                 f'{_typed(resource, resources)} "{f.type}", which is not a date or a time, so '
                                 "its values would be drawn at the wrong dates or not at all",
                                 f'give field "{column}" a date type in the schema ("date", "datetime", "year", '
                                 '"yearmonth" or "time", with a "format" when the values are not ISO 8601, such as '
                                 '"%d/%m/%Y"), or change the encoding\'s "type" to "ordinal" or "nominal"'))
                break
    return problems


def _field_definitions(spec: object, where: str) -> Iterable[tuple[str, dict]]:
    """(JSON pointer, definition) for every encoding of a field: layers, facets and conditions included."""
    if not isinstance(spec, dict):
        return
    encoding = spec.get("encoding")
    if isinstance(encoding, dict):
        for channel, definition in encoding.items():
            yield from _definitions_in(definition, f"{where}/encoding/{views._escape(channel)}")
    facet = spec.get("facet")
    if isinstance(facet, dict):
        if "field" in facet:
            yield from _definitions_in(facet, f"{where}/facet")
        else:
            for channel, definition in facet.items():
                yield from _definitions_in(definition, f"{where}/facet/{views._escape(channel)}")
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for n, inner in enumerate(views._list(spec.get(key))):
            yield from _field_definitions(inner, f"{where}/{key}/{n}")
    yield from _field_definitions(spec.get("spec"), f"{where}/spec")


def _definitions_in(definition: object, pointer: str) -> Iterable[tuple[str, dict]]:
    if isinstance(definition, list):
        for n, item in enumerate(definition):
            yield from _definitions_in(item, f"{pointer}/{n}")
    elif isinstance(definition, dict):
        if isinstance(definition.get("field"), str):
            yield pointer, definition
        if isinstance(definition.get("condition"), (dict, list)):
            yield from _definitions_in(definition["condition"], f"{pointer}/condition")


def _nothing_drawn_problems(view: dict, where: str, label: str, chart: Chart, tables: dict[str, Table],
                            resource_names: Sequence[str] | None) -> list[views.Problem]:
    """A chart that would be published empty ("with no values"), as a problem saying why."""
    names = list(resource_names) if resource_names is not None else list(tables)
    resources = [r for r in views.view_resources(view, names) if r in tables]
    shown = " and ".join(f'"{r}"' for r in resources)
    if not chart.rows:
        total = sum(len(tables[r].rows) for r in resources)
        if total == 0:
            return [(f"{where}/resources", f"{label} would be drawn with no values: resource{'s' if len(resources) > 1 else ''} "
                     f"{shown} {'have' if len(resources) > 1 else 'has'} no rows",
                     "add the rows to the resource's file, or leave the view out until there is data to draw")]
        return [(f"{where}/spec/transform", f"{label} would be drawn with no values: its filters leave none of the "
                 f"{_plural(total, 'row')} of {shown}",
                 "check each filter's field and value against the data: names and text are case-sensitive, and a "
                 'number in quotes is text ("equal": 20, not "20"); or remove the filter')]
    if chart.values != 0:
        return []
    spec = view["spec"]
    if views.spec_type(view) == views.SIMPLE:
        measures = [spec["series"]] if isinstance(spec["series"], str) else list(spec["series"])
        pointer = f"{where}/spec/series"
    else:
        roles = _vega_lite_roles(spec, _fields_of(tables, resources))
        measures = list(roles.measures) if roles else []
        pointer = next((p for p, d in _field_definitions(spec, f"{where}/spec")
                        if p.rsplit("/", 1)[-1] in ("x", "y") and views._root_field(d["field"]) in measures),
                       f"{where}/spec")
        pointer = f"{pointer}/field" if pointer != f"{where}/spec" else pointer
    fields = " and ".join(f'"{m}"' for m in measures) or "the field it draws"
    return [(pointer, f"{label} would be drawn with no values: every value of {fields} in the "
             f"{_plural(len(chart.rows), 'row')} it draws is empty",
             f"fill in the values of {fields} in the data, or draw another field")]


_SPEC_HINT = ("check the spec against the Vega-Lite documentation, https://vega.github.io/vega-lite/docs/ "
              f"(version {VEGA_LITE_VERSION}); a chart needs at least a mark and an encoding")


@functools.lru_cache(maxsize=1)
def _vega_lite_schema() -> dict:
    """The Vega-Lite JSON schema altair bundles: the version every chart of the site is drawn with."""
    from altair.vegalite.v6.schema import core

    return core.load_schema()


def spec_schema_problems(spec: dict, where: str, label: str) -> list[views.Problem]:
    """The first place where the spec is not valid Vega-Lite, as (JSON pointer, message, how to fix).

    The spec is checked as the build gives it to Altair: without ``$schema``, with the rows inline.
    """
    from altair.utils import schemapi

    checked = {k: v for k, v in spec.items() if k not in ("$schema", "data")}
    checked["data"] = {"name": "rows"}
    root = _vega_lite_schema()
    error = schemapi.validate_jsonschema(checked, {"$ref": root["$ref"]}, rootschema=root, raise_error=False)
    if error is None:
        return []
    grouped = getattr(error, "_all_errors", None) or {"": [error]}
    errors = next(iter(grouped.values())) or [error]
    path = list(errors[0].absolute_path)
    pointer = where + "".join(f"/{views._escape(str(p))}" for p in path)
    return [(pointer, f"{label} is not valid Vega-Lite {VEGA_LITE_VERSION}: {_schema_reason(errors)}", _SPEC_HINT)]


def _schema_reason(errors: list) -> str:
    """One sentence for a group of jsonschema errors about the same place."""
    by_kind: dict[str, list] = {}
    for e in errors:
        by_kind.setdefault(e.validator, []).append(e)
    if "additionalProperties" in by_kind:
        unexpected = re.findall(r"'([^']+)'", by_kind["additionalProperties"][0].message.split("(", 1)[-1])
        names = ", ".join(f'"{u}"' for u in unexpected) or "a property"
        return f"{names} {'is' if len(unexpected) == 1 else 'are'} not a property it can have here"
    allowed = [v for e in by_kind.get("enum", []) for v in e.validator_value] + \
              [e.validator_value for e in by_kind.get("const", [])]
    types = sorted({t for e in by_kind.get("type", []) for t in
                    (e.validator_value if isinstance(e.validator_value, list) else [e.validator_value])})
    if allowed:
        shown = ", ".join(f'"{v}"' if isinstance(v, str) else json.dumps(v) for v in dict.fromkeys(allowed))
        other = [_TYPE_WORDS.get(t, t) for t in types if t != "string"]
        return (f"{_value_words(errors[0].instance)} is not one of {_clipped(shown)}"
                + (f" (nor {' or '.join(other)})" if other else ""))
    if types:
        return f"{_value_words(errors[0].instance)} should be {' or '.join(_TYPE_WORDS.get(t, t) for t in types)}"
    return errors[0].message


_TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "object": "an object", "array": "a list", "null": "null"}


def _value_words(value) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _clipped(text, 60)


def _clipped(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


# Filters the build applies itself, so that the "show data" table holds exactly the rows drawn.
_PREDICATES = ("equal", "oneOf", "range", "lt", "lte", "gt", "gte", "valid")


def _leading_filters(transforms: list) -> tuple[list[dict], list]:
    """The filters at the start of the transforms that the build can apply, and the rest.

    Only leading filters: a filter after a calculate may test a field the calculate makes.
    """
    applied = []
    for n, t in enumerate(transforms):
        if isinstance(t, dict) and set(t) == {"filter"} and _applicable(t["filter"]):
            applied.append(t["filter"])
        else:
            return applied, list(transforms[n:])
    return applied, []


def _applicable(predicate) -> bool:
    if not isinstance(predicate, dict):
        return False
    if set(predicate) in ({"and"}, {"or"}):
        inner = next(iter(predicate.values()))
        return isinstance(inner, list) and all(_applicable(p) for p in inner)
    if set(predicate) == {"not"}:
        return _applicable(predicate["not"])
    ops = [k for k in predicate if k in _PREDICATES]
    if not (isinstance(predicate.get("field"), str) and len(ops) == 1 and set(predicate) == {"field", ops[0]}):
        return False  # a timeUnit, a param or an expression: Vega-Lite applies those
    operand = predicate[ops[0]]
    operands = operand if ops[0] in ("oneOf", "range") and isinstance(operand, list) else [operand]
    # Plain values only: a DateTime object ({"year": 2013}) is Vega-Lite's to compare.
    return (all(v is None or isinstance(v, (str, int, float, bool)) for v in operands)
            and not re.search(r"(?<!\\)[.\[]", predicate["field"]))


def _matches(predicate: dict, row: dict) -> bool:
    """Whether the row passes a predicate that ``_applicable`` accepted."""
    if "and" in predicate:
        return all(_matches(p, row) for p in predicate["and"])
    if "or" in predicate:
        return any(_matches(p, row) for p in predicate["or"])
    if "not" in predicate:
        return not _matches(predicate["not"], row)
    value = row.get(re.sub(r"\\(.)", r"\1", predicate["field"]))
    if "equal" in predicate:
        return _same(value, predicate["equal"])
    if "oneOf" in predicate:
        return any(_same(value, v) for v in predicate["oneOf"] or [])
    if "valid" in predicate:
        return (value is not None and value == value) == bool(predicate["valid"])
    if value is None or isinstance(value, bool):
        return False
    try:
        if "range" in predicate:
            low, high = (list(predicate["range"]) + [None, None])[:2]
            return (low is None or value >= low) and (high is None or value <= high)
        name = next(k for k in _COMPARISONS if k in predicate)
        return _COMPARISONS[name](value, predicate[name])
    except TypeError:  # text against a number: Vega-Lite would not match it either
        return False


_COMPARISONS = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}


def _same(a, b) -> bool:
    """Equality as Vega-Lite's filter tests it (JavaScript's ===): true is not 1, and "5" is not 5."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _units_of(spec: dict) -> Iterable[tuple[dict, dict]]:
    """(unit spec, encoding it inherits) for each single chart inside the spec."""
    def walk(node, inherited):
        if not isinstance(node, dict):
            return
        if "mark" in node:
            yield node, inherited
        shared = {**inherited, **(node.get("encoding") or {})} if "layer" in node else {}
        for inner in node.get("layer") or []:
            yield from walk(inner, shared)
        for key in ("concat", "hconcat", "vconcat"):
            for inner in node.get(key) or []:
                yield from walk(inner, {})
        if isinstance(node.get("spec"), dict):
            yield from walk(node["spec"], {})
    yield from walk(spec, {})


def _channel_defs(spec: dict) -> Iterable[tuple[str, dict]]:
    """(channel, definition) for every encoding definition in the spec, layers and all."""
    def walk(node):
        if isinstance(node, dict):
            for channel, definition in (node.get("encoding") or {}).items() if isinstance(node.get("encoding"), dict) else []:
                for d in definition if isinstance(definition, list) else [definition]:
                    if isinstance(d, dict):
                        yield channel, d
            for key in ("layer", "concat", "hconcat", "vconcat"):
                for inner in node.get(key) or []:
                    yield from walk(inner)
            if isinstance(node.get("spec"), dict):
                yield from walk(node["spec"])
    yield from walk(spec)


def _field_of(definition: dict, fields: dict[str, Field]) -> Field | None:
    name = definition.get("field")
    return fields.get(re.sub(r"\\(.)", r"\1", name)) if isinstance(name, str) else None


def _use_utc(spec: dict, fields: dict[str, Field]) -> None:
    """Put temporal encodings on UTC, so dates read the same in every time zone (see the module doc)."""
    for channel, d in _channel_defs(spec):
        f = _field_of(d, fields)
        temporal = d.get("type") == "temporal" or (d.get("type") is None and f is not None and f.type in _TEMPORAL_TYPES)
        unit = d.get("timeUnit")
        if isinstance(unit, str) and not unit.startswith("utc"):
            d["timeUnit"] = "utc" + unit
        elif isinstance(unit, dict) and isinstance(unit.get("unit"), str) and not unit["unit"].startswith("utc"):
            unit["unit"] = "utc" + unit["unit"]
        if not temporal or unit is not None:
            continue
        if channel in _SCALE_CHANNELS:
            if d.get("scale", {}) is not None:  # "scale": null draws the values as they are
                d.setdefault("scale", {}).setdefault("type", "utc")
        else:
            d["timeUnit"] = _utc_unit(f.type if f else None)
            d.setdefault("format", _time_format(f.type if f else None))


def _fill_titles(spec: dict, fields: dict[str, Field]) -> None:
    """An encoding without a title gets the field's title and unit from the schema."""
    for _, d in _channel_defs(spec):
        f = _field_of(d, fields)
        if f is not None and "title" not in d:
            d["title"] = f.label_with_unit


def _add_tooltips(spec: dict) -> None:
    """Every single chart without a tooltip gets one listing the fields it encodes."""
    for unit, inherited in _units_of(spec):
        mark = unit.get("mark")
        if isinstance(mark, dict) and "tooltip" in mark:
            continue
        encoding = {**inherited, **(unit.get("encoding") or {})}
        if "tooltip" in encoding or not encoding:
            continue
        tooltip, seen = [], set()
        for channel, d in encoding.items():
            if not isinstance(d, dict) or ("field" not in d and d.get("aggregate") != "count"):
                continue  # a constant value, or a channel with nothing to read out
            entry = {k: d[k] for k in _TOOLTIP_KEYS if k in d}
            signature = json.dumps(entry, sort_keys=True)
            if signature not in seen:
                seen.add(signature)
                tooltip.append(entry)
        if tooltip:
            unit.setdefault("encoding", {})["tooltip"] = tooltip


HOVER_LAYER = "ot-hover"
_HOVER_CHANNELS = ("x", "y", "x2", "y2", "xOffset", "yOffset")


def _with_hover_points(spec: dict) -> dict:
    """A line or area chart with its tooltip moved to invisible points, one per value.

    A line is one SVG path, and Vega gives the whole path the first row's tooltip: hovering over
    2020 would read out 1984. Invisible points carry the tooltip instead. They are a layer named
    ``HOVER_LAYER``, which the static drawings leave out (they have no pointer). Only for a single
    chart without parameters: a selection would need moving into the layer too.
    """
    mark = spec.get("mark")
    kind = mark if isinstance(mark, str) else mark.get("type") if isinstance(mark, dict) else None
    encoding = spec.get("encoding") if isinstance(spec.get("encoding"), dict) else {}
    if kind not in ("line", "area", "trail") or "params" in spec or "tooltip" not in encoding:
        return spec
    drawn = {k: v for k, v in encoding.items() if k != "tooltip"}
    hover = {"name": HOVER_LAYER, "mark": {"type": "point", "opacity": 0, "size": 120, "aria": False},
             "encoding": {**{k: v for k, v in drawn.items() if k in _HOVER_CHANNELS}, "tooltip": encoding["tooltip"]}}
    outer = {k: v for k, v in spec.items() if k not in ("mark", "encoding")}
    return {**outer, "layer": [{"mark": mark, "encoding": drawn}, hover]}


def _static_spec(spec: dict, width: int) -> dict:
    """The spec of a static drawing: without its hover layers (a drawing has no pointer to hover
    with), ``width`` px wide where the page's chart takes its container's width, and without Vega's
    ARIA attributes on every mark and axis (``config.aria``): the drawing is one ``role="img"`` with a
    title and description (``_accessible_svg``), so assistive technology reads none of them, and they
    were a quarter of each SVG's bytes."""
    result = _without_hover(spec)
    if not isinstance(result, dict):
        return result
    if result.get("width") == "container":
        result["width"] = width
    config = result.get("config")
    result["config"] = {**(config if isinstance(config, dict) else {}), "aria": False}
    return result


def _without_hover(spec: dict) -> dict:
    if not isinstance(spec, dict):
        return spec
    result = {}
    for key, value in spec.items():
        if key == "layer" and isinstance(value, list):
            value = [_without_hover(v) for v in value if not (isinstance(v, dict) and v.get("name") == HOVER_LAYER)]
        elif key in ("spec", "concat", "hconcat", "vconcat"):
            value = [_without_hover(v) for v in value] if isinstance(value, list) else _without_hover(value)
        result[key] = value
    return result


def _used_columns(spec: dict, fields: dict[str, Field]) -> tuple[str, ...]:
    """The columns the spec reads, in the schema's order: encodings, transforms, expressions."""
    named: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("field", "groupby", "fields", "fold", "repeat", "sort"):
                    collect_names(value)
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)
        elif isinstance(node, str):
            named.update(m.group(1) or m.group(2) for m in re.finditer(
                r"datum\.([A-Za-z_$][\w$]*)|datum\[['\"]([^'\"]+)['\"]\]", node))

    def collect_names(value):
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str):
                named.add(re.sub(r"\\(.)", r"\1", re.split(r"(?<!\\)[.\[]", v)[0]))
            elif isinstance(v, dict) and isinstance(v.get("field"), str):
                named.add(re.sub(r"\\(.)", r"\1", v["field"]))

    collect(spec)
    used = tuple(name for name in fields if name in named)
    return used or tuple(fields)


def _vega_lite_roles(spec: dict, fields: dict[str, Field]) -> _Roles | None:
    """What the first single chart of the spec draws along its axes, when that can be told."""
    unit, inherited = next(iter(_units_of(spec)), (None, {}))
    if unit is None:
        return None
    encoding = {**inherited, **(unit.get("encoding") or {})}
    mark = unit["mark"] if isinstance(unit["mark"], str) else unit["mark"].get("type", "chart")
    x, y = encoding.get("x"), encoding.get("y")
    x_field, y_field = (_field_of(d, fields) if isinstance(d, dict) else None for d in (x, y))
    x_q, y_q = (isinstance(d, dict) and d.get("type") == "quantitative" for d in (x, y))
    if y_q and y_field is not None:      # columns, a line over time, or y against x
        measure, measure_def, dim, dim_def = y_field, y, x_field, x
    elif x_q and x_field is not None:    # horizontal bars
        measure, measure_def, dim, dim_def = x_field, x, y_field, y
    else:
        return None
    if (measure_def.get("aggregate") in COUNTING_OPS or measure.name in views._fields_made_by_transforms(spec)
            or views._has_transform(spec, "pivot")):
        return None  # it draws a count, or what a transform makes: not the table's values, which cannot be read out
    color = encoding.get("color") if isinstance(encoding.get("color"), dict) else {}
    series = _field_of(color, fields)
    groups = tuple(dict.fromkeys(
        f.name for channel, d in encoding.items() if channel in ("color", "detail", "row", "column", "facet",
                                                                  "shape", "strokeDash", "xOffset", "yOffset")
        for d in (d if isinstance(d, list) else [d]) if isinstance(d, dict)
        for f in [_field_of(d, fields)] if f is not None and f.name not in (measure.name, dim.name if dim else None)))
    dim_type = dim_def.get("type") if dim is not None else None
    dim_kind = dim_type if dim_type in ("temporal", "quantitative") else "nominal"
    return _Roles(mark=mark, dimension=dim.name if dim else None,
                  dimension_title=_title_of(dim_def, dim) if dim else "",
                  dimension_kind=dim_kind, measures=(measure.name,),
                  measure_titles=(_title_of(measure_def, measure),),
                  series=series.name if series else None, series_title=_title_of(color, series) if series else "",
                  groups=groups, order=_value_order(dim_def, "x" if measure_def is x else "y"))


def _title_of(definition: dict, f: Field) -> str:
    title = definition.get("title")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return title if isinstance(title, str) and title else f.label_with_unit


def _value_order(dim_def: dict | None, measure_channel: str) -> str | None:
    """How the spec orders the categories: by value ("-x" is descending), or None for data order."""
    sort = (dim_def or {}).get("sort")
    if sort in (measure_channel, f"-{measure_channel}"):
        return "descending" if sort.startswith("-") else "ascending"
    if isinstance(sort, dict) and sort.get("order") in ("ascending", "descending") and "field" in sort:
        return sort["order"]
    return None


# --- large tables --------------------------------------------------------------------------------

def _bounded(rows: list[dict], roles: _Roles) -> tuple[list[dict], str | None]:
    """The rows, or aggregates of them that a reader can see, and how they were aggregated: at most
    ``MAX_POINTS`` points, and bars of at most ``MAX_CATEGORIES`` categories."""
    many_bars = _too_many_bars(rows, roles)
    if len(rows) <= MAX_POINTS and not many_bars:
        return rows, None
    if roles.dimension is None:
        raise UnsupportedView(f"the view draws {len(rows):,} rows, more than a chart can hold ({MAX_POINTS:,}), "
                              "and has no axis to aggregate them along, so its data is shown as a table")
    series_count = max(1, len({tuple(r.get(g) for g in roles.groups) for r in rows}) * len(roles.measures))
    buckets = max(1, MAX_POINTS // series_count)
    values = [r[roles.dimension] for r in rows if r.get(roles.dimension) is not None]
    distinct = list(dict.fromkeys(values))
    if many_bars:
        keyed, how = _largest_categories(rows, roles, MAX_CATEGORIES)
    elif len(distinct) <= buckets:
        keyed, how = {v: v for v in distinct}, _each_category(roles)
    elif roles.dimension_kind in ("temporal", "quantitative"):
        keyed, how = _intervals(distinct, buckets, roles)
    else:
        keyed, how = _largest_categories(rows, roles, buckets)
    aggregated = _aggregate(rows, roles, keyed)
    return aggregated, _aggregation_note(roles, many_bars, len(rows), len(distinct), len(keyed), how, len(aggregated))


def _each_category(roles: _Roles) -> str:
    return f"the {roles.op} of {', '.join(roles.measure_titles)} for each {roles.dimension_title}"


def _largest_how(roles: _Roles, kept: int, of: int) -> str:
    return f"the {roles.op} for each of the {kept:,} {roles.dimension_title} values with the largest totals, of {of:,}"


def _aggregation_note(roles: _Roles, many_bars: bool, rows: int, distinct: int, kept: int, how: str, points: int) -> str:
    """What the chart says it drew, when it drew aggregates of the table's rows."""
    if many_bars:
        return (f"The table has {distinct:,} {roles.dimension_title} values, more bars than can be read: "
                f"the chart shows the {kept:,} with the largest {', '.join(roles.measure_titles)} "
                f"({roles.op} of their rows); the table has them all.")
    return f"The table has {rows:,} rows, more than a chart can hold: the chart shows {how}, {points:,} points."


def _bounded_columns(rows: fastpath.ColumnRows, roles: _Roles) -> tuple[list[dict], str] | None:
    """What ``_bounded`` gives for the rows of a table kept as columns, worked out on the columns (sorted,
    then summed run by run) so that millions of rows are never made into dicts; None when the case is
    not one this handles, and ``_bounded`` must read the rows. ``tests/test_fastpath.py`` requires the
    same site both ways.

    Handled: more than ``MAX_POINTS`` rows, no series split (a simple view), a text, integer or date
    field along the axis, integer measures (summed exactly, in 64 bits: an overflow hands the rows
    back), and categories kept whole (at most the points a chart holds) or the largest of them.
    Intervals of a time or number axis are left to ``_bounded``."""
    if (len(rows) <= MAX_POINTS or roles.dimension is None or roles.groups or not roles.measures
            or rows.type_of(roles.dimension) not in ("string", "integer", "date")
            or any(rows.type_of(m) != "integer" for m in roles.measures)):
        return None
    try:
        return _bounded_on_columns(rows, roles)
    finally:
        fastpath.release_memory()


def _bounded_on_columns(rows: fastpath.ColumnRows, roles: _Roles) -> tuple[list[dict], str] | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    column = rows.array(roles.dimension)
    count = len(column)
    # Sorted (stably, missing values last), equal values make runs; a run's first row is where its value
    # first appears. Each large array is let go as soon as it is used: this is a build's peak memory.
    order = pc.sort_indices(column)
    ordered = fastpath.one_array(column.take(order))
    missing = pc.is_null(ordered)
    change = pc.fill_null(pc.not_equal(ordered.slice(1), ordered.slice(0, count - 1)),
                          pc.not_equal(missing.slice(1), missing.slice(0, count - 1)))
    del ordered
    starts = pc.indices_nonzero(pa.concat_arrays([pa.array([True]), change])).cast(pa.int64())
    del change
    with_missing = bool(missing[count - 1].as_py())
    del missing
    first_rows = pc.take(order, starts)  # each run's first row in the table
    categories = len(starts)  # the missing value counted, as ``_too_many_bars`` counts it
    distinct = categories - with_missing
    many_bars = roles.mark == "bar" and roles.dimension_kind == "nominal" and categories > MAX_CATEGORIES
    buckets = max(1, MAX_POINTS // len(roles.measures))
    ends = pa.concat_arrays([pc.subtract(starts.slice(1), 1), pa.array([count - 1], pa.int64())])
    del starts
    try:
        sums, counts, magnitudes = [], [], None
        for measure in roles.measures:
            values = fastpath.one_array(rows.array(measure).take(order))
            known = pc.cast(pc.is_valid(values), pa.int64())
            values = pc.fill_null(values, 0)
            size = pc.abs_checked(values)
            if categories < count:  # runs longer than a row: their totals, from running totals
                values, known, size = (_run_totals(pc.cumulative_sum_checked(v), ends) for v in (values, known, size))
            sums.append(values)
            counts.append(known)
            magnitudes = size if magnitudes is None else pc.add_checked(magnitudes, size)
            del values, known, size
    except (pa.ArrowInvalid, OverflowError):
        return None  # past 64 bits: Python's integers sum it
    del order, ends
    fastpath.release_memory()  # the sorted copies, before the largest categories are ranked
    if many_bars or (distinct > buckets and roles.dimension_kind == "nominal"):
        kept_count = MAX_CATEGORIES if many_bars else buckets
        numeric = counts[0]
        for other in counts[1:]:
            numeric = pc.add(numeric, other)
        with_numbers = pc.indices_nonzero(pc.greater(numeric, 0))  # a category with no number has no total
        totals = pc.take(magnitudes, with_numbers)
        # Only the categories whose total could be among the largest are ranked by label too: the label
        # of every one of millions of categories is never taken.
        if len(totals) > kept_count:
            lowest = pc.min(pc.take(totals, pc.top_k_unstable(totals, kept_count))).as_py()  # (it gives indices)
            near = pc.indices_nonzero(pc.greater_equal(totals, lowest))
            candidates, totals = pc.take(with_numbers, near), pc.take(totals, near)
        else:
            candidates = with_numbers
        labels = column.take(pc.take(first_rows, candidates))
        if with_missing and pc.any(pc.equal(labels, "None")).as_py():
            return None  # the missing value sorts as "None": a tie only the rows' order settles
        # As heapq.nsmallest sorts them, by (-total, label), here in pyarrow: however many tie, no label
        # becomes a Python string. Text sorts by its UTF-8 bytes, which is the order of code points, as in
        # Python; the labels are distinct, so the order is total.
        ranked = pa.table({"total": totals, "label": pc.fill_null(labels, "None"), "run": candidates})
        del labels
        top = ranked.take(pc.select_k_unstable(ranked, min(kept_count, ranked.num_rows),
                                               sort_keys=[("total", "descending"), ("label", "ascending")]))
        runs = [run for _, _, run in sorted(zip(pc.negate(top.column("total")).to_pylist(),
                                                top.column("label").to_pylist(), top.column("run").to_pylist()))]
        how = _largest_how(roles, len(runs), len(with_numbers))
    elif distinct <= buckets:
        runs = sorted(range(distinct), key=first_rows.to_pylist().__getitem__)  # in order of first appearance
        how = _each_category(roles)
    else:
        return None  # intervals along a time or number axis: ``_bounded`` works them out
    firsts = _python_values(rows, roles.dimension, column.take(pc.take(first_rows, pa.array(runs, pa.int64()))))
    aggregated = []
    for run, label in zip(runs, firsts):
        if label is None:
            continue  # as ``_aggregate``: the missing category is drawn nowhere
        row = {roles.dimension: label}
        for measure, total, present in zip(roles.measures, sums, counts):
            number, n = total[run].as_py(), present[run].as_py()
            row[measure] = None if n == 0 else _tidy(number if roles.op == "sum" else number / n)
        aggregated.append(row)
    if roles.dimension_kind != "nominal":
        aggregated.sort(key=lambda r: _sort_key(r[roles.dimension]))
    return aggregated, _aggregation_note(roles, many_bars, len(rows), distinct, len(runs), how, len(aggregated))


def _run_totals(running, ends):
    """Each run's total from a running total: its last value less the last value of the run before."""
    import pyarrow as pa
    import pyarrow.compute as pc
    last = pc.take(fastpath.one_array(running), ends)
    before = pa.concat_arrays([pa.array([0], pa.int64()), last.slice(0, len(last) - 1)])
    return pc.subtract_checked(last, before)


def _python_values(rows: fastpath.ColumnRows, name: str, values) -> list:
    """Values of the column ``name`` as the chart's rows hold them (JSON values)."""
    kind = rows.type_of(name)
    return [_json_value(v, kind) for v in fastpath.python_values(kind, values)]


def _too_many_bars(rows: list[dict], roles: _Roles) -> bool:
    """Whether bars of categories would be more than ``MAX_CATEGORIES`` (counted no further than that:
    a million rows need not all be read to know)."""
    if roles.mark != "bar" or roles.dimension_kind != "nominal" or roles.dimension is None:
        return False
    seen: set = set()
    for r in rows:
        value = r.get(roles.dimension)
        seen.add((value.__class__, value) if isinstance(value, (str, int, float, bool, type(None))) else _category_key(value))
        if len(seen) > MAX_CATEGORIES:
            return True
    return False


def _category_key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _intervals(distinct: list, buckets: int, roles: _Roles) -> tuple[dict, str]:
    """Each x value mapped to the start of its interval: ``buckets`` equal intervals over the range."""
    to_number, from_number = _axis_scale(distinct[0])
    numbers = [(v, to_number(v)) for v in distinct]
    known = [n for _, n in numbers if n is not None]
    low, high = min(known), max(known)
    if isinstance(distinct[0], str):
        # Days, months, years and seconds are whole: intervals of a whole number of them.
        width = max(1, math.ceil((high - low + 1) / buckets))
    else:
        width = (high - low) / buckets or 1
    labels: dict[int, object] = {}
    starts = {}
    for value, number in numbers:
        if number is not None:
            index = min(int((number - low) / width), buckets - 1)
            if index not in labels:
                labels[index] = from_number(low + index * width)
            starts[value] = labels[index]
    return starts, f"the {roles.op} of {', '.join(roles.measure_titles)} for each {_interval_words(width, distinct[0])}" \
                   f" of {roles.dimension_title}"


def _largest_categories(rows: list[dict], roles: _Roles, buckets: int) -> tuple[dict, str]:
    totals: dict = {}
    for r in rows:
        key = r.get(roles.dimension)
        for m in roles.measures:
            if isinstance(r.get(m), (int, float)) and not isinstance(r.get(m), bool):
                totals[key] = totals.get(key, 0) + abs(r[m])
    kept = heapq.nsmallest(buckets, totals, key=lambda k: (-totals[k], str(k)))  # the largest, as sorted() would
    return {k: k for k in kept}, _largest_how(roles, len(kept), len(totals))


def _aggregate(rows: list[dict], roles: _Roles, keyed: dict) -> list[dict]:
    """The sum or mean of each measure per (interval or category, series), in order along the axis."""
    dimension, groups, measures = roles.dimension, roles.groups, roles.measures
    sums: dict[tuple, list] = {}
    for r in rows:
        position = keyed.get(r.get(dimension))
        if position is None:
            continue
        key = (position, *[r.get(g) for g in groups])
        totals = sums.get(key)
        if totals is None:
            totals = sums[key] = [[0, 0] for _ in measures]
        for slot, m in zip(totals, measures):
            value = r.get(m)
            if value.__class__ in (int, float):  # not bool, not text
                slot[0] += value
                slot[1] += 1
    positions = dict.fromkeys(keyed.values())
    if roles.dimension_kind != "nominal":
        positions = dict.fromkeys(sorted(positions, key=_sort_key))
    order = {v: n for n, v in enumerate(positions)}
    result = []
    for key in sorted(sums, key=lambda k: (order[k[0]], *(_sort_key(g) for g in k[1:]))):
        row = {dimension: key[0], **dict(zip(groups, key[1:]))}
        for (total, count), m in zip(sums[key], measures):
            row[m] = None if count == 0 else _tidy(total if roles.op == "sum" else total / count)
        result.append(row)
    return result


def _sort_key(value):
    return (value is None, isinstance(value, str), value if value is not None else 0)


def _tidy(number):
    """Twelve significant digits: the JSON stays short and the same on every machine. A whole number
    past 2**53 (a sum of large counts) is a float too: JavaScript reads no more, and vl-convert refuses
    an integer past 64 bits (red-team review: a valid table's sum failed the build)."""
    if isinstance(number, int) and abs(number) < 2**53:
        return number
    rounded = float(f"{number:.12g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _axis_scale(like):
    """(to number, from number) for positions of the form of ``like``: days for dates, months for
    year-months, years for years, seconds for date-times, the number itself for numbers."""
    if isinstance(like, (int, float)):
        return (lambda v: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None), _tidy
    if _YEAR.fullmatch(like):
        return _guarded(lambda v: float(int(v))), lambda n: f"{int(n):04d}"
    if _YEAR_MONTH.fullmatch(like):
        return (_guarded(lambda v: float(int(v[:4]) * 12 + int(v[5:7]) - 1)),
                lambda n: f"{int(n) // 12:04d}-{int(n) % 12 + 1:02d}")
    if _DATE.fullmatch(like):
        return _guarded(lambda v: float(dt.date.fromisoformat(v).toordinal())), \
            lambda n: dt.date.fromordinal(int(n)).isoformat()
    return _guarded(_seconds), \
        lambda n: dt.datetime.fromtimestamp(int(n), dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _guarded(convert):
    def to_number(value):
        try:
            return convert(value)
        except (TypeError, ValueError):
            return None
    return to_number


def _seconds(value: str) -> float:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).timestamp()


def _interval_words(width: float, like) -> str:
    """"100-day interval", "3-month interval", "interval of 2.5": the width of an aggregation bucket."""
    if isinstance(like, (int, float)):
        return f"interval of {_number(width)}"
    if _DATE.fullmatch(like):
        unit, size = "day", width
    elif _YEAR_MONTH.fullmatch(like):
        unit, size = "month", width
    elif _YEAR.fullmatch(like):
        unit, size = "year", width
    elif width >= 3600:
        unit, size = "hour", width / 3600
    else:
        unit, size = "second", width
    return f"{round(size):,}-{unit} interval" if round(size) > 1 else unit


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


# --- the text alternative ------------------------------------------------------------------------

_MARK_WORDS = {"bar": "Bar chart", "line": "Line chart", "area": "Area chart", "point": "Dot plot",
               "circle": "Dot plot", "square": "Dot plot", "tick": "Strip plot", "rect": "Heat map",
               "arc": "Pie chart", "text": "Table chart", "rule": "Chart", "trail": "Line chart"}


def _describe(draft: _Draft, fields: dict[str, Field]) -> tuple[str, str]:
    """(summary, read-out) of what is drawn, written from the rows drawn.

    The summary is sentences a reader sees under the chart: the largest and the smallest value, and
    for a time axis how the series moved from first to last. The read-out is the chart's text
    alternative: every value, or a summary of each series when there are more than ``MAX_LISTED``.
    """
    roles = draft.roles
    if roles is None:
        text = f"Chart of {_plural(len(draft.rows), 'row')}; the values are in the data table."
        return _join(text, draft.aggregation), _join(text, draft.aggregation)
    kind = _MARK_WORDS.get(roles.mark, "Chart")
    points = _points(draft, roles, fields)
    if not points:
        return _join("The chart has no values to draw.", draft.aggregation), f"{kind}, with no values."
    if len(points) <= MAX_LISTED:
        readout = f"{kind}. " + "; ".join(_read_out(p, roles) for p in _ordered(points, roles.order)) + "."
    else:
        readout = f"{kind}. " + " ".join(_summary(series, roles) for series in _by_series(points))
    if roles.dimension_kind == "nominal" and len({json.dumps(p.position, default=str) for p in points}) == len(points):
        # One value per category: a colour (a qualifier, say) tells something of each bar, not a series.
        summary = _sentences(points, roles, tagged=True)
    else:
        summary = " ".join(_sentences(series, roles) for series in _by_series(points))
    return _join(summary, draft.aggregation), _join(readout, draft.aggregation)


def _sentences(points: list[_Point], roles: _Roles, tagged: bool = False) -> str:
    """"Through MPS custody is the largest, 207,000 people (rounded); Given reporting conditions the smallest,
    903 people (exact)." and, along a time axis, "From 31 March 1984 to 31 December 2025 it fell from ..."."""
    name = None if tagged else points[0].series
    where = f"Of {name}, " if name is not None else ""

    def said(p: _Point) -> str:
        text = _with_unit(_number(p.value), p.unit)
        return f"{text} ({p.series})" if tagged and p.series is not None else text

    if len(points) == 1:
        p = points[0]
        # A label or title is the publisher's text, as written ("r0000269" stays so); only the
        # site's own words are given a capital.
        return f"{where}{_place(p, roles)}: {said(p)}." if p.position is not None else f"{where}{p.measure}: {said(p)}."
    high = max(points, key=lambda p: p.value)
    low = min(points, key=lambda p: p.value)
    if high.value == low.value:
        text = f"{where}all {len(points):,} values are {said(high)}."
        return _capitalised(text)
    if roles.dimension_kind == "nominal" or roles.dimension is None:
        large, small = ("larger", "smaller") if len(points) == 2 else ("largest", "smallest")

        def extreme(value, word: str, verb: bool) -> str:
            tied = [p for p in points if p.value == value]
            if len(tied) == 1:
                return f"{_place(tied[0], roles)}{' is' if verb else ''} the {word}, {said(tied[0])}"
            names = [_place(p, roles) + (f" ({p.series})" if tagged and p.series is not None else "") for p in tied]
            return (f"{', '.join(names[:-1])} and {names[-1]}{' are' if verb else ''} the {word}, "
                    f"{_with_unit(_number(value), tied[0].unit)} each")

        return f"{where}{extreme(high.value, large, True)}; {extreme(low.value, small, False)}."
    along = sorted((p for p in points if p.position is not None), key=lambda p: _sort_key(p.position))
    if not along:  # every date empty (red-team review): no trend to tell, only the highest and the lowest
        return _capitalised(f"{where}the highest of {len(points):,} values is {said(high)}, the lowest "
                            f"{said(low)}; no {(roles.dimension_title or 'date').lower()} is given for any of them.")
    first, last = along[0], along[-1]
    subject = str(name) if name is not None else first.measure
    if last.value == first.value:
        moved = f"was {said(last)} at the start ({_position(first.position, roles)}) and at the end " \
                f"({_position(last.position, roles)})"
    else:
        moved = (f"{'rose' if last.value > first.value else 'fell'} from {said(first)} "
                 f"({_position(first.position, roles)}) to {said(last)} ({_position(last.position, roles)})")
    def at(p: _Point) -> str:  # a value without a date says so, not "None"
        return _position(p.position, roles) if p.position is not None else \
            f"no {(roles.dimension_title or 'date').lower()} given"

    # The subject is a column's name or title ("share"): a sentence starts with a capital.
    return _capitalised(f"{subject} {moved}; the highest was {said(high)} ({at(high)}), "
                        f"the lowest {said(low)} ({at(low)}).")


def _place(p: _Point, roles: _Roles) -> str:
    return _position(p.position, roles) if p.position is not None else p.measure


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Point:
    position: object
    value: float | int
    measure: str
    series: object = None
    unit: str | None = None


def _points(draft: _Draft, roles: _Roles, fields: dict[str, Field]) -> list[_Point]:
    """Every value drawn, with where it is drawn and its unit (the row's, else the schema's)."""
    points = []
    multiple = len(roles.measures) > 1
    for n, row in enumerate(draft.rows):
        for m, title in zip(roles.measures, roles.measure_titles):
            value = row.get(m)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            series = row.get(roles.series) if roles.series else (title if multiple else None)
            unit = (draft.units[n] if n < len(draft.units) else None) or (fields[m].unit if m in fields else None)
            points.append(_Point(row.get(roles.dimension) if roles.dimension else None, value, title, series, unit))
    return points


def _ordered(points: list[_Point], order: str | None) -> list[_Point]:
    if order is None:
        return points
    return sorted(points, key=lambda p: p.value, reverse=order == "descending")


def _read_out(p: _Point, roles: _Roles) -> str:
    value = _with_unit(_number(p.value), p.unit)
    extra = f" ({p.series})" if p.series is not None else ""
    if p.position is None:
        return f"{p.measure}: {value}{extra}"
    return f"{_position(p.position, roles)}: {value}{extra}"


def _by_series(points: list[_Point]) -> list[list[_Point]]:
    groups: dict = {}
    for p in points:
        groups.setdefault(p.series, []).append(p)
    return list(groups.values())


def _summary(points: list[_Point], roles: _Roles) -> str:
    """"Rate: 168 points from 31 March 1984 to 31 December 2025, lowest 0.4 (...), highest 12.1 (...)."."""
    low = min(points, key=lambda p: p.value)
    high = max(points, key=lambda p: p.value)
    name = f"{points[0].series}: " if points[0].series is not None else ""
    unit = low.unit if low.unit == high.unit else None
    noun = "bars" if roles.mark == "bar" else "points"
    span = ""
    if roles.dimension_kind != "nominal" and roles.dimension:
        positions = sorted((p.position for p in points if p.position is not None), key=_sort_key)
        if positions:
            span = f" from {_position(positions[0], roles)} to {_position(positions[-1], roles)}"
    return (f"{name}{len(points):,} {noun}{span}, lowest {_with_unit(_number(low.value), unit)} "
            f"({_position(low.position, roles)}), highest {_with_unit(_number(high.value), unit)} "
            f"({_position(high.position, roles)}).")


def _with_unit(number: str, unit: str | None) -> str:
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def _position(value, roles: _Roles) -> str:
    if roles.dimension_kind == "temporal" and isinstance(value, str):
        return dates.date_words(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    return str(value)


def _number(value) -> str:
    """A number with thousands separators and at most four significant decimals: 207,000; 11.43; 0.4."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    magnitude = abs(value)
    decimals = max(0, 4 - len(str(int(magnitude)))) if magnitude >= 1 else max(2, 3 - math.floor(math.log10(magnitude)))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the theme and the finished chart -------------------------------------------------------------

def _finish(draft: _Draft, description: str) -> dict:
    """The draft as the page draws it: the site theme, its text alternative, its rows inline, one colour
    per qualifier, bars that carry their values, and a layout that fits a phone (see ``_fitted``).

    The page shows the chart's title in HTML, where it wraps: the drawing itself carries no title,
    unless the publisher's spec draws one. The downloads add it (``export_spec``).
    """
    spec = draft.chart.to_dict(validate=False)
    spec.pop("$schema", None)
    spec.pop("config", None)
    user_config = draft.chart.config.to_dict() if draft.chart.config is not alt.Undefined else {}
    spec["data"] = {"values": [dict(r) for r in draft.rows]}
    spec["description"] = description
    _fix_colours(spec, draft.rows)
    if spec.get("width") is None and ("mark" in spec or "layer" in spec):
        # The interactive chart fills its container (readable type on a phone); the static drawings,
        # which have no container, are given a width (``_static_spec``).
        spec["width"] = "container"
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
        spec = _fitted(spec, draft.rows)
    spec["config"] = _merged(THEME, user_config)
    return spec


# --- one colour per meaning -------------------------------------------------------------------------

# How a figure is stated, one colour each on every chart of the site (Okabe-Ito, by contrast against
# white: the five that meet 3:1 on their own first; orange and sky blue (2.3:1) go to the two least
# common qualifiers, on bars, which all carry a dark outline that meets 3:1).
QUALIFIER_COLOURS = {
    "exact": "#0072B2",        # blue, 5.2:1
    "rounded": "#009E73",      # bluish green, 3.4:1
    "approximate": "#CC79A7",  # reddish purple, 3.1:1
    "estimate": "#595959",     # grey, 7:1 (not Okabe-Ito: a neutral the palette lacks)
    "lower bound": "#000000",  # black
    "target": "#D55E00",       # vermillion, 3.9:1
    "aspiration": "#E69F00",   # orange, 2.3:1 (outlined)
    "planned": "#56B4E9",      # sky blue, 2.3:1 (outlined)
}
_COLOUR_CHANNELS = ("color", "fill", "stroke")


def qualifier_colours(values: Iterable) -> tuple[list, list[str]]:
    """(domain, range) for a colour scale of qualifiers: the known ones in ``QUALIFIER_COLOURS``' order
    with their colours, then any others in the order given, with the palette's colours the known ones
    left free (after those, the palette again)."""
    present = list(dict.fromkeys(v for v in values if v is not None))
    known = [q for q in QUALIFIER_COLOURS if q in present]
    others = [v for v in present if v not in QUALIFIER_COLOURS]
    used = {QUALIFIER_COLOURS[q] for q in known}
    free = [c for c in PALETTE if c not in used] or list(PALETTE)
    return known + others, [QUALIFIER_COLOURS[q] for q in known] + [free[n % len(free)] for n in range(len(others))]


def _is_qualifier(definition: dict, values: list) -> bool:
    words = f"{definition.get('field', '')} {definition.get('title', '')}".lower()
    texts = [v for v in values if v is not None]
    return "qualifier" in words or (bool(texts) and all(isinstance(v, str) and v in QUALIFIER_COLOURS for v in texts))


def _fix_colours(spec: dict, rows: Sequence[dict]) -> None:
    """Every colour that encodes a qualifier gets the site's colour for it, whatever chart it is on.
    A publisher's own scale (a domain, a range or a scheme) is kept as written."""
    for channel, d in _channel_defs(spec):
        if channel not in _COLOUR_CHANNELS or not isinstance(d.get("field"), str):
            continue
        if d.get("type") not in (None, "nominal", "ordinal") or d.get("aggregate") is not None:
            continue
        scale = d.get("scale")
        if scale is None and "scale" in d:
            continue  # "scale": null draws the values as colours
        if isinstance(scale, dict) and any(k in scale for k in ("domain", "range", "scheme")):
            continue
        column = re.sub(r"\\(.)", r"\1", d["field"])
        values = [r.get(column) for r in rows]
        if not _is_qualifier(d, values):
            continue
        domain, colours = qualifier_colours(values)
        d["scale"] = {**(scale or {}), "domain": domain, "range": colours}


# --- a layout that fits ---------------------------------------------------------------------------

STEP = 24           # px per category on a discrete axis (config.view.step)
LINE_HEIGHT = 15    # px per line of a 12 px label
BAR_HEIGHT = 20     # px of a bar that has its label above it
LABEL_WRAP = 44     # characters per line of a category label above its bar (at most about 280 px)
LEGEND_WIDTH = 300  # px a legend may take: it fits a phone's 340 px drawing
# The label broken after at most LABEL_WRAP characters, at spaces, its lines in reverse order (see below).
_WRAP_EXPR = ("reverse(split(trim(replace(trim(datum.label), /(.{1,%d})(\\s+|$)/g, '$1\\n')), '\\n'))" % LABEL_WRAP)


def _fitted(spec: dict, rows: Sequence[dict]) -> dict:
    """The layout for a page that may be a phone's: what would be cut at 340 px is moved or wrapped.

    * Horizontal bars (categories down the side): each category's label sits above its bar, wrapped
      after ``LABEL_WRAP`` characters, so the bars take the whole width instead of a third of it, and
      each bar carries its value at its end, so that a bar too small to see next to a large one is
      still read (977 beside 207,000). The chart is as tall as its bars need.
    * Columns (categories along the bottom): each column carries its value above it.
    * A legend goes below the chart, from its left edge, in as many columns as fit 300 px.
    * A discrete y axis gets a height in pixels rather than a "step": Vega-Lite cannot fit a height
      made of steps to a container, and says so in the reader's console.
    """
    if not _is_unit(spec) or "transform" in spec:
        return _with_legends(_with_height(spec, rows), rows)
    encoding = spec.get("encoding") or {}
    mark = spec["mark"] if isinstance(spec["mark"], str) else spec["mark"].get("type")
    x, y = encoding.get("x"), encoding.get("y")
    if mark != "bar" or not isinstance(x, dict) or not isinstance(y, dict) or \
            any(c in encoding for c in ("row", "column", "facet", "x2", "y2", "xOffset", "yOffset")):
        return _with_legends(_with_height(spec, rows), rows)
    if y.get("type") in ("nominal", "ordinal") and x.get("type") == "quantitative" and isinstance(y.get("field"), str) \
            and "height" not in spec:  # a height the publisher chose is kept, and the layout with it
        return _with_legends(_bars_with_labels_above(spec, rows), rows)
    if x.get("type") in ("nominal", "ordinal") and y.get("type") == "quantitative":
        return _with_legends(_with_value_labels(spec, rows, "y"), rows)
    return _with_legends(_with_height(spec, rows), rows)


def _column(definition: dict) -> str:
    return re.sub(r"\\(.)", r"\1", definition["field"])


def _distinct(rows: Sequence[dict], definition: dict) -> list:
    column = _column(definition)
    return list(dict.fromkeys(json.dumps(r.get(column), sort_keys=True, default=str) for r in rows))


def _with_height(spec: dict, rows: Sequence[dict]) -> dict:
    """A chart with categories down the side gets their number times ``STEP`` as its height."""
    y = (spec.get("encoding") or {}).get("y") if isinstance(spec.get("encoding"), dict) else None
    if "height" in spec or not isinstance(y, dict) or y.get("type") not in ("nominal", "ordinal") \
            or not isinstance(y.get("field"), str) or "facet" in spec:
        return spec
    return {**spec, "height": max(1, len(_distinct(rows, y))) * STEP}


def _one_row_each(rows: Sequence[dict], definition: dict, value: dict) -> bool:
    """Whether each category has one value: then a label per bar says the bar's value."""
    return (value.get("aggregate") is None and value.get("bin") is None and isinstance(value.get("field"), str)
            and len(_distinct(rows, definition)) == len(rows))


def _value_label(value: dict, **mark) -> dict:
    text = {k: value[k] for k in ("field", "type", "format", "formatType") if k in value}
    text.setdefault("format", ",~f") if text.get("type") == "quantitative" else None
    return {"mark": {"type": "text", "color": TEXT, "fontSize": 12, **mark},
            "encoding": {"text": text, "color": {"value": TEXT}}}


def _layered(spec: dict, layers: list[dict], category: str, value: str) -> dict:
    """The bars with more layers (their value labels) over the same encoding."""
    encoding = dict(spec["encoding"])
    sort = encoding[category].get("sort")
    if sort in (value, f"-{value}"):
        # Layers' domains are unioned, and Vega-Lite cannot union a sort by a channel (the bars sum,
        # the labels do not): it says so in the console and sorts by name. One row per bar: its
        # largest value is its value.
        encoding[category] = {**encoding[category], "sort": {
            "field": encoding[value]["field"], "op": "max", "order": "descending" if sort.startswith("-") else "ascending"}}
    outer = {k: v for k, v in spec.items() if k not in ("mark", "encoding")}
    return {**outer, "encoding": encoding, "layer": [{"mark": spec["mark"]}, *layers]}


def _with_value_labels(spec: dict, rows: Sequence[dict], value_channel: str) -> dict:
    encoding = spec["encoding"]
    category = encoding["x" if value_channel == "y" else "y"]
    if not _one_row_each(rows, category, encoding[value_channel]):
        return spec
    return _layered(spec, [_value_label(encoding[value_channel], align="center", baseline="bottom", dy=-4)],
                    "x" if value_channel == "y" else "y", value_channel)


def _bars_with_labels_above(spec: dict, rows: Sequence[dict]) -> dict:
    encoding = {**spec["encoding"]}
    y = dict(encoding["y"])
    categories = [r.get(_column(y)) for r in rows]
    lines = max([len(_wrapped(str(c))) for c in categories if c is not None] or [1])
    # One category: [gap][label lines][3 px][bar][gap]. Multi-line labels grow upwards from the bar
    # (the lines are reversed and drawn with a negative line height), so every label ends 3 px above it.
    step = BAR_HEIGHT + 3 + lines * LINE_HEIGHT + 10
    padding = 1 - BAR_HEIGHT / step
    axis = y.get("axis") if isinstance(y.get("axis"), dict) else {}
    if y.get("axis", {}) is not None:
        y["axis"] = {"domain": False, "ticks": False, "labelAlign": "left", "labelBaseline": "bottom",
                     "labelPadding": 0, "labelLimit": 0, "labelExpr": _WRAP_EXPR, "labelLineHeight": -LINE_HEIGHT,
                     "labelOffset": -(BAR_HEIGHT / 2 + 3),
                     "titleAngle": 0, "titleAlign": "left", "titleAnchor": "start", "titleBaseline": "bottom",
                     "titleX": 0, "titleY": -(lines * LINE_HEIGHT + 6) + LINE_HEIGHT, **axis}
    y["scale"] = {"paddingInner": round(padding, 4), "paddingOuter": round(padding / 2, 4), **(y.get("scale") or {})}
    encoding["y"] = y
    spec = {**spec, "encoding": encoding, "height": max(1, len(_distinct(rows, y))) * step}
    if not _one_row_each(rows, y, encoding["x"]):
        return spec
    return _layered(spec, [_value_label(encoding["x"], align="left", baseline="middle", dx=4)], "y", "x")


def _wrapped(label: str) -> list[str]:
    """The lines ``_WRAP_EXPR`` breaks a label into (for the chart's height)."""
    found = re.findall(r"(.{1,%d})(?:\s+|$)" % LABEL_WRAP, label.strip())
    return [f for f in found if f] or [label]


def _with_legends(spec: dict, rows: Sequence[dict]) -> dict:
    """Each colour legend below the chart, in as many columns as fit ``LEGEND_WIDTH`` px."""
    encoding = spec.get("encoding") if isinstance(spec.get("encoding"), dict) else None
    if encoding is None:
        return spec
    for channel in _COLOUR_CHANNELS:
        d = encoding.get(channel)
        if not isinstance(d, dict) or not isinstance(d.get("field"), str) or d.get("legend", {}) is None \
                or d.get("type") not in (None, "nominal", "ordinal"):
            continue
        labels = [str(v) for v in dict.fromkeys(r.get(_column(d)) for r in rows) if v is not None]
        widest = max([len(label) for label in labels] or [1]) * 7 + 25  # symbol, gap and about 7 px a letter
        columns = max(1, min(len(labels), LEGEND_WIDTH // widest))
        d = dict(d)
        d["legend"] = {"orient": "bottom", "direction": "horizontal", "columns": columns, "labelLimit": LEGEND_WIDTH - 25,
                       **(d.get("legend") or {})}
        encoding = {**encoding, channel: d}
    return {**spec, "encoding": encoding}


def _title_lines(title: str, width: int = 64) -> str | list[str]:
    """A long title broken into lines: Vega draws a title on one line and cuts what does not fit."""
    if len(title) <= width:
        return title
    lines, line = [], ""
    for word in title.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line]


def _merged(base: dict, override: dict) -> dict:
    result = copy.deepcopy(base)
    for key, value in override.items():
        result[key] = _merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


# --- output --------------------------------------------------------------------------------------

def spec_json(chart: Chart, credit: str | None = None) -> str:
    """The Vega-Lite spec as JSON, keys sorted, so the same chart is the same bytes. With ``credit``,
    the spec of the download: the page's, with the title and credit line of ``export_spec``."""
    spec = chart.spec if credit is None else {**chart.spec, "title": export_spec(chart, credit)["title"]}
    return json.dumps({"$schema": VEGA_LITE_SCHEMA, **spec}, sort_keys=True, indent=2, ensure_ascii=False)


def svg_size(svg: str) -> str:
    """"600 192": the width and height of a drawing, from its viewBox (for the page's <img>)."""
    match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    return f"{round(float(match.group(1)))} {round(float(match.group(2)))}" if match else f"{WIDTH} 300"


def chart_id(key: str) -> str:
    """A stable HTML id for a chart key: "operation-nexus/custody-funnel" -> "chart-operation-nexus-custody-funnel"."""
    return "chart-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "unnamed")


def _vl_convert_options() -> dict:
    # No URL may be loaded (the spec is checked for none, this is the second lock: an empty list
    # allows no base URL, and vl-convert refuses every data URL), and numbers and dates use d3's
    # default English locale whatever the machine's, as the browser's vega does. vl-convert 1.9's PNG
    # step ignores allowed_base_urls for <image> addresses: chart_worker is the lock for those.
    return {"vl_version": VEGA_LITE_VERSION, "allowed_base_urls": [], "format_locale": "en-US",
            "time_format_locale": "en-US"}


# --- drawing in a child process ------------------------------------------------------------------
#
# vl-convert's native renderer can abort the process it runs in (a NUL byte in a label makes it
# panic: exit status 134, no exception). So charts are drawn in one child process, started once (by
# ``start_renderer`` or the first drawing) and reused for every chart after it, and by every later
# build in the same process (``serve`` rebuilds). It is started with "spawn": forking a process that
# runs threads is not safe. A crash, an exception or a drawing that takes longer than RENDER_TIMEOUT
# seconds becomes a BuildError naming the chart's view and package, and the next drawing starts a new
# child. What the child prints (vl-convert's warnings, a panic's message) goes to a log file: the
# parent passes it on to its own standard error after each drawing, and quotes a panic's message.

RENDER_TIMEOUT = 120  # seconds for one drawing; a chart of this site takes well under one
MAX_DRAW_BYTES = 700_000_000  # memory the drawing child may hold; a chart of this site takes about 150 MB
_DRAW = chart_worker.draw  # what the child runs: (kind, spec, options, scale) -> SVG text or PNG bytes
# Children that draw at once (``draw_ahead``): one per core, two at most (each holds a JavaScript engine).
DRAWING_PROCESSES = min(2, parallel.processes())


class _Renderer:
    def __init__(self):
        # A folder of the parent's, removed by the parent even when the child crashed: the child's
        # working folder (kept empty) and the log of what it prints.
        self.folder = tempfile.mkdtemp(prefix="opentally-draw-")
        self.log = os.path.join(self.folder, "draw.log")
        os.mkdir(os.path.join(self.folder, "empty"))
        open(self.log, "wb").close()
        self.read = 0
        self.over_memory = False
        self.pool = ProcessPoolExecutor(max_workers=DRAWING_PROCESSES, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=chart_worker.initialise,
                                        initargs=(self.log, os.path.join(self.folder, "empty")))

    def new_output(self) -> str:
        """What the child printed since the last call."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self.read)
                data = f.read()
        except OSError:
            return ""
        self.read += len(data)
        return data.decode("utf-8", errors="replace")

    def processes(self) -> list:
        return list((getattr(self.pool, "_processes", None) or {}).values())

    def kill_over_memory(self) -> bool:
        """Stop each child that holds more than ``MAX_DRAW_BYTES``; whether one did."""
        killed = False
        for process in self.processes():
            if _resident_bytes(process.pid) > MAX_DRAW_BYTES:
                self.over_memory = killed = True
                process.kill()
        return killed

    def close(self) -> None:
        for process in self.processes():
            if process.is_alive():
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


_RENDERER_LOCK = threading.RLock()
_renderer: _Renderer | None = None


def _current_renderer() -> _Renderer:
    global _renderer
    with _RENDERER_LOCK:
        if _renderer is None:
            _renderer = _Renderer()
        return _renderer


def start_renderer() -> None:
    """Start the child process that draws charts now, so that it is ready when the first chart is drawn
    (it starts a Python and vl-convert's JavaScript engine: most of a second)."""
    try:
        _current_renderer().pool.submit(chart_worker.warm_up, _vl_convert_options())
    except BrokenProcessPool:
        close_renderer()  # the first drawing starts a new one


def close_renderer() -> None:
    """Stop the child process that draws charts, if it runs (the next drawing starts a new one)."""
    global _renderer
    with _RENDERER_LOCK:
        renderer, _renderer = _renderer, None
    if renderer is not None:
        renderer.close()


atexit.register(close_renderer)


def _draw(chart: Chart, kind: str, scale: float = 1, spec: dict | None = None, shown_as: str | None = None):
    """A static spec of the chart (by default the page's, ``WIDTH`` px wide) drawn by vl-convert in the
    child process: SVG text or PNG bytes."""
    spec, options = spec if spec is not None else _static_spec(chart.spec, WIDTH), _vl_convert_options()
    entry = _drawing_key(kind, spec, options, scale)
    ahead = _drawn_ahead.get(entry)  # kept until the render is done: the PNG is made from the export SVG
    if ahead is not None:
        return ahead
    cached = _cached_drawing(kind, entry)
    if cached is not None:
        return cached
    result = _draw_now(chart, kind, spec, options, scale, shown_as)
    cache.put("charts", entry, result.encode("utf-8") if isinstance(result, str) else result)
    return result


_drawn_ahead: dict[str, str | bytes] = {}  # drawings made by draw_ahead, until _draw hands them out


def drawings_of(chart: Chart, credit: str = "") -> list[tuple[Chart, str, dict, float]]:
    """Every drawing the site makes of a chart, as (chart, kind, spec, scale): the SVG and PNG downloads
    (``render_export_svg``, ``render_png``) and the page's wide and narrow drawings (``render_svg``)."""
    exported = export_spec(chart, credit)
    return [(chart, "svg", exported, 1), (chart, "png", exported, 2),
            (chart, "svg", _static_spec(chart.spec, WIDTH), 1), (chart, "svg", _static_spec(chart.spec, NARROW_WIDTH), 1)]


def draw_ahead(requests: Sequence[tuple[Chart, str, dict, float]]) -> int:
    """Draw what ``requests`` asks for and the cache does not hold, ``DRAWING_PROCESSES`` at a time, so
    that the build uses every core; each result is then handed out by ``_draw`` (and kept in the
    cache). Returns how many were drawn. SVGs first, then each PNG from its SVG (see ``render_png``).

    The same watch as one drawing at a time: a child over ``MAX_DRAW_BYTES`` or a drawing over
    ``RENDER_TIMEOUT`` seconds stops the children. On any failure the drawings not made are left to
    ``_draw``, one at a time, which names the chart that fails and why: the output is the same bytes
    either way, since each drawing depends on its spec alone."""
    options = _vl_convert_options()
    drawn, complete = _draw_jobs([(kind, spec, scale) for _, kind, spec, scale in requests if kind != "png"], options)
    if not complete:
        return drawn
    rasters = []
    for _, kind, spec, scale in requests:
        if kind == "png":
            entry = _drawing_key("svg", spec, options, 1)
            svg = _drawn_ahead.get(entry) or _cached_drawing("svg", entry)
            if svg is not None:
                rasters.append(("svg-png", svg, scale))
    more, _ = _draw_jobs(rasters, options)
    return drawn + more


def _drawing_key(kind: str, spec, options: dict, scale: float) -> str:
    """The cache key of a drawing: what it draws (a spec, or for "svg-png" the SVG's SHA-256), how,
    and the tools that draw it."""
    what = cache.digest(spec) if isinstance(spec, str) else spec
    return cache.key("drawing", kind, what, options, scale, _drawing_tools())


def _cached_drawing(kind: str, entry: str):
    """The drawing the cache holds under ``entry`` (SVG text or PNG bytes), or None."""
    found = cache.get("charts", entry)
    if found is None:
        return None
    return found.decode("utf-8") if kind == "svg" else found


def _draw_jobs(jobs: list[tuple[str, object, float]], options: dict) -> tuple[int, bool]:
    """Draw the jobs the cache does not hold, in parallel: (how many were drawn, whether all were)."""
    todo: dict[str, tuple[str, object, float]] = {}
    for kind, spec, scale in jobs:
        entry = _drawing_key(kind, spec, options, scale)
        if entry not in todo and entry not in _drawn_ahead and cache.get("charts", entry) is None:
            todo[entry] = (kind, spec, scale)
    if len(todo) < 2 or DRAWING_PROCESSES < 2:
        return 0, True
    drawn = 0
    with _RENDERER_LOCK:
        renderer = _current_renderer()
        pending = list(todo.items())
        running: dict = {}
        try:
            while pending or running:
                while pending and len(running) < DRAWING_PROCESSES:
                    entry, (kind, spec, scale) = pending.pop(0)
                    running[renderer.pool.submit(_DRAW, kind, spec, options, scale)] = (entry, kind,
                                                                                        time.monotonic() + RENDER_TIMEOUT)
                done, _ = wait(running, timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    entry, kind, _ = running.pop(future)
                    result = future.result()
                    _drawn_ahead[entry] = result
                    cache.put("charts", entry, result.encode("utf-8") if isinstance(result, str) else result)
                    drawn += 1
                if any(time.monotonic() > deadline for _, _, deadline in running.values()) or renderer.kill_over_memory():
                    raise FutureTimeout
        except Exception:  # noqa: BLE001 - whatever failed is drawn again by _draw, which says what and why
            close_renderer()
            return drawn, False
        finally:
            _pass_on(renderer.new_output())
    return drawn, True


def forget_drawn_ahead() -> None:
    """Drop the drawings ``draw_ahead`` made that no one asked for."""
    _drawn_ahead.clear()


@functools.lru_cache(maxsize=1)
def _drawing_tools() -> list[str]:
    """What decides a drawing besides its spec: vl-convert's version and the code of the child (with
    ``views``, whose rule on image addresses it applies)."""
    return [vl_convert.__version__, cache.source_digest(Path(chart_worker.__file__), Path(views.__file__))]


def _draw_now(chart: Chart, kind: str, spec: dict, options: dict, scale: float, shown_as: str | None = None):
    with _RENDERER_LOCK:
        renderer = _current_renderer()
        try:
            try:
                future = renderer.pool.submit(_DRAW, kind, spec, options, scale)
            except BrokenProcessPool:  # it broke on an earlier drawing, or starting up: start a new one
                close_renderer()
                renderer = _current_renderer()
                future = renderer.pool.submit(_DRAW, kind, spec, options, scale)
            result = _watched(renderer, future)
            _pass_on(renderer.new_output())
            return result
        except FutureTimeout:
            close_renderer()  # a stuck child is stopped, and replaced for the next drawing
            reason = f"drawing it took longer than {RENDER_TIMEOUT} seconds, so it was stopped"
        except BrokenProcessPool:
            panic = _panic_message(renderer.new_output())
            close_renderer()
            if renderer.over_memory:
                reason = (f"drawing it took more than {MAX_DRAW_BYTES // 1_000_000:,} MB of memory, so it was stopped "
                          "(a spec that makes very many values: an impute, a sequence, a density or bins)")
            else:
                reason = "the renderer (vl-convert) crashed while drawing it" + (f" ({panic})" if panic else "")
        except Exception as exc:  # vl-convert raises ValueError; whatever the child raises comes back here
            _pass_on(renderer.new_output())
            lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
            detail = next((line for line in lines[1:] if re.match(r"\w*Error\b", line)),
                          lines[0] if lines else type(exc).__name__)
            reason = f"the renderer (vl-convert) refused it: {_clipped(detail, 300)}"
    package, _, view = chart.key.partition("/")
    raise BuildError(f'the chart of view "{view or chart.name}" in package "{package}" could not be drawn as '
                     f"{shown_as or ('PNG' if kind == 'svg-png' else kind.upper())}: {reason}",
                     hint="nothing was published, and the last good site is as it was. Look in the view's spec "
                          "and in the rows it draws for what a chart cannot show (a control character such as "
                          "NUL in a label, a very long text, an expression that fails), run "
                          "python build.py validate, and if the view looks right, report it with the spec")


def _watched(renderer: _Renderer, future):
    """The drawing's result, watching the child: stopped when it runs over RENDER_TIMEOUT seconds
    (FutureTimeout) or over MAX_DRAW_BYTES of memory (BrokenProcessPool, with ``over_memory`` set)."""
    deadline = time.monotonic() + RENDER_TIMEOUT
    while True:
        try:
            return future.result(timeout=0.05)
        except FutureTimeout:
            if time.monotonic() > deadline:
                raise
            renderer.kill_over_memory()


def _resident_bytes(pid: int) -> int:
    """The memory a process holds (its resident set), from /proc; 0 where that cannot be read."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _pass_on(output: str) -> None:
    if output.strip():
        sys.stderr.write(output if output.endswith("\n") else output + "\n")


def _panic_message(output: str) -> str:
    """The message of a Rust panic in what the child printed: the line after "panicked at ...:"."""
    lines = output.splitlines()
    for n, line in enumerate(lines):
        if "panicked at" in line and n + 1 < len(lines) and lines[n + 1].strip():
            return _clipped(re.sub(r"[\x00-\x1f\x7f]", "?", lines[n + 1].strip()), 200)
    return ""


def render_svg(chart: Chart, width: int = WIDTH) -> str:
    """The chart as the page shows it without JavaScript (no title: the page gives it), ``width`` px
    wide: an SVG labelled for screen readers, see ``_accessible_svg``."""
    svg = _draw(chart, "svg", spec=_static_spec(chart.spec, width))
    return _accessible_svg(svg, chart_id(chart.key), chart.title, _svg_description(chart))


def export_spec(chart: Chart, credit: str = "") -> dict:
    """The spec of the chart's downloads: ``WIDTH`` px wide, with its title drawn and, below it, the
    credit line (source, licence, site), so that the image says where it comes from wherever it goes."""
    spec = _static_spec(chart.spec, WIDTH)
    title = spec.get("title")
    title = dict(title) if isinstance(title, dict) else {"text": title} if title else {"text": _title_lines(chart.title)}
    if credit.strip():
        title["subtitle"] = _credit_lines(" ".join(credit.split()))
        title["subtitlePadding"] = 6
        title["subtitleFontSize"] = 12
        title["offset"] = 14
    return {**spec, "title": title}


CREDIT_LINES = 3  # the most lines a download's credit takes; the rest is cut with an ellipsis


def _credit_lines(credit: str, width: int = 84, most: int = CREDIT_LINES) -> list[str]:
    """The credit line broken between its sentences (a sentence longer than a line, between words; a
    word longer than a line, within it), at most ``most`` lines, the last cut with "…" if more was to
    come: a contributor's long text never makes a line Vega must measure at length (red-team review)."""
    words = [word[i:i + width] for word in credit.split() for i in range(0, len(word), width)]
    credit = " ".join(words)[: (width + 1) * (most + 1)]  # enough for more than ``most`` lines
    lines: list[str] = []
    for sentence in re.split(r"(?<=\.) (?=[A-Z])", credit):
        if lines and len(lines[-1]) + 1 + len(sentence) <= width:
            lines[-1] += " " + sentence
        else:
            broken = _title_lines(sentence, width)
            lines += [broken] if isinstance(broken, str) else broken
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def render_export_svg(chart: Chart, credit: str = "") -> str:
    """The chart as the "Image (SVG)" download: title and credit line drawn (``export_spec``), labelled."""
    svg = _draw(chart, "svg", spec=export_spec(chart, credit))
    return _accessible_svg(svg, chart_id(chart.key), chart.title, _svg_description(chart))


def _svg_description(chart: Chart) -> str:
    """The drawing's description: what the chart shows, then every value read out; a sentence both
    end with (how a large table was aggregated) is said once."""
    readout = chart.text_alternative
    if chart.aggregation:
        readout = readout.removesuffix(chart.aggregation).strip()
    return chart.description if not readout or readout in chart.description else _join(chart.description, readout)


def _accessible_svg(svg: str, html_id: str, title: str, description: str) -> str:
    """vl-convert's SVG, which has no title or description, with ``role="img"``, a ``<title>`` and a
    ``<desc>`` that ``aria-labelledby`` names, without its XML declaration, and with its ids prefixed
    with the chart's. Its width and height stay: an image opens at the size it was drawn."""
    svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"^\s*<!DOCTYPE[^>]*>\s*", "", svg)
    svg = _prefix_ids(svg, html_id)
    match = re.match(r"<svg\b([^>]*)>", svg)
    if not match:
        raise BuildError("vl-convert returned something that is not an SVG drawing",
                         hint="check the vl-convert-python version against requirements.txt")
    attributes = re.sub(r'\s(role|aria-label|aria-labelledby)="[^"]*"', "", match.group(1))
    title_id, desc_id = f"{html_id}-title", f"{html_id}-desc"
    head = (f'<svg{attributes} role="img" aria-labelledby="{title_id} {desc_id}">'
            f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(description)}</desc>')
    return head + svg[match.end():]


def _prefix_ids(svg: str, prefix: str) -> str:
    ids = re.findall(r'\sid="([^"]+)"', svg)
    for old in sorted(set(ids), key=len, reverse=True):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg


def render_png(chart: Chart, credit: str = "") -> bytes:
    """The chart as a PNG at twice its size, for the "download PNG" link: the drawing of
    ``render_export_svg`` (title and credit line included), rasterised. Made from that SVG rather than
    drawn again from the spec: the same bytes, in half the time."""
    svg = _draw(chart, "svg", spec=export_spec(chart, credit), shown_as="PNG")
    return _draw(chart, "svg-png", scale=2, spec=svg)


def rows_csv(chart: Chart) -> str:
    """The rows the chart draws as CSV, header first. Cells are written as they are: a cell that
    starts with "=" stays as the data has it (the site publishes data, it does not rewrite it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")  # as the site's other CSV downloads
    writer.writerow(chart.columns)
    for row in chart.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """The JavaScript the site hosts itself (vega-embed.js): Vega, Vega-Lite and vega-embed in one file.

    What the bundle offers, read from it (vl-convert 1.9: Vega 6.2, vega-embed 7.0.2):

    * only what the snippet assigns reaches ``window`` (the default snippet also sets ``vega`` and
      ``vegaLite``); the site needs ``vegaEmbed`` alone.
    * the expression interpreter: Vega 6 exports no ``expressionInterpreter`` and the snippet can
      import nothing, but vega-embed 7 bundles vega-interpreter and, given ``{ast: true}``, runs the
      view with ``vega.expressionInterpreter ?? options.expr ?? <its own interpreter>``. So
      ``ast: true`` alone keeps expressions out of ``new Function``: the page needs no
      ``unsafe-eval``. (The bundle still contains ``Function(`` in Vega's code generator and in
      d3-dsv's CSV parser; neither runs for an inline-data spec embedded with ``ast: true``.)

    The same version gives the same bytes on every call (checked by a test); about 0.9 MB. Making it
    takes 2.5 s, so it is kept in the build cache, keyed on vl-convert's version and the snippet.
    """
    ahead = _bundle_ahead.pop() if _bundle_ahead else None

    def make() -> bytes:
        if ahead is not None:
            try:
                return ahead.result()
            except BrokenProcessPool:
                close_renderer()
        return chart_worker.bundle(BUNDLE_SNIPPET, VEGA_LITE_VERSION)

    return cache.memo("assets", _BUNDLE_KEY, make).decode("utf-8")


def prepare_vega_bundle() -> None:
    """Start making the Vega bundle, when the cache does not have it, in the drawing process, which it
    starts: a cold build has the bundle by the time it needs it, instead of waiting 2.5 s then."""
    if _bundle_ahead or cache.get("assets", cache.key("assets", *_BUNDLE_KEY)) is not None:
        return
    try:
        _bundle_ahead.append(_current_renderer().pool.submit(chart_worker.bundle, BUNDLE_SNIPPET, VEGA_LITE_VERSION))
    except BrokenProcessPool:
        close_renderer()  # made when needed instead


_BUNDLE_KEY = ["vega-bundle", vl_convert.__version__, BUNDLE_SNIPPET, VEGA_LITE_VERSION]
_bundle_ahead: list[Future] = []  # the bundle being made by prepare_vega_bundle
