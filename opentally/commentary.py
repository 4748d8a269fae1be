"""Hand-written commentary: find the data macros in ``site_src/`` pages.

Commentary is Markdown with three macros, so that no number from the data is typed twice:

    {{ chart("operation-nexus/custody-funnel") }}
    {{ figure("operation-nexus/outcomes/removed-from-uk") }}
    {{ table("operation-nexus/outcomes") }}

The macros are found with a regular expression and nothing else in the text is executed: a
contributor's page is never run as a template. Any other ``{{ ... }}`` or ``{% ... %}`` is an error,
so a typo cannot slip through as literal text. Macros inside code (backticks or fenced blocks) are
left as written, so a page can show how to use them.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .files import scan_site_src
from .issues import Issue, error
from .load import display_path

MACROS = ("chart", "figure", "table")
_STRING = r""""[^"\n]*"|'[^'\n]*'"""
_ARGUMENT = rf"""\s*,\s*(?:key|column)\s*=\s*(?:{_STRING}|\[\s*(?:{_STRING})(?:\s*,\s*(?:{_STRING}))*\s*\])"""
_MACRO = re.compile(rf"""\{{\{{\s*(?P<kind>[A-Za-z_]\w*)\s*\(\s*(?P<quote>["'])(?P<ref>[^"'\n]*)(?P=quote)"""
                    rf"""(?P<arguments>(?:{_ARGUMENT})*)\s*\)\s*\}}\}}""")
_NAMED = re.compile(rf"""(?P<name>key|column)\s*=\s*(?P<value>{_STRING}|\[[^\]]*\])""")
_TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#")


@dataclass(frozen=True)
class MacroCall:
    """One macro in a page. A figure names a row and a column in one of two ways:
    ``figure("package/resource/id")`` (the row whose id is ``id``, its ``value``), or
    ``figure("package/resource", key="2024-03", column="arrests")`` (the row whose primary key is
    ``key``, a list for a key of several columns, and any of its columns)."""

    kind: str
    ref: str
    line: int
    start: int
    end: int
    key: tuple[str, ...] = ()
    column: str = ""


@dataclass(frozen=True)
class CommentaryPage:
    source: Path
    relative: str  # path under site_src/, with "/" separators
    text: str
    calls: tuple[MacroCall, ...]

    @property
    def shown(self) -> str:
        return display_path(self.source)

    @functools.cached_property  # read for the navigation and for every dataset page's "Cited in"
    def title(self) -> str:
        """The page's title as plain text: its front matter ``title``, else its first heading, else its file name."""
        match = _FRONT_MATTER.match(self.text)
        body = self.text[match.end():] if match else self.text
        if match:
            try:
                meta = yaml.safe_load(match.group(1) or "")
            except yaml.YAMLError:
                meta = None
            if isinstance(meta, dict) and isinstance(meta.get("title"), str) and meta["title"].strip():
                return " ".join(meta["title"].split())
        code = _code_ranges(body)
        for heading in re.finditer(r"^#[ \t]+(.+?)[ \t#]*$", body, re.M):
            if not _inside(heading.start(), code):
                text = re.sub(r"\{[:#.][^}]*\}\s*$", "", heading.group(1))  # an attribute list: { #id }
                text = re.sub(r"[*_`]+|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", text)
                return " ".join(text.split()) or self.relative
        stem = Path(self.relative).stem.replace("-", " ").replace("_", " ")
        return stem[:1].upper() + stem[1:]


def read_commentary(site_src: Path, relatives: Iterable[str] | None = None) -> tuple[list[CommentaryPage], list[Issue]]:
    """The Markdown pages under ``site_src`` (those of ``files.scan_site_src`` unless ``relatives`` are
    given), sorted, with their macro calls; issues for bad syntax."""
    if relatives is None:
        relatives = scan_site_src(site_src).pages
    pages, issues = [], []
    for path in (site_src / r for r in sorted(relatives)):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            issues.append(error("encoding-error", display_path(path),
                                f"the page is not UTF-8 text (byte {exc.start} cannot be read)",
                                "save the page as UTF-8", text_line(path.read_bytes(), exc.start)))
            continue
        calls, found = _scan(text, display_path(path))
        found += front_matter_issues(text, display_path(path))
        pages.append(CommentaryPage(path, path.relative_to(site_src).as_posix(), text, tuple(calls)))
        issues += found
    return pages, issues


# Front matter a page may set (YAML between "---" lines at its top), as the theme uses it: text
# values, and which parts of the page to hide. Any other key (template, icon...) would choose theme
# code, so it is refused.
PAGE_META_TEXT = ("title", "description", "author")
PAGE_META_HIDE = ("navigation", "toc", "footer", "path")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def front_matter_issues(text: str, shown: str) -> list[Issue]:
    """What is wrong with a page's front matter: not YAML, not a mapping, or a key the site does not use."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return []
    allowed = ", ".join((*PAGE_META_TEXT, "hide"))
    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        return [error("page-meta", shown, "the front matter (between the --- lines) is not valid YAML",
                      f"write one key: value per line; the keys are {allowed}", line)]
    if meta is None:
        return []
    if not isinstance(meta, dict):
        return [error("page-meta", shown, "the front matter is not a list of key: value lines",
                      f"write one key: value per line; the keys are {allowed}", 2)]
    issues = []
    key_lines: dict[str, int] = {}
    for n, text_line_ in enumerate((match.group(1) or "").splitlines(), 1):
        key_lines.setdefault(text_line_.split(":", 1)[0].strip().strip("'\""), n + 1)
    for key, value in meta.items():
        line = key_lines.get(str(key), 2)
        if key in PAGE_META_TEXT:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                issues.append(error("page-meta", shown, f'front matter "{key}" is not text', f'write {key}: some text', line))
        elif key == "hide":
            if not isinstance(value, list) or any(v not in PAGE_META_HIDE for v in value):
                issues.append(error("page-meta", shown, 'front matter "hide" is not a list of parts of the page',
                                    f"write hide: [toc], choosing from {', '.join(PAGE_META_HIDE)}", line))
        else:
            issues.append(error("page-meta", shown, f'front matter "{key}" is not one the site uses',
                                f"remove it; the keys are {allowed}", line))
    return issues


def text_line(data: bytes, offset: int) -> int:
    """The line (from 1) of the byte at ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def _scan(text: str, shown: str) -> tuple[list[MacroCall], list[Issue]]:
    code = _code_ranges(text)
    calls, issues = [], []
    covered: list[tuple[int, int]] = []
    for match in _MACRO.finditer(text):
        if _inside(match.start(), code):
            continue
        covered.append((match.start(), match.end()))
        line = text.count("\n", 0, match.start()) + 1
        kind = match.group("kind")
        if kind not in MACROS:
            issues.append(error("unknown-macro", shown, f'unknown macro "{kind}" in "{match.group(0)}"',
                                'the macros are chart("package/view"), figure("package/resource/id") and '
                                'table("package/resource")', line))
            continue
        named = {m.group("name"): _strings(m.group("value")) for m in _NAMED.finditer(match.group("arguments"))}
        if named and kind != "figure":
            issues.append(error("bad-macro", shown, f'{kind}() takes only a name, not key= or column=',
                                f'write {{{{ {kind}("{match.group("ref")}") }}}}', line))
            continue
        if named and not ("key" in named and "column" in named):
            issues.append(error("bad-macro", shown, "figure() needs both key= and column= to name a cell",
                                'write {{ figure("package/resource", key="row key", column="column name") }}', line))
            continue
        if kind in ("chart", "table") and not _alone_on_its_line(text, match.start(), match.end()):
            issues.append(error("bad-macro", shown, f'{kind}("{match.group("ref")}") is not on a line of its own',
                                f"put the {kind} on a line of its own, with a blank line before and after it: "
                                "it is a block of the page, not a word in a sentence", line))
            continue
        calls.append(MacroCall(kind, match.group("ref"), line, match.start(), match.end(),
                               tuple(named.get("key", ())), (named.get("column") or ("",))[0]))
    for match in _TEMPLATE_SYNTAX.finditer(text):
        if _inside(match.start(), code) or _inside(match.start(), covered):
            continue
        line = text.count("\n", 0, match.start()) + 1
        snippet = text[match.start(): match.start() + 40].split("\n")[0]
        issues.append(error("bad-macro", shown, f'"{snippet}" is not a macro this site knows',
                            'write {{ chart("package/view") }}, {{ figure("package/resource/id") }} or '
                            '{{ table("package/resource") }}, with the name in double quotes; to show braces '
                            "as text, put them in `backticks`", line))
    return calls, issues


def _alone_on_its_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return not text[line_start:start].strip() and not text[end:len(text) if line_end < 0 else line_end].strip()


def _strings(value: str) -> tuple[str, ...]:
    """The text of a quoted string, or of each string in a [...] list."""
    return tuple(m.group(0)[1:-1] for m in re.finditer(_STRING, value))


_FENCE_LINE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})", re.M)
_BACKTICKS = re.compile(r"`+")


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Where code is: fenced blocks (an unclosed fence runs to the end, as in CommonMark) and `spans`.

    Sorted and not overlapping. Both found in one pass over the text, so a page of any size is read
    in time proportional to it (a hostile page of 40,000 backticks or unclosed fences stays fast).
    """
    fences: list[tuple[int, int]] = []
    opening = None
    for m in _FENCE_LINE.finditer(text):
        fence = m.group(1)
        if opening is None:
            opening = (m.start(), fence)
        else:
            end = text.find("\n", m.end())
            end = len(text) if end < 0 else end
            if fence[0] == opening[1][0] and len(fence) >= len(opening[1]) and not text[m.end():end].strip():
                fences.append((opening[0], end))
                opening = None
    if opening is not None:
        fences.append((opening[0], len(text)))
    ranges = list(fences)
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text) if not _inside(m.start(), fences)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    index = 0
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        after = bisect.bisect_right(same, index)
        if after < len(same):  # the next run of as many backticks closes the span
            closing = same[after]
            ranges.append((start, runs[closing][1]))
            index = closing + 1
        else:
            index += 1
    return sorted(ranges)


def _inside(position: int, ranges: list[tuple[int, int]]) -> bool:
    """Whether ``position`` is in one of ``ranges`` (sorted, not overlapping)."""
    at = bisect.bisect_right(ranges, (position, float("inf"))) - 1
    return at >= 0 and ranges[at][0] <= position < ranges[at][1]
