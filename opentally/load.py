"""Stage 1, load: find data packages on disk and read their descriptors.

Nothing here judges the data: a descriptor that cannot be read becomes an ``Issue`` on the package,
and the validate stage reports it with everything else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import strict_json
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


def _link_out(directory: Path, descriptor: Path) -> Path | None:
    """The package folder or its descriptor when it is a symbolic link that leads elsewhere, else None.

    A package folder that is a link is refused whatever it points at: a package is a folder of
    datapackages/. A descriptor may be a link only to a file inside its own folder.
    """
    if directory.is_symlink():
        return directory
    if directory.parent.is_symlink():  # datapackages/ itself
        return directory.parent
    if descriptor.is_symlink() and not descriptor.resolve().is_relative_to(directory.resolve()):
        return descriptor
    return None


def load_package(directory: Path) -> LoadedPackage:
    """Read ``directory/datapackage.json``; report a missing, unreadable or malformed descriptor."""
    path = directory / DESCRIPTOR
    shown = display_path(path)
    if (link := _link_out(directory, path)) is not None:
        # Neither the link's target nor its content is read, nor named.
        return LoadedPackage(directory, None, (error(
            "unsafe-path", display_path(link), "a symbolic link leads out of the package folder",
            "replace the link with a real folder or file inside datapackages/"),))
    if not path.is_file():
        return LoadedPackage(directory, None, (error(
            "missing-descriptor", shown, "the folder has no datapackage.json",
            "add a datapackage.json that describes the package (see the README), "
            "or move the folder out of datapackages/"),))
    soft: list[strict_json.JsonProblem] = []
    try:
        # Strictly: no duplicate keys, NaN or Infinity, size or depth beyond the limits. A control
        # character in a string leaves the descriptor readable: it is reported with the rest.
        descriptor = strict_json.parse(strict_json.read(path), soft)
    except strict_json.JsonProblem as problem:
        return LoadedPackage(directory, None, (problem.issue(shown),))
    except OSError as exc:
        return LoadedPackage(directory, None, (error(
            "missing-descriptor", shown, f"the file cannot be read: {exc.strerror or exc}",
            "check that datapackage.json is a readable file"),))
    if not isinstance(descriptor, dict):
        return LoadedPackage(directory, None, (error(
            "descriptor-json", shown, f"the file holds a JSON {type(descriptor).__name__}, not an object",
            'a descriptor is one JSON object: {"name": ..., "resources": [...]}'),))
    return LoadedPackage(directory, descriptor, tuple(problem.issue(shown) for problem in soft))


def load_packages(directories: list[Path]) -> list[LoadedPackage]:
    return [load_package(d) for d in directories]
