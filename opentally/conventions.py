"""The data conventions of Open Tally, in one place: what a figure is, and how it is traced to its source.

Every stage reads a package through these rules (``validate`` checks them, ``plan`` and ``render``
publish by them, ``check`` reports changes by them), so that what is checked is what is published.

* **A figure** is a row of a table that has an identifying column and a ``value`` column. The
  identifying column is the table's primary key when it is one field, else its ``id`` column; the
  figure is ``package/resource/<that cell>``.
* **A quote column** is ``quote`` or any ``<name>_quote`` (``period_quote``...): the words of a
  source document, copied verbatim. A figure's own quote, the words that state its value, is its
  ``quote`` cell; the other quote columns quote something else about it (its period).
* **The sources table** is the tabular resource named ``sources`` (one per package, whatever the
  foreign keys say). Its ``id`` column names each source document and its ``path`` column gives the
  document's file in the package (with its ``sha256``, when given). A row cites a document by
  its ``source`` cell, which must be one of those ids; a foreign key (``source`` -> ``sources.id``)
  lets frictionless check that too.
* **A quote is in its source** when, with every run of spaces and line breaks read as one space
  (``normalise``), it is a passage of the document's text read the same way.
* **A figure's value is stated by its quote** when the quote writes that number in one of the forms
  sources write numbers (``numbers_in``): digits with or without thousands separators (207000,
  207,000), decimals (1.5), thousands, millions and billions abbreviated (207k, 1.2m, 1.2 million,
  3bn), percentages (28%, c.28%, 28 per cent), rates (30/week, 100 a week), and whole numbers up to
  a hundred in words ("thirty-seven", "fifty", "a hundred"). Whole numbers only: 37 is not in 370,
  1,037, 3.7 or 37k. The sign is not read (sources write "a fall of 5"). A figure its quote does not
  state (a sum, a derived rate) says how it was derived in its ``derivation`` cell.
* **A figure's unit** is the ``unit`` cell of its row, else the ``unit`` of its ``value`` field
  (``field_unit``: ``unit``, or the older ``units``).
* **A dataset's provenance** is counted, never claimed: how many of its figures link to the words of
  their source (``plan.PackagePlan.figures_linked``). A package with figures of which none has a
  quote is warned about (``no-provenance``).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from . import dates, names

SOURCES_TABLE = names.SOURCES_TABLE  # the resource named "sources"
SOURCE_ID_FIELD = "id"  # of the sources table: the id a row's source cell names
SOURCE_PATH_FIELD = "path"  # of the sources table: the document's file in the package
SOURCE_CHECKSUM_FIELD = "sha256"
SOURCE_FIELD = "source"  # of a table that quotes: the id of the document its quotes are from
ID_FIELD = "id"
VALUE_FIELD = "value"
QUOTE_FIELD = "quote"  # a figure's own quote
UNIT_FIELD = "unit"
DERIVATION_FIELD = "derivation"

_QUOTE_FIELD = re.compile(r"^(quote|\w+_quote)$")


# --- columns -------------------------------------------------------------------------------------

def is_quote_field(name: str) -> bool:
    """A column that holds a provenance quote (``quote``, ``period_quote``...), checked against its source."""
    return isinstance(name, str) and bool(_QUOTE_FIELD.match(name))


def id_field(primary_key: Sequence[str] | str | None, field_names: Iterable[str]) -> str | None:
    """The column that identifies a row: a one-field primary key, else an ``id`` column, else None."""
    key = [primary_key] if isinstance(primary_key, str) else list(primary_key or [])
    names_ = list(field_names)
    if len(key) == 1 and key[0] in names_:
        return key[0]
    return ID_FIELD if ID_FIELD in names_ else None


def is_sources_table(resource) -> bool:
    """Whether a resource (frictionless's or the plan's: anything with ``name`` and ``tabular``) is the sources table."""
    return getattr(resource, "name", None) == SOURCES_TABLE and bool(getattr(resource, "tabular", False))


def sources_table(resources: Iterable):
    """The package's sources table among its resources, or None."""
    return next((r for r in resources if is_sources_table(r)), None)


@dataclass(frozen=True)
class Columns:
    """What each column of one table is, by these conventions (None: the table has no such column)."""

    id: str | None
    value: str | None
    quote: str | None  # the figure's own quote
    quotes: tuple[str, ...]  # every quote column, the figure's own first
    source: str | None
    unit: str | None
    derivation: str | None

    @property
    def has_figures(self) -> bool:
        """Each row with an identifier is a figure."""
        return self.id is not None and self.value is not None


def columns(field_names: Iterable[str], primary_key: Sequence[str] | str | None = ()) -> Columns:
    names_ = [n for n in field_names if isinstance(n, str)]
    present = set(names_)

    def named(name: str) -> str | None:
        return name if name in present else None

    quotes = [n for n in names_ if is_quote_field(n)]
    quotes.sort(key=lambda n: n != QUOTE_FIELD)
    return Columns(id_field(primary_key, names_), named(VALUE_FIELD), named(QUOTE_FIELD), tuple(quotes),
                   named(SOURCE_FIELD), named(UNIT_FIELD), named(DERIVATION_FIELD))


def key_text(value) -> str:
    """A key cell as text, the way a page names it: "removed-from-uk", "2024-03", "2013-07-24", "42".

    How a row is named by its key: ``figure("package/resource", key=..., column=...)`` compares these."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]:04d}-{value[1]:02d}"  # a yearmonth
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def figure_id(row: dict, cols: Columns) -> str | None:
    """The identifier of a figure row as it appears in links (``package/resource/<id>``), or None."""
    if not cols.has_figures:
        return None
    value = row.get(cols.id)
    return None if value is None or value == "" else str(value)


def figure_quote(row: dict, cols: Columns) -> str:
    """The figure's own quote, or "" when it has none."""
    value = row.get(cols.quote) if cols.quote else None
    return value if isinstance(value, str) and value.strip() else ""


def field_unit(field_descriptor: dict) -> str:
    """The unit a field's descriptor gives (``unit``, or the older ``units``), or ""."""
    unit = field_descriptor.get(UNIT_FIELD) or field_descriptor.get("units") or ""
    return unit if isinstance(unit, str) else ""


def figure_unit(row: dict, cols: Columns, value_field_unit: object = "") -> str:
    """The unit of a figure: its row's ``unit`` cell, else its ``value`` field's ``unit``."""
    cell = row.get(cols.unit) if cols.unit else None
    if cell not in (None, ""):
        return str(cell)
    return value_field_unit if isinstance(value_field_unit, str) else ""


def derivation(row: dict, cols: Columns) -> str:
    """How a figure was derived, when its quote does not state it ("" when the row says nothing)."""
    value = row.get(cols.derivation) if cols.derivation else None
    return value.strip() if isinstance(value, str) else ""


# --- quotes and their sources --------------------------------------------------------------------

def normalise(text: str) -> str:
    """A text with every run of spaces and line breaks as one space, and none at either end."""
    return " ".join(text.split())


def quote_anchor(quote: str) -> str:
    """The id of a quote's place in its source page: the same for every spacing of the same words."""
    return "q-" + hashlib.sha256(normalise(quote).encode("utf-8")).hexdigest()[:10]


class SourceText:
    """A source document's text, to find quotes in it as ``normalise`` reads them."""

    def __init__(self, text: str):
        self.text = text
        self.flat = normalise(text)
        self._positions: list[int] | None = None

    def contains(self, quote: str) -> bool:
        needle = normalise(quote)
        return bool(needle) and needle in self.flat

    def span(self, quote: str) -> tuple[int, int] | None:
        """Where the quote's first occurrence starts and ends in the original text, or None."""
        needle = normalise(quote)
        at = self.flat.find(needle) if needle else -1
        if at < 0:
            return None
        positions = self._flat_positions()
        return positions[at], positions[at + len(needle) - 1] + 1

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def closest(self, quote: str) -> str:
        """The passage around the longest run the text shares with the quote, cut at whole words."""
        text, needle = self.flat, normalise(quote)
        match = difflib.SequenceMatcher(None, text, needle, autojunk=False).find_longest_match(
            0, len(text), 0, len(needle))
        start = max(0, match.a - match.b)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = min(len(text), start + len(needle) + 10)
        while end < len(text) and not text[end].isspace():
            end += 1
        return text[start:end]

    def _flat_positions(self) -> list[int]:
        """For each character of ``flat``, its offset in ``text``."""
        if self._positions is None:
            positions: list[int] = []
            previous_space = True
            for index, char in enumerate(self.text):
                if char.isspace():
                    if not previous_space:
                        positions.append(index)
                    previous_space = True
                else:
                    positions.append(index)
                    previous_space = False
            self._positions = positions
        return self._positions


# --- values stated in quotes ---------------------------------------------------------------------

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
_SCALES = {"thousand": 3, "k": 3, "million": 6, "m": 6, "mn": 6, "billion": 9, "bn": 9, "b": 9}

_UNIT_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_WORD = "|".join(_TENS)
_SMALL = rf"(?:(?:{_TENS_WORD})(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine))?|{_UNIT_WORD})"
_NUMBER = re.compile(rf"""
    (?:
        (?<!\w)(?<![^A-Za-z]\.)(?<!^\.)                          # not inside a word or a decimal ("c.28" is 28)
        (?P<digits>\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+)            # 207,000 or 207000
        (?:\.(?P<decimals>\d+))?                                # 1.2
        (?:\s*(?P<scale_word>thousand|million|billion)\b        # 1.2 million
          |(?P<scale_abbr>k|mn|m|bn|b)(?![\w]))?                # 207k, 1.2m, 3bn
      |
        (?<![\w-])
        (?P<words>(?:(?:a|one)\s+hundred|(?:{_UNIT_WORD})\s+hundred)(?:\s+and\s+{_SMALL}|[-\s]{_SMALL})?
                  |{_SMALL})
        (?:\s+(?P<words_scale>thousand|million|billion)\b)?
        (?![\w-])
    )
    (?![A-Za-z0-9])                                             # 10th, 5mm: not a number
""", re.I | re.X)


def _small_words(text: str) -> int:
    parts = re.split(r"[-\s]+", text.lower())
    return sum(_WORD_VALUES[p] for p in parts)


def _words_value(text: str) -> int:
    lowered = " ".join(text.lower().split())
    if "hundred" not in lowered:
        return _small_words(lowered)
    head, _, rest = lowered.partition("hundred")
    head, rest = head.strip(), rest.strip(" -")
    if rest.startswith("and "):
        rest = rest[4:]
    return (1 if head in ("a", "one") else _WORD_VALUES[head]) * 100 + (_small_words(rest) if rest else 0)


@dataclass(frozen=True)
class StatedNumber:
    """A number as a text writes it: its value and the words that write it."""

    value: Decimal
    text: str


def numbers_in(text: str) -> list[StatedNumber]:
    """Every number a text writes, in the forms sources write numbers (see the module's docstring)."""
    found = []
    for match in _NUMBER.finditer(text or ""):
        if match.group("digits") is not None:
            number = Decimal(match.group("digits").replace(",", "") + "." + (match.group("decimals") or "0"))
            scale = (match.group("scale_word") or match.group("scale_abbr") or "").lower()
        else:
            number = Decimal(_words_value(match.group("words")))
            scale = (match.group("words_scale") or "").lower()
        if scale:
            number = number.scaleb(_SCALES[scale])
        found.append(StatedNumber(number, match.group(0)))
    return found


def as_number(value) -> Decimal | None:
    """A figure's value as a number to look for in its quote, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            return Decimal(text)
    return None


def value_in_quote(value, quote: str) -> bool:
    """Whether the quote writes the value (as ``numbers_in`` reads it); a value that is no number is not checked."""
    number = as_number(value)
    if number is None:
        return True
    return any(stated.value == abs(number) for stated in numbers_in(quote))


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _in_words(number: int) -> str:
    if number < 20:
        return _UNITS[number]
    if number == 100:
        return "a hundred"
    tens, units = divmod(number, 10)
    return _TENS[tens - 2] + (f"-{_UNITS[units]}" if units else "")


def value_forms(value, unit: str = "") -> tuple[str, ...]:
    """Forms in which a quote may state a value, for messages: 207000, 207,000, 207k, 207 thousand..."""
    number = as_number(value)
    if number is None:
        return ()
    number = abs(number)
    plain = _plain(number)
    forms = [plain]
    whole = number == number.to_integral_value()
    if number >= 1000:
        forms.append(f"{number.normalize():,f}" if not whole else f"{int(number):,}")
    for scale, (abbr, word) in ((9, ("bn", "billion")), (6, ("m", "million")), (3, ("k", "thousand"))):
        if number >= Decimal(10) ** scale:
            short = number.scaleb(-scale)
            if short == short.quantize(Decimal("0.01")):
                forms += [f"{_plain(short)}{abbr}", f"{_plain(short)} {word}"]
            break
    if whole and number <= 100:
        forms.append(_in_words(int(number)))
    unit_text = (unit or "").strip().lower()
    if unit_text in ("percent", "per cent", "%", "percentage"):
        forms += [f"{plain}%", f"{plain} per cent"]
    elif (period := re.search(r"\bper (\w+)$", unit_text)) is not None:
        forms += [f"{plain}/{period.group(1)}", f"{plain} a {period.group(1)}", f"{plain} per {period.group(1)}"]
    return tuple(dict.fromkeys(forms))


# --- links to a source document and the period of figures (issue 10) -----------------------------
# The sources table may give where the original document is published (``url``) and an archived copy
# of it (``archived_url``): optional columns, each an http(s) address. Figure tables may date each
# figure by ``period_start`` and ``period_end`` (the period it covers) or ``as_of`` (the day a count
# holds); the period a package covers is read from them unless its descriptor gives ``temporal``.

SOURCE_URL_FIELD = "url"
SOURCE_ARCHIVED_URL_FIELD = "archived_url"
SOURCE_LINK_FIELDS = (SOURCE_URL_FIELD, SOURCE_ARCHIVED_URL_FIELD)
PERIOD_START_FIELD = "period_start"
PERIOD_END_FIELD = "period_end"
AS_OF_FIELD = "as_of"
PERIOD_FIELDS = (PERIOD_START_FIELD, PERIOD_END_FIELD, AS_OF_FIELD)
TEMPORAL_KEY = "temporal"  # of a descriptor: {"start": "2012-06-01", "end": "2013-07-24"} or "2012-06/2013-07"
# The words a figure row may give about itself, shown beside its value (plan.Figure, figure_blocks).
LABEL_FIELD = "label"  # a short name of the figure; its id when absent
QUALIFIER_FIELD = "qualifier"  # exact, rounded, approximate, target... (charts colour by it)
MEASURE_FIELD = "measure"  # what is counted, in words
NOTE_FIELD = "note"
DATE_FIELD = "date"
# A figure so qualified says what is to come, not what was measured: its dates (the day a target is to
# be met) are not part of the period the data covers.
FORWARD_QUALIFIERS = frozenset({"target", "aspiration", "planned", "forecast", "projection", "estimate of future"})


def is_web_url(value) -> bool:
    """An absolute http(s) address with a host and no spaces or control characters: a link a page may carry.
    No user-info: ``https://www.met.police.uk@evil.example/`` reads as the police's and leads elsewhere."""
    from urllib.parse import urlparse

    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return False
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return False
    try:
        parsed = urlparse(value)
        return bool(parsed.hostname) and parsed.username is None and parsed.password is None
    except ValueError:
        return False


def descriptor_period(descriptor: dict):
    """The period a descriptor's ``temporal`` gives, as (start, end) dates, or None."""
    temporal = descriptor.get(TEMPORAL_KEY) if isinstance(descriptor, dict) else None
    if isinstance(temporal, str) and "/" in temporal:
        start_text, end_text = temporal.split("/", 1)
    elif isinstance(temporal, dict):
        start_text = temporal.get("start") or temporal.get("startDate")
        end_text = temporal.get("end") or temporal.get("endDate")
    else:
        return None
    start, end = dates.as_date(start_text), dates.as_date(end_text, end=True)
    if start is None and end is None:
        return None
    start, end = start or end, end or start
    return (start, end) if start <= end else (end, start)


def data_period(descriptor: dict, resources: Iterable):
    """The period a package's data covers, as (start, end) dates, or None when nothing dates it.

    The descriptor's ``temporal`` when it gives one; else the earliest and latest of the
    ``period_start``, ``period_end`` and ``as_of`` cells of its figure tables, less the figures whose
    ``qualifier`` looks ahead (``FORWARD_QUALIFIERS``: a target's deadline is no date of the data).
    ``resources`` are the plan's (``name``, ``tabular``, ``fields`` with ``name``, ``primary_key``, ``rows``)."""
    given = descriptor_period(descriptor)
    if given is not None:
        return given
    days = []
    for resource in resources:
        if not getattr(resource, "tabular", False) or is_sources_table(resource):
            continue
        names_ = [f.name for f in resource.fields]
        if not columns(names_, getattr(resource, "primary_key", ())).has_figures:
            continue
        dated = [n for n in PERIOD_FIELDS if n in names_]
        for row in resource.rows:
            if str(row.get(QUALIFIER_FIELD) or "").strip().lower() in FORWARD_QUALIFIERS:
                continue
            days += [d for n in dated if (d := dates.as_date(row.get(n), end=n != PERIOD_START_FIELD)) is not None]
    return (min(days), max(days)) if days else None


# --- releases ------------------------------------------------------------------------------------

def changes_notes(descriptor: dict) -> dict[str, str]:
    """version -> the note of its ``changes`` entry: ``"changes": [{"version": "1.0.1", "description":
    "..."}]``. The one reading of that key (``validate`` checks its shape with ``changes_problems``)."""
    entries = descriptor.get("changes")
    notes = {}
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("version"), str) and isinstance(entry.get("description"), str):
            notes.setdefault(entry["version"], " ".join(entry["description"].split()))
    return notes


def changes_problems(descriptor: dict) -> list[tuple[str, str, str]]:
    """(JSON pointer, what is wrong, how to fix) for each malformed ``changes`` entry."""
    entries = descriptor.get("changes")
    if entries is None:
        return []
    shape = 'write "changes": [{"version": "1.0.1", "description": "what changed and why"}], one entry per version'
    if not isinstance(entries, list):
        return [("/changes", "\"changes\" must be a list of entries", shape)]
    problems, seen = [], set()
    for n, entry in enumerate(entries):
        at = f"/changes/{n}"
        if not isinstance(entry, dict):
            problems.append((at, "an entry of \"changes\" must be an object", shape))
            continue
        version, text = entry.get("version"), entry.get("description")
        if not isinstance(version, str) or not version.strip():
            problems.append((f"{at}/version", "the entry names no version", shape))
        elif version in seen:
            problems.append((f"{at}/version", f"version {version} has two entries: only the first is shown",
                             "merge them into one description"))
        else:
            seen.add(version)
        if not isinstance(text, str) or not text.strip():
            problems.append((f"{at}/description", "the entry has no description",
                             "say in plain words what changed in this version and why"))
    return problems


# A version that can name a folder of the site (data/NAME/VERSION/): numbers separated by dots, then
# an optional label after "-" or "+" ("1.0.1", "v2.0.0-rc.1", "2013.07", "1.0.0+build.5"), at most 64
# characters. It never ends like a file name (".html", ".md": red-team review, a version "2.html" made a
# folder the site's checks read as a page).
VERSION_PATTERN = re.compile(r"v?[0-9]+(?:\.[0-9]+)*(?:[-+][0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*)?")
VERSION_RULE = ('numbers separated by dots, with an optional label after "-" or "+", e.g. "1.0.1" or '
                '"2.0.0-rc.1"; the label may not end like a file name (".html")')


def version_of(descriptor: dict) -> str:
    """The version a descriptor gives, as releases and pages read it ("" when it gives none)."""
    version = descriptor.get("version")
    return version.strip() if isinstance(version, str) else ""


def version_problem(version: str) -> str | None:
    """Why ``version`` cannot be published as a release of its own (a folder of the site), or None."""
    if len(version) > 64 or not VERSION_PATTERN.fullmatch(version):
        return f'version "{version[:80]}" is not a version number the site can publish'
    if re.search(r"\.[A-Za-z][A-Za-z0-9]*$", version):
        return f'version "{version[:80]}" ends like a file name'
    return None
