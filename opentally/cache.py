"""A content-addressed cache of what the build makes, so that an unchanged input is never made twice.

An entry's key is the SHA-256 of everything that decides its bytes: the inputs, the kind of result,
and the versions of the code and tools that make it (``key``). An entry is stored with the SHA-256 of
its bytes in front; a read that finds the file cut short, altered, or written by something else finds
a different checksum, and the entry is ignored (and made again), never trusted. Writes go to a
temporary file first and are renamed in place, so two builds at once never see half an entry.

The cache lives in ``.build/cache/`` in the project (ignored by git), or in the folder the environment
variable ``OPENTALLY_CACHE`` names; ``build --no-cache`` (``use(None)``) turns it off. A warm build and
a cold one give the same bytes: the cache only ever returns what the same inputs made before.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

ENV = "OPENTALLY_CACHE"
FORMAT = "opentally-cache-1"  # changes whenever what an entry holds changes
_folder: Path | None = None


def use(folder: Path | None) -> None:
    """Cache into ``folder`` (``OPENTALLY_CACHE`` when set wins), or not at all when None."""
    global _folder
    if folder is None:
        _folder = None
        return
    _folder = Path(os.environ.get(ENV) or folder)


def folder() -> Path | None:
    return _folder


def key(kind: str, *parts) -> str:
    """The key of a result of ``kind`` made from ``parts`` (anything JSON can write, keys sorted)."""
    text = json.dumps([FORMAT, kind, *parts], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(kind: str, entry: str) -> bytes | None:
    """The bytes stored under ``entry``, or None when there are none or they do not check out."""
    if _folder is None:
        return None
    try:
        data = (_folder / kind / entry[:2] / entry).read_bytes()
    except OSError:
        return None
    checksum, _, payload = data.partition(b"\n")
    if len(checksum) != 64 or hashlib.sha256(payload).hexdigest().encode("ascii") != checksum:
        return None
    return payload


def put(kind: str, entry: str, payload: bytes) -> None:
    """Store ``payload`` under ``entry``; a cache that cannot be written is no cache, never an error."""
    if _folder is None:
        return
    target = _folder / kind / entry[:2] / entry
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload)
        os.replace(temporary, target)
    except OSError:
        return


def source_digest(*files: Path) -> str:
    """The SHA-256 of source files: part of a key, so that a change to the code that makes an entry
    makes a new one."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()
