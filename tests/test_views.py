"""Data Package views: every way publishers name resources, and every problem a view can have."""

from __future__ import annotations

import json

import pytest

from conftest import CORPUS, NEXUS
from opentally import views

NAMES = ["quarterly", "annual", "readme"]
FIELDS = {"quarterly": ["Date", "Rate"], "annual": ["Year", "Rate"]}  # "readme" is not a table


def simple(**spec) -> dict:
    return {"name": "graph", "resources": ["quarterly"], "specType": "simple",
            "spec": {"type": "line", "group": "Date", "series": ["Rate"], **spec}}


def vega_lite(spec: dict, resources=("quarterly",)) -> dict:
    return {"name": "chart", "resources": list(resources), "specType": "vega-lite", "spec": spec}


LINE = {"mark": "line", "encoding": {"x": {"field": "Date", "type": "temporal"},
                                     "y": {"field": "Rate", "type": "quantitative"}}}


# --- view_resources --------------------------------------------------------------------------------

@pytest.mark.parametrize("view, expected", [
    ({"resources": ["quarterly", "annual"]}, ["quarterly", "annual"]),
    ({"resources": [{"name": "annual", "title": "Annual"}, {"name": "quarterly"}]}, ["annual", "quarterly"]),
    ({"resourceName": "annual"}, ["annual"]),
    ({"resources": [1, 0]}, ["annual", "quarterly"]),
    ({"resources": ["annual", 0]}, ["annual", "quarterly"]),
    ({"resources": [7]}, []),                 # an index past the end: view_problems reports it
    ({"resources": "annual"}, ["annual"]),    # a lone name, not in a list
], ids=["names", "objects", "resourceName", "indexes", "mixed", "bad-index", "lone-name"])
def test_view_resources_reads_every_form_publishers_use(view, expected):
    assert views.view_resources(view, NAMES) == expected


def test_an_index_needs_the_package_resource_names():
    assert views.view_resources({"resources": [0]}) == []
    assert views.view_resources({"resources": [0]}, resource_names=["only"]) == ["only"]


def test_a_view_without_resources_uses_the_default_or_the_only_resource():
    assert views.view_resources({"specType": "simple"}, default="quarterly") == ["quarterly"]
    assert views.view_resources({"specType": "simple"}, resource_names=["only"]) == ["only"]
    assert views.view_resources({"specType": "simple"}, resource_names=NAMES) == []


def test_drawable_spec_types():
    assert views.is_drawable({"specType": "simple"})
    assert views.is_drawable({"specType": "vega-lite"})
    assert views.is_drawable({"specType": "vegalite"})
    assert not views.is_drawable({"specType": "plot"})
    assert not views.is_drawable({"specType": "table"})
    assert not views.is_drawable({"spec": {}})


# --- view_problems: the shipped views are clean ---------------------------------------------------

@pytest.mark.parametrize("package", [NEXUS, *sorted(CORPUS.iterdir())], ids=lambda p: p.name)
def test_every_shipped_view_has_no_problem(package):
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in descriptor["resources"]]
    fields = {r["name"]: [f["name"] for f in _schema(package, r)["fields"]]
              for r in descriptor["resources"] if "schema" in r}
    for index, view in enumerate(descriptor.get("views", [])):
        assert views.view_problems(view, index, fields, names) == []


def _schema(package, resource) -> dict:
    schema = resource["schema"]
    return json.loads((package / schema).read_text(encoding="utf-8")) if isinstance(schema, str) else schema


# --- view_problems: one case per failure mode, exact messages ------------------------------------

def problems(view: dict, index: int = 2) -> list[tuple[str, str, str]]:
    return views.view_problems(view, index, FIELDS, NAMES)


def test_a_view_without_a_name():
    view = simple()
    del view["name"]
    assert problems(view) == [(
        "/views/2/name", "view 2 has no name",
        'add "name": a short identifier in lower case with dashes, e.g. "custody-funnel"; '
        "pages and links refer to the view by it")]


def test_a_view_naming_a_resource_that_does_not_exist():
    assert problems({**simple(), "resources": ["quartrly"]}) == [(
        "/views/2/resources/0", 'view "graph" uses resource "quartrly", which the package does not have',
        'name one of the package\'s resources: "quarterly", "annual", "readme"')]


def test_a_view_naming_a_resource_by_an_index_past_the_end():
    assert problems({**simple(), "resources": [5]}) == [(
        "/views/2/resources/0", 'view "graph" uses resource 5, which the package does not have',
        'name one of the package\'s resources: "quarterly", "annual", "readme"')]


def test_a_view_naming_a_resource_object_and_the_older_resource_name():
    assert problems({**simple(), "resources": [{"name": "nope"}]})[0][:2] == (
        "/views/2/resources/0/name", 'view "graph" uses resource "nope", which the package does not have')
    view = {k: v for k, v in simple().items() if k != "resources"}
    assert problems({**view, "resourceName": "nope"})[0][:2] == (
        "/views/2/resourceName", 'view "graph" uses resource "nope", which the package does not have')


def test_a_view_naming_a_resource_that_is_not_a_table():
    assert problems({**simple(), "resources": ["readme"]})[0] == (
        "/views/2/resources/0", 'view "graph" uses resource "readme", which is not a table',
        "a chart draws the rows of a tabular resource (a CSV file with a schema): name one of those instead")


def test_a_view_the_site_does_not_draw_may_name_a_resource_that_is_not_a_table():
    view = {"name": "text", "resources": ["readme"], "specType": "document"}
    assert problems(view) == []


def test_a_view_without_resources_in_a_package_of_several():
    view = {k: v for k, v in simple().items() if k != "resources"}
    assert problems(view) == [(
        "/views/2/resources", 'view "graph" names no resource, and the package has 3',
        'add "resources": ["..."] naming the resources it draws; the package has: "quarterly", "annual", "readme"')]
    assert views.view_problems(view, 0, {"quarterly": ["Date", "Rate"]}, ["quarterly"]) == []


def test_a_simple_view_whose_group_is_not_a_field():
    assert problems(simple(group="date")) == [(
        "/views/2/spec/group", 'view "graph" uses field "date", which resource "quarterly" does not have',
        'use a field of "quarterly" ("Date", "Rate"); names are case-sensitive')]


def test_a_simple_view_whose_series_is_not_a_field():
    assert problems(simple(series=["Rate", "Yield"])) == [(
        "/views/2/spec/series/1", 'view "graph" uses field "Yield", which resource "quarterly" does not have',
        'use a field of "quarterly" ("Date", "Rate"); names are case-sensitive')]


def test_a_simple_view_over_two_resources_needs_the_field_in_both():
    view = {**simple(), "resources": ["quarterly", "annual"]}
    assert problems(view) == [(
        "/views/2/spec/group", 'view "graph" uses field "Date", which resource "annual" does not have',
        'use a field of "annual" ("Year", "Rate"); names are case-sensitive')]


def test_a_simple_view_of_an_unknown_chart_type_or_without_group():
    assert problems(simple(type="pie"))[0][:2] == (
        "/views/2/spec/type", 'view "graph" has chart type "pie", which a simple view cannot draw')
    view = simple()
    del view["spec"]["group"]
    assert problems(view)[0][:2] == ("/views/2/spec/group", 'view "graph" has no group: the field along the x axis')


def test_a_vega_lite_encoding_naming_a_missing_field():
    spec = {"mark": "line", "encoding": {"x": {"field": "Day", "type": "temporal"},
                                         "y": {"field": "Rate", "type": "quantitative"}}}
    assert problems(vega_lite(spec)) == [(
        "/views/2/spec/encoding/x/field", 'view "chart" uses field "Day", which resource "quarterly" does not have',
        'use a field of "quarterly" ("Date", "Rate"); names are case-sensitive')]


def test_vega_lite_fields_in_layers_tooltips_sorts_and_filters_are_checked():
    spec = {
        "transform": [{"filter": {"and": [{"field": "Rte", "gt": 1}]}}],
        "encoding": {"x": {"field": "Date", "type": "temporal"}},
        "layer": [
            {"mark": "line", "encoding": {"y": {"field": "Rate", "type": "quantitative"},
                                          "tooltip": [{"field": "Date"}, {"field": "Ratee"}]}},
            {"mark": "bar", "encoding": {"y": {"field": "Rate", "type": "quantitative",
                                               "sort": {"field": "Size"}}}},
        ],
    }
    assert [p[0] for p in problems(vega_lite(spec))] == [
        "/views/2/spec/transform/0/filter/and/0/field",
        "/views/2/spec/layer/0/encoding/tooltip/1/field",
        "/views/2/spec/layer/1/encoding/y/sort/field",
    ]


def test_fields_that_transforms_make_are_not_reported():
    spec = {"mark": "bar",
            "transform": [{"calculate": "datum.Rate * 100", "as": "Percent"},
                          {"aggregate": [{"op": "mean", "field": "Percent", "as": "Mean"}], "groupby": ["Date"]},
                          {"fold": ["Mean"]},
                          {"window": [{"op": "rank", "as": "Rank"}]}],
            "encoding": {"x": {"field": "key", "type": "nominal"}, "y": {"field": "value", "type": "quantitative"},
                         "color": {"field": "Rank", "type": "ordinal"}, "size": {"field": "Mean", "type": "quantitative"}}}
    assert problems(vega_lite(spec)) == []


def test_a_field_name_with_an_escaped_dot_is_one_column():
    view = vega_lite({"mark": "bar", "encoding": {"x": {"field": "Rate\\.1", "type": "quantitative"}}})
    assert views.view_problems(view, 0, {"quarterly": ["Rate.1"]}, ["quarterly"]) == []
    nested = vega_lite({"mark": "bar", "encoding": {"x": {"field": "Rate.1", "type": "quantitative"}}})
    assert views.view_problems(nested, 0, {"quarterly": ["Rate"]}, ["quarterly"]) == []


def test_a_vega_lite_spec_that_loads_a_url_is_refused():
    spec = {**LINE, "data": {"url": "https://example.org/rates.csv"}}
    assert problems(vega_lite(spec)) == [(
        "/views/2/spec/data/url",
        'view "chart" loads data from "https://example.org/rates.csv", but the build never fetches anything',
        'remove the "url": the build puts the rows of the view\'s resources into the chart; '
        'to draw another file, add it to the package as a resource and name it in "resources"')]


def test_a_url_anywhere_in_the_spec_is_refused():
    spec = {"layer": [LINE, {**LINE, "data": {"url": "data/other.csv"}}],
            "transform": [{"lookup": "Date", "from": {"data": {"url": "x.json"}, "key": "Date"}}]}
    assert [p[0] for p in problems(vega_lite(spec))] == [
        "/views/2/spec/layer/1/data/url", "/views/2/spec/transform/0/from/data/url"]


def test_an_unknown_spec_type_is_not_a_problem():
    for spec_type in ("plot", "table", "tabular", "vega"):
        view = {"name": "table", "resources": ["quarterly"], "specType": spec_type, "spec": {"anything": 1}}
        assert problems(view) == []


def test_a_drawable_view_without_a_spec():
    view = {"name": "graph", "resources": ["quarterly"], "specType": "vega-lite"}
    assert problems(view) == [("/views/2/spec", 'view "graph" has no spec, so there is nothing to draw',
                               'add "spec": {"mark": "bar", "encoding": {...}}')]


def test_a_view_that_is_not_an_object():
    assert problems("graph") == [("/views/2", "view 2 is not a JSON object",
                                  'write each view as an object: {"name": ..., "resources": [...], '
                                  '"specType": ..., "spec": {...}}')]
