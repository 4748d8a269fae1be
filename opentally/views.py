"""Data Package views: which resources a view uses, and what is wrong with a view.

A package declares its charts under ``"views"`` in datapackage.json. Publishers write them in several
forms (``"resources": ["a"]``, ``"resources": [{"name": "a"}]``, ``"resources": [0]``, the older
``"resourceName": "a"``, or nothing when the package has one resource), and with two drawable spec
types: datahub's ``"simple"`` (``type``, ``group``, ``series``) and ``"vega-lite"``. This module
reads every form and checks a view against the package's resources and fields, and a vega-lite spec
for anything that is code rather than data (see "safety" below: expressions are checked by
``vega_expr``). It knows nothing of Altair: ``charts`` draws what passes here.

Nothing here raises for a bad view: ``view_problems`` returns (JSON pointer, message, how to fix)
values, and the caller turns them into issues.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import unquote

from . import vega_expr
from .issues import pointer_part as _escape

# specType values this project draws. Other publishers use "plot", "table", "tabular", "vega"...:
# those views are legal, the site shows their data as a table instead of a chart.
SIMPLE = "simple"
VEGA_LITE = "vega-lite"
_SPEC_TYPES = {"simple": SIMPLE, "vega-lite": VEGA_LITE, "vegalite": VEGA_LITE}
SIMPLE_CHART_TYPES = ("line", "bar", "lines-and-points")

# Keys of a Vega-Lite spec that hold a list of inner specs.
_COMPOSITION_KEYS = ("layer", "concat", "hconcat", "vconcat")
# Transforms that make new fields, and the names they use when "as" is not given.
_DEFAULT_OUTPUT_FIELDS = {
    "fold": ("key", "value"),
    "density": ("value", "density"),
    "quantile": ("prob", "value"),
    "loess": (),
    "regression": (),
}

Problem = tuple[str, str, str]  # (JSON pointer, message, how to fix)


def spec_type(view: dict) -> str | None:
    """The view's specType in the project's spelling ("simple" or "vega-lite"), None for any other."""
    value = view.get("specType")
    return _SPEC_TYPES.get(value.strip().lower()) if isinstance(value, str) else None


def is_drawable(view: dict) -> bool:
    """True for the spec types this project turns into charts: "simple" and "vega-lite"."""
    return isinstance(view, dict) and spec_type(view) is not None


def view_resources(view: dict, resource_names: Sequence[str] | None = None,
                   default: str | None = None) -> list[str]:
    """The names of the resources a view draws from, in the order the view gives them.

    ``resource_names`` (the package's resources, in order) resolves integer indexes; ``default``
    is the resource a view without any resource reference uses, for a package with exactly one
    resource (when ``default`` is not given, ``resource_names`` with one name serves). A reference
    that cannot be resolved is left out here; ``view_problems`` reports it.
    """
    names = []
    for _, ref in _resource_refs(view):
        name = _resolve(ref, resource_names)
        if name is not None:
            names.append(name)
    if not names and not _has_resource_key(view):
        fallback = default
        if fallback is None and resource_names is not None and len(resource_names) == 1:
            fallback = resource_names[0]
        return [fallback] if fallback is not None else []
    return names


def _has_resource_key(view: dict) -> bool:
    return "resources" in view or "resourceName" in view


def _resource_refs(view: dict) -> Iterator[tuple[str, object]]:
    """(JSON pointer inside the view, reference) for each resource reference, in any form."""
    if "resources" in view:
        refs = view["resources"]
        if not isinstance(refs, list):
            yield "/resources", refs
            return
        for n, ref in enumerate(refs):
            if isinstance(ref, dict):
                yield f"/resources/{n}/name", ref.get("name")
            else:
                yield f"/resources/{n}", ref
    elif "resourceName" in view:
        yield "/resourceName", view["resourceName"]


def _resolve(ref: object, resource_names: Sequence[str] | None) -> str | None:
    if isinstance(ref, str) and ref:
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool) and resource_names is not None:
        return resource_names[ref] if 0 <= ref < len(resource_names) else None
    return None


# --- problems ------------------------------------------------------------------------------------

def view_problems(view: dict, index: int, fields_by_resource: dict[str, list[str]],
                  resource_names: list[str],
                  rows_by_resource: Mapping[str, Sequence[Mapping]] | None = None) -> list[Problem]:
    """Everything that stops the view at ``views[index]`` from being drawn from this package's data,
    or from being published safely.

    ``fields_by_resource`` gives the field names of each tabular resource; ``resource_names`` all the
    package's resources, in order; ``rows_by_resource`` the rows of each tabular resource (field name
    to value), which a link or image address taken from a column is checked against: without them,
    such a view is refused. An unknown specType is not a problem: the site shows such a view's data as
    a table. A vega-lite spec is data, not code: see ``_safety_problems`` for what it may not hold.
    """
    where = f"/views/{index}"
    if not isinstance(view, dict):
        return [(where, f"view {index} is not a JSON object",
                 'write each view as an object: {"name": ..., "resources": [...], "specType": ..., "spec": {...}}')]
    label = f'view "{view["name"]}"' if _named(view) else f"view {index}"
    problems: list[Problem] = []
    if not _named(view):
        problems.append((f"{where}/name", f"{label} has no name",
                         'add "name": a short identifier in lower case with dashes, e.g. "custody-funnel"; '
                         "pages and links refer to the view by it"))
    problems += _plain_text_problems(view, where, label)
    kind = spec_type(view)
    resources, resource_problems = _check_resources(view, where, label, fields_by_resource, resource_names,
                                                    drawn=kind is not None)
    problems += resource_problems
    if kind is None:
        return problems
    spec = view.get("spec")
    if not isinstance(spec, dict):
        example = ('{"type": "line", "group": "Date", "series": ["Rate"]}' if kind == SIMPLE
                   else '{"mark": "bar", "encoding": {...}}')
        return problems + [(f"{where}/spec", f"{label} has no spec, so there is nothing to draw",
                            f'add "spec": {example}')]
    if kind == SIMPLE:
        problems += _check_simple(spec, f"{where}/spec", label, resources, fields_by_resource)
    else:
        problems += _check_vega_lite(spec, f"{where}/spec", label, resources, fields_by_resource, rows_by_resource)
    return problems


def _named(view: dict) -> bool:
    return isinstance(view.get("name"), str) and bool(view["name"].strip())


def _check_resources(view: dict, where: str, label: str, fields_by_resource: dict[str, list[str]],
                     resource_names: list[str], drawn: bool) -> tuple[list[str], list[Problem]]:
    """The view's resources that exist and hold a table, and the problems with the others.

    A resource that is not a table is a problem only for a view this site draws as a chart.
    """
    problems: list[Problem] = []
    found: list[str] = []
    known = ", ".join(f'"{n}"' for n in resource_names) or "none"
    refs = list(_resource_refs(view))
    if not refs and not _has_resource_key(view):
        if len(resource_names) == 1:
            refs = [("", resource_names[0])]
        else:
            return found, [(f"{where}/resources",
                            f"{label} names no resource, and the package has {len(resource_names)}",
                            f'add "resources": ["..."] naming the resources it draws; the package has: {known}')]
    if not refs:
        return found, [(f"{where}/resources", f"{label} names no resource",
                        f'list the resources it draws in "resources"; the package has: {known}')]
    for pointer, ref in refs:
        name = _resolve(ref, resource_names)
        if name is None or name not in resource_names:
            shown = f'"{ref}"' if isinstance(ref, str) else str(ref) if isinstance(ref, int) else "nothing"
            problems.append((where + pointer, f"{label} uses resource {shown}, which the package does not have",
                             f"name one of the package's resources: {known}"))
        elif name not in fields_by_resource:
            if drawn:
                problems.append((where + pointer, f'{label} uses resource "{name}", which is not a table',
                                 "a chart draws the rows of a tabular resource (a CSV file with a schema): "
                                 "name one of those instead"))
        else:
            found.append(name)
    return found, problems


def _check_simple(spec: dict, where: str, label: str, resources: list[str],
                  fields_by_resource: dict[str, list[str]]) -> list[Problem]:
    problems: list[Problem] = []
    chart_type = spec.get("type")
    if chart_type not in SIMPLE_CHART_TYPES:
        problems.append((f"{where}/type", f"{label} has chart type {_shown(chart_type)}, which a simple view cannot draw",
                         'use "type": "line" or "type": "bar"'))
    group = spec.get("group")
    if not isinstance(group, str) or not group:
        problems.append((f"{where}/group", f"{label} has no group: the field along the x axis",
                         'add "group": the name of the field for the x axis, e.g. "Date"'))
    else:
        problems += _missing_field(group, f"{where}/group", label, resources, fields_by_resource)
    series = spec.get("series")
    if isinstance(series, str):
        series = [series]
    if not isinstance(series, list) or not series:
        problems.append((f"{where}/series", f"{label} has no series: the fields to draw",
                         'add "series": a list of the fields to draw, e.g. ["Rate"]'))
        return problems
    for n, name in enumerate(series):
        pointer = f"{where}/series/{n}" if isinstance(spec.get("series"), list) else f"{where}/series"
        if not isinstance(name, str):
            problems.append((pointer, f"{label}: series {n} is not a field name", 'write each series as a field name, e.g. "Rate"'))
        else:
            problems += _missing_field(name, pointer, label, resources, fields_by_resource)
    return problems


def _missing_field(name: str, pointer: str, label: str, resources: list[str],
                   fields_by_resource: dict[str, list[str]]) -> list[Problem]:
    """The problem when one of the view's resources lacks the field: the view stacks their rows."""
    lacking = [r for r in resources if _root_field(name) not in fields_by_resource.get(r, [])]
    if not lacking:
        return []
    fields = ", ".join(f'"{f}"' for f in fields_by_resource.get(lacking[0], []))
    if len(lacking) == 1:
        message = f'{label} uses field "{name}", which resource "{lacking[0]}" does not have'
    else:
        names = " and ".join(f'"{r}"' for r in lacking)
        message = f'{label} uses field "{name}", which resources {names} do not have'
    return [(pointer, message, f'use a field of "{lacking[0]}" ({fields}); names are case-sensitive')]


def _root_field(name: str) -> str:
    """The column a Vega-Lite field reads: "a.b" reads column "a"; "a\\.b" reads column "a.b"."""
    match = re.match(r"((?:\\.|[^.\[\\])*)", name)
    root = match.group(1) if match else name
    return re.sub(r"\\(.)", r"\1", root)


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else "none" if value is None else str(value)


# --- vega-lite -----------------------------------------------------------------------------------

def _check_vega_lite(spec: dict, where: str, label: str, resources: list[str],
                     fields_by_resource: dict[str, list[str]],
                     rows_by_resource: Mapping[str, Sequence[Mapping]] | None = None) -> list[Problem]:
    problems = [(pointer, f'{label} loads data from {_shown(url)}, but the build never fetches anything',
                 'remove the "url": the build puts the rows of the view\'s resources into the chart; '
                 "to draw another file, add it to the package as a resource and name it in \"resources\"")
                for pointer, url in _data_urls(spec, where)]
    problems += _safety_problems(spec, where, label, resources, fields_by_resource, rows_by_resource)
    if _has_transform(spec, "pivot"):
        return problems  # pivot makes fields named by data values: nothing can be checked by name
    made = _fields_made_by_transforms(spec)
    for pointer, name in _field_references(spec, where):
        if _root_field(name) not in made:
            problems += _missing_field(name, pointer, label, resources, fields_by_resource)
    return problems


def _data_urls(node: object, where: str) -> Iterator[tuple[str, object]]:
    """Every "data": {"url": ...} anywhere in the spec (layers, lookups, facets...)."""
    if isinstance(node, dict):
        for key, value in node.items():
            pointer = f"{where}/{_escape(key)}"
            if key == "data" and isinstance(value, dict) and "url" in value:
                yield f"{pointer}/url", value["url"]
            yield from _data_urls(value, pointer)
    elif isinstance(node, list):
        for n, item in enumerate(node):
            yield from _data_urls(item, f"{where}/{n}")


def _list(value: object) -> list:
    """A list from the spec, or none: a wrong type is the schema check's to report, not a crash."""
    return value if isinstance(value, list) else []




def _transforms(node: object) -> Iterator[dict]:
    """Every transform of the spec and of the specs inside it."""
    if isinstance(node, dict):
        for t in _list(node.get("transform")):
            if isinstance(t, dict):
                yield t
        for key, value in node.items():
            if key != "transform" and isinstance(value, (dict, list)):
                yield from _transforms(value)
    elif isinstance(node, list):
        for item in node:
            yield from _transforms(item)


def _has_transform(spec: dict, kind: str) -> bool:
    return any(kind in t for t in _transforms(spec))


def _fields_made_by_transforms(spec: dict) -> set[str]:
    """Names that transforms create (calculate, aggregate, fold, window, bin, lookup... "as")."""
    made: set[str] = set()
    for t in _transforms(spec):
        made.update(_as_names(t))
        for kind, defaults in _DEFAULT_OUTPUT_FIELDS.items():
            if kind in t and "as" not in t:
                made.update(defaults)
        lookup_from = t.get("from")
        if "lookup" in t and isinstance(lookup_from, dict):
            made.update(f for f in _list(lookup_from.get("fields")) if isinstance(f, str))
    return made


def _as_names(node: object) -> Iterator[str]:
    """Every "as" value in a transform, including those of its operations (aggregate: [{..., "as"}])."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "as":
                yield from ([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
                            if isinstance(value, list) else [])
            else:
                yield from _as_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _as_names(item)


def _field_references(spec: dict, where: str) -> Iterator[tuple[str, str]]:
    """(JSON pointer, field name) for each field named by an encoding, a sort, a filter or a repeat."""
    yield from _encoding_fields(spec.get("encoding"), f"{where}/encoding")
    facet = spec.get("facet")
    if isinstance(facet, dict):
        if "field" in facet:
            yield from _channel_fields(facet, f"{where}/facet")
        else:
            yield from _encoding_fields(facet, f"{where}/facet")
    yield from _repeat_fields(spec.get("repeat"), f"{where}/repeat")
    for n, t in enumerate(_list(spec.get("transform"))):
        if isinstance(t, dict) and "filter" in t:
            yield from _predicate_fields(t["filter"], f"{where}/transform/{n}/filter")
    for key in _COMPOSITION_KEYS:
        for n, inner in enumerate(_list(spec.get(key))):
            if isinstance(inner, dict):
                yield from _field_references(inner, f"{where}/{key}/{n}")
    if isinstance(spec.get("spec"), dict):
        yield from _field_references(spec["spec"], f"{where}/spec")


def _encoding_fields(encoding: object, where: str) -> Iterator[tuple[str, str]]:
    if not isinstance(encoding, dict):
        return
    for channel, definition in encoding.items():
        pointer = f"{where}/{_escape(channel)}"
        if isinstance(definition, list):
            for n, item in enumerate(definition):
                yield from _channel_fields(item, f"{pointer}/{n}")
        else:
            yield from _channel_fields(definition, pointer)


def _channel_fields(definition: object, where: str) -> Iterator[tuple[str, str]]:
    if not isinstance(definition, dict):
        return
    field = definition.get("field")
    if isinstance(field, str) and field != "*":
        yield f"{where}/field", field
    sort = definition.get("sort")
    if isinstance(sort, dict) and isinstance(sort.get("field"), str):
        yield f"{where}/sort/field", sort["field"]
    condition = definition.get("condition")
    for n, item in enumerate(condition if isinstance(condition, list) else [condition]):
        pointer = f"{where}/condition" + (f"/{n}" if isinstance(condition, list) else "")
        yield from _channel_fields(item, pointer)


def _predicate_fields(predicate: object, where: str) -> Iterator[tuple[str, str]]:
    """Fields of a filter predicate, through "and", "or" and "not"; an expression string is not read."""
    if not isinstance(predicate, dict):
        return
    if isinstance(predicate.get("field"), str):
        yield f"{where}/field", predicate["field"]
    for key in ("and", "or"):
        for n, inner in enumerate(_list(predicate.get(key))):
            yield from _predicate_fields(inner, f"{where}/{key}/{n}")
    if "not" in predicate:
        yield from _predicate_fields(predicate["not"], f"{where}/not")


def _repeat_fields(repeat: object, where: str) -> Iterator[tuple[str, str]]:
    """A repeat lists field names: ["a", "b"] or {"row": [...], "column": [...], "layer": [...]}."""
    if isinstance(repeat, list):
        yield from ((f"{where}/{n}", name) for n, name in enumerate(repeat) if isinstance(name, str))
    elif isinstance(repeat, dict):
        for key, names in repeat.items():
            if isinstance(names, list):
                yield from ((f"{where}/{key}/{n}", name) for n, name in enumerate(names) if isinstance(name, str))


# --- safety: a spec is data, not code ------------------------------------------------------------
#
# A vega-lite spec comes from a contributor, and every reader's browser runs it (vega-embed, with
# Vega's expression interpreter), as does the build (vl-convert). So a spec may hold nothing that
# makes a browser request another host, runs code of the contributor's choosing, reaches outside the
# chart, or restyles it. What is refused, and why:

_REFUSED_PROPERTIES = {
    "usermeta": ('holds "usermeta", whose "embedOptions" would change how readers\' browsers draw the chart '
                 "(load a theme from another host, turn off the safe expression interpreter, add links)",
                 'remove "usermeta": the site draws every chart with the same options'),
    "config": ('has its own "config", but every chart on this site has the site\'s one theme (colour-blind-safe '
               "colours with enough contrast, the site's font, readable axes)",
               'remove "config"; to set a colour or size for one mark, set it on the mark, e.g. '
               '"mark": {"type": "bar", "color": "#D55E00"}'),
    "patch": ('holds a "patch", which would rewrite the chart after it is checked',
              'remove "patch": write the spec as it should be drawn'),
    "datasets": ('holds "datasets": data of its own, where a chart draws the rows of the view\'s resources',
                 'remove "datasets"; add the data to the package as a resource and name it in "resources"'),
    "signal": ('uses a Vega "signal", which reaches into the running chart',
               'use a value, or a parameter ("params") with a plain expression, instead'),
}
# Keys whose text is a Vega expression (a "filter" or a "test" may also be a predicate object).
_EXPRESSION_KEYS = ("expr", "calculate", "labelExpr", "toggle")
_PREDICATE_KEYS = ("filter", "test")
# The plain events a selection may listen to: on the chart itself, never on the window or the page.
EVENTS = ("click", "dblclick", "pointerover", "pointerout", "pointermove", "pointerdown", "pointerup",
          "mouseover", "mouseout", "mousemove", "mousedown", "mouseup", "touchstart", "touchmove", "touchend")
_EVENT_KEYS = ("on", "clear", "zoom", "translate")
FORMAT_TYPES = ("number", "time", "utc")
_CURSOR = re.compile(r"[a-z]+(?:-[a-z]+)*")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED_NAMES = {"datum", "event", "item", "this", "window", "document", "parent", "undefined", "NaN",
                   "constructor", "prototype", *vega_expr.CONSTANTS}
_CSS_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_CONTROL_OR_SPACE_AT_ENDS = re.compile(r"[\x00-\x1f\x7f]|^\s|\s$")
MAX_SEQUENCE = 100_000  # values a "sequence" data generator (or an impute's keyvals) may make
MAX_COUNT = 10_000  # bins, density steps and the like a spec may ask for
_COUNTS = ("maxbins", "steps", "minsteps", "maxsteps", "tickCount", "count")


def _plain_text_problems(view: dict, where: str, label: str) -> list[Problem]:
    """The view's title and description are text: the page shows them, and names the chart by them."""
    return [(f"{where}/{key}", f"{label} has a {key} that is not plain text ({_kind(view[key])})",
             f'write "{key}" as text in quotes, e.g. "{key}": "{_EXAMPLE_TEXT[key]}"')
            for key in ("title", "description") if key in view and not isinstance(view[key], str)]


_EXAMPLE_TEXT = {"title": "Prisoners through custody, 2012 to 2013",
                 "description": "What the chart shows, in a sentence or two"}


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return ("an expression" if "expr" in value else "a signal" if "signal" in value
                else "an object")
    return {str: "text", list: "a list", bool: "true or false", int: "a number", float: "a number"}.get(
        type(value), "null")


def _safety_problems(spec: dict, where: str, label: str, resources: list[str],
                     fields_by_resource: dict[str, list[str]],
                     rows_by_resource: Mapping[str, Sequence[Mapping]] | None) -> list[Problem]:
    """Everything in a vega-lite spec that is code rather than data, or reaches outside the chart.

    Refused: ``usermeta``, ``config``, ``patch``, ``datasets`` and any ``signal``; an expression
    (``calculate``, a ``filter`` or ``test`` given as text, ``expr``, ``labelExpr``, ``toggle``) that
    fails ``vega_expr``'s allow-list; a parameter bound to an element of the page, or listening to an
    event other than a plain one on the chart (``EVENTS``); a ``formatType`` other than ``FORMAT_TYPES``;
    a link (``href``) or image address (``url``) that is not a relative path on the site, including
    every value of a column it is taken from; a CSS ``url(...)``; a ``cursor`` other than a keyword; a
    title that is not text; a ``sequence`` of more than ``MAX_SEQUENCE`` values.
    """
    check = _SafetyCheck(label, _param_names(spec), resources, fields_by_resource, rows_by_resource,
                         _fields_made_by_transforms(spec))
    check.title(spec.get("title"), f"{where}/title")
    check.visit(spec, where, root=True)
    return check.problems


def _param_names(spec: object) -> set[str]:
    """The names of the parameters the spec declares, anywhere in it: expressions may read them."""
    found: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "params" and isinstance(value, list):
                found.update(p["name"] for p in value if isinstance(p, dict) and isinstance(p.get("name"), str))
            if key != "data":
                found |= _param_names(value)
    elif isinstance(spec, list):
        for item in spec:
            found |= _param_names(item)
    return found


class _SafetyCheck:
    def __init__(self, label: str, names: set[str], resources: list[str], fields_by_resource: dict[str, list[str]],
                 rows_by_resource: Mapping[str, Sequence[Mapping]] | None, made: set[str]):
        self.label = label
        self.names = {n for n in names if _PARAM_NAME.fullmatch(n) and n not in _RESERVED_NAMES}
        self.resources = resources
        self.fields_by_resource = fields_by_resource
        self.rows_by_resource = rows_by_resource
        self.made = made
        self.problems: list[Problem] = []

    def refuse(self, pointer: str, message: str, hint: str) -> None:
        self.problems.append((pointer, f"{self.label} {message}", hint))

    # -- walking the spec

    def visit(self, node: object, pointer: str, root: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                self.visit_key(node, key, value, f"{pointer}/{_escape(key)}", root)
        elif isinstance(node, list):
            for n, item in enumerate(node):
                self.visit(item, f"{pointer}/{n}")
        elif isinstance(node, str) and _CSS_URL.search(node):
            self.refuse(pointer, f'has a CSS url(...), which would make readers\' browsers fetch a file: "{_short(node)}"',
                        'remove the url(...): a chart loads nothing; give a colour such as "#0072B2" instead')

    def visit_key(self, parent: dict, key: str, value: object, pointer: str, root: bool) -> None:
        if key in _REFUSED_PROPERTIES:
            message, hint = _REFUSED_PROPERTIES[key]
            self.refuse(pointer, message, hint)
            return
        if key == "data":
            self.data(value, pointer)
            return  # inline rows are data; a data URL is refused by _data_urls
        if root and key == "title":
            return  # checked by title()
        if key == "params" and isinstance(value, list):
            for n, param in enumerate(value):
                self.param(param, f"{pointer}/{n}")
            return
        if key in _EXPRESSION_KEYS and isinstance(value, str):
            self.expression(value, pointer, key)
            return
        if key in _PREDICATE_KEYS:
            self.predicate(value, pointer, key)
            return
        if key == "formatType":
            if value not in FORMAT_TYPES:
                self.refuse(pointer, f'uses the format type {_shown_value(value)}, which needs code the site does not have',
                            'use "formatType": "number", "time" or "utc" (or leave it out), with a "format" '
                            'such as ",.1f" or "%-d %b %Y"')
            return
        if key == "url" or (key == "mark" and (value == "image" or isinstance(value, dict) and value.get("type") == "image")):
            # vl-convert draws no image in the static chart (it resolves even a relative address
            # against a host of its own), so build would refuse what validate let through.
            self.refuse(pointer, "draws images (an image mark, or a url channel): the static drawing of a chart, "
                        "which readers without JavaScript see, cannot show them",
                        "draw the data with another mark (bar, point, line); put pictures in the commentary "
                        "as images in site_src/")
            return
        if key == "href":
            self.address(value, pointer, "link")
            return
        if key in _COUNTS and isinstance(value, (int, float)) and not isinstance(value, bool) and value > MAX_COUNT:
            self.refuse(pointer, f'asks for {value:,} {key}, more than a chart can draw ({MAX_COUNT:,})',
                        f'use a "{key}" of at most {MAX_COUNT:,}')
            return
        if key == "impute" and isinstance(value, dict) and isinstance(value.get("keyvals"), dict):
            self.data({"sequence": value["keyvals"]}, pointer)
            self.visit({k: v for k, v in value.items() if k != "keyvals"}, pointer)
            return
        if key == "cursor":
            if not (isinstance(value, str) and _CURSOR.fullmatch(value)):
                self.refuse(pointer, f"sets the pointer's cursor to {_shown_value(value)}, which is not a plain cursor name",
                            'use a cursor name such as "pointer" or "crosshair", or leave "cursor" out')
            return
        self.visit(value, pointer)

    # -- what each part may hold

    def title(self, title: object, pointer: str) -> None:
        if title is None or isinstance(title, str) or _strings(title):
            return
        if isinstance(title, dict) and "expr" not in title and "signal" not in title:
            text = title.get("text")
            if isinstance(text, str) or _strings(text):
                self.visit({k: v for k, v in title.items() if k != "text"}, pointer)
                return
            pointer, title = f"{pointer}/text", text
        self.refuse(pointer, f"has a chart title that is not plain text ({_kind(title)}): the page shows the title "
                    "as the chart's heading and names the chart by it",
                    'write the title as text in quotes, e.g. "title": "Referrals a week", or leave it out and '
                    'give the view a "title"')

    def data(self, value: object, pointer: str) -> None:
        if not isinstance(value, dict):
            return
        sequence = value.get("sequence")
        if isinstance(sequence, dict):
            start, stop, step = sequence.get("start"), sequence.get("stop"), sequence.get("step", 1)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, stop, step)) and step:
                span = (stop - start) / step
                count = math.ceil(span) if math.isfinite(span) else math.inf
                if count > MAX_SEQUENCE:
                    shown = f"{count:,}" if math.isfinite(count) else "endless"
                    self.refuse(f"{pointer}/sequence", f"makes a sequence of {shown} values, more than a chart can draw "
                                f"({MAX_SEQUENCE:,})", "make the sequence shorter, or put the values in a resource")
        # Nothing else in "data" is read: inline values are data, and a "format" names columns as keys.

    def expression(self, text: str, pointer: str, key: str) -> None:
        for problem in vega_expr.expression_problems(text, self.names):
            what = {"expr": "expression", "calculate": "calculation", "labelExpr": "label expression",
                    "toggle": "toggle expression", "filter": "filter", "test": "condition"}[key]
            self.refuse(pointer, f'has {_a(what)} "{_short(text)}" that {problem}', vega_expr.hint_for(problem))

    def predicate(self, value: object, pointer: str, key: str) -> None:
        """A filter or test: an expression, or a predicate object whose "and", "or", "not" may hold them."""
        if isinstance(value, str):
            self.expression(value, pointer, key)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                self.predicate(item, f"{pointer}/{n}", key)
        elif isinstance(value, dict):
            for inner, item in value.items():
                inner_pointer = f"{pointer}/{_escape(inner)}"
                if inner in ("and", "or", "not"):
                    self.predicate(item, inner_pointer, key)
                else:
                    self.visit_key(value, inner, item, inner_pointer, root=False)

    def param(self, param: object, pointer: str) -> None:
        if not isinstance(param, dict):
            return
        name = param.get("name")
        if isinstance(name, str) and (not _PARAM_NAME.fullmatch(name) or name in _RESERVED_NAMES or name.startswith("__")):
            self.refuse(f"{pointer}/name", f'has a parameter named "{_short(name)}", which is not a name a chart may give',
                        "name the parameter with letters, digits and _, starting with a letter, e.g. \"threshold\"; "
                        "not datum, event, item, this, window or a constant's name")
        bind = param.get("bind")
        if isinstance(bind, dict):
            if "element" in bind:
                self.refuse(f"{pointer}/bind/element", "puts a control into another part of the page "
                            f"({_shown_value(bind['element'])})",
                            'remove "element": the control is drawn with the chart')
            if "legend" in bind:
                self.event(bind["legend"], f"{pointer}/bind/legend")
        select = param.get("select")
        if isinstance(select, dict):
            for key in _EVENT_KEYS:
                if key in select:
                    self.event(select[key], f"{pointer}/select/{key}")
        for key, value in param.items():
            if key in ("value", "name"):
                continue  # a parameter's value is data
            if key == "select" and isinstance(value, dict):
                rest = {k: v for k, v in value.items() if k not in _EVENT_KEYS}
                self.visit(rest, f"{pointer}/select")
            elif key == "bind" and isinstance(value, dict):
                self.visit({k: v for k, v in value.items() if k not in ("element", "legend")}, f"{pointer}/bind")
            else:
                self.visit_key(param, key, value, f"{pointer}/{_escape(key)}", root=False)

    def event(self, value: object, pointer: str) -> None:
        if isinstance(value, bool) or (isinstance(value, str) and value in EVENTS):
            return
        self.refuse(pointer, f"listens to the event {_shown_value(value)}, which is not a plain event on the chart",
                    f"use one of {', '.join(EVENTS)} (or true or false), without a source such as window: "
                    "and without filters or ranges")

    def address(self, value: object, pointer: str, what: str) -> None:
        """A link or image address: a relative path on the site, checked where it is given."""
        if value is None or isinstance(value, (bool, int, float)):
            return
        if isinstance(value, str):
            reason = off_site_reason(value)
            if reason:
                self.refuse(pointer, f'has {_a(what)} "{_short(value)}" that {reason}', _address_hint(what))
            return
        if isinstance(value, list):
            for n, item in enumerate(value):
                self.address(item, f"{pointer}/{n}", what)
            return
        if not isinstance(value, dict):
            return
        for key in ("expr", "signal"):
            if key in value:
                self.refuse(f"{pointer}/{key}", f"computes {_a(what)} with an expression, so where it leads cannot be checked",
                            f"give the {what} as text (a relative path on the site), or take it from a column")
        for key in ("value", "datum"):
            if key in value:
                self.address(value[key], f"{pointer}/{key}", what)
        condition = value.get("condition")
        if condition is not None:
            self.address(condition, f"{pointer}/condition", what)
        for key in _PREDICATE_KEYS:
            if key in value:
                self.predicate(value[key], f"{pointer}/{key}", key)
        if isinstance(value.get("field"), str):
            self.address_field(value["field"], f"{pointer}/field", what)
        for key, item in value.items():  # the rest of a channel: titles, formats, ...
            if key not in ("expr", "signal", "value", "datum", "condition", "field", *_PREDICATE_KEYS):
                self.visit_key(value, key, item, f"{pointer}/{_escape(key)}", root=False)

    def address_field(self, field: str, pointer: str, what: str) -> None:
        root = _root_field(field)
        if root in self.made or root != re.sub(r"\\(.)", r"\1", field):
            self.refuse(pointer, f'takes each {what} from "{_short(field)}", which a transform makes or which is '
                        "inside a column, so the addresses cannot be checked",
                        f"take the {what} straight from a column of the view's resources, whose every value is a "
                        "relative path on the site")
            return
        if self.rows_by_resource is None:
            self.refuse(pointer, f'takes each {what} from column "{_short(root)}", whose values are not at hand to check',
                        "validate the package (python build.py validate), which checks every value")
            return
        for resource in self.resources:
            if root not in self.fields_by_resource.get(resource, []):
                continue  # the missing field is reported by the field checks
            for n, row in enumerate(self.rows_by_resource.get(resource, ())):
                value = row.get(root)
                if value is None:
                    continue
                reason = off_site_reason(str(value))
                if reason:
                    self.refuse(pointer, f'takes each {what} from column "{_short(root)}", and row {n + 2} of resource '
                                f'"{resource}" has "{_short(str(value))}", which {reason}',
                                f"make every value of the column a relative path on the site, or take the {what} "
                                "from another column")
                    return


def off_site_reason(url: str) -> str | None:
    """Why a link or image address is not a relative path on the site, or None when it is one.

    A relative path has no scheme (no "https:", "javascript:", "data:"), does not start with "/", "//"
    or "\\", holds no backslash, no ".." segment (also spelt %2e%2e), no control character and no space
    at either end (browsers drop those, so "java\\tscript:" is "javascript:").
    """
    if not url.strip():
        return "is empty"
    if _CONTROL_OR_SPACE_AT_ENDS.search(url):
        return "has a control character or a space at one end"
    if _SCHEME.match(url):
        return f'names a scheme ("{_short(url.split(":", 1)[0])}:") and so leads off the site or runs code'
    if url.startswith("/"):
        return "starts with /, so it leads to another host or outside the site's folder"
    if "\\" in url:
        return "holds a backslash, which browsers read as /"
    path = url.split("?", 1)[0].split("#", 1)[0]
    if any(unquote(segment) == ".." for segment in path.split("/")):
        return "goes up a folder with .."
    return None


def _address_hint(what: str) -> str:
    return (f"give the {what} as a relative path on the site, e.g. \"downloads/operation-nexus/data/outcomes.csv\": "
            "no https:, javascript: or data:, not starting with / or //, without ..; a chart on this site links "
            "to and shows nothing from another host")


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _strings(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _short(text: str, limit: int = 80) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _shown_value(value: object) -> str:
    return f'"{_short(value)}"' if isinstance(value, str) else _kind(value)
