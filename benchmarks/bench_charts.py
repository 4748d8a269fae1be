"""How long building and rendering a chart takes, and how big its spec is, for large tables.

Prints figures; it is not a test. Run from the repository root:

    .venv/bin/python benchmarks/bench_charts.py

Each table is generated (a daily series and a category), not read with frictionless, so the figures
are the chart stage's alone.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opentally import charts  # noqa: E402
from opentally.charts import Field, Table  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
FIELDS = (Field("day", "date", "Day"), Field("rate", "number", "Rate", unit="%"), Field("area", "string", "Area"))
LINE = {"name": "daily-rate", "specType": "simple", "resources": ["big"],
        "spec": {"type": "line", "group": "day", "series": ["rate"]}}
BARS = {"name": "rate-by-area", "specType": "vega-lite", "resources": ["big"],
        "spec": {"mark": "bar", "encoding": {"y": {"field": "area", "type": "nominal"},
                                             "x": {"field": "rate", "type": "quantitative"}}}}


def generated_table(rows: int) -> Table:
    start = dt.date(1900, 1, 1)
    return Table("big", FIELDS, tuple(
        {"day": start + dt.timedelta(days=n), "rate": Decimal(n % 997) / 10, "area": f"Area {n % 12}"}
        for n in range(rows)))


def timed(function, *args):
    began = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - began


def main() -> None:
    print(f"{'rows':>10}  {'view':<14} {'build':>8} {'spec':>10} {'svg':>8} {'svg size':>9} {'png':>8}  points")
    for size in SIZES:
        tables = {"big": generated_table(size)}
        for view in (LINE, BARS):
            chart, build = timed(charts.build_chart, view, tables, f"bench/{view['name']}")
            spec = charts.spec_json(chart)
            svg, svg_time = timed(charts.render_svg, chart)
            _, png_time = timed(charts.render_png, chart)
            print(f"{size:>10,}  {view['name']:<14} {build:>7.2f}s {len(spec.encode()) / 1024:>8.0f}KB "
                  f"{svg_time:>7.2f}s {len(svg.encode()) / 1024:>7.0f}KB {png_time:>7.2f}s  {len(chart.rows):,}")
    bundle, bundle_time = timed(charts.vega_bundle)
    print(f"vega-embed.js: {len(bundle.encode()) / 1024:,.0f} KB, made in {bundle_time:.2f}s")


if __name__ == "__main__":
    main()
