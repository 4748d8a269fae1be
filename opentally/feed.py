"""The Atom 1.0 feed (RFC 4287) of dataset releases and corrections: ``feed.xml`` at the site's root.

``atom_feed`` turns a list of entries, newest first, into the feed's bytes. It is built with the
standard library's ElementTree, which escapes every text and attribute value, so the site build
needs no XML package of its own. Text from contributors (titles, summaries) can hold anything: it
goes through ``xml_text``, which drops the characters XML 1.0 forbids, and reaches the feed only as
escaped character data, never as markup.

The feed is deterministic: the same entries give the same bytes. No clock is read: the feed's
``<updated>`` is the newest entry's. Links are made from docs-relative targets the way the site
makes them (``use_directory_urls: false``: "x/y.md" is the page "x/y.html"), absolute when the
site's address is known, else relative to the feed's own location, which Atom allows (relative
references resolve against the document's address, RFC 4287 section 2).

tests/atom_schema.py validates a feed against the RELAX NG schema of RFC 4287 and the few rules
that schema does not express.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_MEDIA_TYPE = "application/atom+xml"
FEED_TARGET = "feed.xml"  # where the feed is published, relative to the site's root
WHATS_NEW_TARGET = "whats-new.md"  # the page the feed is the machine-readable form of
HEAD_LINK_TITLE = "Releases and corrections"

# The feed's <updated> when it has no entry. Atom requires the element, and the clock is never read
# (the same input must give the same bytes), so it is a fixed instant: the Unix epoch, the earliest
# date a reader can be shown, which says "nothing published yet" and which any first release moves
# forward, as a reader that compares dates expects.
EMPTY_FEED_UPDATED = "1970-01-01T00:00:00Z"

# Names in the ids' UUIDs (version 5) are made under this namespace. Changing it would change every
# id, and feed readers would show every entry again as new: never change it.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://opentally.invalid/atom-feed-id")

# RFC 3339 date-time as Atom requires it (RFC 4287 section 3.3): an uppercase "T", and an uppercase
# "Z" or a numeric offset; never a local time without offset.
_DATE_TIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)")

# Characters XML 1.0 does not allow anywhere in a document (its "Char" production): C0 controls but
# tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class FeedEntry:
    """One release or correction in the feed."""
    id: str  # a stable IRI, e.g. "urn:uuid:..." (made by the caller; see entry_id)
    title: str  # plain text
    updated: str  # RFC 3339 date-time with offset, e.g. "2026-11-27T10:15:00+00:00"
    link: str  # docs-relative target of the page, e.g. "data/operation-nexus/1.0.1/index.md"
    summary: str  # plain text, one short paragraph ("" for none)
    content_html: str = ""  # optional trusted HTML made by the build, sent escaped in <content type="html">;
    # links inside it resolve against the feed's address, so they must be absolute or relative to the feed
    categories: tuple[str, ...] = ()  # e.g. ("correction",), ("breaking change",)


@dataclass(frozen=True)
class HeadLink:
    """The pieces of the ``<link rel="alternate" type="application/atom+xml" title=... href=...>`` each
    page carries in its head, so that browsers and feed readers find the feed. ``target`` is
    docs-relative: the caller makes the page's href from it (``render.relative_url(page, target)``)."""
    rel: str
    type: str
    title: str
    target: str


def head_link(site_name: str = "", feed_target: str = FEED_TARGET) -> HeadLink:
    """The feed's link for page heads: "<site name>: Releases and corrections", or the bare
    ``HEAD_LINK_TITLE`` without a site name. Best given the same title as the feed itself."""
    title = f"{site_name}: {HEAD_LINK_TITLE}" if site_name else HEAD_LINK_TITLE
    return HeadLink("alternate", FEED_MEDIA_TYPE, title, feed_target)


def entry_id(*parts: str) -> str:
    """A stable IRI from parts (e.g. site address or name, package, version, commit): urn:uuid:<uuid5>.

    The same parts always give the same id, and different parts (or the same text split into parts
    differently: ("a", "bc") and ("ab", "c")) give different ids."""
    if not parts:
        raise ValueError("entry_id needs at least one part")
    # JSON keeps parts apart unambiguously; ASCII-only, so that any str, even one with a lone surrogate, has a name
    name = json.dumps([str(part) for part in parts], ensure_ascii=True, separators=(",", ":"))
    return uuid.uuid5(_ID_NAMESPACE, name).urn


def xml_text(text: str) -> str:
    """``text`` made fit for an XML 1.0 document: line ends as "\\n" (a parser would turn a bare "\\r"
    into "\\n" anyway), and every character XML 1.0 forbids (control characters, U+FFFE, U+FFFF,
    lone surrogates) removed. Escaping is the serializer's work, not this function's."""
    return _NOT_XML_CHAR.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def parse_date_time(value: str) -> datetime:
    """An Atom date (RFC 3339 date-time with "T" and an offset or "Z") as an aware datetime; ValueError if not one."""
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        raise ValueError(f"not an RFC 3339 date-time with an offset: {value!r}")
    return datetime.fromisoformat(value)  # also refuses dates that do not exist, e.g. 2026-02-30


def page_path(target: str) -> str:
    """The site path of a docs-relative target, as a URI path: "x/y.md" is the page "x/y.html";
    characters that may not stand in a URI are percent-encoded. A "#fragment" is kept."""
    path, hash_, fragment = str(target).partition("#")
    if not path or path.startswith("/") or "\\" in path or _SCHEME.match(path):
        raise ValueError(f"not a docs-relative target: {target!r}")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise ValueError(f"target outside the site: {target!r}")
    if normal.endswith(".md"):
        normal = normal[:-3] + ".html"
    return _quote(normal) + hash_ + _quote(fragment)


def atom_feed(entries: Sequence[FeedEntry], title: str, site_url: str, feed_target: str = FEED_TARGET,
              author: str = "", subtitle: str = "") -> bytes:
    """The Atom 1.0 feed of ``entries``, in the order given (the caller sorts them newest first).

    ``site_url`` is the site's address ("https://example.org/data/"), or "" when not known: then every
    link is relative to the feed's own location ``feed_target``. The feed's author is ``author``, or
    its title (Atom requires an author on the feed or on every entry). Raises ValueError for an entry
    whose id is not an absolute IRI, whose date is not an RFC 3339 date-time with offset, or whose
    link is not a docs-relative target."""
    title = xml_text(title)
    site_url = xml_text(site_url).strip()
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    feed_dir = posixpath.dirname(page_path(feed_target))

    def href(target: str) -> str:
        path = page_path(target)
        if site_url:
            return site_url + path
        return _relative(path, feed_dir)

    dates = [parse_date_time(entry.updated) for entry in entries]
    newest = max(range(len(entries)), key=lambda i: dates[i], default=None)  # first of equals wins

    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _text(feed, "id", entry_id(site_url or title, "feed"))
    _text(feed, "title", title)
    if xml_text(subtitle):
        _text(feed, "subtitle", xml_text(subtitle))
    _text(feed, "updated", EMPTY_FEED_UPDATED if newest is None else entries[newest].updated)
    _text(ET.SubElement(feed, "author"), "name", xml_text(author) or title)
    ET.SubElement(feed, "link", {"rel": "self", "type": FEED_MEDIA_TYPE, "href": href(feed_target)})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": href(WHATS_NEW_TARGET)})
    for entry in entries:
        _entry(feed, entry, href(entry.link))
    ET.indent(feed, space="  ")
    out = io.BytesIO()
    ET.ElementTree(feed).write(out, encoding="UTF-8", xml_declaration=True)
    return out.getvalue() + b"\n"


def _entry(feed: ET.Element, entry: FeedEntry, link: str) -> None:
    id_ = xml_text(entry.id).strip()
    if not _SCHEME.match(id_) or re.search(r"\s", id_):
        raise ValueError(f"an entry's id must be an absolute IRI (e.g. from entry_id): {entry.id!r}")
    element = ET.SubElement(feed, "entry")
    _text(element, "id", id_)
    _text(element, "title", xml_text(entry.title))
    _text(element, "updated", entry.updated)
    ET.SubElement(element, "link", {"rel": "alternate", "type": "text/html", "href": link})
    seen = set()
    for category in entry.categories:
        term = xml_text(category).strip()
        if term and term not in seen:
            seen.add(term)
            ET.SubElement(element, "category", {"term": term})
    if xml_text(entry.summary).strip():
        _text(element, "summary", xml_text(entry.summary))
    if xml_text(entry.content_html).strip():
        _text(element, "content", xml_text(entry.content_html), type="html")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _relative(path: str, base_dir: str) -> str:
    """``path`` (from the site's root) relative to the folder ``base_dir`` (from the root, "" for it)."""
    path, hash_, fragment = path.partition("#")
    return posixpath.relpath(path, base_dir or ".") + hash_ + fragment


def _quote(text: str) -> str:
    # Unreserved and sub-delimiter characters stay as they are; "%" is encoded, since a target is a
    # file's name, not an already encoded URI.
    return quote(text, safe="/!$&'()*+,;=:@~")
