"""How to cite a dataset, and the texts that let a download stand alone.

A citation names the body that published the figures as its author (the publisher of the package's
source documents, e.g. the Metropolitan Police Service; else the package's publisher), the date of
the source (else of the release), the dataset's title and version, the site, the dataset page's
address (absolute when the site's URL is set) and the date the data last changed. It is offered as
text, BibTeX, RIS and CSL-JSON. The machine formats carry the address only when it is absolute: a
path relative to the site means nothing in a reference manager.

A zip of a package and a chart's bundle each carry a README (title, description, citation, licence,
version, dates, files) and the licence's text (``LICENCE.txt``: for a licence this module knows, its
name and address; nothing is fetched). Zips are the same bytes for the same input: entries sorted,
each dated by the day the data last changed (the earliest date a zip holds when none is known).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from . import conventions, dates

ZIP_EPOCH = date(1980, 1, 1)  # the earliest date a zip can hold: used when the data's last change is unknown

# Licences by their SPDX-style id: (title, address of the full text). A descriptor's own title and
# path win; these fill in what it leaves out.
KNOWN_LICENCES = {
    "OGL-UK-3.0": ("Open Government Licence v3.0",
                   "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-BY-1.0": ("Open Data Commons Attribution License v1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "PDDL-1.0": ("Open Data Commons Public Domain Dedication and License v1.0",
                 "https://opendatacommons.org/licenses/pddl/1-0/"),
}


# --- dates ---------------------------------------------------------------------------------------

# --- the citation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Citation:
    key: str  # an identifier for reference managers: the package name and year
    authors: tuple[str, ...]  # the bodies that published the figures
    title: str
    issued: str  # ISO date of the source (or of the release), or ""
    version: str
    publisher: str  # the site that publishes the dataset
    url: str  # the dataset's page: absolute when the site's URL is set, else relative to the site
    modified: str  # ISO date the data last changed, or ""

    @property
    def year(self) -> str:
        return self.issued[:4]

    @property
    def absolute_url(self) -> str:
        return self.url if conventions.is_web_url(self.url) else ""

    def portable(self) -> Citation:
        """The citation for a file that leaves the site (a README): its address only when it is absolute."""
        return replace(self, url=self.absolute_url)

    def text(self) -> str:
        """Metropolitan Police Service (2013). Title [Data set]. Version 1.0.0. Open Tally. URL. Data last changed 26 November 2026."""
        parts = [f"{_joined(self.authors)}{f' ({self.year})' if self.year else ''}", f"{self.title} [Data set]"]
        if self.version:
            parts.append(f"Version {self.version}")
        parts.append(self.publisher)
        if self.url:
            parts.append(self.url)
        if self.modified:
            parts.append(f"Data last changed {dates.long_date(self.modified)}")
        return " ".join(p if p.endswith(".") else p + "." for p in parts)

    def bibtex(self) -> str:
        fields = [("author", "{" + " and ".join("{" + _bib(a) + "}" for a in self.authors) + "}"),
                  ("title", "{{" + _bib(self.title) + "}}")]
        if self.issued:
            fields.append(("year", "{" + self.year + "}"))
            if len(self.issued) >= 7:
                fields.append(("month", dates.MONTHS[int(self.issued[5:7]) - 1][:3].lower()))
            fields.append(("date", "{" + self.issued + "}"))
        if self.version:
            fields.append(("version", "{" + _bib(self.version) + "}"))
        fields.append(("publisher", "{" + _bib(self.publisher) + "}"))
        if self.absolute_url:
            fields.append(("url", "{" + _bib_url(self.absolute_url) + "}"))
        fields.append(("note", "{" + _bib(self._note()) + "}"))
        body = "".join(f"  {name} = {value},\n" for name, value in fields)
        return f"@misc{{{self.key},\n{body}}}\n"

    def ris(self) -> str:
        lines = [("TY", "DATA")] + [("AU", a) for a in self.authors] + [("TI", self.title)]
        if self.issued:
            lines += [("PY", self.year), ("DA", self.issued.replace("-", "/"))]
        if self.version:
            lines.append(("ET", self.version))
        lines.append(("PB", self.publisher))
        if self.absolute_url:
            lines.append(("UR", self.absolute_url))
        lines += [("N1", self._note()), ("ER", "")]
        return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)

    def csl(self) -> dict:
        item = {"id": self.key, "type": "dataset", "title": self.title,
                "author": [{"literal": a} for a in self.authors], "publisher": self.publisher, "note": self._note()}
        if self.issued:
            item["issued"] = {"date-parts": [[int(p) for p in self.issued.split("-")]]}
        if self.version:
            item["version"] = self.version
        if self.absolute_url:
            item["URL"] = self.absolute_url
        return item

    def csl_json(self) -> str:
        return json.dumps([self.csl()], indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def _note(self) -> str:
        return "Data set" + (f". Data last changed {self.modified}" if self.modified else "")


def cite(name: str, title: str, descriptor: dict, sources: Sequence, modified: str, site_name: str,
         url: str = "") -> Citation:
    """The citation of a package from its parts: ``sources`` have ``publisher`` and ``date`` (ISO). The
    author is the sources' publishers, else the package's publisher, else its first contributor, else
    the site."""
    authors = tuple(dict.fromkeys(s.publisher for s in sources if getattr(s, "publisher", "")))
    if not authors:
        contributors = [c for c in descriptor.get("contributors") or [] if isinstance(c, dict)]
        first = next((str(c.get("title") or c.get("name")) for c in contributors if c.get("title") or c.get("name")), "")
        authors = (package_publisher(descriptor) or first or site_name,)
    dates = sorted(s.date for s in sources if getattr(s, "date", ""))
    issued = dates[-1] if dates else release_date(descriptor) or modified
    year = issued[:4]
    key = re.sub(r"[^A-Za-z0-9_.:-]+", "-", name).strip("-") or "dataset"
    return Citation(f"{key}-{year}" if year else key, authors, title, issued, str(descriptor.get("version") or ""),
                    site_name, url, modified)


def of_package(package, site_name: str, url: str) -> Citation:
    """The citation of a planned package (``plan.PackagePlan``)."""
    return cite(package.name, package.title, package.descriptor, package.sources, package.modified, site_name, url)


def package_publisher(descriptor: dict) -> str:
    publisher = descriptor.get("publisher")
    if isinstance(publisher, dict):
        return str(publisher.get("title") or publisher.get("name") or "")
    return str(publisher or "")


def release_date(descriptor: dict) -> str:
    """The ISO date the descriptor says the package was made (``created``), or ""."""
    value = descriptor.get("created")
    day = dates.as_date(value) if isinstance(value, str) else None
    return day.isoformat() if day else ""


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# BibTeX counts every brace, escaped or not (``\{`` opens a group to BibTeX), so a value may hold no
# brace of the contributor's: braces become ``\textbraceleft{}``/``\textbraceright{}`` and every brace
# left in a value comes in balanced pairs that this module writes. ``"`` needs no escape inside braces.
_BIB_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "&": r"\&",
                "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
# The characters RFC 3986 allows in a URI; any other is percent-encoded in a BibTeX ``url``.
_URL_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")


def _bib(text: str) -> str:
    """Text as a BibTeX value: LaTeX's special characters escaped, no brace of the text's own."""
    return "".join(_BIB_ESCAPES.get(c, c) for c in _one_line(text))


def _bib_url(url: str) -> str:
    """An address as a BibTeX ``url``: characters outside RFC 3986 (braces, quotes, spaces, backslashes,
    non-ASCII) percent-encoded, so no brace or backslash is left; ``%`` and ``#`` escaped for LaTeX."""
    safe = "".join(c if c in _URL_CHARACTERS else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in url)
    return "".join("\\" + c if c in "%#" else c for c in safe)


# --- licences ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Licence:
    name: str
    title: str
    url: str


def licences(descriptor: dict) -> tuple[Licence, ...]:
    """The descriptor's licences, their title and address filled in from ``KNOWN_LICENCES``."""
    items = descriptor.get("licenses")
    if not isinstance(items, list):
        items = [{"name": descriptor["license"]}] if isinstance(descriptor.get("license"), str) else []
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "")
        known_title, known_url = KNOWN_LICENCES.get(name, ("", ""))
        url = item.get("path") if conventions.is_web_url(item.get("path")) else known_url
        title = str(item.get("title") or known_title or name or url)
        if title:
            out.append(Licence(name, title, url))
    return tuple(out)


def licence_text(descriptor: dict, citation: Citation) -> str:
    """The LICENCE file of a download: the licence's name and address, the package's note about it, and
    how to acknowledge the source."""
    found = licences(descriptor)
    lines = [f"Licence of: {citation.title}", ""]
    if not found:
        lines += ["The package gives no licence. Ask its publisher before you reuse the data.", ""]
    for licence in found:
        named = licence.title + (f" ({licence.name})" if licence.name and licence.name != licence.title else "")
        lines.append(f"This data is available under the {named}.")
        if licence.url:
            lines.append(f"The full text of the licence is at {licence.url}")
        lines.append("")
    note = descriptor.get("licenseNote")
    if isinstance(note, str) and note.strip():
        lines += [_one_line(note), ""]
    lines += ["When you reuse the data, acknowledge its source, for example:", "", citation.text(), ""]
    return "\n".join(lines)


# --- README --------------------------------------------------------------------------------------

def readme_text(title: str, description: str, citation: Citation, descriptor: dict,
                period: tuple[date, date] | None, files: Iterable[tuple[str, int]]) -> str:
    """The README of a download: what it is, how to cite it, its licence, version and dates, its files."""
    lines = [title, "=" * min(len(title), 80), ""]
    if description.strip():
        lines += [description.strip(), ""]
    lines += ["How to cite", "-----------", "", citation.text(), ""]
    lines += ["Licence", "-------", ""]
    found = licences(descriptor)
    lines += [f"{l.title}: {l.url}" if l.url else l.title for l in found] or ["No licence is given."]
    lines += ["The licence is in LICENCE.txt.", ""]
    lines += ["About this data", "---------------", ""]
    if citation.version:
        lines.append(f"Version: {citation.version}")
    if period is not None:
        lines.append(f"Period covered: {dates.period_summary(*period)} ({period[0].isoformat()} to {period[1].isoformat()})")
    if citation.modified:
        lines.append(f"Data last changed: {dates.long_date(citation.modified)} ({citation.modified})")
    if citation.absolute_url:
        lines.append(f"Published at: {citation.absolute_url}")
    lines += ["", "Files", "-----", ""]
    lines += [f"{path} ({size:,} bytes)" for path, size in files]
    return "\n".join(lines) + "\n"


# --- zips ----------------------------------------------------------------------------------------

def zip_bytes(entries: Iterable[tuple[str, bytes | Path]], modified: str = "") -> bytes:
    """A zip of ``(path, bytes)`` entries, sorted by path, each dated ``modified`` (ISO) at midnight:
    the same bytes for the same entries. An entry given as a file's ``Path`` is read from it a chunk
    at a time, so that a large data file is never held whole beside its compressed copy."""
    # A zip can only date its files from 1980 to 2107: a date outside is brought to the nearest end.
    day = min(max(date.fromisoformat(modified[:10]) if modified else ZIP_EPOCH, ZIP_EPOCH), date(2107, 12, 31))
    when = (day.year, day.month, day.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(entries, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(path, when)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            size = data_size(data)
            # A large file is compressed at zlib's fastest level: 3 times as fast, for a zip about a
            # fifth larger (a 59 MB CSV: 0.5 s and 14.1 MB instead of 1.5 s and 11.7 MB).
            level = 1 if size > FAST_ZIP_BYTES else None
            if isinstance(data, Path):
                # As writestr does (it opens the entry the same way), with the level it would set: the same bytes.
                setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", level)
                info.file_size = size
                with open(data, "rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, FAST_ZIP_BYTES)
            else:
                archive.writestr(info, data, compresslevel=level)
    return buffer.getvalue()


FAST_ZIP_BYTES = 1 << 20


def data_size(data: bytes | Path) -> int:
    """The size of content given as bytes, or as the file that holds them (not read)."""
    return data.stat().st_size if isinstance(data, Path) else len(data)


def free_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``opentally-<wanted>`` (``opentally-2-<wanted>``...) when the package already has a
    file of that name."""
    name, n = wanted, 1
    while name in taken:
        name = f"opentally-{wanted}" if n == 1 else f"opentally-{n}-{wanted}"
        n += 1
    return name
