"""Data Package views: which resources a view uses, and what is wrong with a view.

A package declares its charts under ``"views"`` in datapackage.json. Publishers write them in several
forms (``"resources": ["a"]``, ``"resources": [{"name": "a"}]``, ``"resources": [0]``, the older
``"resourceName": "a"``, or nothing when the package has one resource), and with two drawable spec
types: datahub's ``"simple"`` (``type``, ``group``, ``series``) and ``"vega-lite"``. This module
reads every form and checks a view against the package's resources and fields. It knows nothing of
Altair: ``charts`` draws what passes here.

Nothing here raises for a bad view: ``view_problems`` returns (JSON pointer, message, how to fix)
values, and the caller turns them into issues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

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
                  resource_names: list[str]) -> list[Problem]:
    """Everything that stops the view at ``views[index]`` from being drawn from this package's data.

    ``fields_by_resource`` gives the field names of each tabular resource; ``resource_names`` all the
    package's resources, in order. An unknown specType is not a problem: the site shows such a view's
    data as a table.
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
        problems += _check_vega_lite(spec, f"{where}/spec", label, resources, fields_by_resource)
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
                     fields_by_resource: dict[str, list[str]]) -> list[Problem]:
    problems = [(pointer, f'{label} loads data from {_shown(url)}, but the build never fetches anything',
                 'remove the "url": the build puts the rows of the view\'s resources into the chart; '
                 "to draw another file, add it to the package as a resource and name it in \"resources\"")
                for pointer, url in _data_urls(spec, where)]
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


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _transforms(node: object) -> Iterator[dict]:
    """Every transform of the spec and of the specs inside it."""
    if isinstance(node, dict):
        for t in node.get("transform") or []:
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
            made.update(f for f in lookup_from.get("fields") or [] if isinstance(f, str))
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
    for n, t in enumerate(spec.get("transform") or []):
        if isinstance(t, dict) and "filter" in t:
            yield from _predicate_fields(t["filter"], f"{where}/transform/{n}/filter")
    for key in _COMPOSITION_KEYS:
        for n, inner in enumerate(spec.get(key) or []):
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
        for n, inner in enumerate(predicate.get(key) or []):
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
