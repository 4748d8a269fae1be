"""Whether the site in the output folder is already what the inputs make: then a build has nothing to do.

A site's key (``site_key``) is the SHA-256 of everything a build reads: every file under
``datapackages/``, ``site_src/`` and ``templates/`` and ``mkdocs.yml`` (names and bytes; a symbolic
link by where it points, never followed), the code of this package, the versions of the tools it
builds with, the environment variables the build or ``mkdocs.yml`` reads, the working folder (issues
name files relative to it) and the commit the repository is at (dates of last change come from git).

After a good build, the cache keeps, under that key, the list of the files written with the SHA-256
of each (``remember``). The next build with the same key checks the output folder file by file
against that list (``unchanged``): only when every file is there, with the same bytes, and nothing
else, is the build skipped. A site edited by hand, or half deleted, is built again; so is any site
when the cache is off or its entry does not check out (see ``cache``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

from . import cache, git

_INPUTS = ("datapackages", "site_src", "templates")
_ENV_TAG = re.compile(r"!ENV\s*(\[[^\]]*\]|\S+)")  # !ENV NAME or !ENV [NAME, "NAME2", default]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Digest:
    """A SHA-256 of parts, each length-prefixed so that no two lists of parts give the same bytes."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def add(self, *parts: str | bytes) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogateescape")
            self.sha.update(len(data).to_bytes(8, "big") + data)


def _add_folder(digest: _Digest, root: Path, folder: Path) -> None:
    """Every file under ``folder`` by its name and bytes; a link by where it points, never followed."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest.add("link", relative, os.readlink(path))
        elif path.is_file():
            digest.add("file", relative, path.read_bytes())
        else:
            digest.add("folder", relative)


@functools.lru_cache(maxsize=1)
def tools() -> str:
    """The code of this package and the versions of the tools it builds with, as one SHA-256: part of
    every key of a result they make."""
    digest = _Digest()
    digest.add("python", sys.version)
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.add("code", path.name, path.read_bytes())
    # Every installed distribution, not only the direct ones: Pygments or Babel change pages too.
    for name, version in sorted({(str(d.metadata["Name"] or "").lower(), d.version) for d in metadata.distributions()}):
        digest.add("tool", name, version)
    return digest.sha.hexdigest()


def folder_key(folder: Path) -> str | None:
    """The SHA-256 of a folder's files (a package's), where it is (reports name its files as the user
    would type them), the tools and the working folder; None when a file cannot be read."""
    digest = _Digest()
    digest.add("folder", os.path.abspath(folder))
    try:
        _add_folder(digest, folder.parent, folder)
    except OSError:
        return None
    digest.add("tools", tools(), "cwd", os.getcwd())
    return digest.sha.hexdigest()


def site_key(root: Path, publishing: bool = False) -> str | None:
    """The key of the site the project at ``root`` makes, or None when it cannot be known (then the
    site is built)."""
    digest = _Digest()
    try:
        config = (root / "mkdocs.yml").read_bytes()
        digest.add("mkdocs.yml", config)
        for name in _INPUTS:
            _add_folder(digest, root, root / name)
    except OSError:
        return None
    digest.add("tools", tools())
    # Every name an !ENV tag may read, fallbacks and quoted names included (a default's words too:
    # a variable more in the key costs nothing).
    names = sorted({"SOURCE_DATE_EPOCH", *(name for tag in _ENV_TAG.findall(config.decode("utf-8", "replace"))
                                           for name in _NAME.findall(tag))})
    for name in names:
        digest.add("env", name, os.environ.get(name, "\0unset"))
    digest.add("cwd", os.getcwd())
    digest.add("commit", _head(root), "publishing" if publishing else "preview")
    return digest.sha.hexdigest()


def _head(root: Path) -> str:
    """Whether the project's clone is shallow and the commit it is at, or "" when it is not a
    repository (read as ``plan`` reads history: only the project's own repository, no configuration
    from outside it)."""
    if not (root / ".git").exists():
        return ""
    # A shallow clone of the same commit has fewer dates of last change: it is another key.
    result = git.run(root, "rev-parse", "--is-shallow-repository", "--verify", "-q", "HEAD")
    if result is None:
        return "\0unknown"
    return " ".join(result.stdout.split()) if result.returncode == 0 else "\0none"


def _files(out: Path) -> dict[str, str] | None:
    """Every file under ``out`` with the SHA-256 of its bytes; None when something there is not a plain
    file or folder (a link), or cannot be read."""
    found = {}
    try:
        for path in out.rglob("*"):
            if path.is_symlink():
                return None
            if path.is_file():
                with open(path, "rb") as file:  # a chunk at a time: a data file may be large
                    found[path.relative_to(out).as_posix()] = hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None
    return found


def remember(key: str | None, out: Path, summary: dict) -> None:
    """Keep what the build wrote to ``out`` under ``key``, with the ``summary`` it printed."""
    if key is None or cache.folder() is None:
        return
    files = _files(out)
    if files is not None:
        cache.put("sites", key, json.dumps({"files": files, "summary": summary}, sort_keys=True).encode("utf-8"))


def unchanged(key: str | None, out: Path) -> dict | None:
    """The summary of the build that made ``out`` from the same inputs, when ``out`` is still exactly
    what it wrote; else None."""
    if key is None or not out.is_dir():
        return None
    stored = cache.get("sites", key)
    if stored is None:
        return None
    try:
        entry = json.loads(stored)
        files, summary = entry["files"], entry["summary"]
    except (ValueError, KeyError, TypeError):
        return None
    return summary if isinstance(summary, dict) and _files(out) == files else None
