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

import re
from dataclasses import dataclass
from pathlib import Path

from .issues import Issue, error
from .load import display_path

MACROS = ("chart", "figure", "table")
_MACRO = re.compile(r"""\{\{\s*(?P<kind>[A-Za-z_]\w*)\s*\(\s*(?P<quote>["'])(?P<ref>[^"'\n]*)(?P=quote)\s*\)\s*\}\}""")
_TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,}).*?^(?P=fence)[ \t]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.S)


@dataclass(frozen=True)
class MacroCall:
    kind: str
    ref: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class CommentaryPage:
    source: Path
    relative: str  # path under site_src/, with "/" separators
    text: str
    calls: tuple[MacroCall, ...]

    @property
    def shown(self) -> str:
        return display_path(self.source)


def read_commentary(site_src: Path) -> tuple[list[CommentaryPage], list[Issue]]:
    """Every Markdown page under ``site_src``, sorted, with its macro calls; issues for bad syntax."""
    pages, issues = [], []
    for path in sorted(site_src.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        calls, found = _scan(text, display_path(path))
        pages.append(CommentaryPage(path, path.relative_to(site_src).as_posix(), text, tuple(calls)))
        issues += found
    return pages, issues


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
        calls.append(MacroCall(kind, match.group("ref"), line, match.start(), match.end()))
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


def _code_ranges(text: str) -> list[tuple[int, int]]:
    ranges = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    for m in _INLINE_CODE.finditer(text):
        if not _inside(m.start(), ranges):
            ranges.append((m.start(), m.end()))
    return ranges


def _inside(position: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in ranges)
