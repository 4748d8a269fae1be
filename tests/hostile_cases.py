"""The hostile corpus: what a contributor who means harm (or makes a bad mistake) can put in a pull request.

Each case changes a copy of the shipped project (the Operation Nexus package, site_src/, templates/,
mkdocs.yml) in one way, and says what the build must do with it: refuse it (exit 1) with a given
issue code, or build a site that is safe. ``test_hostile.py`` runs every case as a real command and
checks the rest: no traceback, the last good site untouched, nothing written outside the output,
and, for the cases that build, no script and no request to another host in Chromium.

Cases are functions of the project folder and a ``World`` (a file outside the repository that must
never be published, and a local server standing in for another host), so that the corpus needs no
files that are hostile in themselves (links to /etc/passwd, NUL bytes) in the repository.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# A string that runs script wherever it reaches HTML, an attribute or a <title> unescaped.
XSS = "T <img src=x onerror=alert(1)></script><script>alert(2)</script>\"'><svg onload=alert(3)>"
OUTSIDE_MARKER = "SECRET-OUTSIDE-THE-REPOSITORY-7f3a"


@dataclass
class World:
    outside: Path  # a file outside the project, holding OUTSIDE_MARKER
    other_host: str  # base URL of a local server that stands in for another host; it counts requests


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Path, World], None]
    code: str | None  # the issue code the build (and validate) must report; None when there is none
    words: tuple[str, ...] = ()  # words the report must contain
    validate: bool = True  # `validate` must refuse it too (False: the fault is outside the packages)
    script: bool = False  # the case tries to run script: open every built page in Chromium
    builds: bool = False  # the build must succeed, with a safe site

    @property
    def refused(self) -> bool:
        return not self.builds


NEXUS = "datapackages/operation-nexus"


def descriptor(project: Path) -> dict:
    return json.loads((project / NEXUS / "datapackage.json").read_text(encoding="utf-8"))


def save(project: Path, data: dict) -> None:
    (project / NEXUS / "datapackage.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def edit(change: Callable[[dict], None]) -> Callable[[Path, World], None]:
    """A case that changes datapackage.json."""
    def apply(project: Path, world: World) -> None:
        data = descriptor(project)
        change(data)
        save(project, data)
    return apply


def view(name: str) -> Callable[[dict], dict]:
    return lambda d: next(v for v in d["views"] if v["name"] == name)


def spec_change(change: Callable[[dict], None], name: str = "high-harm-outcomes") -> Callable[[Path, World], None]:
    """A case that changes the spec of one vega-lite view."""
    return edit(lambda d: change(view(name)(d)["spec"]))


def edit_with(change: Callable[[dict, World], None]) -> Callable[[Path, World], None]:
    """A case that changes datapackage.json using the world (the other host's address)."""
    def apply(project: Path, world: World) -> None:
        data = descriptor(project)
        change(data, world)
        save(project, data)
    return apply


def spec_with(change: Callable[[dict, World], None], name: str = "high-harm-outcomes") -> Callable[[Path, World], None]:
    return edit_with(lambda d, w: change(view(name)(d)["spec"], w))


def text_file(path: str, text: str) -> Callable[[Path, World], None]:
    def apply(project: Path, world: World) -> None:
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return apply


def replace_in(path: str, old: str, new: str) -> Callable[[Path, World], None]:
    def apply(project: Path, world: World) -> None:
        target = project / path
        text = target.read_text(encoding="utf-8")
        assert old in text, (path, old)
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def link(path: str, target: Callable[[Path, World], Path]) -> Callable[[Path, World], None]:
    def apply(project: Path, world: World) -> None:
        where = project / path
        where.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target(project, world), where)
    return apply


# --- script in readers' browsers -------------------------------------------------------------------

def _everything_hostile(d: dict) -> None:
    """Every text of the descriptor a page shows, as a script payload."""
    d["title"] = XSS
    d["description"] = f"{XSS}\n\n<script>alert(4)</script> [x](javascript:alert(5)) <a href=\"https://evil.example\">e</a>"
    d["keywords"] = [XSS, "ok"]
    d["licenses"][0]["title"] = XSS
    d["licenses"][0]["path"] = "javascript:alert(6)"
    d["licenseNote"] = XSS
    d["publisher"] = XSS
    d["contributors"][0]["title"] = XSS
    d["contributors"][0]["path"] = "javascript:alert(7)"
    d["sources"][0]["title"] = XSS
    d["version"] = XSS
    resource = d["resources"][0]
    resource["title"] = XSS
    resource["description"] = XSS
    for v in d["views"]:
        v["title"] = XSS
        v["description"] = XSS


def _hostile_pages(project: Path, world: World) -> None:
    edit(_everything_hostile)(project, world)
    replace_in("site_src/about.md", "# About this site", f"# About &lt;/title&gt;&lt;img src=x onerror=alert(8)&gt; {XSS}")(project, world)
    text_file("site_src/commentary/hostile.md",
              f"---\ntitle: \"{XSS.replace(chr(34), '')}\"\ndescription: '\"><script>alert(9)</script>'\n---\n\n"
              f"# Entities &lt;/title&gt;&lt;img src=x onerror=alert(10)&gt;\n\n{XSS}\n\n"
              "<script>alert(11)</script><iframe src=\"https://evil.example/\"></iframe>"
              "<img src=\"https://evil.example/a.png\" alt=\"remote\"> <a href=\"javascript:alert(12)\">j</a>\n\n"
              "[link](javascript:alert(13)) <svg><script>alert(14)</script></svg>\n")(project, world)
    replace_in(f"{NEXUS}/data/sources.csv", "\"Letter on Operation Nexus", f"\"{XSS.replace(chr(34), '')} Letter on Operation Nexus")(project, world)
    replace_in(f"{NEXUS}/data/outcomes.csv", "Removed from the UK", "<img src=x onerror=alert(15)>")(project, world)


def _image_urls_in_data(project: Path, world: World) -> None:
    """An image mark drawing the URLs of a column that a calculate fills with another host's address."""
    data = descriptor(project)
    spec = view("high-harm-outcomes")(data)["spec"]
    spec.update(mark="image", transform=[{"calculate": f"'{world.other_host}/a.png'", "as": "picture"}],
                encoding={"x": {"field": "value", "type": "quantitative"}, "url": {"field": "picture", "type": "nominal"}})
    save(project, data)


SCRIPT_CASES = [
    Case("package-title-script", edit(lambda d: d.update(title=XSS)), None, script=True, builds=True),
    Case("heading-entities-break-title", replace_in(
        "site_src/about.md", "# About this site", "# Entities &lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;"),
        None, validate=False, script=True, builds=True),
    Case("every-text-hostile", _hostile_pages, None, validate=False, script=True, builds=True),
    Case("site-src-html", text_file("site_src/evil.html", "<script>alert(1)</script>"), "unsafe-file",
         ("site_src/evil.html",), validate=False),
    Case("site-src-svg", text_file("site_src/img/evil.svg",
                                   '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
         "unsafe-file", ("evil.svg",), validate=False),
    Case("site-src-javascript", text_file("site_src/evil.js", "alert(1)"), "unsafe-file", validate=False),
    Case("front-matter-template", text_file("site_src/commentary/t.md", "---\ntemplate: redirect.html\nlocation: javascript:alert(1)\n---\n# T\n"),
         "page-meta", ("template",), validate=False),
    Case("view-usermeta-config-url", spec_with(lambda s, w: s.update(
        usermeta={"embedOptions": {"config": f"{w.other_host}/config.json"}})), "view-error", ("usermeta",)),
    Case("view-patch", spec_with(lambda s, w: s.update(
        patch=[{"op": "add", "path": "/data/0/url", "value": f"{w.other_host}/d.json"}])), "view-error", ("patch",)),
    Case("view-config", spec_change(lambda s: s.update(config={"locale": {"number": {}}})), "view-error", ("config",)),
    Case("view-data-url", spec_with(lambda s, w: s.update(data={"url": f"{w.other_host}/d.csv"})), "view-error"),
    Case("view-lookup-url", spec_with(lambda s, w: s.update(transform=[{"lookup": "label", "from": {
        "data": {"url": f"{w.other_host}/l.csv"}, "key": "label", "fields": ["x"]}}])), "view-error"),
    Case("view-image-mark-remote-url", spec_with(lambda s, w: s.update(
        mark="image", encoding={"x": {"field": "value", "type": "quantitative"}, "url": {"value": f"{w.other_host}/a.png"}})),
        "view-error", ("image",)),
    Case("view-image-mark-url-field", _image_urls_in_data, "view-error", ("image",)),
    Case("view-href-javascript", spec_change(lambda s: s["encoding"].update(href={"value": "javascript:alert(1)"})),
         "view-error", ("href",)),
]

# --- expressions: Vega-Lite specs are data, not code ---------------------------------------------

def _transform(transform: dict) -> Callable[[Path, World], None]:
    return spec_change(lambda s: s.setdefault("transform", []).append(transform))


EXPRESSION_CASES = [
    Case("expr-calculate-alert", _transform({"calculate": "alert(4)", "as": "x"}), "view-error", ("alert",)),
    Case("expr-constructor", _transform({"calculate": "datum.constructor.constructor('alert(1)')()", "as": "x"}),
         "view-error", ("constructor",)),
    Case("expr-proto", _transform({"calculate": "datum.__proto__", "as": "x"}), "view-error", ("__proto__",)),
    Case("expr-computed-member", _transform({"calculate": "datum['constr' + 'uctor']", "as": "x"}), "view-error"),
    Case("expr-this", _transform({"filter": "this.window"}), "view-error"),
    Case("expr-event-stream", spec_change(lambda s: s.update(
        params=[{"name": "p", "select": {"type": "point", "on": "window:mousemove"}}])), "view-error"),
    Case("expr-param-expr", spec_change(lambda s: s.update(
        params=[{"name": "p", "expr": "window.location"}])), "view-error"),
    Case("expr-exprref", spec_change(lambda s: s.update(
        mark={"type": "bar", "tooltip": {"expr": "constructor"}})), "view-error"),
    Case("expr-bind-element", spec_change(lambda s: s.update(
        params=[{"name": "p", "value": 1, "bind": {"input": "range", "element": "body"}}])), "view-error"),
    Case("view-title-signal", edit(lambda d: view("high-harm-outcomes")(d).update(title={"signal": "alert(1)"})),
         "view-error", ("high-harm-outcomes",)),
    Case("spec-title-expr", spec_change(lambda s: s.update(title={"text": {"expr": "alert(1)"}})), "view-error"),
    Case("view-mark-blob", spec_change(lambda s: s.update(mark="blob")), "view-error", ("high-harm-outcomes",)),
]

# --- network at build time ------------------------------------------------------------------------

NETWORK_CASES = [
    Case("remote-profile", edit_with(lambda d, w: d.update(profile=f"{w.other_host}/profile.json")), "remote-path"),
    Case("remote-resource-profile", edit_with(lambda d, w: d["resources"][0].update(profile=f"{w.other_host}/p.json")),
         "remote-path"),
    Case("remote-schema", edit_with(lambda d, w: d["resources"][0].update(schema=f"{w.other_host}/schema.json")),
         "remote-path"),
    Case("remote-schema-profile", edit_with(lambda d, w: d["resources"][6].update(
        schema={**json.loads((Path(__file__).parents[1] / NEXUS / "schemas" / "engagement.json").read_text()),
                "$schema": f"{w.other_host}/table-schema.json"})), "remote-path"),
    Case("remote-dialect", edit_with(lambda d, w: d["resources"][0].update(dialect=f"{w.other_host}/dialect.json")),
         "remote-path"),
    Case("remote-data", edit_with(lambda d, w: d["resources"][0].update(path=f"{w.other_host}/data.csv")), "remote-path"),
]

# --- writes outside the site, files from outside the repository -------------------------------------

def _source_id(value: str) -> Callable[[Path, World], None]:
    """A second row in the sources table, with this id and a real document."""
    def apply(project: Path, world: World) -> None:
        path = project / NEXUS / "data" / "sources.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        row = lines[1].replace("mps-letter-2013-07-24", value, 1)
        path.write_text("\n".join([*lines, row]) + "\n", encoding="utf-8")
    return apply


def _leak_source_path(project: Path, world: World) -> None:
    """A sources table row whose document is a file outside the package."""
    path = project / NEXUS / "data" / "sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = lines[1].replace("mps-letter-2013-07-24", "other", 1).replace(
        "sources/mps-operation-nexus-letter-2013-07-24.txt", str(world.outside), 1)
    path.write_text("\n".join([*lines, row]) + "\n", encoding="utf-8")


def _link_data_out(project: Path, world: World) -> None:
    target = project / NEXUS / "data" / "outcomes.csv"
    world.outside.write_text(target.read_text(encoding="utf-8") + f"# {OUTSIDE_MARKER}\n", encoding="utf-8")
    target.unlink()
    os.symlink(world.outside, target)


def _package_folder_link(project: Path, world: World) -> None:
    outside_package = world.outside.parent / "outside-package"
    outside_package.mkdir(exist_ok=True)
    (outside_package / "datapackage.json").write_text(json.dumps({"name": "x", "title": OUTSIDE_MARKER}), encoding="utf-8")
    os.symlink(outside_package, project / "datapackages" / "linked")


def _html_resource(project: Path, world: World) -> None:
    (project / NEXUS / "data" / "evil.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    edit(lambda d: d["resources"].append({"name": "evil", "path": "data/evil.html", "format": "html"}))(project, world)


def _svg_source(project: Path, world: World) -> None:
    (project / NEXUS / "sources" / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                                                            encoding="utf-8")
    path = project / NEXUS / "data" / "sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = lines[1].replace("mps-letter-2013-07-24", "evil", 1).replace(
        "sources/mps-operation-nexus-letter-2013-07-24.txt", "sources/evil.svg", 1)
    path.write_text("\n".join([*lines, row]) + "\n", encoding="utf-8")


PATH_CASES = [
    Case("resource-html-file", _html_resource, "unsafe-path", (".html",)),
    Case("source-document-svg", _svg_source, "unsafe-path", (".svg",)),
    Case("source-id-traversal", _source_id("../../../../../site_src/pwned"), "unsafe-name", ("id",)),
    Case("package-name-traversal", edit(lambda d: d.update(name="../../..")), "unsafe-name", ("/name",)),
    Case("view-name-traversal", edit(lambda d: view("officers")(d).update(name="../../evil")), "unsafe-name"),
    Case("resource-name-odd", edit(lambda d: d["resources"][0].update(name="a b")), "unsafe-name"),
    Case("source-path-outside", _leak_source_path, "unsafe-path"),
    Case("site-src-link-to-passwd", link("site_src/leak.txt", lambda p, w: Path("/etc/passwd")), "unsafe-link",
         ("site_src/leak.txt",), validate=False),
    Case("site-src-link-page-outside", link("site_src/notes.md", lambda p, w: w.outside), "unsafe-link",
         ("site_src/notes.md",), validate=False),
    Case("site-src-link-folder", link("site_src/linked", lambda p, w: w.outside.parent), "unsafe-link", validate=False),
    Case("templates-link-outside", link("templates/assets/leak.css", lambda p, w: w.outside), "unsafe-link",
         validate=False),
    Case("package-data-link-outside", _link_data_out, "unsafe-path"),
    Case("package-folder-link", _package_folder_link, "unsafe-path"),
    Case("site-src-overwrites-catalog", text_file("site_src/data/index.md", "# Mine\n"), None,
         ("same path",), validate=False),
]

# --- crashes and silently wrong readings ---------------------------------------------------------

def _raw_descriptor(change: Callable[[str], str]) -> Callable[[Path, World], None]:
    """A case that changes datapackage.json as text (what json.dumps cannot write)."""
    def apply(project: Path, world: World) -> None:
        path = project / NEXUS / "datapackage.json"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return apply


def _csv_lines(name: str, change: Callable[[list[str]], list[str]], encoding: str = "utf-8") -> Callable[[Path, World], None]:
    def apply(project: Path, world: World) -> None:
        path = project / NEXUS / "data" / name
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_bytes(("\n".join(change(lines)) + "\n").encode(encoding, errors="surrogateescape"))
    return apply


def _copies_of_row(row: str, count: int, cell: Callable[[int], str]) -> list[str]:
    """``count`` rows like ``row`` with their own ids, each value replaced by ``cell(n)``."""
    fields = row.split(",", 4)
    return [",".join([f"{fields[0]}-{n}", fields[1], fields[2], cell(n), fields[4]]) for n in range(count)]


def _bad_bytes_late(project: Path, world: World) -> None:
    """A long table with two bytes that are not UTF-8 at about 156 kB, a few hundred lines in."""
    path = project / NEXUS / "data" / "engagement.csv"
    lines = path.read_bytes().splitlines()
    rows = [lines[1].split(b",", 1)[0] + f"-{n},".encode() + lines[1].split(b",", 1)[1] for n in range(1_900)]
    data = b"\n".join([lines[0], *rows]) + b"\n"
    cut = data.index(b"\n", 156_000) + 6
    path.write_bytes(data[:cut] + b"\xff\xfe" + data[cut:])


CRASH_CASES = [
    Case("nul-in-chart-label", _csv_lines("outcomes.csv", lambda l: [l[0], l[1].replace("Removed from the UK", "Removed\x00 from the UK"), *l[2:]]),
         "control-character", ("outcomes.csv:2",)),
    Case("nul-in-path", edit(lambda d: d["resources"][4].update(path="data/out\u0000comes.csv")), "unsafe-path"),
    Case("descriptor-nested-10000-deep", _raw_descriptor(lambda t: t.replace('"keywords": [', '"deep": ' + "[" * 10_000 + "]" * 10_000 + ', "keywords": [', 1)),
         "json-too-deep"),
    Case("maximum-infinity", _raw_descriptor(lambda t: t.replace('"licenseNote"', '"x": {"maximum": Infinity}, "licenseNote"', 1)),
         "json-number", ("Infinity",)),
    Case("descriptor-nan", _raw_descriptor(lambda t: t.replace('"licenseNote"', '"y": NaN, "licenseNote"', 1)), "json-number"),
    Case("descriptor-duplicate-key", _raw_descriptor(lambda t: t.replace('"path": "data/outcomes.csv",', '"path": "data/outcomes.csv", "path": "data/custody.csv",', 1)),
         "duplicate-key", ('"path"',)),
    Case("schema-file-duplicate-key", lambda p, w: (p / NEXUS / "schemas" / "engagement.json").write_text(
        (p / NEXUS / "schemas" / "engagement.json").read_text(encoding="utf-8").replace("{", '{"primaryKey": "id", "primaryKey": "x",', 1),
        encoding="utf-8"), "duplicate-key"),
    Case("unclosed-quote-line-2", _csv_lines("outcomes.csv", lambda l: [
        l[0], l[1].replace(",Here are some statistics", ',"Here are some statistics'), *(f"x{n},y" for n in range(2_000))]),
         "unclosed-quote", ("outcomes.csv:2",)),
    Case("five-thousand-type-errors", _csv_lines("outcomes.csv", lambda l: [
        l[0], *(",".join([f"bad-{n}", *l[1].split(",")[1:3], "3o", *l[1].split(",")[4:]]) for n in range(5_000))]),
         "error-limit", ("5,000",)),
    Case("bad-bytes-at-156-kb", _bad_bytes_late, "encoding-error", ("engagement.csv:",)),
]

# --- found by a red-team review of the defences above ----------------------------------------------

def _xhtml_resource(project: Path, world: World) -> None:
    (project / NEXUS / "data" / "evil.xht").write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><script>alert(document.domain)</script></body></html>',
        encoding="utf-8")
    edit(lambda d: d["resources"].append({"name": "evil", "path": "data/evil.xht", "format": "xht"}))(project, world)


def _gzip_bomb(project: Path, world: World) -> None:
    """17 kB that unpack to 18 MB and 4.5 million rows."""
    import gzip

    (project / NEXUS / "data" / "bomb.csv.gz").write_bytes(gzip.compress(b"a,n\n" + b"a,1\n" * 4_500_000, 9))
    edit(lambda d: d["resources"].append({"name": "bomb", "path": "data/bomb.csv.gz", "format": "csv", "compression": "gz",
                                          "schema": {"fields": [{"name": "a", "type": "string"},
                                                                {"name": "n", "type": "integer"}]}}))(project, world)


def _folder_link(folder: str) -> Callable[[Path, World], None]:
    """A top-level folder of the project replaced by a link to a copy outside the repository, with a secret in it."""
    def apply(project: Path, world: World) -> None:
        import shutil

        outside = world.outside.parent / f"outside-{folder}"
        shutil.move(str(project / folder), outside)
        (outside / "secret.txt").write_text(OUTSIDE_MARKER, encoding="utf-8")
        if folder == "datapackages":
            (outside / "operation-nexus" / "secret.txt").write_text(OUTSIDE_MARKER, encoding="utf-8")
        os.symlink(outside, project / folder)
    return apply


def _fragment_token_in_attribute(project: Path, world: World) -> None:
    """The placeholder the build swaps for a chart, typed by a contributor inside an attribute."""
    import hashlib
    import re

    page = project / "site_src" / "commentary" / "operation-nexus.md"
    ref = re.search(r'\{\{ chart\("([^"]+)"\) \}\}', page.read_text(encoding="utf-8"))
    calls = re.findall(r'\{\{ (?:figure|chart|table)\("([^"]+)"\) \}\}', page.read_text(encoding="utf-8"))
    index = calls.index(ref.group(1))
    token = "OTFRAGMENT" + hashlib.sha256(f"commentary/operation-nexus.md\0{index}\0{ref.group(1)}".encode()).hexdigest()[:24]
    page.write_text(page.read_text(encoding="utf-8") + f'\n\n<span title="a {token} b">x</span> {token}\n', encoding="utf-8")


REVIEW_CASES = [
    Case("package-file-xhtml", _xhtml_resource, "unsafe-path", (".xht",)),
    Case("gzip-bomb", _gzip_bomb, "compressed-data"),
    Case("impute-keyvals-20-million", spec_change(lambda s: s.update(mark="line", encoding={
        "x": {"field": "value", "type": "quantitative"},
        "y": {"field": "value", "type": "quantitative", "impute": {"keyvals": {"start": 0, "stop": 20_000_000}}},
        "color": {"field": "label", "type": "nominal"}})), "view-error", ("20,000,000",)),
    Case("bin-maxbins-huge", spec_change(lambda s: s["encoding"]["x"].update(bin={"maxbins": 10_000_000})), "view-error"),
    Case("image-mark-relative-url", spec_change(lambda s: s.update(mark="image", encoding={
        "x": {"field": "value", "type": "quantitative"}, "url": {"value": "a.png"}})), "view-error", ("image",)),
    Case("site-src-is-a-link", _folder_link("site_src"), "unsafe-link", validate=False),
    Case("templates-is-a-link", _folder_link("templates"), "unsafe-link", validate=False),
    Case("datapackages-is-a-link", _folder_link("datapackages"), "unsafe-path"),
    Case("commentary-40000-code-spans", text_file("site_src/commentary/slow.md", "# Slow\n\n" + "`a` " * 40_000 + "\n"),
         None, validate=False, builds=True),
    Case("commentary-unclosed-fences", text_file("site_src/commentary/fences.md", "# Fences\n\n" + "~~~a\n" * 20_000),
         None, validate=False, builds=True),
    Case("front-matter-2000-keys", text_file("site_src/commentary/keys.md", "---\n" + "".join(
        f"k{n}: v\n" for n in range(2_000)) + "---\n# Keys\n"), "page-meta", validate=False),
    Case("encoding-rot13", edit(lambda d: d["resources"][4].update(encoding="rot13")), "encoding-error"),
    Case("schema-fields-object-with-todo", edit(lambda d: d["resources"].append(
        {"name": "odd", "path": "data/outcomes.csv", "schema": {"fields": {"0": {"name": "x", "description": "TODO"}}}})),
        None),
    Case("package-named-like-its-zip", edit(lambda d: d.update(name="operation-nexus.zip")), "unsafe-name"),
    Case("name-with-trailing-newline", edit(lambda d: d.update(name="evil\n")), "unsafe-name"),
    Case("view-names-with-one-slug", edit(lambda d: view("referral-rate-aspiration")(d).update(name="high.harm.outcomes")),
         "duplicate-name"),
    Case("fragment-token-in-attribute", _fragment_token_in_attribute, None, validate=False, script=True, builds=True),
]

CASES = [*SCRIPT_CASES, *EXPRESSION_CASES, *NETWORK_CASES, *PATH_CASES, *CRASH_CASES, *REVIEW_CASES]
