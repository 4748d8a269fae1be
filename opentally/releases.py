"""Stage 4, render, for releases: what each version changed in words, its page and files, the site's
What's new page and its Atom feed.

Every sentence about a release is made here from the diff ``check`` computes (``check.PackageDiff``),
so the dataset page, the version's page, What's new and the feed say the same thing. Nothing here
reads the clock: dates are the release commits' own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from . import check, citation, feed
from .plan import Download, PackagePlan, SitePlan, VersionPlan, zip_about, zip_of

WHATS_NEW = "whats-new.md"
FEED = "feed.xml"
MAX_LISTED = 50  # changed cells, added or removed rows listed per table and release; the rest are counted
MAX_TABLES = 20  # tables whose changes a release lists; the rest are counted
MAX_TEXT = 200  # characters of a cell, key or name shown in a list of changes (the files have them whole)
MAX_VERSIONS_SHOWN = 100  # versions a dataset page lists (each version's page links to the one before)
MAX_DETAILED = 10  # of them, the newest with their note and changes; the older with number, date and kind
MAX_NEWS = 100  # releases on What's new (newest first); every release stays on its dataset's page
MAX_FEED = 50  # entries of the feed


@dataclass(frozen=True)
class CellShown:
    row: str  # the row's id or key
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class TableChanges:
    title: str
    counts: str  # "1 value changed, 2 rows added"
    cells: tuple[CellShown, ...]
    more_cells: int
    added: tuple[str, ...]
    more_added: int
    removed: tuple[str, ...]
    more_removed: int


@dataclass(frozen=True)
class Summary:
    """What a release changed, for readers."""

    kinds: tuple[str, ...]  # "correction", "new data", "breaking change"...
    sentence: str  # "1 value corrected and 1 row added in 1 table."
    tables: tuple[TableChanges, ...]
    schema: tuple[tuple[str, bool], ...]  # (change in words, breaking)
    metadata: tuple[str, ...]


def _plural(n: int, word: str, words: str = "") -> str:
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def summary(version: VersionPlan) -> Summary:
    diff = version.diff
    if diff is None:
        return Summary(version.kinds, "", (), (), ())  # its label says it: "First release"
    titles = _titles(version.descriptor)
    tables = []
    changed = added = removed = 0
    for r in diff.resources:
        if not r.has_changes:
            continue
        cells = [CellShown(clip(row.ident or row.key), clip(cell.field), clip(cell.old), clip(cell.new))
                 for row in r.changed for cell in row.cells]
        n_added, n_removed = len(r.added) + r.more_added, len(r.removed) + r.more_removed
        parts = _counted(len(cells), n_added, n_removed, f" in {_plural(len(r.changed), 'row')}")
        if r.status == "added":
            parts.insert(0, "new table")
        elif r.status == "removed":
            parts.insert(0, "table removed")
        elif r.matched_on.startswith("file") and not parts:
            parts.append("the file changed")
        changed, added, removed = changed + len(cells), added + n_added, removed + n_removed
        tables.append(TableChanges(
            titles.get(r.name, r.name), ", ".join(parts) or "its columns changed",
            tuple(cells[:MAX_LISTED]), max(0, len(cells) - MAX_LISTED),
            tuple(clip(k) for k, _, _ in r.added[:MAX_LISTED]), max(0, n_added - MAX_LISTED),
            tuple(clip(k) for k, _, _ in r.removed[:MAX_LISTED]), max(0, n_removed - MAX_LISTED)))
    schema = tuple((clip(f"{titles.get(c.where, c.where)}: {c.description}"), c.breaking)
                   for c in diff.changes if c.kind == "schema")
    metadata = tuple(clip(c.description) for c in diff.changes if c.kind != "schema" and not c.description.startswith("version:"))
    words = _counted(changed, added, removed)
    if schema:
        words += _schema_words(diff.changes)
    if not words:
        words.append("the description changed, not the data" if metadata else "no change to the data")
    sentence = _joined(words)
    if len(tables) > MAX_TABLES:
        sentence += f", in {len(tables):,} tables (the first {MAX_TABLES} are listed)"
    return Summary(version.kinds, sentence[0].upper() + sentence[1:] + ".", tuple(tables[:MAX_TABLES]),
                   schema[:MAX_LISTED], metadata[:MAX_LISTED])


def _counted(changed: int, added: int, removed: int, where: str = "") -> list[str]:
    """ "3 values changed[ in 2 rows]", "1 row added", "2 rows removed": those that are not zero."""
    words = [f"{_plural(changed, 'value')} changed{where}"] if changed else []
    if added:
        words.append(f"{_plural(added, 'row')} added")
    if removed:
        words.append(f"{_plural(removed, 'row')} removed")
    return words


def clip(text: str, most: int = MAX_TEXT) -> str:
    """Text from data as one line of at most ``most`` characters (a hostile cell of 100 kB, shown in 12 lists
    of changes, made a page of 2.4 MB: red-team review)."""
    text = " ".join(str(text).split())
    return text if len(text) <= most else text[:most - 1] + "…"


def _schema_words(changes) -> list[str]:
    """Schema changes counted by what they did: "8 columns added", "1 column renamed (breaking)"."""
    kinds = {"added": 0, "renamed": 0, "removed": 0, "other": 0}
    breaking = {"other": 0}
    for c in changes:
        if c.kind != "schema":
            continue
        kind = c.action or "other"
        kinds[kind] += 1
        if kind == "other" and c.breaking:
            breaking["other"] += 1
    words = [f"{_plural(n, 'column')} {k}" + (" (breaking)" if k in ("renamed", "removed") else "")
             for k, n in kinds.items() if n and k != "other"]
    if kinds["other"]:
        words.append(f"{_plural(kinds['other'], 'other change')} to the columns"
                     + (f" ({breaking['other']:,} breaking)" if breaking["other"] else ""))
    return words


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _titles(descriptor: dict) -> dict[str, str]:
    resources = descriptor.get("resources") if isinstance(descriptor.get("resources"), list) else []
    return {r["name"]: str(r.get("title") or r["name"]) for r in resources
            if isinstance(r, dict) and isinstance(r.get("name"), str)}


def value_text(text: str) -> str:
    """A value as the CSV has it, with thousands separators when it is a plain number ("207000" -> "207,000")."""
    if not re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", text, re.ASCII):
        return text  # "3_7", "+37" or "٣٧" as written: Decimal would read each as 37 (red-team review)
    try:
        return f"{Decimal(text):,}"
    except (InvalidOperation, ValueError):
        return text


# --- files ---------------------------------------------------------------------------------------

def version_zip(package: PackagePlan, version: VersionPlan, cited: citation.Citation) -> Download:
    """The zip of a release: every file of the package folder as released, with a README and LICENCE
    as the current version's zip has (``plan.zip_of``)."""
    about = zip_about(version.title, version.descriptor, cited, None)
    name = f"{package.name}-{version.version}"
    return Download(f"{name}.zip", f"{version.folder}/{name}.zip", "application/zip",
                    zip_of(name, dict(version.entries), version.descriptor, about))


def version_citation(package: PackagePlan, version: VersionPlan, site_name: str, url: str) -> citation.Citation:
    """How to cite one version: its own title, version number and release date, and its own page."""
    return citation.cite(package.name, version.title, version.descriptor, package.sources, version.date, site_name, url)


# --- What's new and the feed ---------------------------------------------------------------------

@dataclass(frozen=True)
class News:
    package: PackagePlan
    version: VersionPlan
    summary: Summary
    corrections: tuple[tuple[str, str, str], ...]  # (figure label, old, new)


def news(plan: SitePlan) -> list[News]:
    """Every release of every package, newest first (by time, then package and version)."""
    items = []
    for package in plan.packages:
        for version in package.versions:
            fixes = tuple((clip(c.label or c.ref.split("/", 2)[2]), clip(value_text(c.old)), clip(value_text(c.new)))
                          for c in (check.value_changes(package.name, version.diff.resources) if version.diff else ()))
            items.append(News(package, version, summary(version), fixes))
    # By the instant of each release (commits carry their authors' own offsets), then package and version.
    items.sort(key=lambda n: (_instant(n.version.time), n.package.name, n.version.version), reverse=True)
    return items


def _instant(time: str) -> float:
    try:
        return datetime.fromisoformat(time).timestamp()
    except ValueError:
        return 0.0


def feed_bytes(plan: SitePlan, site_name: str, site_url: str) -> bytes:
    entries = []
    for item in news(plan)[:MAX_FEED]:
        v = item.version
        kinds = ", ".join(item.summary.kinds)
        text = " ".join(part for part in (item.summary.sentence, v.note) if part)
        if item.corrections:
            text += " " + "; ".join(f"{label}: was {old}, now {new}" for label, old, new in item.corrections[:10]) + "."
        entries.append(feed.FeedEntry(
            id=feed.entry_id("opentally-release", item.package.name, v.version, v.commit),
            title=f"{item.package.title}: version {v.version} ({kinds})", updated=v.time, link=v.page,
            summary=text, categories=item.summary.kinds))
    return feed.atom_feed(entries, f"{site_name}: what's new", site_url, FEED, author=site_name,
                          subtitle="New versions of the datasets and corrections of their figures, newest first.")
