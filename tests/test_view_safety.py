"""Vega-Lite specs are data, not code: what `validate` refuses in a view, and how drawing fails cleanly.

Each hostile payload goes into a copy of the shipped package and through `build.py validate`, as a
contributor's pull request would: exit status 1, code view-error, the view's name and the JSON
pointer into datapackage.json in the message, and how to fix it. Then the allow-list's expressions,
which must still validate and build; then the renderer's child process: an exception, a native crash
and a drawing that never ends each become one clean error naming the chart, with the last good site
left as it was; and vl-convert loading nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import NEXUS, ROOT, run_cli
from opentally import charts, vega_expr, views
from opentally.issues import BuildError

DESCRIPTOR = "datapackages/operation-nexus/datapackage.json"
VIEW = "high-harm-outcomes"  # a vega-lite bar chart of the outcomes table
EVIL = "https://evil.example"



@pytest.fixture(autouse=True)
def no_cached_drawings(tmp_path, monkeypatch):
    """These tests break the drawing process on purpose: no drawing may come from the cache instead."""
    from opentally import cache

    monkeypatch.setenv(cache.ENV, str(tmp_path / "own-cache"))
    monkeypatch.setattr(cache, "_folder", None)


def view_index(descriptor: dict, name: str = VIEW) -> int:
    return next(n for n, v in enumerate(descriptor["views"]) if v["name"] == name)


def edit_view(package: Path, change, name: str = VIEW) -> int:
    """Apply ``change`` to the view (a dict) in the package's datapackage.json; the view's index."""
    path = package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    index = view_index(descriptor, name)
    change(descriptor["views"][index])
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return index


def spec(change):
    """A change to the view's spec."""
    return lambda view: change(view["spec"])


def set_note(package: Path, row_id: str, value: str) -> None:
    """Set the "note" cell of one row of the outcomes table."""
    path = package / "data" / "outcomes.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["id"] == row_id:
            row["note"] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def assert_refused(package: Path, change, pointer: str, *words: str, name: str = VIEW) -> str:
    """Validate after ``change``: exit 1, a view-error at /views/<n><pointer> naming the view, with a fix."""
    index = edit_view(package, change, name)
    result = run_cli("validate")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    where = f"{DESCRIPTOR}: error: /views/{index}{pointer}: "
    found = [n for n, line in enumerate(lines) if line.startswith(where) and line.endswith("[view-error]")]
    assert found, f"no view-error at /views/{index}{pointer} in:\n{result.output}"
    line = lines[found[0]]
    assert f'view "{name}"' in line, line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert lines[found[0] + 1].strip().startswith("how to fix: "), result.output
    assert lines[-1].startswith("INVALID: 1 package")
    return line


def bar_with(**encoding) -> callable:
    """The view's bar chart with more channels in its encoding."""
    return spec(lambda s: s["encoding"].update(encoding))


def with_transform(*transforms: dict):
    return spec(lambda s: s.setdefault("transform", []).extend(transforms))


def with_params(*params: dict):
    return spec(lambda s: s.update(params=list(params)))


def with_mark(**mark):
    return spec(lambda s: s.update(mark={"type": "bar", **mark}))


X = {"field": "value", "type": "quantitative"}

# (id, change to the view, JSON pointer inside the view, words the message must hold)
HOSTILE = [
    # properties refused outright
    ("usermeta-embed-options", spec(lambda s: s.update(usermeta={"embedOptions": {"config": f"{EVIL}/config.json"}})),
     "/spec/usermeta", ["usermeta"]),
    ("patch", spec(lambda s: s.update(patch=[{"op": "add", "path": "/data/0/url", "value": f"{EVIL}/d.json"}])),
     "/spec/patch", ["patch"]),
    ("config", spec(lambda s: s.update(config={"background": "#ff0000"})), "/spec/config", ["config", "theme"]),
    ("datasets", spec(lambda s: s.update(datasets={"x": [{"a": 1}]})), "/spec/datasets", ["datasets"]),
    ("signal", with_mark(color={"signal": "evil"}), "/spec/mark/color/signal", ["signal"]),
    # images and links that leave the site
    ("image-url-value", spec(lambda s: s.update(mark="image", encoding={"x": X, "url": {"value": f"{EVIL}/a.png"}})),
     "/spec/encoding/url", ["draws images"]),
    ("image-mark-url", spec(lambda s: s.update(mark={"type": "image", "url": f"{EVIL}/a.png"})),
     "/spec/mark", ["draws images"]),
    ("image-url-from-a-calculation", spec(lambda s: s.update(
        mark="image", transform=[{"calculate": f"'{EVIL}/a.png'", "as": "picture"}],
        encoding={"x": X, "url": {"field": "picture", "type": "nominal"}})),
     "/spec/encoding/url", ["draws images"]),
    ("image-file-url", spec(lambda s: s.update(mark="image", encoding={"x": X, "url": {"value": "file:///etc/passwd"}})),
     "/spec/encoding/url", ["draws images"]),
    ("href-javascript", bar_with(href={"value": "javascript:alert(1)"}), "/spec/encoding/href/value",
     ["link", "javascript:alert(1)"]),
    ("href-javascript-with-a-tab", bar_with(href={"value": "java\tscript:alert(1)"}), "/spec/encoding/href/value",
     ["control character"]),
    ("href-protocol-relative", with_mark(href="//evil.example/"), "/spec/mark/href", ["//evil.example/"]),
    ("href-absolute-path", with_mark(href="/etc/passwd"), "/spec/mark/href", ["starts with /"]),
    ("href-parent-folder", with_mark(href="a/%2e%2e/../x.html"), "/spec/mark/href", [".."]),
    ("href-in-a-condition", bar_with(href={"condition": [{"test": "datum.value > 1", "value": f"{EVIL}/"}],
                                           "value": "a.html"}),
     "/spec/encoding/href/condition/0/value", [f"{EVIL}/"]),
    ("href-from-an-expression", bar_with(href={"value": {"expr": "'java' + 'script:alert(1)'"}}),
     "/spec/encoding/href/value/expr", ["expression"]),
    # expressions
    ("calculate-alert", with_transform({"calculate": "alert(4)", "as": "x"}), "/spec/transform/0/calculate", ["alert"]),
    ("calculate-constructor", with_transform({"calculate": "constructor", "as": "x"}), "/spec/transform/0/calculate",
     ["constructor"]),
    ("calculate-proto", with_transform({"calculate": "datum.__proto__", "as": "x"}), "/spec/transform/0/calculate",
     ["__proto__"]),
    ("calculate-constructor-chain", with_transform(
        {"calculate": "datum.constructor.constructor('alert(1)')()", "as": "x"}),
     "/spec/transform/0/calculate", ["constructor"]),
    ("calculate-computed-member", with_transform({"calculate": "datum['constr' + 'uctor']", "as": "x"}),
     "/spec/transform/0/calculate", ["computed"]),
    ("calculate-regular-expression", with_transform({"calculate": "test(/(a+)+$/, datum.label)", "as": "x"}),
     "/spec/transform/0/calculate", ["regular expression"]),
    ("calculate-too-long", with_transform({"calculate": "1" + " + 1" * 400, "as": "x"}),
     "/spec/transform/0/calculate", ["1,000"]),
    ("calculate-syntax-error", with_transform({"calculate": "datum.value +", "as": "x"}),
     "/spec/transform/0/calculate", ["cannot be read"]),
    ("filter-this", with_transform({"filter": "this"}), "/spec/transform/0/filter", ["this"]),
    ("filter-unknown-function", with_transform({"filter": "evil(datum.value)"}), "/spec/transform/0/filter", ["evil"]),
    ("filter-inside-and-or-not", with_transform({"filter": {"and": [
        {"field": "value", "gt": 1}, {"or": ["datum.value > 1", {"not": "fetch('x')"}]}]}}),
     "/spec/transform/0/filter/and/1/or/1/not", ["fetch"]),
    ("condition-test", bar_with(color={"condition": {"test": "window.alert(1)", "value": "#D55E00"},
                                       "value": "#0072B2"}),
     "/spec/encoding/color/condition/test", ["window"]),
    ("expr-anywhere", with_mark(tooltip={"expr": "constructor"}), "/spec/mark/tooltip/expr", ["constructor"]),
    ("expr-in-an-axis", bar_with(x={**X, "axis": {"labelAngle": {"expr": "scale('x', 1)"}}}),
     "/spec/encoding/x/axis/labelAngle/expr", ["scale"]),
    ("label-expression", bar_with(x={**X, "axis": {"labelExpr": "data('rows')"}}),
     "/spec/encoding/x/axis/labelExpr", ["data"]),
    ("param-expr", with_params({"name": "p", "expr": "window.location"}), "/spec/params/0/expr", ["window"]),
    ("param-event-on-the-window", with_params({"name": "p", "select": {"type": "point", "on": "window:mousemove"}}),
     "/spec/params/0/select/on", ["window:mousemove"]),
    ("param-event-with-a-filter", with_params({"name": "p", "select": {"type": "point", "on": "click[event.shiftKey]"}}),
     "/spec/params/0/select/on", ["click[event.shiftKey]"]),
    ("param-clear-on-the-document", with_params({"name": "p", "select": {"type": "point", "clear": "document:keydown"}}),
     "/spec/params/0/select/clear", ["document:keydown"]),
    ("param-bind-element", with_params({"name": "p", "value": 1, "bind": {"input": "range", "element": "body"}}),
     "/spec/params/0/bind/element", ["page"]),
    ("param-name", with_params({"name": "datum", "value": 1}), "/spec/params/0/name", ["datum"]),
    ("format-type", bar_with(x={**X, "axis": {"format": "x", "formatType": "evil"}}),
     "/spec/encoding/x/axis/formatType", ["evil"]),
    ("css-url-in-a-colour", with_mark(fill=f"url({EVIL}/p.svg#g)"), "/spec/mark/fill", ["url("]),
    ("cursor-url", with_mark(cursor=f"url({EVIL}/c.cur), auto"), "/spec/mark/cursor", ["cursor"]),
    ("sequence-too-long", spec(lambda s: s.update(transform=[{"lookup": "label", "from": {
        "data": {"sequence": {"start": 0, "stop": 1e9}}, "key": "data", "fields": ["data"]}}])),
     "/spec/transform/0/from/data/sequence", ["1,000,000,000"]),
    # titles and the schema
    ("spec-title-expression", spec(lambda s: s.update(title={"text": {"expr": "alert(1)"}})), "/spec/title/text",
     ["title", "plain text"]),
    ("spec-title-signal", spec(lambda s: s.update(title={"signal": "alert(1)"})), "/spec/title", ["title"]),
    ("view-title-signal", lambda v: v.update(title={"signal": "alert(1)"}), "/title", ["title", "signal"]),
    ("view-description-expression", lambda v: v.update(description={"expr": "alert(1)"}), "/description",
     ["description"]),
    ("mark-blob", spec(lambda s: s.update(mark="blob")), "/spec/mark", ["Vega-Lite 6.4", '"blob"']),
    ("type-typo", bar_with(x={"field": "value", "type": "quantitativ"}), "/spec/encoding/x/type",
     ["Vega-Lite", '"quantitativ"']),
    ("unknown-property", spec(lambda s: s.update(colour="red")), "/spec", ['"colour"']),
]


@pytest.mark.parametrize("change, pointer, words", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_a_hostile_view_is_refused_by_validate(nexus_copy, change, pointer, words):
    assert_refused(nexus_copy, change, pointer, *words)


def test_images_are_refused_even_from_a_column_of_the_site_s_own_paths(nexus_copy):
    """The static drawing cannot show an image (vl-convert resolves even a relative address against a
    host of its own), so validate refuses every image, as build would."""
    assert_refused(nexus_copy, spec(lambda s: s.update(
        mark="image", encoding={"x": X, "url": {"field": "id", "type": "nominal"}})),
        "/spec/encoding/url", "draws images", "static drawing")


def test_a_link_from_a_column_is_checked_value_by_value(nexus_copy):
    set_note(nexus_copy, "removed-from-uk", "javascript:alert(1)")
    assert_refused(nexus_copy, bar_with(href={"field": "note", "type": "nominal"}),
                   "/spec/encoding/href/field", "row 2", "javascript:alert(1)")


def test_links_from_a_column_of_relative_paths_are_accepted(nexus_copy):
    edit_view(nexus_copy, bar_with(href={"field": "id", "type": "nominal"}))  # "removed-from-uk", ...
    result = run_cli("validate", "--strict")
    assert result.exit_code == 0, result.output


def test_without_rows_a_link_from_a_column_is_refused():
    view = {"name": "v", "resources": ["t"], "specType": "vega-lite",
            "spec": {"mark": "bar", "encoding": {"href": {"field": "link"}}}}
    problems = views.view_problems(view, 0, {"t": ["link"]}, ["t"])
    assert [p for p, _, _ in problems] == ["/views/0/spec/encoding/href/field"]
    assert views.view_problems(view, 0, {"t": ["link"]}, ["t"], {"t": [{"link": "a/b.html"}]}) == []


@pytest.mark.parametrize("url", ["a.html", "downloads/x.csv", "a b.png", "x?y=1#z", "%41.png", "./a.png"])
def test_relative_paths_on_the_site_are_addresses_a_chart_may_use(url):
    assert views.off_site_reason(url) is None


@pytest.mark.parametrize("url", ["https://a.example/", "http://a", "//a.example/x", "/x", "\\\\a\\b", "a\\b",
                                 "javascript:alert(1)", "JavaScript:alert(1)", "data:image/png;base64,AA",
                                 "file:///etc/passwd", " javascript:x", "java\nscript:x", "../x", "a/../../x",
                                 "a/%2E%2E/x", "", "mailto:a@b.example"])
def test_addresses_off_the_site_are_refused(url):
    assert views.off_site_reason(url)


# --- what the allow-list accepts -----------------------------------------------------------------

ACCEPTED = ["datum.value * 100", "format(datum.value, ',')", "toDate(datum.as_of)", "year(datum.as_of)",
            "datum.value > 50 && isValid(datum.as_of)", "datum['value'] / 2 + PI", "if(datum.value > 10, 'many', 'few')",
            "upper(substring(datum.label, 0, 3))", "timeFormat(toDate(datum.as_of), '%-d %B %Y')",
            "[datum.value, 1][0]", "{a: datum.value}.a", "datum.value == null ? 0 : -datum.value % 7",
            "utcFormat(datetime(2013, 6, 1), '%Y') + ' to ' + toString(datum.value)", "threshold * 2"]


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_allow_list_accepts_plain_expressions(text):
    assert vega_expr.expression_problems(text, names=["threshold"]) == []


@pytest.mark.parametrize("text", ["alert(1)", "constructor", "__proto__", "datum.constructor", "datum['__proto__']",
                                  "datum.prototype", "this", "event.type", "window", "datum[datum.key]", "x.y()",
                                  "datum.a()", "scale('x', 1)", "data('rows')", "indata('rows', 'a', 1)",
                                  "modify('rows', 1)", "vlSelectionTest('p', datum)", "now()", "random()",
                                  "sequence(0, 1e9)", "pad('', 1e9)", "{__proto__: 1}", "new Date()", "typeof x",
                                  "a = 1", "x++", "1, 2", "'a' in datum", "/x/", "", "(" * 40 + "1" + ")" * 40,
                                  "datum.\\u0063onstructor", "'unclosed", "0777", "1 +"])
def test_the_allow_list_refuses_everything_else(text):
    assert vega_expr.expression_problems(text)


def test_no_text_makes_the_expression_checker_raise():
    rng = random.Random(2013)
    alphabet = "datum.()[]{}'\"\\+-*/%<>=!&|?:,;0123456789abcxyz_$ \n\t\u2028é"
    for _ in range(3_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert isinstance(vega_expr.expression_problems(text), list)


def test_every_allowed_function_is_one_the_bundled_vega_knows():
    """Drawn once with every function of the allow-list: Vega would say "Unrecognized function"."""
    transforms = [{"calculate": f"{name}(datum.a, 1, 2)", "as": f"f{n}"}
                  for n, name in enumerate(sorted(vega_expr.ALLOWED_FUNCTIONS))]
    chart = dataclasses.replace(_chart(), spec={
        "data": {"values": [{"a": 1}]}, "transform": transforms, "mark": "point",
        "encoding": {"x": {"field": "a", "type": "quantitative"}}})
    assert charts.render_svg(chart).startswith("<svg")


def test_accepted_expressions_validate_and_build(nexus_copy, workdir):
    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, workdir / name)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")  # with PNG downloads, drawn from the same spec
    (workdir / "mkdocs.yml").write_text(config.replace("\nextra:\n", "\nextra:\n  opentally:\n    chart_png: true\n"),
                                        encoding="utf-8")
    calculations = [{"calculate": text, "as": f"c{n}"} for n, text in enumerate(ACCEPTED[:-1])]

    def change(s):
        s["params"] = [{"name": "threshold", "value": 20}, {"name": "pick", "select": {"type": "point", "on": "click"}}]
        s["transform"] = [*calculations, {"filter": "datum.value > 0 && datum.value > threshold / 100"}]
        s["encoding"]["tooltip"] = [{"field": "c0", "type": "quantitative"}, {"field": "c1", "type": "nominal"},
                                    {"field": "c2", "type": "temporal"}, {"field": "c3", "type": "quantitative"}]
        s["encoding"]["color"] = {"condition": {"test": "datum.value > 50", "value": "#D55E00"}, "value": "#0072B2"}
        s["encoding"]["href"] = {"field": "id", "type": "nominal"}
        s["encoding"]["x"]["axis"] = {"labelExpr": "format(datum.value, ',')", "format": ",", "formatType": "number"}

    edit_view(nexus_copy, spec(change))
    result = run_cli("validate", "--strict")
    assert result.exit_code == 0, result.output
    built = run_cli("build", "--out", str(workdir / "site"))
    assert built.exit_code == 0, built.output
    drawn = json.loads((workdir / "site" / "charts" / "operation-nexus" / f"{VIEW}.vl.json").read_text(encoding="utf-8"))
    assert {t.get("calculate") for t in drawn["transform"]} >= set(ACCEPTED[:4])
    assert (workdir / "site" / "charts" / "operation-nexus" / f"{VIEW}.png").stat().st_size > 1000


def test_the_shipped_package_has_no_view_error():
    result = run_cli("validate", "--strict", str(NEXUS))
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


# --- drawing in a child process ------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _shipped_chart() -> charts.Chart:
    from frictionless import Package

    descriptor = json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))
    package = Package(str(NEXUS / "datapackage.json"))
    tables = charts.tables_from_package(package)
    view = descriptor["views"][view_index(descriptor)]
    return charts.build_chart(view, tables, f"operation-nexus/{VIEW}", [r.name for r in package.resources])


def _chart() -> charts.Chart:
    return _shipped_chart()


def _abort(*args):
    os.abort()  # as vl-convert's native code does when it panics


def _sleep(*args):
    time.sleep(60)


def _raise(*args):
    raise RuntimeError("the renderer failed on purpose")


def test_an_exception_in_the_renderer_is_a_clean_error_naming_the_chart():
    chart = dataclasses.replace(_chart(), spec={**_chart().spec, "data": {"url": f"{EVIL}/d.csv"}})
    with pytest.raises(BuildError) as caught:
        charts.render_svg(chart)
    message = str(caught.value)
    assert f'view "{VIEW}" in package "operation-nexus" could not be drawn as SVG' in message
    assert "External data url not allowed" in message
    assert "how to fix:" in message
    assert charts.render_svg(_chart()).startswith("<svg")  # the same child draws the next chart


def test_a_native_crash_in_the_renderer_is_a_clean_error_and_the_next_chart_draws():
    values = [{"label": "a\x00b", "value": 1}]  # a NUL byte in a label: vl-convert 1.9 panics and aborts
    rest = {k: v for k, v in _chart().spec.items() if k not in ("data", "datasets")}
    chart = dataclasses.replace(_chart(), spec={**rest, "data": {"values": values}})
    with pytest.raises(BuildError) as caught:
        charts.render_svg(chart)
    assert f'view "{VIEW}" in package "operation-nexus" could not be drawn as SVG' in str(caught.value)
    assert "crashed" in str(caught.value)
    assert charts.render_png(_chart())[:8] == b"\x89PNG\r\n\x1a\n"  # a new child took its place


@pytest.mark.parametrize("draw, words", [(_abort, "crashed"), (_raise, "failed on purpose")], ids=["abort", "raise"])
def test_whatever_the_child_does_the_error_names_the_chart(monkeypatch, draw, words):
    monkeypatch.setattr(charts, "_DRAW", draw)
    with pytest.raises(BuildError) as caught:
        charts.render_png(_chart())
    assert f'view "{VIEW}" in package "operation-nexus" could not be drawn as PNG' in str(caught.value)
    assert words in str(caught.value)


def test_a_drawing_that_never_ends_is_stopped(monkeypatch):
    monkeypatch.setattr(charts, "_DRAW", _sleep)
    monkeypatch.setattr(charts, "RENDER_TIMEOUT", 3)
    started = time.monotonic()
    with pytest.raises(BuildError) as caught:
        charts.render_svg(_chart())
    assert time.monotonic() - started < 30
    assert "longer than 3 seconds" in str(caught.value)
    monkeypatch.undo()
    assert charts.render_svg(_chart()).startswith("<svg")


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_whose_renderer_crashes_exits_1_and_leaves_the_last_good_site(nexus_copy, workdir, monkeypatch):
    for name in ("site_src", "templates"):
        shutil.copytree(ROOT / name, workdir / name)
    shutil.copy(ROOT / "mkdocs.yml", workdir / "mkdocs.yml")
    site = workdir / "site"
    site.mkdir()
    (site / "index.html").write_text("the last good site", encoding="utf-8")
    before = _digest(site)
    monkeypatch.setattr(charts, "_DRAW", _abort)
    result = run_cli("build", "--out", str(site))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    error = next(line for line in result.output.splitlines() if line.startswith("error: "))
    assert 'in package "operation-nexus" could not be drawn' in error and "crashed" in error
    assert _digest(site) == before


# --- vl-convert loads nothing --------------------------------------------------------------------

def test_a_png_of_an_image_on_another_host_is_refused_in_the_child():
    """The last lock, behind validation: the child draws no PNG whose <image> leads off the site."""
    chart = dataclasses.replace(_chart(), spec={
        "data": {"values": [{"u": "http://127.0.0.1:9/a.png"}]}, "mark": {"type": "image", "width": 10, "height": 10},
        "encoding": {"url": {"field": "u", "type": "nominal"}, "x": {"value": 5}, "y": {"value": 5}}})
    with pytest.raises(BuildError) as caught:
        charts.render_png(chart)
    assert "http://127.0.0.1:9/a.png" in str(caught.value)


class _Counting(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("locked", [False, True], ids=["without-the-lock", "with-the-lock"])
def test_the_child_s_proxy_lock_stops_vl_convert_fetching_images(locked):
    """vl-convert 1.9's PNG step fetches an <image>'s http address even with allowed_base_urls=[].

    Without chart_worker.initialise the request reaches a local server (so this test can see one);
    with it, every proxy variable points at a closed port and nothing arrives.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Counting.requests = []
    url = f"http://127.0.0.1:{server.server_address[1]}/a.png"
    program = ("import json, sys, vl_convert\n"
               "from opentally import chart_worker\n"
               f"{'chart_worker.initialise()' if locked else ''}\n"
               "spec = json.loads(sys.argv[1])\n"
               "vl_convert.vegalite_to_png(spec, vl_version='6.4', allowed_base_urls=[])\n")
    drawn = {"data": {"values": [{"u": url}]}, "mark": {"type": "image", "width": 10, "height": 10},
             "encoding": {"url": {"field": "u", "type": "nominal"}, "x": {"value": 5}, "y": {"value": 5}}}
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    try:
        subprocess.run([sys.executable, "-c", program, json.dumps(drawn)], cwd=ROOT, env=env, timeout=60,
                       check=True, capture_output=True)
    finally:
        server.shutdown()
        server.server_close()
    assert bool(_Counting.requests) is not locked, _Counting.requests
