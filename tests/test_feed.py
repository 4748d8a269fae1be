"""The Atom 1.0 feed of releases (opentally/feed.py), checked against RFC 4287's schema (tests/atom_schema.py).

The validator is proved able to fail: each broken feed below must be rejected, for the reason named.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest
from lxml import etree

import atom_schema
from atom_schema import schema_problems, validate_atom
from opentally.feed import (ATOM_NS, EMPTY_FEED_UPDATED, FEED_MEDIA_TYPE, HEAD_LINK_TITLE, FeedEntry, atom_feed,
                            entry_id, head_link, page_path, xml_text)

A = f"{{{ATOM_NS}}}"
SITE = "https://example.org/tally/"


def entries() -> list[FeedEntry]:
    return [
        FeedEntry(entry_id(SITE, "operation-nexus", "1.0.1", "c0ffee"), "Operation Nexus 1.0.1: corrected totals",
                  "2026-11-27T10:15:00+00:00", "data/operation-nexus/1.0.1/index.md",
                  "Two rows of the 2013 table were swapped.", "<p>Rows <strong>4</strong> &amp; 5 swapped.</p>",
                  ("correction",)),
        FeedEntry(entry_id(SITE, "budget", "2.0.0", "beef"), "Budget 2.0.0", "2026-11-20T08:00:00+01:00",
                  "data/budget/2.0.0/index.md", "The columns were renamed.", categories=("breaking change", "release")),
        FeedEntry(entry_id(SITE, "operation-nexus", "1.0.0", "abc123"), "Operation Nexus 1.0.0", "2026-10-01T09:00:00Z",
                  "data/operation-nexus/1.0.0/index.md", "First release."),
    ]


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)  # lxml's parser is strict: it refuses any XML that is not well-formed


# --- valid feeds ---------------------------------------------------------------------------------

@pytest.mark.parametrize("site_url", [SITE, ""])
def test_feed_with_several_entries_is_valid_atom(site_url):
    data = atom_feed(entries(), "Open Tally", site_url, subtitle="Releases and corrections of the data")
    assert validate_atom(data) == []
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">")
    root = parse(data)
    assert root.tag == A + "feed"
    assert [e.findtext(A + "title") for e in root.iter(A + "entry")] == [e.title for e in entries()]  # order kept
    assert root.findtext(A + "updated") == "2026-11-27T10:15:00+00:00"
    assert root.findtext(f"{A}author/{A}name") == "Open Tally"
    assert [c.get("term") for c in root.findall(f"{A}entry/{A}category")] == ["correction", "breaking change", "release"]
    content = root.find(f"{A}entry/{A}content")
    assert content.get("type") == "html" and len(content) == 0  # the HTML is text in the feed, not elements
    assert content.text == entries()[0].content_html


def test_the_rfc_example_feed_is_valid():
    # RFC 4287's own extensive example (xhtml content, contributors, generator, enclosure...): the
    # validator does not reject what Atom allows and Open Tally's feed does not use.
    assert validate_atom((atom_schema.SCHEMA_DIR / "rfc4287-example.xml").read_bytes()) == []


def test_empty_feed_is_valid_and_dated_at_the_epoch():
    data = atom_feed([], "Open Tally", SITE)
    assert validate_atom(data) == []
    assert parse(data).findtext(A + "updated") == EMPTY_FEED_UPDATED == "1970-01-01T00:00:00Z"


def test_feed_updated_is_the_newest_entry_whatever_the_order():
    oldest_first = list(reversed(entries()))
    assert parse(atom_feed(oldest_first, "T", SITE)).findtext(A + "updated") == "2026-11-27T10:15:00+00:00"
    # compared as instants, not as text: 10:30+02:00 is 08:30Z, earlier than 09:00Z
    offsets = [FeedEntry("urn:x:1", "a", "2026-01-01T10:30:00+02:00", "a.md", ""),
               FeedEntry("urn:x:2", "b", "2026-01-01T09:00:00Z", "b.md", "")]
    assert parse(atom_feed(offsets, "T", SITE)).findtext(A + "updated") == "2026-01-01T09:00:00Z"


def test_author_summary_and_categories():
    entry = FeedEntry("urn:x:1", "t", "2026-01-01T00:00:00Z", "a.md", "", categories=("x", "x", " ", "y"))
    root = parse(atom_feed([entry], "Open Tally", SITE, author="The data team"))
    assert root.findtext(f"{A}author/{A}name") == "The data team"
    assert root.find(f"{A}entry/{A}summary") is None  # an empty summary is left out
    assert root.find(f"{A}entry/{A}content") is None
    assert [c.get("term") for c in root.iter(A + "category")] == ["x", "y"]


# --- determinism and ids -------------------------------------------------------------------------

def test_same_entries_give_the_same_bytes():
    first = atom_feed(entries(), "Open Tally", SITE, author="a", subtitle="s")
    assert atom_feed(entries(), "Open Tally", SITE, author="a", subtitle="s") == first
    assert atom_feed(tuple(entries()), "Open Tally", SITE, author="a", subtitle="s") == first
    dates = set(re.findall(rb"\d{4}-\d\d-\d\d", first))
    assert dates == {b"2026-11-27", b"2026-11-20", b"2026-10-01"}  # no build date, no clock


def test_entry_ids_are_stable_unique_uuid5_urns():
    # Pinned: a change here would make every reader show every entry again as new.
    assert entry_id("https://example.org/", "operation-nexus", "1.0.1") == "urn:uuid:2bd80080-f28b-5a5b-8d99-5b5e1b3509fe"
    assert uuid.UUID(entry_id("a")[len("urn:uuid:"):]).version == 5
    ids = [entry_id("a", "bc"), entry_id("ab", "c"), entry_id("a", "b", "c"), entry_id("abc"), entry_id("a,bc"),
           entry_id('a","bc'), entry_id("A", "bc"), entry_id("a", "bc", "")]
    assert len(set(ids)) == len(ids)
    assert len({e.id for e in entries()}) == len(entries())
    with pytest.raises(ValueError):
        entry_id()


def test_feed_id_is_stable_and_from_the_site_address_or_title():
    def feed_id(title, site_url):
        return parse(atom_feed(entries(), title, site_url)).findtext(A + "id")
    assert feed_id("Open Tally", SITE) == feed_id("Another title", SITE) == entry_id(SITE, "feed")
    assert feed_id("Open Tally", "") == entry_id("Open Tally", "feed")
    assert feed_id("Open Tally", SITE) != feed_id("Open Tally", "https://example.org/other/")
    assert feed_id("Open Tally", "") not in {e.id for e in entries()}


# --- hostile text ---------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "]]><b>not markup</b><![CDATA[",
    "&amp; &lt; &#x3C; &unknown; &",
    "\x00NUL \x01\x08\x0b\x0c\x1b[31m control \x7f\x85\x9f",
    "non-characters \ufffe \uffff and a lone surrogate \ud800 end",
    'quotes " \' and <!-- a comment --> <?pi x?>',
    "line\r\nends\rand\ttabs\n",
    "émoji 🦄 and RTL \u202e text \u200b",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_text(text):
    entry = FeedEntry(entry_id("x", text), text, "2026-01-01T00:00:00Z", "data/x/index.md", text, text, (text, "ok"))
    data = atom_feed([entry], text, "", author=text, subtitle=text)
    root = parse(data)  # well-formed
    ET.fromstring(data)  # also for the standard library's parser
    assert validate_atom(data) == []
    clean = xml_text(text)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]", clean)
    got = root.find(A + "entry")
    assert got.findtext(A + "title") == clean
    if clean.strip():
        assert got.findtext(A + "summary") == clean
        assert got.findtext(A + "content") == clean
        assert root.findtext(A + "subtitle") == clean
        assert root.findtext(f"{A}author/{A}name") == clean
        assert got.find(A + "category").get("term") == clean.strip()
    assert root.findtext(A + "title") == clean
    # no markup from text fields: only Atom's own elements, no comment or processing instruction
    assert {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)} <= {
        "feed", "id", "title", "subtitle", "updated", "author", "name", "link", "entry", "category", "summary", "content"}
    assert all(isinstance(e.tag, str) for e in root.iter())
    assert all(etree.QName(e).namespace == ATOM_NS for e in root.iter())


def test_xml_text_keeps_what_xml_allows():
    assert xml_text("a\tb\nc é 🦄 \u0085 \ufffd") == "a\tb\nc é 🦄 \u0085 \ufffd"
    assert xml_text("a\x00b\ufffec\uffffd\ud83de") == "abcde"
    assert xml_text("a\r\nb\rc") == "a\nb\nc"


# --- links ----------------------------------------------------------------------------------------

def hrefs(data: bytes) -> list[str]:
    return [link.get("href") for link in parse(data).iter(A + "link")]


def test_links_absolute_with_a_site_address_relative_without():
    absolute = hrefs(atom_feed(entries(), "T", SITE))
    assert absolute == [SITE + "feed.xml", SITE + "whats-new.html", SITE + "data/operation-nexus/1.0.1/index.html",
                        SITE + "data/budget/2.0.0/index.html", SITE + "data/operation-nexus/1.0.0/index.html"]
    relative = hrefs(atom_feed(entries(), "T", ""))
    assert relative == ["feed.xml", "whats-new.html", "data/operation-nexus/1.0.1/index.html",
                        "data/budget/2.0.0/index.html", "data/operation-nexus/1.0.0/index.html"]
    assert hrefs(atom_feed(entries(), "T", "https://example.org/tally")) == absolute  # a missing "/" is added


@pytest.mark.parametrize("feed_target", ["feed.xml", "feeds/releases.xml", "a/b/c.xml"])
def test_relative_links_resolve_to_the_absolute_ones(feed_target):
    relative = hrefs(atom_feed(entries(), "T", "", feed_target=feed_target))
    absolute = hrefs(atom_feed(entries(), "T", SITE, feed_target=feed_target))
    assert absolute[0] == SITE + feed_target
    assert [urljoin(SITE + feed_target, href) for href in relative] == absolute


def test_page_path_matches_the_site_link_convention():
    from opentally.render import relative_url

    for target in ["index.md", "whats-new.md", "data/operation-nexus/1.0.1/index.md", "data/x/table.csv", "feed.xml"]:
        assert page_path(target) == relative_url("index.md", target)
    assert page_path("data/a b/%.md#row-1") == "data/a%20b/%25.html#row-1"
    assert page_path("data/é.md") == "data/%C3%A9.html"
    assert page_path("data/./x/../y.md") == "data/y.html"


@pytest.mark.parametrize("bad", ["../outside.md", "data/../../x.md", "/root.md", "https://evil.example/x",
                                 "javascript:alert(1)", "", "a\\b.md"])
def test_links_must_be_docs_relative(bad):
    entry = FeedEntry("urn:x:1", "t", "2026-01-01T00:00:00Z", bad, "")
    with pytest.raises(ValueError):
        atom_feed([entry], "T", SITE)


@pytest.mark.parametrize("updated", ["2026-01-01T00:00:00", "2026-01-01", "2026-01-01t00:00:00z", "2026-01-01 00:00:00Z",
                                     "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "yesterday", ""])
def test_bad_dates_are_refused(updated):
    with pytest.raises(ValueError):
        atom_feed([FeedEntry("urn:x:1", "t", updated, "a.md", "")], "T", SITE)


@pytest.mark.parametrize("id_", ["", "no-scheme", "urn:x: with space", "/relative"])
def test_ids_must_be_absolute_iris(id_):
    with pytest.raises(ValueError):
        atom_feed([FeedEntry(id_, "t", "2026-01-01T00:00:00Z", "a.md", "")], "T", SITE)


def test_head_link():
    link = head_link("Open Tally")
    assert (link.rel, link.type, link.title, link.target) == ("alternate", FEED_MEDIA_TYPE,
                                                              "Open Tally: Releases and corrections", "feed.xml")
    assert head_link().title == HEAD_LINK_TITLE


# --- the validator fails broken feeds -------------------------------------------------------------

def broken(change) -> bytes:
    root = parse(atom_feed(entries(), "Open Tally", SITE))
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def remove(path):
    def change(root):
        element = root.find(path)
        element.getparent().remove(element)
    return change


def set_text(path, text):
    def change(root):
        root.find(path).text = text
    return change


def add_entry_copy(root):
    root.append(etree.fromstring(etree.tostring(root.find(A + "entry"))))


def add_link(root):
    etree.SubElement(root.find(A + "entry"), A + "link", href="https://example.org/other.html", type="text/html")


BROKEN = {
    "missing feed id": (broken(remove(A + "id")), "Expecting an element id"),
    "missing feed updated": (broken(remove(A + "updated")), "Expecting an element updated"),
    "entry without title": (broken(remove(f"{A}entry/{A}title")), "Expecting an element title"),
    "entry without id": (broken(remove(f"{A}entry/{A}id")), "Element entry failed to validate content"),
    "impossible date": (broken(set_text(f"{A}entry/{A}updated", "2026-02-30T10:00:00Z")), "dateTime"),
    "month 13": (broken(set_text(A + "updated", "2026-13-01T10:00:00Z")), "dateTime"),
    "not a date": (broken(set_text(A + "updated", "27 November 2026")), "dateTime"),
    "date without offset": (broken(set_text(A + "updated", "2026-11-27T10:15:00")), "RFC 3339"),
    "wrong namespace": (atom_feed(entries(), "T", SITE).replace(b"http://www.w3.org/2005/Atom", b"http://purl.org/atom/ns#"),
                        "Did not expect element feed"),
    "no namespace": (atom_feed(entries(), "T", SITE).replace(b' xmlns="http://www.w3.org/2005/Atom"', b""), "feed"),
    "unknown Atom element": (broken(lambda root: etree.SubElement(root.find(A + "entry"), A + "body")), "extra content"),
    "no author anywhere": (broken(remove(A + "author")), "must have an atom:author"),
    "entry without link or content": (broken(remove(f"{A}entry[2]/{A}link")), "at least one atom:link"),
    "duplicate entry ids": (broken(add_entry_copy), "entries have the id"),
    "relative id": (broken(set_text(f"{A}entry/{A}id", "operation-nexus-1.0.1")), "not an absolute IRI"),
    "two alternate links alike": (broken(add_link), "alternate links"),
    "a lone entry document": (etree.tostring(parse(atom_feed(entries(), "T", SITE)).find(A + "entry")),
                              "not an Atom feed"),
    "white space in an href": (broken(lambda root: root.find(A + "link").set("href", "https://example.org/a b")),
                               "white space"),
    "not well-formed": (atom_feed(entries(), "T", SITE).replace(b"</feed>", b""), "not well-formed"),
    "bad link media type": (broken(lambda root: root.find(A + "link").set("type", "html")), "type"),
    "bad language tag": (broken(lambda root: root.set("{http://www.w3.org/XML/1998/namespace}lang", "en_GB!")), "lang"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validator_rejects_broken_feeds(case):
    data, reason = BROKEN[case]
    problems = validate_atom(data)
    assert problems, f"{case}: accepted"
    assert any(reason in problem for problem in problems), problems


def test_entry_author_satisfies_the_author_rule():
    # Without a feed author, a feed is valid when every entry has one, and invalid when one lacks it.
    def change(root, every):
        root.remove(root.find(A + "author"))
        for entry in root.findall(A + "entry")[: None if every else 1]:
            etree.SubElement(etree.SubElement(entry, A + "author"), A + "name").text = "someone"
    assert validate_atom(broken(lambda root: change(root, every=True))) == []
    problems = validate_atom(broken(lambda root: change(root, every=False)))
    assert any("An atom:entry must have an atom:author" in p for p in problems)
    assert any("An atom:feed must have an atom:author" in p for p in problems)


def test_vendored_schema_matches_its_source(tmp_path, monkeypatch):
    assert schema_problems() == []
    edited = tmp_path / "atom.rnc"
    edited.write_bytes(atom_schema.RNC.read_bytes().replace(b"atomId\n", b"atomId?\n", 1))
    monkeypatch.setattr(atom_schema, "RNC", edited)
    assert "re-make" in schema_problems()[0]
