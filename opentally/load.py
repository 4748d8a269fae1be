"""Stage 1, load: find data packages on disk and read their descriptors.

Nothing here judges the data: a descriptor that cannot be read becomes an ``Issue`` on the package,
and the validate stage reports it with everything else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .issues import Issue, error

DESCRIPTOR = "datapackage.json"


@dataclass(frozen=True)
class LoadedPackage:
    """A package folder and its descriptor as read from disk (``descriptor`` is None when unreadable)."""

    directory: Path
    descriptor: dict | None
    issues: tuple[Issue, ...] = field(default=())

    @property
    def descriptor_path(self) -> Path:
        return self.directory / DESCRIPTOR

    @property
    def name(self) -> str:
        if self.descriptor and isinstance(self.descriptor.get("name"), str):
            return self.descriptor["name"]
        return self.directory.name


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working folder when inside it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def find_packages(root: Path) -> list[Path]:
    """Every folder directly under ``root``, sorted by name, so the build order never depends on the disk."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def load_package(directory: Path) -> LoadedPackage:
    """Read ``directory/datapackage.json``; report a missing, unreadable or malformed descriptor."""
    path = directory / DESCRIPTOR
    shown = display_path(path)
    if not path.is_file():
        return LoadedPackage(directory, None, (error(
            "missing-descriptor", shown, "the folder has no datapackage.json",
            "add a datapackage.json that describes the package (see the README), "
            "or move the folder out of datapackages/"),))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return LoadedPackage(directory, None, (error(
            "descriptor-encoding", shown, f"the file is not UTF-8 text (byte {exc.start} cannot be read)",
            "save datapackage.json as UTF-8"),))
    try:
        descriptor = json.loads(text)
    except json.JSONDecodeError as exc:
        return LoadedPackage(directory, None, (error(
            "descriptor-json", shown, f"the file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            "check for a missing comma or quote, or a trailing comma, at or just before that place",
            row=exc.lineno),))
    if not isinstance(descriptor, dict):
        return LoadedPackage(directory, None, (error(
            "descriptor-json", shown, f"the file holds a JSON {type(descriptor).__name__}, not an object",
            'a descriptor is one JSON object: {"name": ..., "resources": [...]}'),))
    return LoadedPackage(directory, descriptor)


def load_packages(directories: list[Path]) -> list[LoadedPackage]:
    return [load_package(d) for d in directories]
