"""Validating an Atom 1.0 feed document for the tests: ``validate_atom(data) -> list[str]``, empty when valid.

Two layers:

1. The RELAX NG schema of RFC 4287 (Appendix B), ``fixtures/atom/atom.rng``, made from the RFC's
   compact-syntax text ``fixtures/atom/atom.rnc`` (see the comment at the top of atom.rng), checked
   by lxml (libxml2).
2. Rules the RELAX NG grammar cannot express, in plain Python:
   - the three Schematron assertions the RFC attaches to its schema, read from atom.rng's
     s:rule/s:assert annotations and evaluated as XPath: a feed has an author unless every entry
     has one; an entry has an author if its feed has none; an entry has a rel="alternate" link or a
     content;
   - the document is a feed: the grammar also accepts a lone atom:entry as a document;
   - every date (atom:updated, atom:published) is an RFC 3339 date-time with an uppercase "T" and
     a "Z" or numeric offset (RFC 4287 section 3.3); the schema's xsd:dateTime also allows a time
     without an offset;
   - every atom:id is an absolute IRI: a scheme, no whitespace (section 4.2.6), and no link's href
     has whitespace (section 3: "no white space ... in any IRI"); the schema lets both be any text;
   - no two entries of the feed have the same atom:id. Stricter than the RFC, which lets a feed
     repeat an id for versions of one entry (section 4.1.1): in Open Tally's feed a repeat is a bug;
   - at most one rel="alternate" link per type and hreflang, on the feed and on each entry
     (sections 4.1.1 and 4.1.2);
   - an entry whose atom:content has a src attribute has an atom:summary (section 4.1.2).

The document is parsed without loading DTDs, expanding entities or touching the network.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "fixtures" / "atom"
RNG = SCHEMA_DIR / "atom.rng"
RNC = SCHEMA_DIR / "atom.rnc"

ATOM = "http://www.w3.org/2005/Atom"
SCHEMATRON = "http://www.ascc.net/xml/schematron"  # Schematron 1.5, as the RFC's schema uses it
RELAXNG = "http://relaxng.org/ns/structure/1.0"
NS = {"atom": ATOM}

_DATE_TIME = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


@functools.lru_cache(maxsize=1)
def _schema() -> tuple[etree.RelaxNG, tuple[tuple[str, str, str], ...]]:
    """The compiled RELAX NG schema, and its Schematron assertions as (context, test, message)."""
    grammar = etree.parse(str(RNG), _parser())
    rules = []
    for rule in grammar.iter(f"{{{SCHEMATRON}}}rule"):
        context = rule.get("context")
        # Schematron contexts are XSLT patterns; the RFC's are plain element names, which are also
        # the XPath "//name". Anything else would need a real Schematron processor: refuse it.
        if not re.fullmatch(r"atom:[A-Za-z]+", context or ""):
            raise ValueError(f"unsupported Schematron context in {RNG.name}: {context!r}")
        for assertion in rule.iter(f"{{{SCHEMATRON}}}assert"):
            rules.append((context, assertion.get("test"), " ".join(assertion.text.split())))
    if len(rules) != 3:  # the RFC has three; fewer would mean the annotations were lost in conversion
        raise ValueError(f"expected the RFC's 3 Schematron assertions in {RNG.name}, found {len(rules)}")
    return etree.RelaxNG(grammar), tuple(rules)


def schema_problems() -> list[str]:
    """Why the vendored schema cannot be trusted, or []: atom.rng records the sha256 of the atom.rnc it
    was made from, so an edit of either without re-making atom.rng is found."""
    match = re.search(r"atom\.rnc sha256: ([0-9a-f]{64})", RNG.read_text(encoding="utf-8"))
    if not match:
        return [f"{RNG.name} does not record the digest of the atom.rnc it was made from"]
    digest = hashlib.sha256(RNC.read_bytes()).hexdigest()
    if digest != match.group(1):
        return [f"{RNC.name} (sha256 {digest}) is not the file {RNG.name} was made from: re-make {RNG.name}"]
    return []


def validate_atom(data: bytes) -> list[str]:
    """The problems of ``data`` as an Atom 1.0 feed document: [] when it is valid."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    relaxng, rules = _schema()
    problems = []
    if not relaxng.validate(root):
        problems += [f"line {error.line}: {error.message}" for error in relaxng.error_log]
    if root.tag != f"{{{ATOM}}}feed":
        problems.append(f"the document element is {root.tag}, not an Atom feed ({{{ATOM}}}feed)")
    for context, test, message in rules:
        for node in root.xpath(f"descendant-or-self::{context}", namespaces=NS):
            if not node.xpath(f"boolean({test})", namespaces=NS):
                problems.append(f"line {node.sourceline}: {message}")
    for date in root.xpath("descendant-or-self::atom:updated | descendant-or-self::atom:published", namespaces=NS):
        if not _DATE_TIME.fullmatch(date.text or ""):
            problems.append(f"line {date.sourceline}: {etree.QName(date).localname} {date.text!r} is not an "
                            "RFC 3339 date-time with an uppercase T and a Z or numeric offset (RFC 4287 3.3)")
    for id_ in root.xpath("descendant-or-self::atom:id", namespaces=NS):
        if not _ABSOLUTE_IRI.fullmatch(id_.text or ""):
            problems.append(f"line {id_.sourceline}: id {id_.text!r} is not an absolute IRI (RFC 4287 4.2.6)")
    for link in root.xpath("descendant-or-self::atom:link[@href]", namespaces=NS):
        if not link.get("href") or re.search(r"\s", link.get("href")):
            problems.append(f"line {link.sourceline}: link href {link.get('href')!r} is empty or has white space "
                            "(RFC 4287 3)")
    ids = Counter(entry.findtext(f"{{{ATOM}}}id") for entry in root.findall(f"{{{ATOM}}}entry"))
    for id_, count in sorted(ids.items(), key=lambda item: str(item[0])):
        if id_ is not None and count > 1:
            problems.append(f"{count} entries have the id {id_!r}")
    for parent in [root, *root.findall(f"{{{ATOM}}}entry")]:
        alternates = Counter((link.get("type"), link.get("hreflang"))
                             for link in parent.findall(f"{{{ATOM}}}link") if link.get("rel", "alternate") == "alternate")
        for (type_, hreflang), count in alternates.items():
            if count > 1:
                problems.append(f"line {parent.sourceline}: {count} alternate links of type {type_!r} and hreflang "
                                f"{hreflang!r} in one {etree.QName(parent).localname} (RFC 4287 4.1.1, 4.1.2)")
    for entry in root.xpath("descendant-or-self::atom:entry[atom:content[@src]][not(atom:summary)]", namespaces=NS):
        problems.append(f"line {entry.sourceline}: an entry whose content has a src needs a summary (RFC 4287 4.1.2)")
    return problems
