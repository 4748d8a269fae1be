"""Charts are values: every declared view builds, draws what its data says, and reads out the same.

One parametrised test builds every view of every package shipped or kept as test input, and checks
the chart against the CSV files read here with the csv module, not with the code under test.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from frictionless import Package

from conftest import CORPUS, NEXUS, ROOT
from opentally import charts
from opentally.charts import Field, Table, UnsupportedView
from opentally.issues import BuildError

SVG = "{http://www.w3.org/2000/svg}"
PACKAGES = sorted([*(ROOT / "datapackages").iterdir(), *CORPUS.iterdir()])


def descriptor(package: Path) -> dict:
    return json.loads((package / "datapackage.json").read_text(encoding="utf-8"))


def declared_views() -> list:
    return [pytest.param(package, view, id=f"{package.name}/{view['name']}")
            for package in PACKAGES if (package / "datapackage.json").is_file()
            for view in descriptor(package).get("views", [])]


def read_tables(package: Path) -> dict[str, Table]:
    return charts.tables_from_package(Package(str(package / "datapackage.json")))


@functools.lru_cache(maxsize=None)
def tables_of(package: Path) -> dict[str, Table]:
    return read_tables(package)


def build(package: Path, view: dict) -> charts.Chart:
    return charts.build_chart(view, tables_of(package), f"{package.name}/{view['name']}")


# --- what the CSV files say, read independently ---------------------------------------------------

def csv_rows(package: Path, resource_name: str) -> list[dict[str, str]]:
    resource = next(r for r in descriptor(package)["resources"] if r["name"] == resource_name)
    with open(package / resource["path"], newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def filtered_csv_rows(package: Path, view: dict) -> list[dict[str, str]]:
    """The rows of the view's resources after its field filters, as the CSV text has them."""
    rows = [row for name in view["resources"] for row in csv_rows(package, name)]
    for transform in view["spec"].get("transform", []) if view["specType"] == "vega-lite" else []:
        predicate = transform.get("filter", {})
        if "equal" in predicate:
            rows = [r for r in rows if r[predicate["field"]] == str(predicate["equal"])]
        elif "oneOf" in predicate:
            rows = [r for r in rows if r[predicate["field"]] in {str(v) for v in predicate["oneOf"]}]
    return rows


def same_cell(text: str, value) -> bool:
    """A CSV cell and a chart value say the same: numbers compared as numbers, empty as None."""
    if value is None:
        return text == ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(text) == Decimal(str(value))
    return text == value


def encoded_fields(spec: dict) -> set[str]:
    found = set()
    for node in walk(spec):
        for definition in (node.get("encoding") or {}).values():
            for d in definition if isinstance(definition, list) else [definition]:
                if isinstance(d, dict) and isinstance(d.get("field"), str):
                    found.add(d["field"])
    return found


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def inline_values(spec: dict) -> list[dict]:
    data = spec["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def units(spec: dict) -> list[dict]:
    return [node for node in walk(spec) if "mark" in node]


# --- every declared view --------------------------------------------------------------------------

@pytest.mark.parametrize("package, view", declared_views())
def test_every_declared_view_builds_a_chart_of_exactly_its_data(package, view):
    chart = build(package, view)

    assert chart.key == f"{package.name}/{view['name']}"
    assert chart.title == view.get("title") or chart.title == tables_of(package)[view["resources"][0]].title
    assert chart.spec["description"] == chart.description
    if view.get("description"):
        assert chart.description.startswith(view["description"])
    # The generated part is sentences written from the data, not "Bar chart of X by Y"; the text
    # alternative reads out the values the table holds.
    generated = chart.description[len(view.get("description", "")):]
    assert generated.strip().endswith(".") and "chart of" not in generated.lower()
    assert re.search(r"\b(largest|larger|highest)\b", generated)
    assert re.match(r"(Bar|Line) chart\. ", chart.text_alternative)
    expected = filtered_csv_rows(package, view)
    if len(expected) <= charts.MAX_LISTED:
        for row in chart.rows:
            assert str(row[0]) in chart.text_alternative
    else:
        assert f"{len(expected):,} points" in chart.text_alternative

    # The rows drawn (and shown as "show data") are exactly the CSV rows the view selects.
    assert set(chart.columns) >= encoded_fields(chart.spec) - {"series", "value"}
    assert len(chart.rows) == len(expected)
    for row, csv_row in zip(chart.rows, expected):
        assert all(same_cell(csv_row[c], v) for c, v in zip(chart.columns, row)), (row, csv_row)
    assert inline_values(chart.spec) == [dict(zip(chart.columns, row)) for row in chart.rows]

    # Every mark answers a pointer: the unit has a tooltip (its own or its layer's), or the hover layer
    # beside it has one.
    encodings = [{**inherited, **(u.get("encoding") or {})} for u, inherited in charts._units_of(chart.spec)]
    assert any("tooltip" in e for e in encodings)
    assert all("tooltip" in e or u["mark"] != "point" for e, u in zip(encodings, units(chart.spec)))


@pytest.mark.parametrize("package, view", declared_views())
def test_every_declared_view_renders_labelled_svg_and_png(package, view):
    chart = build(package, view)
    svg = charts.render_svg(chart)

    assert not svg.startswith("<?xml") and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    html_id = charts.chart_id(chart.key)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{html_id}-title {html_id}-desc"
    assert (root[0].tag, root[0].get("id"), root[0].text) == (f"{SVG}title", f"{html_id}-title", chart.title)
    # What the chart shows, then every value; how a large table was aggregated is said once.
    readout = chart.text_alternative.removesuffix(chart.aggregation or "").strip()
    assert (root[1].tag, root[1].get("id"), root[1].text) == (f"{SVG}desc", f"{html_id}-desc", f"{chart.description} {readout}")
    assert chart.aggregation is None or root[1].text.count(chart.aggregation) == 1
    # An image opens at the size it was drawn: 600 px for wide screens, 340 px for phones.
    assert root.get("width") == str(charts.WIDTH) and root.get("viewBox").startswith(f"0 0 {charts.WIDTH} ")
    narrow = ET.fromstring(charts.render_svg(chart, charts.NARROW_WIDTH))
    assert narrow.get("width") == str(charts.NARROW_WIDTH)
    assert charts.render_png(chart).startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("package, view", declared_views())
def test_every_declared_view_is_the_same_bytes_when_built_again(package, view):
    first = charts.build_chart(view, read_tables(package), f"{package.name}/{view['name']}")
    second = charts.build_chart(view, read_tables(package), f"{package.name}/{view['name']}")
    assert charts.spec_json(first) == charts.spec_json(second)
    assert charts.render_svg(first) == charts.render_svg(second)
    assert charts.render_png(first) == charts.render_png(second)


def test_drawings_made_ahead_on_every_core_are_the_bytes_drawn_one_at_a_time_and_a_failure_is_named(monkeypatch):
    """``draw_ahead`` draws every drawing of every chart in parallel; each is then the same bytes as a
    drawing made alone, and a drawing that fails is drawn again alone, which names its chart."""
    from opentally import cache

    monkeypatch.setattr(cache, "_folder", None)
    built = [build(*p.values) for p in declared_views()][:6]
    credit = "Source: a test. Licence: a test."
    requests = [r for chart in built for r in charts.drawings_of(chart, credit)]
    assert charts.draw_ahead(requests) == len(requests) == 4 * len(built)

    def no_drawing(*args, **kwargs):
        raise AssertionError("drawn again, one at a time")

    with monkeypatch.context() as m:
        m.setattr(charts, "_draw_now", no_drawing)
        ahead = [(charts.render_export_svg(c, credit), charts.render_png(c, credit), charts.render_svg(c),
                  charts.render_svg(c, charts.NARROW_WIDTH)) for c in built]
    charts.forget_drawn_ahead()
    alone = [(charts.render_export_svg(c, credit), charts.render_png(c, credit), charts.render_svg(c),
              charts.render_svg(c, charts.NARROW_WIDTH)) for c in built]
    assert ahead == alone

    # A spec vl-convert refuses: the others are drawn ahead, and that one is named when drawn alone.
    broken = dataclasses.replace(built[0], key="p/broken", spec={**built[0].spec, "mark": "no-such-mark", "layer": None})
    requests = charts.drawings_of(built[1], "other") + charts.drawings_of(broken, "other")
    assert charts.draw_ahead(requests) < len(requests)
    with pytest.raises(BuildError, match='view "broken" in package "p"'):
        charts.render_png(broken, "other")
    charts.forget_drawn_ahead()


def test_the_png_is_its_svg_rasterised_the_same_bytes_as_drawing_it_from_the_spec(monkeypatch):
    """``render_png`` rasterises the export SVG instead of running Vega again: the same PNG."""
    import vl_convert

    from opentally import cache

    monkeypatch.setattr(cache, "_folder", None)
    for param in [p for p in declared_views() if p.values[0] == NEXUS][:3]:
        chart = build(*param.values)
        spec = charts.export_spec(chart, "Source: a test. Licence: a test.")
        expected = vl_convert.vegalite_to_png(spec, scale=2, **charts._vl_convert_options())
        assert charts.render_png(chart, "Source: a test. Licence: a test.") == expected


# --- the text alternative, exactly ----------------------------------------------------------------

def nexus_view(name: str) -> dict:
    return next(v for v in descriptor(NEXUS)["views"] if v["name"] == name)


def test_a_bar_chart_reads_out_every_bar_with_its_unit_and_qualifier():
    chart = build(NEXUS, nexus_view("custody-funnel"))
    assert chart.text_alternative == (
        "Bar chart. Through MPS custody: 207,000 people (rounded); "
        "Foreign nationals: 58,000 people (rounded); Detained by HOIE: 977 people (exact); "
        "Given reporting conditions: 903 people (exact).")


def test_a_bar_chart_is_described_in_sentences_from_its_view_and_its_largest_and_smallest_values():
    chart = build(NEXUS, nexus_view("custody-funnel"))
    assert chart.description == (
        nexus_view("custody-funnel")["description"] + " Through MPS custody is the largest, 207,000 people "
        "(rounded); Given reporting conditions the smallest, 903 people (exact).")
    assert chart.spec["description"] == chart.description
    two = build(NEXUS, nexus_view("referral-rate-aspiration"))
    assert two.description.endswith(" Aspiration by December 2013 is the larger, 100 referrals per week "
                                    "(aspiration); Current rate the smaller, 30 referrals per week (exact).")
    tied = build(NEXUS, nexus_view("targets-against-results"))
    assert tied.description.endswith(" High harm referrals (target, per week) (target) and Aspiration by December "
                                     "2013 (aspiration) are the largest, 100 referrals per week each; Current rate "
                                     "the smallest, 30 referrals per week (exact).")


def test_bars_sorted_by_value_are_read_out_in_the_order_drawn():
    chart = build(NEXUS, nexus_view("high-harm-outcomes"))
    assert chart.text_alternative == (
        "Bar chart. In custody or monitored: 83 people; "
        "On restrictive reporting conditions: 74 people; Removed from the UK: 37 people.")


def test_a_long_line_is_summarised_from_its_data():
    package = CORPUS / "bond-yields-uk-10y"
    chart = build(package, descriptor(package)["views"][0])
    rates = [float(r["Rate"]) for r in csv_rows(package, "quarterly")]
    assert (min(rates), max(rates)) == (0.2501, 12.1725)
    # What a reader sees: the trend from first to last, and the extremes.
    assert chart.description == (
        "Rate fell from 10.98 (31 March 1984) to 4.52 (31 December 2025); the highest was 12.17 "
        "(30 June 1990), the lowest 0.2501 (30 September 2020).")
    assert chart.text_alternative == (
        "Line chart. 168 points from 31 March 1984 to 31 December 2025, "
        "lowest 0.2501 (30 September 2020), highest 12.17 (30 June 1990).")


def test_views_that_combine_resources_stack_their_rows():
    chart = build(NEXUS, nexus_view("targets-against-results"))
    assert chart.rows == (("High harm referrals (target, per week)", 100, "target"),
                          ("Current rate", 30, "exact"), ("Aspiration by December 2013", 100, "aspiration"))
    assert "transform" not in chart.spec  # applied by the build, so the spec draws exactly these rows


# --- the spec: theme, time, tooltips ----------------------------------------------------------------

def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_theme_is_readable_and_colour_blind_safe():
    config = build(NEXUS, nexus_view("custody-funnel")).spec["config"]
    background = "#ffffff" if config["background"] == "white" else config["background"]
    assert config["range"]["category"] == list(charts.PALETTE)
    assert "#F0E442" not in config["range"]["category"]  # Okabe-Ito yellow is 1.3:1 on white
    # The first five colours meet 3:1 on their own; bars all have a dark outline that does.
    assert all(contrast(c, background) >= 3 for c in charts.PALETTE[:5])
    assert contrast(config["bar"]["stroke"], background) >= 3
    for part in ("axis", "legend", "header"):
        assert config[part]["labelFontSize"] >= 12 and 13 <= config[part]["titleFontSize"] <= 14
        assert contrast(config[part]["labelColor"], background) >= 4.5
        assert contrast(config[part]["titleColor"], background) >= 4.5
    assert 13 <= config["title"]["fontSize"] <= 14 and contrast(config["title"]["color"], background) >= 4.5
    assert config["numberFormat"] == ",~f"
    assert config["font"].startswith("Liberation Sans,")


def test_a_date_axis_is_on_utc_and_the_line_tooltip_sits_on_points():
    package = CORPUS / "bond-yields-uk-10y"
    chart = build(package, descriptor(package)["views"][0])
    drawn, hover = chart.spec["layer"]
    assert drawn["mark"]["type"] == "line" and "tooltip" not in drawn["encoding"]
    assert drawn["encoding"]["x"]["scale"] == {"type": "utc"}
    assert hover["name"] == charts.HOVER_LAYER
    assert hover["mark"] == {"type": "point", "opacity": 0, "size": 120, "aria": False}
    assert hover["encoding"]["tooltip"] == [
        {"field": "Date", "type": "temporal", "timeUnit": "utcyearmonthdate", "format": "%-d %b %Y", "title": "Date"},
        {"field": "Rate", "type": "quantitative", "title": "Rate"}]
    assert chart.spec["width"] == "container"
    # The static drawing has no pointer: no invisible points in it.
    svg = charts.render_svg(chart)
    assert 'class="mark-line' in svg and 'class="mark-symbol' not in svg


def test_the_static_drawing_is_the_same_in_every_time_zone():
    package = CORPUS / "bond-yields-uk-10y"
    here = charts.render_svg(build(package, descriptor(package)["views"][0]))
    script = ("import sys, json; from conftest import CORPUS; import test_charts as t; "
              "p = CORPUS / 'bond-yields-uk-10y'; "
              "sys.stdout.write(t.charts.render_svg(t.build(p, t.descriptor(p)['views'][0])))")
    for zone in ("America/New_York", "Asia/Tokyo"):
        env = {**os.environ, "TZ": zone, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                                cwd=ROOT, check=True)
        assert result.stdout == here, zone


def test_dates_in_a_vega_lite_view_are_read_as_utc_in_axes_and_tooltips():
    spec = {"mark": "line", "encoding": {"x": {"field": "day", "type": "temporal"},
                                         "y": {"field": "value", "type": "quantitative"},
                                         "color": {"field": "day", "type": "temporal", "timeUnit": "month"}}}
    chart = charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    drawn, hover = chart.spec["layer"]
    assert drawn["encoding"]["x"]["scale"] == {"type": "utc"}
    assert drawn["encoding"]["color"]["timeUnit"] == "utcmonth"
    assert hover["encoding"]["tooltip"][0] == {"field": "day", "type": "temporal", "title": "Day",
                                               "timeUnit": "utcyearmonthdate", "format": "%-d %b %Y"}


def test_a_publishers_tooltip_and_titles_are_kept():
    spec = {"mark": "bar", "encoding": {
        "x": {"field": "value", "type": "quantitative", "title": "Count"},
        "y": {"field": "label", "type": "nominal"},
        "tooltip": [{"field": "label", "type": "nominal"}]}}
    chart = charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    assert chart.spec["encoding"]["tooltip"] == [{"field": "label", "type": "nominal", "title": "Label"}]
    assert chart.spec["encoding"]["x"]["title"] == "Count"
    assert chart.spec["encoding"]["y"]["title"] == "Label"  # from the schema


def test_a_simple_view_of_several_series_folds_them_by_colour():
    table = Table("t", (Field("year", "year", "Year"), Field("a", "number", "A", unit="%"),
                        Field("b", "number", "B", unit="%")),
                  tuple({"year": 2000 + n, "a": Decimal(n), "b": Decimal(n) / 2} for n in range(3)))
    simple = {"name": "v", "resources": ["t"], "specType": "simple",
              "spec": {"type": "lines-and-points", "group": "year", "series": ["a", "b"]}}
    chart = charts.build_chart(simple, {"t": table}, "p/v")
    assert chart.rows == (("2000", 0, 0), ("2001", 1, 0.5), ("2002", 2, 1))
    drawn = chart.spec["layer"][0]
    assert chart.spec["transform"] == [{"fold": ["a", "b"], "as": ["series", "value"]}]
    assert drawn["encoding"]["color"] == {"field": "series", "type": "nominal", "title": "Series", "sort": ["a", "b"]}
    assert drawn["encoding"]["y"]["title"] == "Value (%)"
    assert drawn["mark"] == {"type": "line", "point": True}
    assert chart.text_alternative == ("Line chart. 2000: 0% (A (%)); 2000: 0% (B (%)); "
                                      "2001: 1% (A (%)); 2001: 0.5% (B (%)); 2002: 2% (A (%)); 2002: 1% (B (%)).")
    assert chart.description == ("A (%) rose from 0% (2000) to 2% (2002); the highest was 2% (2002), the lowest "
                                 "0% (2000). B (%) rose from 0% (2000) to 1% (2002); the highest was 1% (2002), "
                                 "the lowest 0% (2000).")


# --- filters ----------------------------------------------------------------------------------------

def small_table(rows: int = 6) -> Table:
    fields = (Field("label", "string", "Label"), Field("value", "integer", "Value"), Field("kind", "string"),
              Field("day", "date", "Day"))
    return Table("t", fields, tuple(
        {"label": f"L{n}", "value": n * 10, "kind": "ab"[n % 2], "day": dt.date(2020, 1, 1 + n)}
        for n in range(rows)), title="Small table")


def view(spec: dict, resources=("t",), **extra) -> dict:
    return {"name": "v", "resources": list(resources), "specType": "vega-lite", "spec": spec, **extra}


def test_leading_filters_are_applied_and_dropped_and_later_transforms_kept():
    spec = {"mark": "bar",
            "transform": [{"filter": {"field": "kind", "oneOf": ["a"]}},
                          {"filter": {"not": {"field": "value", "range": [10, 25]}}},
                          {"calculate": "datum.value * 2", "as": "double"},
                          {"filter": {"field": "double", "gt": 0}}],
            "encoding": {"y": {"field": "label", "type": "nominal"}, "x": {"field": "double", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    assert chart.columns == ("label", "value")  # "value" is read by the calculate expression
    assert chart.rows == (("L0", 0), ("L4", 40))
    assert chart.spec["transform"] == [{"calculate": "datum.value * 2", "as": "double"},
                                       {"filter": {"field": "double", "gt": 0}}]


@pytest.mark.parametrize("predicate, labels", [
    ({"field": "value", "equal": 20}, ["L2"]),
    ({"field": "value", "equal": "20"}, []),      # as Vega-Lite: text is not a number
    ({"field": "value", "lt": 20}, ["L0", "L1"]),
    ({"field": "value", "gte": 40}, ["L4", "L5"]),
    ({"field": "value", "range": [15, None]}, ["L2", "L3", "L4", "L5"]),
    ({"field": "day", "equal": "2020-01-02"}, ["L1"]),
    ({"or": [{"field": "label", "equal": "L0"}, {"field": "label", "equal": "L5"}]}, ["L0", "L5"]),
    ({"and": [{"field": "kind", "equal": "b"}, {"field": "value", "lte": 30}]}, ["L1", "L3"]),
], ids=["equal", "equal-text", "lt", "gte", "range-open", "date", "or", "and"])
def test_field_predicates(predicate, labels):
    spec = {"mark": "bar", "transform": [{"filter": predicate}],
            "encoding": {"y": {"field": "label", "type": "nominal"}, "x": {"field": "value", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    assert [row[0] for row in chart.rows] == labels


def test_a_filter_the_build_cannot_apply_is_left_to_vega_lite():
    date_range = {"filter": {"field": "day", "range": [{"year": 2020, "month": 1, "date": 3}, None]}}
    spec = {"mark": "bar", "transform": [date_range],
            "encoding": {"y": {"field": "label", "type": "nominal"}, "x": {"field": "value", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    assert chart.spec["transform"] == [date_range]
    assert chart.columns == ("label", "value", "day") and len(chart.rows) == 6


# --- large tables -----------------------------------------------------------------------------------

def daily_table(rows: int) -> Table:
    start = dt.date(2000, 1, 1)
    return Table("big", (Field("day", "date", "Day"), Field("rate", "number", "Rate"),
                         Field("area", "string", "Area")),
                 tuple({"day": start + dt.timedelta(days=n), "rate": Decimal(n % 100), "area": f"A{n % 4}"}
                       for n in range(rows)))


def test_a_200000_row_line_is_drawn_as_at_most_2000_means():
    simple = {"name": "daily", "resources": ["big"], "specType": "simple",
              "spec": {"type": "line", "group": "day", "series": ["rate"]}}
    chart = charts.build_chart(simple, {"big": daily_table(200_000)}, "p/daily")

    assert len(chart.rows) == 2_000 <= charts.MAX_POINTS
    assert len(charts.spec_json(chart).encode()) < 300_000
    # 200,000 days in 2,000 intervals of 100 days; the rate runs 0..99 over each: every mean is 49.5.
    assert chart.rows[0] == ("2000-01-01", 49.5)
    assert chart.rows[1] == ("2000-04-10", 49.5)
    assert {row[1] for row in chart.rows} == {49.5}
    assert chart.source_rows == 200_000
    assert chart.aggregation == ("The table has 200,000 rows, more than a chart can hold: the chart shows the mean "
                                 "of Rate for each 100-day interval of Day, 2,000 points.")
    assert chart.description.endswith(chart.aggregation)


def test_a_200000_row_bar_chart_is_drawn_as_one_total_per_bar():
    spec = {"mark": "bar", "encoding": {"y": {"field": "area", "type": "nominal"},
                                        "x": {"field": "rate", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec, resources=("big",)), {"big": daily_table(200_000)}, "p/v")
    # Bars of the same category stack, so the total is what a reader sees.
    assert chart.rows == tuple((sum(n % 100 for n in range(200_000) if n % 4 == a), f"A{a}") for a in range(4))
    assert chart.columns == ("rate", "area")
    assert "the sum of Rate for each Area, 4 points" in chart.description


def test_a_thousand_bars_are_drawn_as_the_forty_largest_and_the_drawing_stays_small():
    """A bar per category beyond MAX_CATEGORIES cannot be read: the chart keeps the largest and says so;
    the drawings stay the size of a page (a thousand labelled bars made a PNG of over 700 MB)."""
    table = Table("t", (Field("id", "string", "Row"), Field("count", "integer", "Count")),
                  tuple({"id": f"r{n:04d}", "count": (n * 37) % 997} for n in range(1_000)))
    simple = {"name": "rows", "resources": ["t"], "specType": "simple",
              "spec": {"type": "bar", "group": "id", "series": ["count"]}}
    chart = charts.build_chart(simple, {"t": table}, "p/rows")

    largest = sorted(table.rows, key=lambda r: (-r["count"], r["id"]))[:charts.MAX_CATEGORIES]
    assert chart.rows == tuple((r["id"], r["count"]) for r in largest)
    assert chart.source_rows == 1_000
    assert chart.aggregation == ("The table has 1,000 Row values, more bars than can be read: the chart shows the 40 "
                                 "with the largest Count (sum of their rows); the table has them all.")
    assert chart.description.endswith(chart.aggregation)
    # A label is the publisher's text: "r0536 is the largest", never "R0536".
    assert chart.description.startswith(f"{largest[0]['id']} is the largest, {largest[0]['count']:,};")
    svg = charts.render_svg(chart, 600)
    height = float(re.search(r'<svg[^>]* height="([\d.]+)"', svg).group(1))
    assert height < 2_500, height
    assert len(charts.render_png(chart)) < 1_000_000

    # The same rule for a publisher's vega-lite bars.
    spec = {"mark": "bar", "encoding": {"y": {"field": "id", "type": "nominal"},
                                        "x": {"field": "count", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec), {"t": table}, "p/v")
    assert len(chart.rows) == charts.MAX_CATEGORIES and chart.aggregation.startswith("The table has 1,000 Row values")
    # Forty bars are kept as they are.
    few = Table("t", table.fields, table.rows[:charts.MAX_CATEGORIES])
    assert charts.build_chart(simple, {"t": few}, "p/rows").aggregation is None


def test_a_large_view_that_cannot_be_aggregated_shows_its_table_instead():
    spec = {"layer": [{"mark": "bar"}, {"mark": "rule"}],
            "encoding": {"y": {"field": "area", "type": "nominal"}, "x": {"field": "rate", "type": "quantitative"}}}
    with pytest.raises(UnsupportedView) as caught:
        charts.build_chart(view(spec, resources=("big",)), {"big": daily_table(3_000)}, "p/v")
    assert caught.value.reason == (
        "the view draws 3,000 rows, more than a chart can hold (2,000), and its spec is not one that can be "
        "aggregated (a single chart with one value along an axis), so its data is shown as a table")


# --- views that cannot be drawn ---------------------------------------------------------------------

def test_an_unknown_spec_type_is_unsupported_and_its_data_is_a_table():
    plot = {"name": "p", "resources": ["t"], "specType": "plot", "spec": {}}
    with pytest.raises(UnsupportedView) as caught:
        charts.build_chart(plot, {"t": small_table()}, "p/p")
    assert caught.value.reason == ('the view\'s specType "plot" is not one this site draws ("simple" or '
                                   '"vega-lite"), so its data is shown as a table')
    columns, rows = charts.data_for_view(plot, {"t": small_table()}, limit=2)
    assert columns == ("label", "value", "kind", "day")
    assert rows == (("L0", 0, "a", "2020-01-01"), ("L1", 10, "b", "2020-01-02"))


def test_a_view_with_a_problem_stops_the_build_with_its_message():
    spec = {"mark": "bar", "encoding": {"x": {"field": "valu", "type": "quantitative"}}}
    with pytest.raises(BuildError) as caught:
        charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    assert caught.value.message == 'p/v: view "v" uses field "valu", which resource "t" does not have'
    assert caught.value.hint == 'use a field of "t" ("label", "value", "kind", "day"); names are case-sensitive'


def test_a_spec_that_is_not_vega_lite_stops_the_build():
    with pytest.raises(BuildError) as caught:
        charts.build_chart(view({"mark": "blob", "encoding": {}}), {"t": small_table()}, "p/v")
    assert caught.value.message.startswith("the view's spec is not valid Vega-Lite 6.4: ")


# --- output -----------------------------------------------------------------------------------------

def test_rows_csv_writes_the_drawn_rows_as_they_are():
    table = Table("t", (Field("label", "string"), Field("value", "number")),
                  ({"label": "=1+1", "value": Decimal("2.5")}, {"label": 'say "hi", then', "value": None}))
    spec = {"mark": "bar", "encoding": {"y": {"field": "label", "type": "nominal"},
                                        "x": {"field": "value", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec), {"t": table}, "p/v")
    assert charts.rows_csv(chart) == 'label,value\n=1+1,2.5\n"say ""hi"", then",\n'


def test_svg_text_is_escaped_and_ids_are_the_charts_own():
    spec = {"mark": {"type": "bar", "clip": True}, "title": 'Rates <b>&</b> "more"',
            "encoding": {"y": {"field": "label", "type": "nominal"}, "x": {"field": "value", "type": "quantitative"}}}
    one = charts.render_svg(charts.build_chart(view(spec), {"t": small_table()}, "p/one"))
    two = charts.render_svg(charts.build_chart(view(spec), {"t": small_table()}, "p/two"))
    root = ET.fromstring(one)
    assert root[0].text == 'Rates <b>&</b> "more"'
    ids_one, ids_two = set(re.findall(r'\sid="([^"]+)"', one)), set(re.findall(r'\sid="([^"]+)"', two))
    assert len(ids_one) > 2  # a clip path besides the title and desc
    assert all(i.startswith("chart-p-one-") for i in ids_one) and not ids_one & ids_two
    assert set(re.findall(r"url\(#([^)]+)\)", one)) <= ids_one


def test_chart_ids_are_valid_and_stable():
    assert charts.chart_id("operation-nexus/custody-funnel") == "chart-operation-nexus-custody-funnel"
    assert charts.chart_id("bond yields/10y graph") == "chart-bond-yields-10y-graph"


def test_the_vega_bundle_is_the_same_bytes_every_time_and_interprets_expressions(tmp_path, monkeypatch):
    from opentally import cache

    monkeypatch.setattr(cache, "_folder", None)  # made twice by vl-convert, not once and then read back
    first, second = charts.vega_bundle.__wrapped__(), charts.vega_bundle.__wrapped__()
    assert first == second
    monkeypatch.setattr(cache, "_folder", tmp_path)
    assert charts.vega_bundle.__wrapped__() == first  # made and kept
    assert list(tmp_path.glob("assets/*/*")) and charts.vega_bundle.__wrapped__() == first  # read back
    # Only what the snippet assigns reaches window (the default snippet would add vega and vegaLite).
    assert re.search(r"window\.vegaEmbed=\$?\w+;\s*$", first) and "window.vega=" not in first
    # vega-embed 7 falls back to its own vega-interpreter when given {ast: true}: charts.js relies on it.
    assert "expressionInterpreter??" in first
    assert 500_000 < len(first.encode()) < 1_500_000


def test_charts_js_is_small_loads_only_the_bundle_and_never_evaluates_code():
    script = (ROOT / "templates" / "assets" / "charts.js").read_text(encoding="utf-8")
    assert len(re.sub(r"/\*.*?\*/|//[^\n]*", "", script, flags=re.S).encode()) < 4_500  # code, not comments
    assert "ast: true" in script and '"vega-embed.js"' in script and "document.currentScript" in script
    assert "document$" in script and "console.warn" in script
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", script, flags=re.S)
    for forbidden in ("eval(", "Function(", "innerHTML", "fetch(", "XMLHttpRequest", "console.error", "onload="):
        assert forbidden not in code


# --- charts that fit and tell (issue 10) ------------------------------------------------------------

def test_each_qualifier_has_one_colour_that_is_colour_blind_safe_and_outlined_where_light():
    okabe_ito = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9"}
    colours = charts.QUALIFIER_COLOURS
    assert set(colours) >= {"exact", "rounded", "approximate", "lower bound", "target", "aspiration", "planned",
                            "estimate"}
    assert len(set(colours.values())) == len(colours)  # one colour per meaning, none shared
    assert set(colours.values()) - okabe_ito <= {"#595959"}  # Okabe-Ito, and a neutral grey
    # Every qualifier the shipped schemas allow has its colour.
    schema = json.loads((NEXUS / "schemas" / "observation.json").read_text(encoding="utf-8"))
    allowed = next(f for f in schema["fields"] if f["name"] == "qualifier")["constraints"]["enum"]
    assert set(allowed) <= set(colours)
    # Those under 3:1 on white go only on bars, whose outline meets 3:1.
    light = {q for q, c in colours.items() if contrast(c, "#ffffff") < 3}
    assert light == {"aspiration", "planned"}
    assert contrast(charts.THEME["bar"]["stroke"], "#ffffff") >= 3


def test_the_qualifier_colour_map_gives_known_values_their_colour_and_others_the_rest_in_order():
    assert charts.qualifier_colours(["rounded", "exact", "rounded"]) == (
        ["exact", "rounded"], ["#0072B2", "#009E73"])
    domain, colours = charts.qualifier_colours(["provisional", "exact", "revised"])
    assert domain == ["exact", "provisional", "revised"]
    assert colours[0] == "#0072B2" and colours[1:] == [c for c in charts.PALETTE if c != "#0072B2"][:2]
    assert charts.qualifier_colours(["provisional", "exact", "revised"]) == (domain, colours)


def test_every_chart_that_colours_by_qualifier_uses_the_map_and_a_publishers_scale_is_kept():
    for name in ("custody-funnel", "targets-against-results", "referral-rate-aspiration", "foreign-national-share"):
        chart = build(NEXUS, nexus_view(name))
        color = chart.spec["encoding"]["color"]
        present = list(dict.fromkeys(row[chart.columns.index("qualifier")] for row in chart.rows))
        assert sorted(color["scale"]["domain"]) == sorted(present), name
        assert color["scale"]["range"] == [charts.QUALIFIER_COLOURS[q] for q in color["scale"]["domain"]], name
    spec = {"mark": "bar", "encoding": {"y": {"field": "label", "type": "nominal"},
                                        "x": {"field": "value", "type": "quantitative"},
                                        "color": {"field": "kind", "type": "nominal", "scale": {"scheme": "greys"}}}}
    chart = charts.build_chart(view(spec), {"t": small_table()}, "p/v")
    assert chart.spec["encoding"]["color"]["scale"] == {"scheme": "greys"}


def test_horizontal_bars_have_their_labels_above_and_their_values_beside_them_and_a_height_in_pixels():
    chart = build(NEXUS, nexus_view("custody-funnel"))
    spec = chart.spec
    bars, labels = spec["layer"]
    assert bars["mark"] == {"type": "bar"}
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "value"
    axis = spec["encoding"]["y"]["axis"]
    assert axis["labelAlign"] == "left" and axis["labelLimit"] == 0 and "split(" in axis["labelExpr"]
    # No height in steps: Vega-Lite cannot fit it to the container and warns in the reader's console.
    assert isinstance(spec["height"], int) and spec["width"] == "container"
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["encoding"]["color"]["legend"]["orient"] == "bottom"
    assert "title" not in spec  # the page gives the title in HTML, where it wraps
    # A sort by value is spelt so that the two layers' domains can be unioned.
    sorted_bars = build(NEXUS, nexus_view("high-harm-outcomes")).spec
    assert sorted_bars["encoding"]["y"]["sort"] == {"field": "value", "op": "max", "order": "descending"}


def test_the_phone_drawing_wraps_a_long_label_and_grows_to_hold_it():
    table = Table("t", (Field("label", "string", "Where"), Field("value", "integer", "Count")),
                  ({"label": "Short", "value": 5},
                   {"label": "A label far too long to sit on one line of a phone's chart beside its bar", "value": 7}))
    spec = {"mark": "bar", "encoding": {"y": {"field": "label", "type": "nominal"},
                                        "x": {"field": "value", "type": "quantitative"}}}
    chart = charts.build_chart(view(spec), {"t": table}, "p/v")
    assert charts._wrapped(table.rows[1]["label"]) == ["A label far too long to sit on one line of a",
                                                       "phone's chart beside its bar"]
    one_line = charts.build_chart(view(spec), {"t": small_table(2)}, "p/v")
    assert chart.spec["height"] > one_line.spec["height"]
    svg = charts.render_svg(chart, charts.NARROW_WIDTH)
    assert ">phone's chart beside its bar<" in svg and ">A label far too long to sit on one line of a<" in svg


def test_a_simple_view_titles_its_value_axis_with_the_unit_its_rows_share_not_value_and_label():
    chart = build(NEXUS, nexus_view("officers"))
    assert chart.spec["encoding"]["x"]["title"] == "Officers"
    assert chart.spec["encoding"]["y"]["title"] is None  # "Label" above the bars' own labels
    table = Table("t", (Field("area", "string", "Area of London"), Field("n", "integer", "Arrests")),
                  ({"area": "North", "n": 5}, {"area": "South", "n": 7}))
    simple = {"name": "v", "resources": ["t"], "specType": "simple", "spec": {"type": "bar", "group": "area", "series": "n"}}
    titled = charts.build_chart(simple, {"t": table}, "p/v")
    assert (titled.spec["encoding"]["y"]["title"], titled.spec["encoding"]["x"]["title"]) == ("Area of London", "Arrests")


def test_the_downloads_draw_the_title_and_a_credit_line_and_the_page_drawings_do_not():
    chart = build(NEXUS, nexus_view("custody-funnel"))
    credit = ("Source: Metropolitan Police Service (2013). Licence: Open Government Licence v3.0. Open Tally, "
              "https://stats.example.org/tally/data/operation-nexus.html")
    exported = charts.export_spec(chart, credit)
    assert exported["title"]["text"] == chart.title and exported["width"] == charts.WIDTH
    assert exported["title"]["subtitle"] == [
        "Source: Metropolitan Police Service (2013). Licence: Open Government Licence v3.0.",
        "Open Tally, https://stats.example.org/tally/data/operation-nexus.html"]
    def drawn(svg: str) -> str:  # the words drawn, after the <title> and <desc>; lines are <tspan>s
        return " ".join(re.sub(r"<[^>]+>", " ", svg.split("</desc>", 1)[1]).split())

    words = drawn(charts.render_export_svg(chart, credit))
    assert chart.title in words and "Licence: Open Government Licence v3.0." in words and "Open Tally, https://" in words
    page = drawn(charts.render_svg(chart))
    assert "Licence" not in page and chart.title not in page
    # The PNG is drawn from the same spec: it differs from one without the credit.
    assert charts.render_png(chart, credit) != charts.render_png(chart, "")
    assert json.loads(charts.spec_json(chart, credit))["title"] == exported["title"]


# --- red-team review: a long credit line -----------------------------------------------------------

def test_a_licence_title_of_300000_characters_gives_a_short_credit_of_at_most_three_lines():
    from types import SimpleNamespace

    from opentally import render

    long = "A" * 300_000
    package = SimpleNamespace(name="p", title="P", descriptor={"licenses": [{"name": "x", "title": long}]},
                              sources=(), modified="2024-01-02", page="data/p.md")
    settings = SimpleNamespace(site_name="Open Tally " + "B" * 1000, absolute=lambda page: "")
    credit = render._chart_credit(package, settings)
    assert len(credit) < 500 and "…" in credit and credit.startswith("Source: ")
    for text in (credit, "Source: X (2013). Licence: " + long + ". Open Tally", "Licence: " + "word " * 60_000):
        lines = charts._credit_lines(" ".join(text.split()))
        assert 1 <= len(lines) <= charts.CREDIT_LINES and all(len(line) <= 84 for line in lines), lines
    assert charts._credit_lines("Licence: " + long)[-1].endswith("…")
    chart = build(NEXUS, nexus_view("custody-funnel"))
    subtitle = charts.export_spec(chart, "Licence: " + long)["title"]["subtitle"]
    assert sum(map(len, subtitle)) <= 3 * 84


def test_a_line_over_dates_that_are_all_empty_is_described_without_a_trend():
    """Red-team review: a valid chart over a date field whose dates are all empty failed the build with
    "list index out of range"; it is described by its highest and lowest values, with no trend."""
    table = Table("t", (Field("day", "date", "Day"), Field("n", "integer", "Arrests")),
                  ({"day": None, "n": 5}, {"day": None, "n": 7}, {"day": None, "n": 6}))
    simple = {"name": "v", "resources": ["t"], "specType": "simple", "spec": {"type": "line", "group": "day", "series": "n"}}
    chart = charts.build_chart(simple, {"t": table}, "p/v")
    assert "7" in chart.description and "5" in chart.description
    assert not re.search(r"rose|fell|None|index", chart.description), chart.description
    some = Table("t", table.fields, ({"day": None, "n": 9}, {"day": "2020-01-01", "n": 5}, {"day": "2020-02-01", "n": 6}))
    described = charts.build_chart(simple, {"t": some}, "p/v").description
    assert "the highest was 9 (no day given)" in described and "None" not in described, described
