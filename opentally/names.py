"""The one safe-name rule: what a name or path from a contributor must look like before it becomes a
file name or part of a URL of the site.

Package names, resource names, view names and source ids become folders, files and links
(``data/NAME.html``, ``downloads/NAME/``, ``charts/NAME/VIEW.svg``, ``data/NAME/sources/ID.html``).
A name that held ``/``, ``..``, a control character or a space could write outside the site, reach
a file it should not, or make a link that breaks. So every such name must be:

* 1 to 100 characters: lower-case letters ``a``-``z``, digits, ``-``, ``_`` and ``.``;
* starting and ending with a letter or a digit, and never holding ``..``;
* not a name Windows keeps for devices (``con``, ``nul``, ``com1``...), so the repository can be
  checked out anywhere.

This is the Data Package standard's own pattern for names (lower case, ``-``, ``_``, ``.``), less
the ``/`` it allows, with the ends and the ``..`` pinned down. A path inside a package (a CSV file,
a schema, a source document) is checked one segment at a time with the same characters, upper
case allowed, since real files are often named ``Annual.csv``.
"""

from __future__ import annotations

import re

MAX_LENGTH = 100
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}

RULE = ("1 to 100 characters: lower-case letters a-z, digits, '-', '_' and '.', starting and ending with a "
        "letter or digit, without '..', not ending in a file extension such as .zip")
PATH_RULE = ("each part of the path: letters, digits, '-', '_' and '.', starting and ending with a letter or "
             "digit, without '..'; parts separated by '/'")


def slug(text: str) -> str:
    """The form of a name in file names and HTML ids of the site: "high.harm_outcomes" -> "high-harm-outcomes".

    Two names with the same slug would share files and ids, so validation refuses them as duplicates."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def name_problem(value: object) -> str | None:
    """Why ``value`` cannot be a name on the site, or None when it can."""
    if not isinstance(value, str):
        return "it is not text"
    if not value:
        return "it is empty"
    if len(value) > MAX_LENGTH:
        return f"it is {len(value)} characters long, over {MAX_LENGTH}"
    if not _NAME.fullmatch(value) or ".." in value:
        return f"it has characters or a shape a name cannot have ({_shown(value)})"
    if value.split(".")[0] in _DEVICES:
        return f'"{value.split(".")[0]}" is a device name on Windows'
    if extension(value) in (".zip", ".md", ".html", ".json", ".csv"):
        return f'it ends in "{extension(value)}", like the files the site makes from names (NAME.zip, NAME.html)'
    return None


def suggest(value: str) -> str:
    """A safe name close to ``value``: what the hint proposes."""
    text = re.sub(r"[^a-z0-9._-]+", "-", str(value).lower())
    text = re.sub(r"\.{2,}", ".", text).strip("-._")[:MAX_LENGTH].strip("-._")
    return text or "name"


# The types of file the site publishes from a package (its data, schemas, source documents): data
# and documents a browser shows or downloads, never runs. An allow-list, not a list of what is
# dangerous: HTML, SVG and every XML type (.xht, .xsd, .rng...) can run script with the site's
# origin when a browser opens them, and static hosts serve many types as XML. A file with no
# extension is served as bytes to download.
PUBLISHED_TYPES = (".csv", ".tsv", ".txt", ".json", ".geojson", ".ndjson", ".jsonl", ".pdf", ".png", ".jpg",
                   ".jpeg", ".gif", ".webp", ".avif", ".xlsx", ".xls", ".ods", ".parquet", ".md")
# The types a browser runs script from; named in messages so that a refusal says why.
ACTIVE_TYPES = (".html", ".htm", ".xhtml", ".xht", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".js",
                ".mjs", ".css", ".swf")


def extension(path: str) -> str:
    """The lower-cased extension of a path's last part ("" when it has none)."""
    last = path.rsplit("/", 1)[-1]
    return "." + last.rsplit(".", 1)[1].lower() if "." in last else ""


def active_type(path: str) -> str | None:
    """The extension of ``path`` when a browser would run script from such a file, else None."""
    return extension(path) if extension(path) in ACTIVE_TYPES else None


def published_type_problem(path: str) -> str | None:
    """Why the site cannot publish a file of this type, or None."""
    suffix = extension(path)
    if not suffix or suffix in PUBLISHED_TYPES:
        return None
    if suffix in ACTIVE_TYPES:
        return f"a {suffix} file can run script in a reader's browser, so the site does not publish one"
    return (f"the site publishes data and documents of these types only: {', '.join(PUBLISHED_TYPES)}; "
            f"{suffix} is not one of them")


def path_problem(value: object) -> str | None:
    """Why ``value`` cannot be a path inside a package (or a page of the site), or None when it can."""
    if not isinstance(value, str) or not value:
        return "it is empty"
    if (problem := published_type_problem(value)) is not None:
        return problem
    segments = value.split("/")
    for segment in segments:
        if not segment:
            return "it has an empty part (a '/' at the start or end, or '//')"
        if len(segment) > MAX_LENGTH:
            return f"a part is {len(segment)} characters long, over {MAX_LENGTH}"
        if not _SEGMENT.fullmatch(segment) or ".." in segment:
            return f"the part {_shown(segment)} has characters or a shape a file name cannot have"
        if segment.split(".")[0].lower() in _DEVICES:
            return f'"{segment}" is a device name on Windows'
    return None


def _shown(value: str) -> str:
    """The value as text a terminal can show: control characters and the like spelt out."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value[:60])
    return f'"{shown}"' + ("..." if len(value) > 60 else "")

# The resource that lists a package's source documents: each row's ``id`` names the document's page
# and its ``path`` the file in the package. Validation and the plan both read it by this name.
SOURCES_TABLE = "sources"
