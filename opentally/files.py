"""Which files of a contributor's folder may be read and published, and which are refused.

``site_src/`` is published with the site, so only what a page needs is taken from it: Markdown
pages and a short allow-list of static files (``STATIC_TYPES``). Raw HTML, SVG, JavaScript, CSS and
any other type are refused: a browser runs the script such a file carries, with the site's own
origin. Hidden files (a name starting with ".") are never read or published, as in MkDocs.

A symbolic link is followed only when it stays inside its own folder (``site_src/`` or
``templates/``); any other link is refused by its own name, and neither its target nor its
content is read or shown. This is the rule of Jekyll's safe mode and Hugo: a site generator that
publishes contributors' files must not publish a file from outside the repository, such as a CI
runner's ``/etc/passwd`` or a secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import names
from .issues import Issue, error
from .load import display_path

PAGE_TYPES = (".md",)
CALENDAR_FILE = "release-calendar.yml"  # the release calendar (``release_calendar.CALENDAR_FILE``), at the top
# Files a page may show or link to. None of these runs script when a browser opens it.
STATIC_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".pdf", ".csv", ".txt")


@dataclass(frozen=True)
class TreeScan:
    """What a folder holds that may be used: pages and static files (paths relative to the folder)."""

    pages: tuple[str, ...]
    static: tuple[str, ...]
    issues: tuple[Issue, ...]


def scan_site_src(folder: Path) -> TreeScan:
    """The Markdown pages and static files of ``site_src/`` that may be published, and what is refused."""
    pages, static, issues = [], [], []
    for relative, path in _walk(folder, issues):
        if relative == CALENDAR_FILE:
            continue  # read by the release calendar (``release_calendar``), never published as it is
        suffix = Path(relative).suffix.lower()
        shown = display_path(path)
        if names.active_type(relative):
            issues.append(error("unsafe-file", shown,
                                f"a {suffix} file can run script in a reader's browser, so site_src/ cannot publish it",
                                "write the page in Markdown (.md) instead; a chart comes from a view of a data "
                                "package, an image can be a PNG or JPEG"))
        elif suffix not in PAGE_TYPES + STATIC_TYPES:
            issues.append(error("unsafe-file", shown, f"site_src/ does not publish {suffix or 'extension-less'} files",
                                f"site_src/ holds Markdown pages ({', '.join(PAGE_TYPES)}) and the files they "
                                f"show or link to ({', '.join(STATIC_TYPES)}); put data in a data package"))
        elif (problem := names.path_problem(relative)) is not None:
            issues.append(error("unsafe-name", shown, f"the file name cannot be published: {problem}",
                                f"rename the file so that {names.PATH_RULE}"))
        elif suffix in PAGE_TYPES:
            pages.append(relative)
        else:
            static.append(relative)
    return TreeScan(tuple(pages), tuple(static), tuple(issues))


def link_issues(folder: Path) -> list[Issue]:
    """Symbolic links in ``folder`` (e.g. templates/) that lead out of it."""
    issues: list[Issue] = []
    for _ in _walk(folder, issues):
        pass
    return issues


def _walk(folder: Path, issues: list[Issue]):
    """(relative path, path) of every file under ``folder``, sorted, following only links that stay inside.

    Hidden files and folders are skipped, but not hidden links: a template can include a hidden file
    (``{% include ".x" %}``), so a link that leads out of ``folder``, or to a folder, is an issue
    whatever its name (red-team review: a hidden link published any file the build could read).
    """
    if folder.is_symlink():  # the folder itself: its files would all come from wherever it points
        issues.append(error("unsafe-link", display_path(folder), "the folder is a symbolic link, so nothing in it is read",
                            "make it a real folder of the repository; the build never reads or publishes a file "
                            "from outside the repository"))
        return
    if not folder.is_dir():
        return
    root = folder.resolve()
    for current, directories, files in os.walk(folder, followlinks=False):
        base = Path(current)
        for name in sorted(directories):
            if (base / name).is_symlink():
                issues.append(_link_issue(base / name, "a folder"))
        # Hidden folders are walked too, for their links, but nothing in them is published.
        directories[:] = sorted(d for d in directories if not (base / d).is_symlink())
        hidden_folder = any(part.startswith(".") for part in base.relative_to(folder).parts)
        for name in sorted(files):
            path = base / name
            if (name.startswith(".") or hidden_folder) and not path.is_symlink():
                continue
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    issues.append(_link_issue(path, "nothing that can be read"))
                    continue
                if not target.is_relative_to(root) or not target.is_file():
                    issues.append(_link_issue(path, f"outside {display_path(folder)}/"))
                    continue
            if name.startswith(".") or hidden_folder:
                continue  # a hidden link that stays inside: checked, not published
            yield path.relative_to(folder).as_posix(), path


def _link_issue(link: Path, where: str) -> Issue:
    return error("unsafe-link", display_path(link), f"the symbolic link leads to {where}, so it is not followed",
                 "replace the link with a copy of the file; the build never reads or publishes a file "
                 "from outside the repository")
