"""`validate` and `build` never disagree: a package `validate` accepts builds, one it refuses is refused.

Every package in the repository (the shipped ones, the fixtures, the corpus) and a set of small
packages made here, each with one thing wrong with its view (or one thing that looks wrong and is
not), go through `build.py validate` and `build.py build`, in-process. The packages `validate`
accepts are built together as one site, which must succeed; each one it refuses is built alone,
and the build must refuse it with the same view errors. Then the rules `validate` applies to what a
view draws, one case each, with the JSON pointer, the view's name and how to fix it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, run_cli
from opentally import charts
from opentally.charts import Field, Table

REPOSITORY_PACKAGES = sorted(p for folder in (ROOT / "tests" / "fixtures" / "packages", CORPUS, ROOT / "datapackages")
                             for p in folder.iterdir() if (p / "datapackage.json").is_file())


# --- small packages, made for the test ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Made:
    name: str
    csv: str
    fields: list
    views: list
    refused: tuple[str, str, tuple[str, ...]] | None = None  # (JSON pointer, view name, words), or None: valid

    def write(self, folder: Path) -> Path:
        package = folder / self.name
        (package / "data").mkdir(parents=True)
        (package / "data" / "data.csv").write_text(self.csv, encoding="utf-8")
        (package / "datapackage.json").write_text(json.dumps({
            "name": self.name, "title": f"Test: {self.name}", "description": "A package made by a test.",
            "licenses": [{"name": "CC0-1.0"}], "sources": [{"title": "made by tests/test_validate_build_agree.py"}],
            "resources": [{"name": "data", "path": "data/data.csv", "schema": {"fields": self.fields}}],
            "views": self.views}, indent=2), encoding="utf-8")
        return package


def vega_lite(spec: dict, name: str = "chart") -> dict:
    return {"name": name, "resources": ["data"], "specType": "vega-lite", "spec": spec}


def simple(group: str, series: list, kind: str = "line", name: str = "chart") -> dict:
    return {"name": name, "resources": ["data"], "specType": "simple",
            "spec": {"type": kind, "group": group, "series": series}}


def fields(**types: str) -> list:
    return [{"name": name, "type": kind} for name, kind in types.items()]


LONG = "month,area,referred,removed\n2020-01,north,3,1\n2020-01,south,5,2\n2020-02,north,4,1\n2020-02,south,6,3\n"
LONG_FIELDS = fields(month="yearmonth", area="string", referred="integer", removed="integer")
BAR = {"y": {"field": "label", "type": "nominal"}, "x": {"field": "value", "type": "quantitative"}}

MADE = [
    # -- refused: one rule each
    Made("quantitative-text", "region,count\nNorth,10\nSouth,n/a\n", fields(region="string", count="string"),
         [vega_lite({"mark": "bar", "encoding": {"x": {"field": "region", "type": "nominal"},
                                                 "y": {"field": "count", "type": "quantitative"}}}, "counts")],
         ("/views/0/spec/encoding/y/type", "counts", ('field "count" as numbers', '"string" (text)', '"nominal"'))),
    Made("sum-of-text", "region,count\nNorth,10\nSouth,n/a\n", fields(region="string", count="string"),
         [vega_lite({"mark": "bar", "encoding": {"x": {"field": "region", "type": "nominal"},
                                                 "y": {"field": "count", "aggregate": "sum"}}}, "totals")],
         ("/views/0/spec/encoding/y/field", "totals", ('field "count" as numbers', '"integer" or "number"'))),
    Made("series-text", "year,count\n2019,10\n2020,n/a\n", fields(year="year", count="string"),
         [simple("year", ["count"], name="trend")],
         ("/views/0/spec/series/0", "trend", ('series "count" as numbers', '"string" (text)'))),
    Made("temporal-integer", "year,count\n2019,10\n2020,12\n", fields(year="integer", count="integer"),
         [vega_lite({"mark": "line", "encoding": {"x": {"field": "year", "type": "temporal"},
                                                  "y": {"field": "count", "type": "quantitative"}}}, "by-year")],
         ("/views/0/spec/encoding/x/type", "by-year", ('field "year" on a time scale', '"integer"', '"year"'))),
    Made("temporal-text", "month,count\n2020-01,10\n2020-02,12\n", fields(month="string", count="integer"),
         [vega_lite({"mark": "line", "encoding": {"x": {"field": "month", "type": "temporal"},
                                                  "y": {"field": "count", "type": "quantitative"}}}, "by-month")],
         ("/views/0/spec/encoding/x/type", "by-month", ('"string", which is not a date', '"yearmonth"'))),
    Made("repeated-group", LONG, LONG_FIELDS, [simple("month", ["referred", "removed"], name="saw-tooth")],
         ("/views/0/spec/group", "saw-tooth", ('"2020-01"', "rows 2 and 3", "saw-tooth", "pivot", "aggregate"))),
    Made("repeated-bar", "label,value\nA,1\nB,2\nA,3\n", fields(label="string", value="integer"),
         [simple("label", ["value"], "bar", name="bars")],
         ("/views/0/spec/group", "bars", ('"A"', "rows 2 and 4", "one over the other"))),
    Made("filtered-out", "label,value,unit\nA,1,people\nB,2,people\n",
         fields(label="string", value="integer", unit="string"),
         [vega_lite({"mark": "bar", "transform": [{"filter": {"field": "unit", "equal": "officers"}}],
                     "encoding": BAR}, "officers")],
         ("/views/0/spec/transform", "officers", ("with no values", "filters leave none of the 2 rows"))),
    Made("empty-measure", "label,value\nA,\nB,\n", fields(label="string", value="integer"),
         [vega_lite({"mark": "bar", "encoding": BAR}, "blank")],
         ("/views/0/spec/encoding/x/field", "blank", ("with no values", 'every value of "value"', "is empty"))),
    Made("empty-series", "label,value\nA,\nB,\n", fields(label="string", value="integer"),
         [simple("label", ["value"], "bar", name="blank-bars")],
         ("/views/0/spec/series", "blank-bars", ("with no values", 'every value of "value"'))),
    Made("no-rows", "label,value\n", fields(label="string", value="integer"),
         [simple("label", ["value"], "bar", name="nothing")],
         ("/views/0/resources", "nothing", ("with no values", 'resource "data" has no rows'))),
    Made("blob", "label,value\nA,1\n", fields(label="string", value="integer"),
         [vega_lite({"mark": "blob"}, "blob")],
         ("/views/0/spec/mark", "blob", ("not valid Vega-Lite 6.4", '"blob" is not one of'))),
    # -- valid: what looks like one of the faults above and is not
    Made("count-of-text", "region,kind\nNorth,a\nNorth,b\nSouth,a\n", fields(region="string", kind="string"), [
        vega_lite({"mark": "bar", "encoding": {"x": {"field": "region", "type": "nominal"},
                                               "y": {"field": "kind", "aggregate": "count", "type": "quantitative"}}}),
        vega_lite({"mark": "bar", "encoding": {"x": {"field": "region", "type": "nominal"},
                                               "y": {"aggregate": "count", "type": "quantitative"}}}, "rows"),
        vega_lite({"mark": "bar", "encoding": {"y": {"field": "region", "type": "nominal"},
                                               "x": {"field": "kind", "aggregate": "distinct"}}}, "kinds")]),
    Made("made-fields", "month,text,a,b\n2020-01,10,1,2\n2020-02,12,3,4\n",
         fields(month="string", text="string", a="integer", b="integer"), [
             vega_lite({"mark": "line",
                        "transform": [{"calculate": "toNumber(datum.text)", "as": "n"},
                                      {"calculate": "toDate(datum.month + '-01')", "as": "when"}],
                        "encoding": {"x": {"field": "when", "type": "temporal"},
                                     "y": {"field": "n", "type": "quantitative"}}}),
             vega_lite({"mark": "line", "transform": [{"fold": ["a", "b"]}],
                        "encoding": {"x": {"field": "month", "type": "ordinal"},
                                     "y": {"field": "value", "type": "quantitative"},
                                     "color": {"field": "key", "type": "nominal"}}}, "folded"),
             vega_lite({"mark": "bar", "transform": [{"calculate": "toNumber(datum.text)", "as": "text"}],
                        "encoding": {"x": {"field": "month", "type": "ordinal"},
                                     "y": {"field": "text", "type": "quantitative"}}}, "recast"),
             vega_lite({"mark": "bar",
                        "transform": [{"aggregate": [{"op": "sum", "field": "a", "as": "month"}], "groupby": ["text"]}],
                        "encoding": {"x": {"field": "text", "type": "nominal"},
                                     "y": {"field": "month", "type": "quantitative"}}}, "renamed")]),
    Made("long-data-aggregated", LONG, LONG_FIELDS, [
        vega_lite({"mark": "line", "encoding": {"x": {"field": "month", "type": "temporal"},
                                                "y": {"field": "referred", "aggregate": "sum", "type": "quantitative"}}}),
        vega_lite({"mark": "line", "encoding": {"x": {"field": "month", "type": "temporal"},
                                                "y": {"field": "referred", "type": "quantitative"},
                                                "color": {"field": "area", "type": "nominal"}}}, "by-area"),
        vega_lite({"mark": "bar", "encoding": {"x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth"},
                                               "y": {"field": "referred", "type": "quantitative"}}}, "stacked")]),
    Made("gaps-in-a-series", "year,a,b\n2019,1,\n2020,,2\n2021,3,4\n", fields(year="year", a="integer", b="integer"),
         [simple("year", ["a", "b"]), vega_lite({"mark": "bar", "encoding": {
             "x": {"field": "year", "type": "temporal"}, "y": {"field": "b", "type": "quantitative"}}}, "dates")]),
    Made("some-rows-filtered", "label,value,unit\nA,1,people\nB,2,officers\n",
         fields(label="string", value="integer", unit="string"),
         [vega_lite({"mark": "bar", "transform": [{"filter": {"field": "unit", "equal": "officers"}}],
                     "encoding": BAR})]),
]
REFUSED = [m for m in MADE if m.refused]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("made")
    return {m.name: m.write(folder) for m in MADE}


def view_errors(output: str) -> list[str]:
    """The view-error lines of a report, without the path in front (validate and build print it alike)."""
    return sorted(line.split(": error: ", 1)[1] for line in output.splitlines() if line.endswith("[view-error]"))


# --- validate and build agree ---------------------------------------------------------------------

def test_validate_and_build_agree_on_every_package(made, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    packages = [*REPOSITORY_PACKAGES, *made.values()]
    verdicts = {p: run_cli("validate", str(p)) for p in packages}
    accepted = [p for p, result in verdicts.items() if result.exit_code == 0]
    refused = [p for p, result in verdicts.items() if result.exit_code != 0]
    assert all(verdicts[p].exit_code in (0, 1) for p in packages), {p.name: verdicts[p].output for p in packages}
    # The repository's packages and the valid made ones are accepted; each broken one is refused.
    assert sorted(p.name for p in refused) == sorted(m.name for m in REFUSED), \
        {p.name: verdicts[p].output for p in packages}

    # Each refused package, built alone: the build refuses it, with the same view errors.
    for package in refused:
        project = tmp_path / "refused" / package.name
        shutil.copytree(package, project / "datapackages" / package.name)
        alone = run_cli("validate", str(project / "datapackages" / package.name))
        built = run_cli("build", "--project", str(project), "--out", str(project / "site"))
        assert built.exit_code == 1, built.output
        assert "Traceback" not in built.output and "not built" in built.output
        assert view_errors(built.output) == view_errors(alone.output) != [], (alone.output, built.output)
        assert not (project / "site").exists()

    # Every accepted package, built beside the others as one site: the build succeeds and draws them all.
    project = tmp_path / "accepted"
    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    for package in accepted:
        shutil.copytree(package, project / "datapackages" / package.name)
    built = run_cli("build", "--project", str(project), "--out", str(project / "site"))
    assert built.exit_code == 0, built.output
    for package in accepted:
        descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
        name = descriptor.get("name", package.name)
        assert (project / "site" / "data" / f"{name}.html").is_file(), name
        for view in descriptor.get("views", []):
            if view.get("specType") in ("simple", "vega-lite"):
                assert (project / "site" / "charts" / name / f"{view['name']}.svg").is_file(), (name, view["name"])


# --- each rule: code, pointer, the view's name, words, how to fix ---------------------------------

@pytest.mark.parametrize("case", REFUSED, ids=lambda m: m.name)
def test_validate_refuses_what_the_build_would_draw_wrongly(case, made):
    result = run_cli("validate", str(made[case.name]))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    pointer, view, words = case.refused
    lines = result.output.splitlines()
    found = [n for n, line in enumerate(lines) if line.endswith("[view-error]")]
    assert len(found) == 1, result.output
    line = lines[found[0]]
    assert f": error: {pointer}: view \"{view}\" " in line, line
    assert lines[found[0] + 1].startswith("    how to fix: "), result.output
    text = line + lines[found[0] + 1]
    for word in words:
        assert word in text, (word, text)


def test_a_quantitative_field_of_text_exact_message(made):
    result = run_cli("validate", str(made["quantitative-text"]), "--json")
    issue = next(i for p in json.loads(result.output)["packages"] for i in p["issues"] if i["code"] == "view-error")
    assert issue["field"] == "/views/0/spec/encoding/y/type"
    assert issue["message"] == (
        '/views/0/spec/encoding/y/type: view "counts" draws field "count" as numbers ("type": "quantitative"), '
        'but its type is "string" (text), so none of its values can be drawn')
    assert issue["hint"] == (
        'change the encoding\'s "type" to "nominal" or "ordinal" to draw the values as categories (or count the '
        'rows with "aggregate": "count"); if the column holds numbers, give field "count" the type "integer" or '
        '"number" in the schema (validate then checks every value is one)')


def test_a_repeated_group_exact_message(made):
    result = run_cli("validate", str(made["repeated-group"]), "--json")
    issue = next(i for p in json.loads(result.output)["packages"] for i in p["issues"] if i["code"] == "view-error")
    assert issue["message"] == (
        '/views/0/spec/group: view "saw-tooth" has more than one row for "2020-01" in its group field "month" '
        '(rows 2 and 3 of resource "data"): a simple view draws one point per row, so its line for "referred" '
        "would go back and forth between their values: a saw-tooth, not a trend")
    assert issue["hint"] == (
        'give each value of "month" one row: aggregate the rows (one total per "month"), or pivot long data to one '
        'row per "month" with one column per series; or draw it with a "vega-lite" view that aggregates, e.g. '
        '"y": {"field": "referred", "aggregate": "sum", "type": "quantitative"}')


# --- the rules on charts.view_build_problems directly ----------------------------------------------

def table(rows: int = 3, **types: str) -> Table:
    values = {"string": lambda n: f"T{n}", "integer": lambda n: n, "number": lambda n: Decimal(n) / 2,
              "date": lambda n: dt.date(2020, 1, 1 + n), "year": lambda n: 2000 + n, "boolean": lambda n: n % 2 == 0}
    return Table("t", tuple(Field(name, kind) for name, kind in types.items()),
                 tuple({name: values[kind](n) for name, kind in types.items()} for n in range(rows)))


def problems(spec: dict, tables: dict[str, Table], kind: str = "vega-lite", resources=("t",)) -> list[tuple]:
    view = {"name": "v", "resources": list(resources), "specType": kind, "spec": spec}
    return charts.view_build_problems(view, 0, tables, "p/v")


def test_encodings_in_layers_facets_conditions_and_tooltips_are_checked():
    tables = {"t": table(label="string", value="integer", day="date")}
    spec = {"layer": [{"mark": "bar", "encoding": {"x": {"field": "label", "type": "nominal"},
                                                   "y": {"field": "value", "type": "quantitative"}}},
                      {"mark": "point", "encoding": {
                          "x": {"field": "label", "type": "nominal"}, "y": {"field": "value", "type": "quantitative"},
                          "color": {"condition": {"test": "datum.value > 1", "field": "label", "type": "quantitative"},
                                    "value": "#000000"},
                          "tooltip": [{"field": "day", "type": "temporal"}, {"field": "value", "type": "temporal"}]}}]}
    assert [p[0] for p in problems(spec, tables)] == [
        "/views/0/spec/layer/1/encoding/color/condition/type",
        "/views/0/spec/layer/1/encoding/tooltip/1/type"]
    facet = {"facet": {"row": {"field": "label", "type": "quantitative"}},
             "spec": {"mark": "bar", "encoding": {"x": {"field": "value", "type": "quantitative"}}}}
    assert [p[0] for p in problems(facet, tables)] == ["/views/0/spec/facet/row/type"]


def test_a_view_of_two_resources_names_the_one_whose_field_is_text():
    tables = {"a": table(label="string", value="integer"), "b": table(label="string", value="string")}
    spec = {"mark": "bar", "encoding": {"y": {"field": "label", "type": "nominal"},
                                        "x": {"field": "value", "type": "quantitative"}}}
    (pointer, message, _), = problems(spec, tables, resources=("a", "b"))
    assert pointer == "/views/0/spec/encoding/x/type"
    assert 'resource "b" gives it the type "string" (text)' in message
    # A simple view over both: the same value in each is a repeat, with both places named.
    (pointer, message, _), = problems({"type": "line", "group": "label", "series": ["value"]},
                                      {"a": tables["a"], "b": table(label="string", value="integer")},
                                      kind="simple", resources=("a", "b"))
    assert pointer == "/views/0/spec/group"
    assert '(row 2 of resource "a" and row 2 of resource "b")' in message


def test_nominal_ordinal_and_date_encodings_of_any_field_are_accepted():
    tables = {"t": table(label="string", value="integer", day="date", year="year", flag="boolean")}
    spec = {"mark": "point", "encoding": {
        "x": {"field": "day", "type": "temporal"}, "y": {"field": "value", "type": "quantitative"},
        "color": {"field": "flag", "type": "nominal"}, "shape": {"field": "label", "type": "nominal"},
        "size": {"field": "value", "type": "ordinal"}, "detail": {"field": "year", "type": "ordinal"},
        "opacity": {"field": "year", "type": "temporal"},
        "tooltip": [{"field": "label"}, {"field": "label", "aggregate": "distinct", "type": "quantitative"}]}}
    assert problems(spec, tables) == []


def test_a_pivot_makes_fields_that_are_not_checked():
    tables = {"t": table(label="string", value="integer", kind="string")}
    spec = {"mark": "bar", "transform": [{"pivot": "kind", "value": "value", "groupby": ["label"]}],
            "encoding": {"x": {"field": "label", "type": "nominal"}, "y": {"field": "kind", "type": "quantitative"}}}
    assert problems(spec, tables) == []


def test_a_large_simple_view_with_repeats_is_aggregated_not_refused():
    rows = tuple({"day": dt.date(2020, 1, 1) + dt.timedelta(days=n % 30), "count": n} for n in range(charts.MAX_POINTS + 1))
    tables = {"t": Table("t", (Field("day", "date"), Field("count", "integer")), rows)}
    assert problems({"type": "line", "group": "day", "series": ["count"]}, tables, kind="simple") == []
    small = {"t": Table("t", tables["t"].fields, rows[:charts.MAX_POINTS])}
    assert [p[0] for p in problems({"type": "line", "group": "day", "series": ["count"]}, small, kind="simple")] == [
        "/views/0/spec/group"]


def test_a_missing_group_value_or_series_value_is_not_a_repeat():
    table_ = Table("t", (Field("year", "year"), Field("a", "integer"), Field("b", "integer")),
                   ({"year": 2019, "a": 1, "b": None}, {"year": 2019, "a": None, "b": 2},
                    {"year": None, "a": 3, "b": 3}, {"year": None, "a": 4, "b": 4}))
    assert problems({"type": "line", "group": "year", "series": ["a", "b"]}, {"t": table_}, kind="simple") == []


def test_a_count_of_text_is_described_without_reading_out_the_text():
    tables = {"t": table(label="string", kind="string")}
    view = {"name": "v", "resources": ["t"], "specType": "vega-lite",
            "spec": {"mark": "bar", "encoding": {"x": {"field": "label", "type": "nominal"},
                                                 "y": {"field": "kind", "aggregate": "count", "type": "quantitative"}}}}
    chart = charts.build_chart(view, tables, "p/v")
    assert chart.values is None
    assert chart.description == "Chart of 3 rows; the values are in the data table."
    assert "with no values" not in chart.description


@pytest.mark.parametrize("package", REPOSITORY_PACKAGES, ids=lambda p: p.name)
def test_the_repository_s_packages_are_valid_under_strict(package):
    result = run_cli("validate", "--strict", str(package))
    assert result.exit_code == 0, result.output
    assert re.search(r"0 errors, 0 warnings$", result.output.strip())
