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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .files import scan_site_src
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

    @property
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
    for key, value in meta.items():
        line = 1 + next((n for n, l in enumerate(match.group(1).splitlines(), 1) if l.startswith(str(key))), 1)
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
