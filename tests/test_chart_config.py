"""The chart theme once per page: each chart's inline spec leaves out the Vega-Lite config its page
shares, which the page writes once (<script type="application/json" id="ot-chart-config">) and
charts.js puts back. Inline JSON is compact and still escaped. The downloads stay whole specs.
(In the browser: test_browser_shared_parts.)"""

from __future__ import annotations

import json
from types import SimpleNamespace

from bs4 import BeautifulSoup

from conftest import ROOT
from opentally import render
from opentally.plan import ViewPlan
from test_browser_chart_fit import chart_pages


def soup(path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_each_page_with_charts_writes_the_theme_once_and_page_plus_theme_is_the_download(built_site):
    pages = chart_pages(built_site)
    assert {"data/operation-nexus.html", "commentary/operation-nexus.html", "index.html"} <= set(pages)
    for path in pages:
        page = soup(built_site / path)
        configs = page.select("script#ot-chart-config")
        assert len(configs) == 1 and configs[0]["type"] == "application/json", path
        shared = json.loads(configs[0].string)
        assert shared["font"].startswith("Liberation Sans,") and shared["range"]["category"]
        # Written before the first chart, and read by id: no chart keeps a copy.
        first = page.select_one("figure.ot-chart")
        assert configs[0].find_next("figure") is first, path
        for figure in page.select("figure.ot-chart:has(script.ot-chart__spec)"):
            spec = json.loads(figure.select_one("script.ot-chart__spec").string)
            assert "config" not in spec, (path, figure["id"])
            # The page's spec with the shared config is the standalone spec of the download, but for the
            # title and credit line the download adds.
            href = next(a["href"] for a in figure.select(".ot-chart__downloads a") if a["href"].endswith(".vl.json"))
            download = json.loads(((built_site / path).parent / href).resolve().read_text(encoding="utf-8"))
            assert download["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
            assert download["config"] == shared
            assert {**spec, "config": shared} == {k: v for k, v in download.items() if k not in ("$schema", "title")}
    for path in sorted(p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")):
        if path not in pages:
            assert 'id="ot-chart-config"' not in (built_site / path).read_text(encoding="utf-8"), path


def test_inline_json_is_compact_sorted_and_escaped_as_tojson_escapes(built_site):
    page = soup(built_site / "data" / "operation-nexus.html")
    scripts = page.select("script.ot-chart__spec, script#ot-chart-config, script[type='application/ld+json']")
    assert len(scripts) >= 8
    for script in scripts:
        raw = script.string
        expected = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
            expected = expected.replace(char, escape)
        assert raw == expected


def test_hostile_text_in_inline_json_cannot_end_its_script():
    env = render.make_environment(ROOT / "templates")
    hostile = {"description": "</script><script>alert(1)</script> & 'quoted' <!--"}
    out = env.from_string('<script type="application/json">{{ spec | tojson }}</script>').render(spec=hostile)
    assert out == ('<script type="application/json">{"description":"\\u003c/script\\u003e\\u003cscript\\u003e'
                   'alert(1)\\u003c/script\\u003e \\u0026 \\u0027quoted\\u0027 \\u003c!--"}</script>')
    assert json.loads(out.removeprefix('<script type="application/json">').removesuffix("</script>")) == hostile


def _view(key: str, config: dict | None) -> ViewPlan:
    spec = {"mark": "bar", "description": key, **({"config": config} if config is not None else {})}
    return ViewPlan(key.split("/")[1], key, key, SimpleNamespace(spec=spec), "", (), ())


THEME = {"font": "Liberation Sans", "axis": {"labelColor": "#333333"}}
OTHER = {"font": "Liberation Sans", "axis": {"labelColor": "#aa0000"}}


def test_a_chart_whose_config_differs_keeps_its_own():
    views = [_view("p/a", OTHER), _view("p/b", THEME), _view("p/c", THEME), _view("p/unchartable", None)]
    views[3] = ViewPlan("unchartable", "p/unchartable", "t", None, "cannot draw", (), ())
    shared = render._chart_config(views)
    assert shared.config == THEME  # the config most of the page's charts have
    assert shared.inline_spec(views[0]) == views[0].chart.spec  # kept whole
    assert shared.inline_spec(views[1]) == {"mark": "bar", "description": "p/b"}
    assert "config" in views[1].chart.spec  # the plan's spec is left as it is


def test_on_a_tie_the_first_chart_s_config_is_shared_and_a_page_without_charts_shares_none():
    assert render._chart_config([_view("p/a", OTHER), _view("p/b", THEME)]).config == OTHER
    assert render._chart_config([_view("p/b", THEME), _view("p/a", OTHER)]).config == THEME
    none = render._chart_config([ViewPlan("u", "p/u", "t", None, "cannot draw", (), ())])
    assert none.config is None
    assert none.inline_spec(_view("p/a", THEME)) == _view("p/a", THEME).chart.spec
