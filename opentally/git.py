"""Git, run the one safe way for reading the project's own history.

Git runs at the project's root and may not look above it (``GIT_CEILING_DIRECTORIES``), so only the
project's own ``.git`` is read, never one a contributor put inside ``datapackages/`` or a package, nor
a repository the project happens to sit in; no system or user configuration is read, and nothing that
could start another program (signature checks, fsmonitor) is switched on.

``Objects`` reads files and folders of any commit through one ``git cat-file --batch`` process, however
many it reads: the history of a package with a hundred versions is hundreds of files, not hundreds of
processes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_SAFE = ("-c", "core.fsmonitor=false", "-c", "log.showSignature=false")


def _env(root: Path) -> dict[str, str]:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_CEILING_DIRECTORIES": str(root.parent),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
                "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"):
        env.pop(key, None)
    return env


def is_repository(root: Path) -> bool:
    return (root.resolve() / ".git").exists()


def run(root: Path, *args: str, timeout: float = 20) -> subprocess.CompletedProcess | None:
    """``git ARGS`` in the repository at ``root`` (text output), or None when ``root`` is not one or git
    cannot run."""
    root = root.resolve()
    if not (root / ".git").exists():
        return None
    try:
        return subprocess.run(["git", *_SAFE, *args], cwd=root, capture_output=True, text=True, timeout=timeout,
                              env=_env(root), encoding="utf-8", errors="replace")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


class GitUnavailable(Exception):
    """Git could not be started, or stopped answering."""


class Objects:
    """Files and folders of the repository at ``root``, at any commit, read by one ``git cat-file --batch``.

    ``blob(commit, path)`` is a file's bytes; ``tree(commit, path)`` the entries of a folder. Both are
    None when the path is not there. Use as a context manager (the process is stopped at the end).
    """

    def __init__(self, root: Path):
        self.root = root.resolve()
        try:
            self.process = subprocess.Popen(["git", *_SAFE, "cat-file", "--batch"], cwd=self.root, env=_env(self.root),
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except (OSError, ValueError) as exc:
            raise GitUnavailable(str(exc)) from None

    def __enter__(self) -> Objects:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()

    def _object(self, name: str) -> tuple[str, bytes] | None:
        """(type, bytes) of the object ``name`` (``commit:path``), or None when there is none."""
        if "\n" in name or "\0" in name:
            return None
        try:
            self.process.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            self.process.stdin.flush()
            header = self.process.stdout.readline()
        except (OSError, ValueError) as exc:
            raise GitUnavailable(str(exc)) from None
        if not header:
            raise GitUnavailable("git cat-file stopped")
        # "<oid> <type> <size>", or "<name> missing" / "<name> ambiguous", where the name may hold spaces
        # (red-team review: a path with a space was read as a size).
        parts = header.split()
        if parts[-1] in (b"missing", b"ambiguous") or len(parts) != 3 or not parts[2].isdigit():
            return None
        size = int(parts[2])
        data = self.process.stdout.read(size)
        self.process.stdout.read(1)  # the newline after the object
        return parts[1].decode("ascii"), data

    def blob(self, commit: str, path: str) -> bytes | None:
        found = self._object(f"{commit}:{path}")
        return found[1] if found and found[0] == "blob" else None

    def tree(self, commit: str, path: str) -> list[tuple[str, str, str]] | None:
        """The entries of the folder ``path`` at ``commit``: (mode, name, object id), mode as git writes it
        ("100644" a file, "100755" an executable, "40000" a folder, "120000" a link, "160000" a submodule)."""
        found = self._object(f"{commit}:{path}" if path else f"{commit}^{{tree}}")
        if not found or found[0] != "tree":
            return None
        data, entries, at = found[1], [], 0
        width = None
        while at < len(data):
            space = data.index(b" ", at)
            nul = data.index(b"\0", space)
            mode, name = data[at:space].decode("ascii"), data[space + 1:nul].decode("utf-8", "surrogateescape")
            if width is None:  # 20 bytes (SHA-1) or 32 (SHA-256): the repository's object format
                width = 32 if self._sha256 else 20
            oid = data[nul + 1:nul + 1 + width].hex()
            entries.append((mode, name, oid))
            at = nul + 1 + width
        return entries

    @property
    def _sha256(self) -> bool:
        if not hasattr(self, "_format"):
            result = run(self.root, "rev-parse", "--show-object-format")
            self._format = result.stdout.strip() if result and result.returncode == 0 else "sha1"
        return self._format == "sha256"

    def files(self, commit: str, folder: str) -> dict[str, str]:
        """Every plain file under ``folder`` at ``commit``: path relative to ``folder`` -> object id. Links
        and submodules are left out (a link could lead out of the package)."""
        found: dict[str, str] = {}
        pending = [""]
        while pending:
            relative = pending.pop()
            entries = self.tree(commit, f"{folder}/{relative}".rstrip("/") if relative else folder)
            for mode, name, oid in entries or ():
                path = f"{relative}{name}"
                if mode == "40000":
                    pending.append(path + "/")
                elif mode in ("100644", "100755"):
                    found[path] = oid
        return dict(sorted(found.items()))

    def message(self, commit: str) -> str:
        """The message of ``commit`` ("" when there is no such commit)."""
        found = self._object(commit)
        if not found or found[0] != "commit":
            return ""
        text = found[1].decode("utf-8", "replace")
        return text.split("\n\n", 1)[1] if "\n\n" in text else ""

    def read(self, oid: str) -> bytes | None:
        found = self._object(oid)
        return found[1] if found and found[0] == "blob" else None
