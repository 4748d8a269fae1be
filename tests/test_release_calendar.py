"""The release calendar (opentally/release_calendar.py): reading and validating
site_src/release-calendar.yml, overdue releases, the calendar page and its iCalendar file."""

from __future__ import annotations

import os
import textwrap
import time
from datetime import date, datetime, timezone
from pathlib import Path

import icalendar
import markdown
import pytest
from bs4 import BeautifulSoup

from opentally import release_calendar as rc
from opentally.issues import Severity
from opentally.load import display_path
from opentally.render import SiteSettings, make_environment, relative_url

ROOT = Path(__file__).resolve().parents[1]
RELEASED = {"operation-nexus": ("1.0.0", "1.1.0"), "stop-and-search": ()}

GOOD = """\
# Announced releases of this site's datasets.
releases:
  - id: nexus-2013-q3
    title: Operation Nexus figures, July to September 2013
    package: operation-nexus
    expected: 2026-12-03
    status: confirmed
    summary: The figures of the next quarter.
    changes:
      - announced: 2026-11-20
        from: 2026-11
        to: 2026-12-03
        reason: The month was confirmed as a day.
  - id: nexus-2014
    title: Operation Nexus, 2014
    package: operation-nexus
    expected: 2027-01
    status: provisional
  - id: nexus-2013
    title: Operation Nexus, 2013
    package: operation-nexus
    expected: 2026-06-01
    status: published
    version: 1.1.0
  - id: searches-2012
    title: Stop and search, 2012
    package: stop-and-search
    expected: 2026-05
    status: cancelled
    reason: The force no longer collects these figures.
"""


def write(tmp_path: Path, text: str | bytes) -> Path:
    site_src = tmp_path / "site_src"
    site_src.mkdir(exist_ok=True)
    target = site_src / rc.CALENDAR_FILE
    target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return site_src


def read(tmp_path: Path, text: str | bytes, released=None):
    return rc.read_calendar(write(tmp_path, text), RELEASED if released is None else released)


def shown(tmp_path: Path) -> str:
    return display_path(tmp_path / "site_src" / rc.CALENDAR_FILE)


def marked_line(text: str) -> int:
    """The line of ``text`` marked with "# <-"."""
    (line,) = [n for n, row in enumerate(text.splitlines(), 1) if "# <-" in row]
    return line


# --- reading a good file -------------------------------------------------------------------------

def test_a_valid_calendar_is_read_back_in_file_order(tmp_path):
    calendar, issues = read(tmp_path, GOOD)
    assert issues == []
    assert calendar.path == shown(tmp_path)
    assert [a.id for a in calendar.announcements] == ["nexus-2013-q3", "nexus-2014", "nexus-2013", "searches-2012"]
    first, provisional, published, cancelled = calendar.announcements
    assert first == rc.Announcement(
        id="nexus-2013-q3", title="Operation Nexus figures, July to September 2013", package="operation-nexus",
        expected="2026-12-03", status="confirmed", version="", reason="", summary="The figures of the next quarter.",
        changes=(rc.DateChange("2026-11-20", "2026-11", "2026-12-03", "The month was confirmed as a day."),), line=3)
    assert (provisional.expected, provisional.status, provisional.line, provisional.changes) == (
        "2027-01", "provisional", 14, ())
    assert (published.version, published.line) == ("1.1.0", 19)
    assert (cancelled.reason, cancelled.line) == ("The force no longer collects these figures.", 25)


def test_a_missing_file_is_an_empty_calendar(tmp_path):
    (tmp_path / "site_src").mkdir()
    assert rc.read_calendar(tmp_path / "site_src", RELEASED) == (rc.Calendar((), ""), [])


@pytest.mark.parametrize("text", ["", "# nothing announced yet\n", "releases:\n", "releases: []\n"])
def test_an_empty_file_is_an_empty_calendar(tmp_path, text):
    assert read(tmp_path, text) == (rc.Calendar((), shown(tmp_path)), [])


def test_values_are_read_as_written_not_as_yaml_types(tmp_path):
    """A version 1.10 stays "1.10" (YAML would make it the number 1.1), a title "yes" stays "yes"."""
    text = GOOD.replace("version: 1.1.0", "version: 1.10").replace("title: Operation Nexus, 2014", "title: yes")
    calendar, issues = read(tmp_path, text, {"operation-nexus": ("1.10",), "stop-and-search": ()})
    assert issues == []
    assert calendar.announcements[2].version == "1.10"
    assert calendar.announcements[1].title == "yes"


def test_quoted_dates_and_folded_text_are_plain_text(tmp_path):
    text = textwrap.dedent("""\
        releases:
          - id: a
            title: >
              A title written
              on two lines
            package: operation-nexus
            expected: "2026-12-03"
            status: confirmed
        """)
    calendar, issues = read(tmp_path, text)
    assert issues == []
    assert (calendar.announcements[0].title, calendar.announcements[0].expected) == ("A title written on two lines",
                                                                                     "2026-12-03")


# --- every rule, with its line and field ---------------------------------------------------------

ENTRY = """\
  - id: nexus-2013-q3
    title: Operation Nexus figures
    package: operation-nexus
    expected: 2026-12-03
    status: confirmed
"""


def entry(**changed) -> str:
    """ENTRY with some lines replaced (key -> the whole new line, without indentation; None removes it)."""
    lines = []
    for row in ENTRY.splitlines():
        key = row.strip().lstrip("- ").split(":")[0]
        if key in changed:
            if changed[key] is None:
                continue
            row = row[:row.index(key)] + changed[key]
        lines.append(row)
    return "\n".join(lines) + "\n"


def with_changes(changes: str, **changed) -> str:
    return "releases:\n" + entry(**changed) + "    changes:\n" + textwrap.indent(textwrap.dedent(changes), " " * 6)


BAD = [
    # (case, file text with the offending line marked "# <-", code, field, words in the message)
    ("entry not a mapping", "releases:\n  - just a title  # <-\n", "calendar-entry", None, "release 1"),
    ("unknown key", "releases:\n" + entry() + "    colour: red  # <-\n", "calendar-key", "colour",
     "the keys are id, title, package, expected, status, version, reason, summary, changes"),
    ("key given twice", "releases:\n" + entry() + "    title: Again  # <-\n", "calendar-key", "title", "twice"),
    ("no id", "releases:\n  - title: Operation Nexus figures  # <-\n    package: operation-nexus\n"
     "    expected: 2026-12-03\n    status: confirmed\n", "calendar-missing", "id", "has no id"),
    ("no status", "releases:\n" + entry(status=None).replace("  - id: nexus-2013-q3", "  - id: nexus-2013-q3  # <-"),
     "calendar-missing", "status", "has no status"),
    ("empty title", "releases:\n" + entry(title='title: ""  # <-'), "calendar-missing", "title", "title is empty"),
    ("title a list", "releases:\n" + entry(title="title: [a, b]  # <-"), "calendar-text", "title", "is a list"),
    ("title a list below its key", "releases:\n  - id: a\n    title:  # <-\n      - one\n      - two\n"
     "    package: operation-nexus\n    expected: 2026-12-03\n    status: confirmed\n", "calendar-text", "title",
     "is a list"),
    ("title too long", "releases:\n" + entry(title="title: " + "x" * 1001 + "  # <-"), "calendar-text", "title",
     "1,001 characters"),
    ("id not a slug", "releases:\n" + entry(id="id: Nexus_2013  # <-"), "calendar-id", "id", "not a slug"),
    ("id of the page", "releases:\n" + entry(id="id: upcoming  # <-"), "calendar-id", "id",
     "a part of the calendar page"),
    ("id used twice", "releases:\n" + entry() + entry(id="id: nexus-2013-q3  # <-", expected="expected: 2026-12-04"),
     "calendar-id", "id", "already the id of the release on line 2"),
    ("unknown package", "releases:\n" + entry(package="package: nexus  # <-"), "calendar-package", "package",
     "expected one of: operation-nexus, stop-and-search"),
    ("not a real day", "releases:\n" + entry(expected="expected: 2026-02-30  # <-"), "calendar-date", "expected",
     '"2026-02-30", which is not a real day or month'),
    ("not a date", "releases:\n" + entry(expected="expected: soon  # <-"), "calendar-date", "expected", '"soon"'),
    ("month 13", "releases:\n" + entry(expected="expected: 2026-13  # <-", status="status: provisional"),
     "calendar-date", "expected", "2026-13"),
    ("day without zero", "releases:\n" + entry(expected="expected: 2026-12-3  # <-"), "calendar-date", "expected",
     "2026-12-3"),
    ("confirmed month", "releases:\n" + entry(expected="expected: 2026-12  # <-"), "calendar-date", "expected",
     "a confirmed release has a day"),
    ("unknown status", "releases:\n" + entry(status="status: Confirmed  # <-"), "calendar-status", "status",
     "provisional, confirmed, cancelled, published"),
    ("published without version", "releases:\n" + entry(status="status: published  # <-"), "calendar-version",
     "version", "no version is given"),
    ("version while confirmed", "releases:\n" + entry() + "    version: 1.1.0  # <-\n", "calendar-version", "version",
     "only a published release has a version"),
    ("cancelled without reason", "releases:\n" + entry(status="status: cancelled  # <-"), "calendar-reason", "reason",
     "no reason is given"),
    ("reason while provisional", "releases:\n" + entry(status="status: provisional") + "    reason: Late.  # <-\n",
     "calendar-reason", "reason", "only a cancelled release has a reason"),
    ("changes not a list", "releases:\n" + entry() + "    changes: moved once  # <-\n", "calendar-changes", "changes",
     "expected a list of changes"),
    ("change not a mapping", with_changes("- moved  # <-\n"), "calendar-entry", "changes", "change 1"),
    ("change with unknown key", with_changes("""\
        - announced: 2026-11-20
          from: 2026-11
          to: 2026-12-03
          reason: Confirmed.
          by: someone  # <-
        """), "calendar-key", "by", "the keys are announced, from, to, reason"),
    ("change without reason", with_changes("""\
        - announced: 2026-11-20  # <-
          from: 2026-11
          to: 2026-12-03
        """), "calendar-missing", "reason", "change 1 has no reason"),
    ("change with empty reason", with_changes("""\
        - announced: 2026-11-20
          from: 2026-11
          to: 2026-12-03
          reason: ""  # <-
        """), "calendar-missing", "reason", "reason is empty"),
    ("announced a month", with_changes("""\
        - announced: 2026-11  # <-
          from: 2026-11
          to: 2026-12-03
          reason: Confirmed.
        """), "calendar-date", "announced", "not a real day"),
    ("from not a date", with_changes("""\
        - announced: 2026-11-20
          from: autumn  # <-
          to: 2026-12-03
          reason: Confirmed.
        """), "calendar-date", "from", '"autumn"'),
    ("change that changes nothing", with_changes("""\
        - announced: 2026-11-20
          from: 2026-12-03
          to: 2026-12-03  # <-
          reason: Confirmed.
        """), "calendar-changes", "to", "nothing changed"),
    ("last change not the expected date", with_changes("""\
        - announced: 2026-11-20
          from: 2026-11
          to: 2026-12-04  # <-
          reason: Confirmed.
        """), "calendar-changes", "to", 'moves the date to "2026-12-04" but expected is "2026-12-03"'),
    ("changes out of order", with_changes("""\
        - announced: 2026-11-20
          from: 2026-11
          to: 2026-12
          reason: Narrowed.
        - announced: 2026-11-19  # <-
          from: 2026-12
          to: 2026-12-03
          reason: Confirmed.
        """), "calendar-changes", "announced", "oldest first"),
    ("changes that do not follow", with_changes("""\
        - announced: 2026-11-20
          from: 2026-11
          to: 2026-12
          reason: Narrowed.
        - announced: 2026-11-21
          from: 2026-11  # <-
          to: 2026-12-03
          reason: Confirmed.
        """), "calendar-changes", "from", 'change 1 moved the date to "2026-12"'),
    ("too many changes", "releases:\n" + entry() + "    changes:  # <-\n" + "".join(
        f"      - announced: 2026-01-01\n        from: 2026-{m:02d}\n        to: 2026-{m + 1:02d}\n"
        f"        reason: x\n" for m in range(1, 102)),
     "calendar-too-large", "changes", "over 100"),
    ("a list at the top", "- id: a  # <-\n", "calendar-invalid", None, "expected releases:"),
    ("unknown top key", "releases: []\nrelease: []  # <-\n", "calendar-key", "release", '"release"'),
    ("no releases key", "version: 1  # <-\n", "calendar-key", "version", "the keys are releases"),
    ("releases not a list", "releases: soon  # <-\n", "calendar-invalid", "releases", "expected a list of releases"),
    ("not YAML", "releases:\n  - id: a\n    title: [unclosed\n    status: x  # <-\n", "calendar-invalid", None,
     "not valid YAML"),
    ("not YAML: a tab", "releases:\n\t- id: a  # <-\n", "calendar-invalid", None, "not valid YAML"),
]


@pytest.mark.parametrize("case,text,code,field,words", BAD, ids=[case[0] for case in BAD])
def test_each_rule_gives_its_issue_at_its_line(tmp_path, case, text, code, field, words):
    calendar, issues = read(tmp_path, text)
    found = [(i.code, i.row, i.field) for i in issues]
    expected_line = marked_line(text)
    if case == "no releases key":  # two issues: the key that is not known, and the list that is missing
        assert (code, expected_line, field) in found
        assert ("calendar-invalid", 1, "releases") in found
        issue = next(i for i in issues if i.code == code)
    else:
        assert found == [(code, expected_line, field)], [i.message for i in issues]
        issue = issues[0]
    assert issue.severity is Severity.ERROR
    assert issue.path == shown(tmp_path)
    assert words in issue.message
    assert issue.hint
    # An entry with an error is left out (the first of two with the same id is good).
    assert [a.line for a in calendar.announcements] == ([2] if case == "id used twice" else [])


UNRELEASED = [
    ("version not released", "releases:\n" + entry(status="status: published") + "    version: 9.9.9  # <-\n",
     "its released versions are 1.0.0, 1.1.0"),
    ("package never released", "releases:\n" + entry(package="package: stop-and-search", status="status: published")
     + "    version: 1.0.0  # <-\n", "released no version yet"),
]


@pytest.mark.parametrize("case,text,words", UNRELEASED, ids=[case[0] for case in UNRELEASED])
def test_a_published_version_the_history_lacks_is_a_warning_and_the_entry_stays(tmp_path, case, text, words):
    """A new repository made from a copy of this one has a shorter history: its calendar still builds."""
    calendar, issues = read(tmp_path, text)
    assert [(i.code, i.row, i.field, i.severity) for i in issues] == [
        ("calendar-version", marked_line(text), "version", Severity.WARNING)]
    assert words in issues[0].message and issues[0].hint
    assert len(calendar.announcements) == 1


def test_a_bad_entry_leaves_the_good_ones_in(tmp_path):
    text = "releases:\n" + entry(id="id: a") + entry(id="id: b", status="status: soon")
    calendar, issues = read(tmp_path, text)
    assert [a.id for a in calendar.announcements] == ["a"]
    assert [(i.code, i.row) for i in issues] == [("calendar-status", 11)]


def test_an_entry_with_many_faults_reports_each(tmp_path):
    text = "releases:\n  - id: Bad Id\n    package: nowhere\n    expected: someday\n    status: maybe\n    size: 3\n"
    _, issues = read(tmp_path, text)
    assert sorted((i.code, i.row, i.field) for i in issues) == [
        ("calendar-date", 4, "expected"), ("calendar-id", 2, "id"), ("calendar-key", 6, "size"),
        ("calendar-missing", 2, "title"), ("calendar-package", 3, "package"), ("calendar-status", 5, "status")]


def test_messages_name_the_release_and_hints_say_how_to_fix(tmp_path):
    _, (issue,) = read(tmp_path, "releases:\n" + entry(status="status: cancelled"))
    assert issue.message.startswith('release 1 ("nexus-2013-q3"): status is cancelled but no reason is given')
    assert "reason:" in issue.hint


def test_no_known_package_says_so(tmp_path):
    _, (issue,) = read(tmp_path, "releases:\n" + entry(), released={})
    assert issue.code == "calendar-package"
    assert "there is no package yet" in issue.message


def test_a_file_that_is_not_utf8_is_one_error_with_its_line(tmp_path):
    _, issues = read(tmp_path, b"releases:\n  - id: a\n    title: caf\xe9\n")
    assert [(i.code, i.row) for i in issues] == [("calendar-invalid", 3)]
    assert "not UTF-8" in issues[0].message


def test_a_byte_order_mark_is_allowed(tmp_path):
    calendar, issues = read(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    assert issues == [] and len(calendar.announcements) == 4


def test_a_folder_in_place_of_the_file_is_refused(tmp_path):
    (tmp_path / "site_src" / rc.CALENDAR_FILE).mkdir(parents=True)
    calendar, issues = rc.read_calendar(tmp_path / "site_src", RELEASED)
    assert calendar.announcements == ()
    assert [i.code for i in issues] == ["calendar-invalid"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symbolic_link_is_not_followed(tmp_path):
    secret = tmp_path / "elsewhere.yml"
    secret.write_text(GOOD)
    (tmp_path / "site_src").mkdir()
    (tmp_path / "site_src" / rc.CALENDAR_FILE).symlink_to(secret)
    calendar, issues = rc.read_calendar(tmp_path / "site_src", RELEASED)
    assert calendar.announcements == ()
    assert [i.code for i in issues] == ["calendar-invalid"]
    assert "symbolic link" in issues[0].message


# --- hostile files -------------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
releases: *i
"""


def test_billion_laughs_is_refused_at_once(tmp_path):
    started = time.perf_counter()
    calendar, issues = read(tmp_path, BILLION_LAUGHS)
    assert time.perf_counter() - started < 1
    assert calendar.announcements == ()
    assert [(i.code, i.row) for i in issues] == [("calendar-unsafe", 1)]
    assert "anchor" in issues[0].message


@pytest.mark.parametrize("text,line,words", [
    ("releases:\n  - &first\n    id: a\n", 2, "anchor (&first)"),
    ("releases:\n" + entry() + "  - *x  # <-\n", None, "alias (*x)"),
    ("releases:\n  - id: a\n    title: !!python/object/apply:os.system ['echo hi']\n", 3, "tag"),
    ("releases:\n  - id: !!str a\n", 2, "tag"),
    ("releases: !!set {a, b}\n", 1, "tag"),
    ("releases:\n  - id: !custom a\n", 2, "tag"),
])
def test_anchors_aliases_and_tags_are_refused(tmp_path, text, line, words):
    _, issues = read(tmp_path, text)
    issue, = issues
    assert issue.code in ("calendar-unsafe", "calendar-invalid")  # an alias without its anchor is not YAML at all
    assert issue.row == (line or marked_line(text))
    if issue.code == "calendar-unsafe":
        assert words in issue.message


def test_an_alias_of_a_defined_anchor_is_refused(tmp_path):
    text = "releases:\n  - &one {id: a}\n  - *one\n"
    _, (issue,) = read(tmp_path, text)
    assert (issue.code, issue.row) == ("calendar-unsafe", 2)


def test_a_huge_file_is_not_read(tmp_path):
    text = GOOD + "# padding\n" * (rc.MAX_BYTES // 10)
    assert len(text.encode()) > rc.MAX_BYTES
    started = time.perf_counter()
    calendar, issues = read(tmp_path, text)
    assert time.perf_counter() - started < 1
    assert calendar.announcements == ()
    assert [i.code for i in issues] == ["calendar-too-large"]


def test_deep_nesting_is_refused_without_recursion(tmp_path):
    text = "releases: " + "[" * 50_000 + "]" * 50_000 + "\n"
    _, issues = read(tmp_path, text)
    assert [(i.code, i.row) for i in issues] == [("calendar-unsafe", 1)]


def test_too_many_values_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(rc, "MAX_NODES", 50)
    _, issues = read(tmp_path, "releases: [" + ", ".join(["x"] * 60) + "]\n")
    assert [i.code for i in issues] == ["calendar-too-large"]


def test_too_many_releases_are_refused(tmp_path):
    text = "releases:\n" + "  - x\n" * (rc.MAX_ENTRIES + 1)
    calendar, issues = read(tmp_path, text)
    assert calendar.announcements == ()
    assert [(i.code, i.row) for i in issues] == [("calendar-too-large", 1)]


def test_many_documents_are_not_a_calendar(tmp_path):
    _, issues = read(tmp_path, "releases: []\n---\nreleases: []\n")
    assert [i.code for i in issues] == ["calendar-invalid"]


HOSTILE_TEXT = '<script>alert(1)</script> **bold** [click](javascript:alert(2)) & "quotes"'


def test_html_and_markdown_in_texts_reach_the_page_escaped(tmp_path):
    text = textwrap.dedent(f"""\
        releases:
          - id: a
            title: '{HOSTILE_TEXT.replace("'", "''")}'
            package: operation-nexus
            expected: 2026-05
            status: cancelled
            reason: '{HOSTILE_TEXT.replace("'", "''")}'
            summary: '{HOSTILE_TEXT.replace("'", "''")}'
            changes:
              - announced: 2026-01-02
                from: 2026-04
                to: 2026-05
                reason: '<img src=x onerror=alert(3)>'
        """)
    calendar, issues = read(tmp_path, text)
    assert issues == []
    assert calendar.announcements[0].title == HOSTILE_TEXT
    page = render(calendar, date(2026, 1, 1), package_page=lambda p: ('<b onmouseover="x">Nexus</b>', f"data/{p}.md"))
    assert "<script" not in page and "<img" not in page and "<b " not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert "&lt;img src=x onerror=alert(3)&gt;" in page
    html = to_html(page)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None and soup.find("strong") is None
    assert not [a for a in soup.find_all("a") if a["href"].startswith("javascript")]
    article = soup.find("article", id="a")
    assert article.h3.get_text() == HOSTILE_TEXT
    assert article.find("p", class_="ot-release__summary").get_text() == HOSTILE_TEXT


# --- overdue releases ----------------------------------------------------------------------------

def announcement(expected="2026-12-03", status="confirmed", **other) -> rc.Announcement:
    values = dict(id="x", title="X", package="operation-nexus", expected=expected, status=status, version="",
                  reason="", summary="", changes=(), line=7)
    values.update(other)
    return rc.Announcement(**values)


@pytest.mark.parametrize("expected,status,as_of,overdue", [
    ("2026-12-03", "confirmed", date(2026, 12, 4), True),
    ("2026-12-03", "confirmed", date(2027, 6, 1), True),
    ("2026-12-03", "confirmed", date(2026, 12, 3), False),  # the day itself is not overdue
    ("2026-12-03", "confirmed", date(2026, 12, 2), False),
    ("2026-12", "provisional", date(2027, 6, 1), False),  # a provisional month never is
    ("2026-12-03", "provisional", date(2027, 6, 1), False),  # nor a provisional day
    ("2026-12-03", "published", date(2027, 6, 1), False),
    ("2026-12-03", "cancelled", date(2027, 6, 1), False),
])
def test_is_overdue(expected, status, as_of, overdue):
    assert rc.is_overdue(announcement(expected, status), as_of) is overdue


def test_overdue_issues_warn_at_the_release_line(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    assert rc.overdue_issues(calendar, date(2026, 12, 3)) == []
    (issue,) = rc.overdue_issues(calendar, date(2026, 12, 5))
    assert (issue.code, issue.severity, issue.path, issue.row) == (
        "release-overdue", Severity.WARNING, shown(tmp_path), 3)
    assert issue.message.startswith('release "nexus-2013-q3" ("Operation Nexus figures, July to September 2013") '
                                    "was confirmed for 3 December 2026, which has passed (5 December 2026)")
    for words in ("status: published", "changes:", "status: cancelled", "reason"):
        assert words in issue.hint
    assert not issue.as_error().severity is Severity.WARNING


# --- the page ------------------------------------------------------------------------------------

def environment():
    env = make_environment(ROOT / "templates")
    env.globals["site"] = SiteSettings()
    return env


def version_page(package: str, version: str) -> str | None:
    return f"data/{package}/{version}/index.md" if package == "operation-nexus" else None


def package_page(package: str) -> tuple[str, str] | None:
    return ("Operation Nexus", f"data/{package}.md") if package == "operation-nexus" else None


def render(calendar, as_of=date(2026, 11, 25), version_page=version_page, package_page=package_page) -> str:
    return rc.render_page(environment(), calendar, as_of, version_page, package_page)


def to_html(page: str) -> str:
    return markdown.markdown(page, extensions=["attr_list", "admonition", "toc"])


def test_the_page_has_its_sections_in_order_with_headings_in_order(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    soup = BeautifulSoup(to_html(render(calendar)), "html.parser")
    headings = soup.find_all(["h1", "h2", "h3"])
    assert [(h.name, h.get_text()) for h in headings] == [
        ("h1", "Release calendar"),
        ("h2", "Upcoming"),
        ("h3", "Operation Nexus figures, July to September 2013"),
        ("h3", "Operation Nexus, 2014"),
        ("h2", "Published"),
        ("h3", "Operation Nexus, 2013"),
        ("h2", "Cancelled"),
        ("h3", "Stop and search, 2012"),
    ]
    assert [h["id"] for h in soup.find_all("h2")] == ["upcoming", "published", "cancelled"]
    assert [a["id"] for a in soup.find_all("article")] == ["nexus-2013-q3", "nexus-2014", "nexus-2013",
                                                           "searches-2012"]
    assert soup.find("script") is None and soup.find("table") is None


def test_the_page_links_with_relative_urls(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    soup = BeautifulSoup(to_html(render(calendar)), "html.parser")
    ics_link = soup.find("a", string="Add to your calendar")["href"]
    assert ics_link == relative_url(rc.PAGE, rc.ICS) == "release-calendar.ics"
    first = soup.find("article", id="nexus-2013-q3")
    assert first.find("a", string="Operation Nexus")["href"] == relative_url(rc.PAGE, "data/operation-nexus.md")
    published = soup.find("article", id="nexus-2013")
    assert published.find("a", string="Version 1.1.0")["href"] == relative_url(
        rc.PAGE, "data/operation-nexus/1.1.0/index.md") == "data/operation-nexus/1.1.0/index.html"
    cancelled = soup.find("article", id="searches-2012")
    assert cancelled.find("a") is None  # no page for that package: its name, without a link
    assert "stop-and-search" in cancelled.get_text()
    assert "The force no longer collects these figures." in cancelled.get_text()


def test_a_published_release_without_a_version_page_links_to_its_dataset(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    soup = BeautifulSoup(to_html(render(calendar, version_page=lambda p, v: None)), "html.parser")
    assert soup.find("a", string="Version 1.1.0")["href"] == "data/operation-nexus.html"


def test_dates_statuses_and_history_in_words(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    soup = BeautifulSoup(to_html(render(calendar)), "html.parser")
    first = soup.find("article", id="nexus-2013-q3")
    assert first.find("time", datetime="2026-12-03").get_text() == "3 December 2026"
    assert "Confirmed" in first.get_text()
    (change,) = first.find("ul", class_="ot-release__changes").find_all("li")
    assert " ".join(change.get_text().split()) == (
        "Changed on 20 November 2026 from November 2026 to 3 December 2026: The month was confirmed as a day.")
    provisional = soup.find("article", id="nexus-2014")
    assert provisional.find("time", datetime="2027-01").get_text() == "January 2027 (provisional)"
    assert "Provisional: the date may change" in provisional.get_text()


def test_upcoming_soonest_first_published_newest_first(tmp_path):
    text = "releases:\n" + "".join(entry(id=f"id: {ident}", expected=f"expected: {day}", status=f"status: {status}")
                                   for ident, day, status in [
                                       ("later", "2027-02-01", "confirmed"),
                                       ("month", "2027-01", "provisional"),
                                       ("soon", "2027-01-01", "confirmed"),
                                       ("old", "2025-01-01", "cancelled"),
                                       ("newer", "2026-03-01", "cancelled"),
                                   ]).replace("status: cancelled\n", "status: cancelled\n    reason: Stopped.\n")
    calendar, issues = read(tmp_path, text)
    assert issues == []
    soup = BeautifulSoup(to_html(render(calendar)), "html.parser")
    assert [a["id"] for a in soup.find_all("article")] == ["soon", "month", "later", "newer", "old"]
    assert soup.find("h2", id="published") is None


def test_an_overdue_release_is_flagged_in_words(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    on_the_day = BeautifulSoup(to_html(render(calendar, as_of=date(2026, 12, 3))), "html.parser")
    assert "Overdue" not in on_the_day.get_text()
    soup = BeautifulSoup(to_html(render(calendar, as_of=date(2026, 12, 5))), "html.parser")
    flagged = soup.find_all(class_="ot-release__overdue")
    assert len(flagged) == 1
    assert flagged[0].find_parent("article")["id"] == "nexus-2013-q3"
    assert ("Overdue: this release was confirmed for 3 December 2026 and has not been published"
            in " ".join(flagged[0].get_text().split()))
    assert "5 December 2026" in flagged[0].get_text()


def test_an_empty_calendar_says_no_release_is_announced():
    page = render(rc.Calendar((), ""))
    soup = BeautifulSoup(to_html(page), "html.parser")
    assert [h.get_text() for h in soup.find_all(["h1", "h2", "h3"])] == ["Release calendar", "Upcoming"]
    assert "No release is announced at the moment." in soup.get_text()
    assert soup.find("a", string="Add to your calendar")


def test_only_past_releases_say_none_is_upcoming(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    past = rc.Calendar(tuple(a for a in calendar.announcements if a.status == "published"), calendar.path)
    assert "No upcoming release is announced at the moment." in render(past)


def test_each_release_is_one_html_block(tmp_path):
    """No blank line inside an entry: the build stashes each block of HTML whole (render.stash_html)."""
    calendar, _ = read(tmp_path, GOOD)
    page = render(calendar, as_of=date(2026, 12, 5))
    for block in page.split("<article")[1:]:
        assert "\n\n" not in block.split("</article>")[0]


# --- the iCalendar file --------------------------------------------------------------------------

def events_of(data: bytes) -> dict[str, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(data)
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def test_ical_has_one_event_per_release(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    data = rc.ical(calendar, "Open Tally", "https://example.org/tally/", date(2026, 11, 25))
    parsed = icalendar.Calendar.from_ical(data)
    assert "Open Tally" in str(parsed["PRODID"])
    assert str(parsed["VERSION"]) == "2.0"
    events = events_of(data)
    assert list(events) == ["nexus-2013-q3@example.org", "nexus-2014@example.org", "nexus-2013@example.org",
                            "searches-2012@example.org"]
    statuses = {uid: str(e["STATUS"]) for uid, e in events.items()}
    assert statuses == {"nexus-2013-q3@example.org": "CONFIRMED", "nexus-2014@example.org": "TENTATIVE",
                        "nexus-2013@example.org": "CONFIRMED", "searches-2012@example.org": "CANCELLED"}
    for event in events.values():
        assert event.decoded("DTSTAMP") == datetime(2026, 11, 25, tzinfo=timezone.utc)
    confirmed = events["nexus-2013-q3@example.org"]
    assert (confirmed.decoded("DTSTART"), confirmed.decoded("DTEND")) == (date(2026, 12, 3), date(2026, 12, 4))
    assert str(confirmed["SUMMARY"]) == "Operation Nexus figures, July to September 2013"
    assert str(confirmed["URL"]) == "https://example.org/tally/release-calendar.html#nexus-2013-q3"
    description = str(confirmed["DESCRIPTION"])
    assert "The figures of the next quarter." in description
    assert "Status: confirmed" in description
    assert ("Changed on 20 November 2026 from November 2026 to 3 December 2026: The month was confirmed as a day."
            in description)
    assert int(confirmed["SEQUENCE"]) == 1
    month = events["nexus-2014@example.org"]  # a provisional month spans the month
    assert (month.decoded("DTSTART"), month.decoded("DTEND")) == (date(2027, 1, 1), date(2027, 2, 1))
    assert "provisional" in str(month["SUMMARY"])
    assert str(events["searches-2012@example.org"]["SUMMARY"]).startswith("Cancelled: ")
    assert "Version released: 1.1.0" in str(events["nexus-2013@example.org"]["DESCRIPTION"])


def test_ical_is_the_same_bytes_for_the_same_input(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    first = rc.ical(calendar, "Open Tally", "https://example.org/", date(2026, 11, 25))
    time.sleep(1.1)  # a clock anywhere in it would show
    assert rc.ical(calendar, "Open Tally", "https://example.org/", date(2026, 11, 25)) == first
    assert b"\r\n" in first and first.endswith(b"END:VCALENDAR\r\n")
    other = rc.ical(calendar, "Open Tally", "https://example.org/", date(2026, 11, 26))
    assert other != first
    assert other.replace(b"DTSTAMP:20261126", b"DTSTAMP:20261125") == first


def test_ical_without_a_site_url_names_the_site(tmp_path):
    calendar, _ = read(tmp_path, GOOD)
    events = events_of(rc.ical(calendar, "Open Tally", "", date(2026, 11, 25)))
    assert list(events)[0] == "nexus-2013-q3@open-tally"
    assert all("URL" not in event for event in events.values())


@pytest.mark.parametrize("site_url,host", [
    ("https://Example.ORG:8443/x/", "example.org"),
    ("https://user@evil.example/", "evil.example"),
    ("not a url", "open-tally"),
])
def test_ical_uid_host(site_url, host):
    calendar = rc.Calendar((announcement(),), "")
    assert list(events_of(rc.ical(calendar, "Open Tally", site_url, date(2026, 1, 1)))) == [f"x@{host}"]


def test_ical_of_an_empty_calendar_is_valid():
    data = rc.ical(rc.Calendar((), ""), "Open Tally", "", date(2026, 1, 1))
    assert icalendar.Calendar.from_ical(data).walk("VEVENT") == []


def test_ical_escapes_text():
    calendar = rc.Calendar((announcement(title="A; B, C\nD", summary="line\\one"),), "")
    event = events_of(rc.ical(calendar, "Open; Tally", "", date(2026, 1, 1)))["x@open-tally"]
    assert str(event["SUMMARY"]) == "A; B, C\nD"
    assert str(event["DESCRIPTION"]).startswith("line\\one")
