"""The release calendar: releases of the site's datasets announced before they come out.

The calendar is one small YAML file, ``site_src/release-calendar.yml``, as statistics publishers keep
a release calendar (GOV.UK's statistics announcements, the ONS release calendar)::

    # Announced releases of this site's datasets.
    releases:
      - id: nexus-2013-q3          # a slug: the page anchor and the iCalendar UID
        title: Operation Nexus figures, July to September 2013
        package: operation-nexus   # a package of datapackages/
        expected: 2026-12-03       # a day, or while provisional a month (2026-12)
        status: confirmed          # provisional | confirmed | cancelled | published
        version: 1.1.0             # with status published only: the version the release produced
        reason: ...                # with status cancelled only (and then required): why
        summary: Plain text, optional.
        changes:                   # each change to the expected date, oldest first
          - announced: 2026-11-20  # the day the change was announced
            from: 2026-11
            to: 2026-12-03         # the last change's "to" is "expected"
            reason: The month was confirmed as a day.

It is read like data: every problem is an ``Issue`` with the line of the offending value, the file
is never trusted (no anchors, aliases or tags, bounded in size and depth, so that a hostile file
cannot blow up memory), and every text is plain text, escaped wherever it is shown.

This module reads and validates the file (``read_calendar``), says which confirmed releases are
overdue (``is_overdue``, ``overdue_issues``), and makes the calendar's page (``render_page``, from
``templates/calendar.md.j2``) and its iCalendar file (``ical``).
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import yaml

from . import dates, files, names
from .issues import Issue, error, warning
from .load import display_path

CALENDAR_FILE = files.CALENDAR_FILE  # release-calendar.yml, at the top of site_src/
PAGE = "release-calendar.md"  # the generated page (docs-relative)
ICS = "release-calendar.ics"  # the generated iCalendar file (docs-relative)

STATUSES = ("provisional", "confirmed", "cancelled", "published")
UPCOMING = ("provisional", "confirmed")
KEYS = ("id", "title", "package", "expected", "status", "version", "reason", "summary", "changes")
REQUIRED = ("id", "title", "package", "expected", "status")
CHANGE_KEYS = ("announced", "from", "to", "reason")

# Limits: far above any real calendar (a release a week for twenty years is 1,040 entries... of
# which a calendar keeps the recent ones), low enough that reading a hostile file stays quick.
MAX_BYTES = 1_000_000
MAX_ENTRIES = 1_000
MAX_CHANGES = 100  # changes of one release's date
MAX_TEXT = 1_000  # characters of a title, summary or reason
MAX_ID = 80
MAX_NODES = 100_000  # YAML values in the whole file
MAX_DEPTH = 8  # lists and mappings inside one another (the format needs 5)

# Ids the page gives its own headings: an announcement may not take them.
RESERVED_IDS = ("release-calendar", "upcoming", "published", "cancelled")

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_NULL = "tag:yaml.org,2002:null"

_STATUS_WORDS = {"provisional": "Provisional: the date may change", "confirmed": "Confirmed",
                 "published": "Published", "cancelled": "Cancelled"}
_ICAL_STATUS = {"provisional": "TENTATIVE", "confirmed": "CONFIRMED", "published": "CONFIRMED",
                "cancelled": "CANCELLED"}

_FORMAT_HINT = ("the file is a list of releases under releases:, e.g.\nreleases:\n  - id: my-release\n"
                "    title: ...\n    package: ...\n    expected: 2026-12-03\n    status: confirmed")


@dataclass(frozen=True)
class DateChange:
    """One change of an announced date: when it was announced, the dates (ISO day or month), why."""
    announced: str
    previous: str
    new: str
    reason: str


@dataclass(frozen=True)
class Announcement:
    id: str
    title: str
    package: str
    expected: str  # ISO day "2026-12-03" or month "2026-12"
    status: str  # one of STATUSES
    version: str  # the version a published release produced, else ""
    reason: str  # why a cancelled release was cancelled, else ""
    summary: str
    changes: tuple[DateChange, ...]
    line: int  # the line of the file where the entry starts


@dataclass(frozen=True)
class Calendar:
    announcements: tuple[Announcement, ...]  # in file order
    path: str  # as shown in messages ("" when there is no file)


# --- reading -------------------------------------------------------------------------------------

def read_calendar(site_src: Path, released: dict[str, tuple[str, ...]],
                  complete: bool = True) -> tuple[Calendar, list[Issue]]:
    """The calendar of ``site_src``, and what is wrong with it.

    ``released``: package name -> the versions that package has released (from git history); the keys
    are the known package names. A missing file is an empty calendar without issues. An entry with
    any error is left out of the calendar (the issues say why); the others are kept, in file order.
    When the history is not ``complete`` (a shallow clone: the build warns of it), a published
    release's version cannot be checked against it, and is not.
    """
    path = site_src / CALENDAR_FILE
    if not path.is_symlink() and not path.exists():
        return Calendar((), ""), []
    shown = display_path(path)
    empty = Calendar((), shown)
    if path.is_symlink() or not path.is_file():
        what = "a symbolic link" if path.is_symlink() else "not a file"
        return empty, [error("calendar-invalid", shown, f"the release calendar is {what}, so it is not read",
                             f"make {CALENDAR_FILE} a plain YAML file of site_src/")]
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return empty, [error("calendar-invalid", shown, f"the release calendar cannot be read ({exc.strerror})",
                             "check the file's permissions")]
    if len(data) > MAX_BYTES:
        return empty, [error("calendar-too-large", shown,
                             f"the release calendar is over {MAX_BYTES:,} bytes, so it is not read",
                             f"keep the file under {MAX_BYTES:,} bytes: remove releases published or cancelled "
                             "long ago (git keeps them)")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return empty, [error("calendar-invalid", shown,
                             f"the release calendar is not UTF-8 text (byte {exc.start} cannot be read)",
                             "save the file as UTF-8", data.count(b"\n", 0, exc.start) + 1)]
    try:
        problem = _unsafe(text, shown)
        if problem is not None:
            return empty, [problem]
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return empty, [_yaml_error(exc, shown)]
    reader = _Reader(shown, released, complete)
    return Calendar(tuple(reader.read(root)), shown), reader.issues + reader.warnings


def _yaml_error(exc: yaml.YAMLError, shown: str) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())[:200]
    line = mark.line + 1 if mark is not None else None
    return error("calendar-invalid", shown, f"the release calendar is not valid YAML: {problem}",
                 "check the indentation (spaces, not tabs) and quote a text that holds a colon followed by "
                 "a space, or starts with a character such as [ { & * ! | > % @ or `", line)


def _unsafe(text: str, shown: str) -> Issue | None:
    """The first thing in the YAML that the calendar refuses before building anything from it: an
    anchor, an alias or a tag (the format needs none, and aliases are how a small file expands to
    gigabytes), lists and mappings nested deeper than the format, or too many values."""
    depth = 0
    count = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            return error("calendar-unsafe", shown, f"the release calendar uses an alias (*{_short(event.anchor)})",
                         "write each value out in full: the calendar does not use YAML anchors (&) or aliases (*)",
                         line)
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        if event.anchor is not None:
            return error("calendar-unsafe", shown, f"the release calendar uses an anchor (&{_short(event.anchor)})",
                         "remove the anchor: the calendar does not use YAML anchors (&) or aliases (*)", line)
        if event.tag is not None:
            return error("calendar-unsafe", shown, f"the release calendar uses a YAML tag ({event.tag[:80]})",
                         "remove the tag (the word starting with !): write every value as plain text", line)
        count += 1
        if count > MAX_NODES:
            return error("calendar-too-large", shown, f"the release calendar holds over {MAX_NODES:,} values",
                         f"keep at most {MAX_ENTRIES:,} releases: remove those published or cancelled long ago "
                         "(git keeps them)", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return error("calendar-unsafe", shown,
                             f"the release calendar nests lists and mappings {depth} deep, deeper than it ever needs",
                             _FORMAT_HINT, line)
    return None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a set of key: value lines"
    return f'"{_short(node.value)}"'


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _period(text: str) -> str | None:
    """ "day" for a real day YYYY-MM-DD, "month" for a real month YYYY-MM, else None. Years 1000 to 9998
    only: a calendar file's events end the day (or month) after (red-team review: 9999-12-31 passed the
    check and crashed the build)."""
    if not (text[:4].isdigit() and 1000 <= int(text[:4]) <= 9998):
        return None
    try:
        if _DAY.fullmatch(text):
            date.fromisoformat(text)
            return "day"
        if _MONTH.fullmatch(text) and 1 <= int(text[5:]) <= 12 and int(text[:4]) >= 1:
            return "month"
    except ValueError:
        return None
    return None


def _start(expected: str) -> date:
    """The first day of an ISO day or month."""
    return date.fromisoformat(expected if len(expected) == 10 else expected + "-01")


def _words(expected: str) -> str:
    """ "3 December 2026", "December 2026"."""
    return dates.date_words(expected)


class _Reader:
    """Reads the composed YAML, collecting issues."""

    def __init__(self, shown: str, released: dict[str, tuple[str, ...]], complete: bool = True):
        self.shown = shown
        self.released = released
        self.complete = complete
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []
        self.ids: dict[str, int] = {}  # id -> line of its first use
        self.key_lines: dict[int, int] = {}  # id() of a value node -> the line of its key

    def at(self, node: yaml.Node) -> int:
        """The line to report a value at: its own, or its key's when it is a list or mapping written
        on the lines below the key."""
        if isinstance(node, yaml.CollectionNode) and not node.flow_style:
            return self.key_lines.get(id(node), _line(node))
        return _line(node)

    def fail(self, code: str, line: int, field: str | None, message: str, hint: str) -> None:
        self.issues.append(error(code, self.shown, message, hint, line, field))

    def warn(self, code: str, line: int, field: str | None, message: str, hint: str) -> None:
        """A warning: the entry is kept (``fail`` leaves it out)."""
        self.warnings.append(warning(code, self.shown, message, hint, line, field))

    def read(self, root: yaml.Node | None) -> list[Announcement]:
        if root is None:
            return []
        if not isinstance(root, yaml.MappingNode):
            self.fail("calendar-invalid", _line(root), None,
                      f"the release calendar is {_kind(root)}; expected releases: followed by a list of releases",
                      _FORMAT_HINT)
            return []
        releases = None
        for key, value in self._pairs(root, ("releases",), "the release calendar"):
            releases = value
        if releases is None:
            if not any(isinstance(k, yaml.ScalarNode) and k.value == "releases" for k, _ in root.value):
                self.fail("calendar-invalid", _line(root), "releases", "the release calendar has no releases: list",
                          _FORMAT_HINT)
            return []
        if isinstance(releases, yaml.ScalarNode) and releases.tag == _NULL:
            return []
        if not isinstance(releases, yaml.SequenceNode):
            self.fail("calendar-invalid", self.at(releases), "releases",
                      f"releases is {_kind(releases)}; expected a list of releases, each starting with \"- \"",
                      _FORMAT_HINT)
            return []
        if len(releases.value) > MAX_ENTRIES:
            self.fail("calendar-too-large", self.at(releases), "releases",
                      f"the release calendar lists {len(releases.value):,} releases, over {MAX_ENTRIES:,}",
                      "remove releases published or cancelled long ago (git keeps them)")
            return []
        out = []
        for index, node in enumerate(releases.value, 1):
            announcement = self._entry(index, node)
            if announcement is not None:
                out.append(announcement)
        return out

    def _pairs(self, node: yaml.MappingNode, allowed: tuple[str, ...], where: str):
        """(key, value node) of a mapping's known keys, each once; an issue for each other key."""
        seen: dict[str, int] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in allowed:
                shown_key = f'"{_short(key)}"' if key is not None else _kind(key_node)
                self.fail("calendar-key", _line(key_node), key if key is not None else None,
                          f"{where} has the key {shown_key}, which the calendar does not use; "
                          f"the keys are {', '.join(allowed)}",
                          "correct the key's spelling, or remove it" if key is not None else
                          "write each key as a plain word followed by a colon")
            elif key in seen:
                self.fail("calendar-key", _line(key_node), key,
                          f"{where} gives {key} twice (first on line {seen[key]})",
                          f"keep one {key}: and remove the other")
            else:
                seen[key] = _line(key_node)
                self.key_lines[id(value)] = _line(key_node)
                yield key, value

    def _text(self, key: str, node: yaml.Node, where: str, limit: int = MAX_TEXT) -> str | None:
        """A value as plain text ("" when empty); None, with an issue, when it is not text."""
        if not isinstance(node, yaml.ScalarNode):
            self.fail("calendar-text", self.at(node), key, f"{where}: {key} is {_kind(node)}; expected text",
                      f"write {key}: on one line followed by its text")
            return None
        if node.tag == _NULL:
            return ""
        text = " ".join(node.value.split())
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", text):
            self.fail("calendar-text", _line(node), key,
                      f"{where}: {key} holds a control character, which pages and calendar files cannot carry",
                      f"retype {key} as plain text")
            return None
        if len(text) > limit:
            self.fail("calendar-text", _line(node), key,
                      f"{where}: {key} is {len(text):,} characters long, over {limit:,}",
                      f"shorten {key} to at most {limit:,} characters")
            return None
        return text

    def _entry(self, index: int, node: yaml.Node) -> Announcement | None:
        where = f"release {index}"
        if not isinstance(node, yaml.MappingNode):
            self.fail("calendar-entry", _line(node), None,
                      f"{where} is {_kind(node)}; expected a release: key: value lines (id, title, package, "
                      "expected, status...)", _FORMAT_HINT)
            return None
        before = len(self.issues)
        nodes = dict(self._pairs(node, KEYS, where))
        # The id first, so that every other message can name the release.
        values: dict[str, str] = {}
        if "id" in nodes:
            ident = self._text("id", nodes["id"], where, MAX_ID)
            if ident:
                where = f'release {index} ("{ident}")'
            values["id"] = ident
        for key in KEYS:
            if key in nodes and key not in ("id", "changes"):
                values[key] = self._text(key, nodes[key], where)
        for key in REQUIRED:
            if key not in nodes:
                self.fail("calendar-missing", _line(node), key, f"{where} has no {key}",
                          f"add {key}: to the release ({_REQUIRED_HINT[key]})")
            elif values.get(key) == "":
                self.fail("calendar-missing", _line(nodes[key]), key, f"{where}: {key} is empty",
                          f"give the release its {key} ({_REQUIRED_HINT[key]})")
        ident, package, expected, status = (values.get(k) or "" for k in ("id", "package", "expected", "status"))
        version, reason = values.get("version") or "", values.get("reason") or ""

        if ident:
            line = _line(nodes["id"])
            if not _SLUG.fullmatch(ident):
                self.fail("calendar-id", line, "id",
                          f'{where}: id "{_short(ident)}" is not a slug; expected lower-case letters, digits and '
                          'single hyphens, such as "nexus-2013-q3"',
                          "write the id with a-z, 0-9 and hyphens only; it is the release's anchor on the page "
                          "and its identifier in calendars, so keep it once chosen")
            elif ident in RESERVED_IDS:
                self.fail("calendar-id", line, "id",
                          f'{where}: id "{ident}" is the name of a part of the calendar page',
                          f"choose another id; {', '.join(RESERVED_IDS)} are taken")
            elif ident in self.ids:
                self.fail("calendar-id", line, "id",
                          f'{where}: id "{ident}" is already the id of the release on line {self.ids[ident]}',
                          "give each release its own id")
            else:
                self.ids[ident] = _line(node)
        if package and package not in self.released:
            known = sorted(self.released)
            listed = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
            self.fail("calendar-package", _line(nodes["package"]), "package",
                      f'{where}: package "{_short(package)}" is not a package of datapackages/; '
                      f"expected one of: {listed or 'none (there is no package yet)'}",
                      "write the package's name, the name of its folder in datapackages/")
        if status and status not in STATUSES:
            self.fail("calendar-status", _line(nodes["status"]), "status",
                      f'{where}: status "{_short(status)}" is not a status of a release; expected one of '
                      f"{', '.join(STATUSES)}",
                      "provisional: the date may change (a month is enough); confirmed: the day is fixed; "
                      "published: the release came out (give its version); cancelled: it will not come out "
                      "(give the reason)")
        kind = None
        if expected:
            kind = _period(expected)
            if kind is None:
                self.fail("calendar-date", _line(nodes["expected"]), "expected",
                          f'{where}: expected is "{_short(expected)}", which is not a real day or month; expected '
                          "a day (YYYY-MM-DD) or, while provisional, a month (YYYY-MM)",
                          "write the date as 2026-12-03, or the month as 2026-12")
            elif kind == "month" and status == "confirmed":
                self.fail("calendar-date", _line(nodes["expected"]), "expected",
                          f'{where}: status is confirmed but expected is only a month ("{expected}"); a confirmed '
                          "release has a day",
                          "write the day (YYYY-MM-DD), or set status: provisional while only the month is known")
        if status == "published" and not version:
            self.fail("calendar-version", _line(nodes.get("version", nodes["status"])), "version",
                      f"{where}: status is published but no version is given; expected the version the "
                      "release produced",
                      "add version: with the version in the package's datapackage.json when it was released")
        elif version and status in STATUSES and status != "published":
            self.fail("calendar-version", _line(nodes["version"]), "version",
                      f"{where}: version is given but status is {status}; only a published release has a version",
                      "remove version:, or set status: published once the release is out")
        elif version and status == "published" and self.complete and package in self.released \
                and version not in self.released[package]:
            # A warning: a copy of the repository with a shorter history (a new repository made from
            # this one) has not released it, and still builds; the entry links to the dataset's page.
            versions = self.released[package]
            self.warn("calendar-version", _line(nodes["version"]), "version",
                      f'{where}: version "{_short(version)}" is not a version package "{package}" has released; '
                      + (f"its released versions are {', '.join(versions[-10:])}" if versions
                         else "it has released no version yet"),
                      "write the version the release produced, as the package's datapackage.json gave it; "
                      "publish the release before marking it published")
        if status == "cancelled" and not reason:
            self.fail("calendar-reason", _line(nodes.get("reason", nodes["status"])), "reason",
                      f"{where}: status is cancelled but no reason is given; expected why the release was cancelled",
                      "add reason: saying why the release will not come out")
        elif reason and status in STATUSES and status != "cancelled":
            self.fail("calendar-reason", _line(nodes["reason"]), "reason",
                      f"{where}: reason is given but status is {status}; only a cancelled release has a reason "
                      "(the reason for a change of date goes under changes)",
                      "remove reason:, or record it with the date's change under changes:")

        changes = self._changes(nodes.get("changes"), where, expected if kind else "")
        if len(self.issues) > before or changes is None:
            return None
        return Announcement(ident, values["title"], package, expected, status, version, reason,
                            values.get("summary") or "", changes, _line(node))

    def _changes(self, node: yaml.Node | None, where: str, expected: str) -> tuple[DateChange, ...] | None:
        """The history of the date, checked; None when it has an issue."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.fail("calendar-changes", self.at(node), "changes",
                      f"{where}: changes is {_kind(node)}; expected a list of changes of the date",
                      "write each change as a list item: - announced: 2026-11-20, then from:, to: and reason: "
                      "on the lines below it")
            return None
        if len(node.value) > MAX_CHANGES:
            self.fail("calendar-too-large", self.at(node), "changes",
                      f"{where}: changes lists {len(node.value):,} changes, over {MAX_CHANGES}",
                      "keep the history to the changes announced to the public")
            return None
        before = len(self.issues)
        out: list[tuple[DateChange, dict[str, yaml.Node]]] = []
        for number, item in enumerate(node.value, 1):
            here = f"{where}, change {number}"
            if not isinstance(item, yaml.MappingNode):
                self.fail("calendar-entry", _line(item), "changes",
                          f"{here} is {_kind(item)}; expected announced:, from:, to: and reason: lines",
                          "write each change as - announced: YYYY-MM-DD followed by from:, to: and reason:")
                continue
            nodes = dict(self._pairs(item, CHANGE_KEYS, here))
            values = {key: self._text(key, nodes[key], here) for key in CHANGE_KEYS if key in nodes}
            good = True
            for key in CHANGE_KEYS:
                if key not in nodes:
                    self.fail("calendar-missing", _line(item), key, f"{here} has no {key}",
                              f"add {key}: ({_CHANGE_HINT[key]})")
                    good = False
                elif values[key] == "":
                    self.fail("calendar-missing", _line(nodes[key]), key, f"{here}: {key} is empty",
                              f"give {key} ({_CHANGE_HINT[key]})")
                    good = False
                elif values[key] is None:
                    good = False
            if not good:
                continue
            if _period(values["announced"]) != "day":
                self.fail("calendar-date", _line(nodes["announced"]), "announced",
                          f'{here}: announced is "{_short(values["announced"])}", which is not a real day; '
                          "expected the day the change was announced (YYYY-MM-DD)",
                          "write the day as 2026-11-20")
                good = False
            for key in ("from", "to"):
                if _period(values[key]) is None:
                    self.fail("calendar-date", _line(nodes[key]), key,
                              f'{here}: {key} is "{_short(values[key])}", which is not a real day or month; '
                              "expected a day (YYYY-MM-DD) or a month (YYYY-MM)",
                              "write the date as 2026-12-03, or the month as 2026-12")
                    good = False
            if good and values["from"] == values["to"]:
                self.fail("calendar-changes", _line(nodes["to"]), "to",
                          f'{here}: from and to are the same date ("{values["to"]}"), so nothing changed',
                          "write the date before the change under from: and the new one under to:, or remove "
                          "the change")
                good = False
            if good:
                out.append((DateChange(values["announced"], values["from"], values["to"], values["reason"]), nodes))
        if len(self.issues) > before:
            return None
        for number in range(1, len(out)):
            (change, nodes), (previous, _) = out[number], out[number - 1]
            here = f"{where}, change {number + 1}"
            if change.announced < previous.announced:
                self.fail("calendar-changes", _line(nodes["announced"]), "announced",
                          f"{here} was announced on {change.announced}, before change {number} "
                          f"({previous.announced}); expected the changes oldest first",
                          "put the changes in the order they were announced, oldest first")
            if change.previous != previous.new:
                self.fail("calendar-changes", _line(nodes["from"]), "from",
                          f'{here}: from is "{change.previous}" but change {number} moved the date to '
                          f'"{previous.new}"; expected each change to start from the date the one before set',
                          f"write from: {previous.new}, or add the change that is missing between them")
        if out and expected and out[-1][0].new != expected:
            change, nodes = out[-1]
            self.fail("calendar-changes", _line(nodes["to"]), "to",
                      f'{where}: the last change moves the date to "{change.new}" but expected is "{expected}"; '
                      "expected the last change to end on the expected date",
                      "when the date changes, add a change whose to: is the new date and set expected: to it too")
        if len(self.issues) > before:
            return None
        return tuple(change for change, _ in out)


_REQUIRED_HINT = {
    "id": 'a slug such as "nexus-2013-q3", kept once chosen',
    "title": "what is released, in plain words",
    "package": "the name of the package's folder in datapackages/",
    "expected": "a day YYYY-MM-DD, or a month YYYY-MM while provisional",
    "status": ", ".join(STATUSES),
}
_CHANGE_HINT = {
    "announced": "the day the change was announced, YYYY-MM-DD",
    "from": "the date before the change, a day YYYY-MM-DD or a month YYYY-MM",
    "to": "the new date, a day YYYY-MM-DD or a month YYYY-MM",
    "reason": "why the date changed, in plain words",
}


# --- overdue releases ----------------------------------------------------------------------------

def is_overdue(a: Announcement, as_of: date) -> bool:
    """The one rule: a confirmed release whose day is before ``as_of`` (its status is still confirmed,
    so no release was recorded). The day itself is not overdue; a provisional, published or cancelled
    release never is."""
    return a.status == "confirmed" and _period(a.expected) == "day" and date.fromisoformat(a.expected) < as_of


def overdue_issues(calendar: Calendar, as_of: date) -> list[Issue]:
    """A warning per overdue release, at its line."""
    return [warning("release-overdue", calendar.path,
                    f'release "{a.id}" ("{_short(a.title, 80)}") was confirmed for {dates.long_date(a.expected)}, '
                    f"which has passed ({dates.long_date(as_of)}), and it is still marked confirmed: no release "
                    "is recorded",
                    "publish it and set status: published with its version; or, if the date has moved, add a "
                    "change under changes: (announced, from, to, reason) and set expected: to the new date; or "
                    "set status: cancelled with a reason:",
                    a.line, "expected")
            for a in calendar.announcements if is_overdue(a, as_of)]


# --- the page ------------------------------------------------------------------------------------

def _date_words(a: Announcement) -> str:
    words = _words(a.expected)
    return f"{words} (provisional)" if a.status == "provisional" else words


def relative_url(page: str, target: str) -> str:
    """``render.relative_url`` (imported when called: the render stage imports this module)."""
    from .render import relative_url as url

    return url(page, target)


def _entry_view(a: Announcement, as_of: date, version_page: Callable[[str, str], str | None],
                package_page: Callable[[str], tuple[str, str] | None]) -> dict:
    dataset = package_page(a.package)
    dataset_href = relative_url(PAGE, dataset[1]) if dataset else ""
    version_href = ""
    if a.status == "published":
        target = version_page(a.package, a.version)
        version_href = relative_url(PAGE, target) if target else dataset_href
    return {
        "id": a.id, "title": a.title, "status": a.status, "status_words": _STATUS_WORDS[a.status],
        "expected": a.expected, "date_words": _date_words(a), "summary": a.summary, "reason": a.reason,
        "version": a.version if a.status == "published" else "", "version_href": version_href,
        "dataset_title": dataset[0] if dataset else a.package, "dataset_href": dataset_href,
        "overdue": is_overdue(a, as_of),
        "changes": [{"announced": c.announced, "announced_words": _words(c.announced),
                     "previous_words": _words(c.previous), "new_words": _words(c.new), "reason": c.reason}
                    for c in a.changes],
    }


def render_page(env, calendar: Calendar, as_of: date, version_page: Callable[[str, str], str | None],
                package_page: Callable[[str], tuple[str, str] | None]) -> str:
    """The Markdown of the calendar page (docs path ``PAGE``) from ``templates/calendar.md.j2``.

    Upcoming releases (provisional and confirmed) soonest first: by the first day they may come, a
    day before a month that starts on it; published and cancelled ones newest first. Releases on the
    same date keep the file's order. ``version_page(package, version)`` is the docs-relative page of
    a version, or None (a published release then links to its dataset's page);
    ``package_page(package)`` is (title, docs-relative page) of a dataset, or None."""
    order = list(enumerate(calendar.announcements))

    def soonest(pair):
        index, a = pair
        return (_start(a.expected), len(a.expected) == 7, index)

    def newest(pair):
        index, a = pair
        return (-_start(a.expected).toordinal(), len(a.expected) == 7, index)

    def views(statuses, key):
        return [_entry_view(a, as_of, version_page, package_page)
                for _, a in sorted((p for p in order if p[1].status in statuses), key=key)]

    return env.get_template("calendar.md.j2").render(
        page=PAGE, ics_href=relative_url(PAGE, ICS), as_of=as_of.isoformat(), as_of_words=dates.long_date(as_of),
        upcoming=views(UPCOMING, soonest), published=views(("published",), newest),
        cancelled=views(("cancelled",), newest), empty=not calendar.announcements)


# --- the iCalendar file --------------------------------------------------------------------------

def _uid_host(site_name: str, site_url: str) -> str:
    """The host of ``site_url`` when it has a plain one, else the slug of the site's name."""
    host = ""
    if site_url:
        try:
            host = (urlsplit(site_url).hostname or "").lower()
        except ValueError:
            host = ""
    return host if host and _HOST.fullmatch(host) else names.slug(site_name)


def _description(a: Announcement, url: str) -> str:
    lines = [a.summary, ""] if a.summary else []
    lines.append(f"Dataset: {a.package}")
    if len(a.expected) == 7 and a.status == "provisional":
        lines.append(f"Expected: {_words(a.expected)} (provisional: the day is not announced yet)")
    else:
        lines.append(f"Expected: {_date_words(a)}")
    lines.append(f"Status: {a.status}")
    if a.version:
        lines.append(f"Version released: {a.version}")
    if a.reason:
        lines.append(f"Why it was cancelled: {a.reason}")
    if a.changes:
        lines.append("Changes to the date:")
        lines += [f"- Changed on {_words(c.announced)} from {_words(c.previous)} to {_words(c.new)}: {c.reason}"
                  for c in a.changes]
    if url:
        lines += ["", url]
    return "\n".join(lines)


def ical(calendar: Calendar, site_name: str, site_url: str, stamp: date) -> bytes:
    """The iCalendar file (RFC 5545) of the calendar: one all-day event per release, in file order.

    A release with a day is an event on that day; a release with only a month (provisional) is an
    all-day event spanning the whole month, TENTATIVE, so that subscribers see it coming and see it
    move to its day once confirmed (the UID stays the same). STATUS is TENTATIVE (provisional),
    CONFIRMED (confirmed and published) or CANCELLED; SEQUENCE counts the changes of the date;
    TRANSP is TRANSPARENT (a release does not make anyone busy). DTSTAMP is ``stamp`` at midnight UTC,
    never the clock: the same input gives the same bytes."""
    import icalendar  # only the build of this file needs it

    host = _uid_host(site_name, site_url)
    base = (site_url if site_url.endswith("/") else site_url + "/") if site_url else ""
    stamped = datetime(stamp.year, stamp.month, stamp.day, tzinfo=timezone.utc)
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{site_name}//Release calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{site_name}: release calendar")
    for a in calendar.announcements:
        start = _start(a.expected)
        if len(a.expected) == 7:
            end = date(start.year, start.month, _calendar.monthrange(start.year, start.month)[1]) + timedelta(days=1)
        else:
            end = start + timedelta(days=1)
        url = f"{base}{relative_url('index.md', PAGE)}#{a.id}" if base else ""
        event = icalendar.Event()
        event.add("uid", f"{a.id}@{host}")
        event.add("dtstamp", stamped)
        event.add("dtstart", start)
        event.add("dtend", end)
        summary = a.title
        if a.status == "provisional":
            summary += " (provisional)"
        elif a.status == "cancelled":
            summary = "Cancelled: " + summary
        event.add("summary", summary)
        event.add("description", _description(a, url))
        event.add("status", _ICAL_STATUS[a.status])
        event.add("sequence", len(a.changes))
        event.add("transp", "TRANSPARENT")
        if url:
            event.add("url", url)
        cal.add_component(event)
    return cal.to_ical()
