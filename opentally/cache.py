"""A content-addressed cache of what the build makes, so that an unchanged input is never made twice.

An entry's key is the SHA-256 of everything that decides its bytes: the inputs, the kind of result,
and the versions of the code and tools that make it (``key``). An entry is stored with a seal in
front: an HMAC-SHA256 of its key and bytes under a secret of this machine's user (made once, kept
outside every project: ``$XDG_STATE_HOME/opentally/cache-secret``). A read that finds the file cut
short, altered, moved to another key, or written by anything that does not hold the secret (an entry
committed to the repository by a contributor, a cache copied from another machine) finds a seal that
does not match, and the entry is ignored (and made again), never trusted. Writes go to a temporary
file first and are renamed in place, so two builds at once never see half an entry.

The cache lives in ``.build/cache/`` in the project (ignored by git), or in the folder the environment
variable ``OPENTALLY_CACHE`` names; ``build --no-cache`` (``use(None)``) turns it off. A warm build and
a cold one give the same bytes: the cache only ever returns what the same inputs made before.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

ENV = "OPENTALLY_CACHE"
FORMAT = "opentally-cache-2"  # changes whenever what an entry holds changes
_folder: Path | None = None


def project_folder(root: Path, out: Path) -> tuple[Path | None, str]:
    """The cache folder of the project at ``root`` building into ``out``: ``.build/cache``, or None and
    why, when it would lead elsewhere. A contributor can commit ``.build`` as a symbolic link (git's
    ignore rule ``.build/`` matches folders only): the cache would then be written outside the project,
    or into the published site (red-team review). ``OPENTALLY_CACHE``, set by whoever runs the build,
    is taken as it is."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]), ""
    folder = root / ".build" / "cache"
    if any(p.is_symlink() for p in (root / ".build", folder)):
        return None, ".build or .build/cache is a symbolic link"
    resolved, project, site = folder.resolve(), root.resolve(), out.resolve()
    if not resolved.is_relative_to(project) or resolved.is_relative_to(site) or site.is_relative_to(resolved):
        return None, ".build/cache is not a folder of the project beside the site"
    return folder, ""


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


@functools.lru_cache(maxsize=None)
def _secret(path: Path) -> bytes | None:
    """This user's cache secret, made on first use (32 random bytes, readable by the user alone); None
    when it can be neither read nor made: then nothing is cached."""
    for _ in range(2):
        try:
            data = path.read_bytes()
            return data if len(data) == 32 else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # another build made it first: read that one
        except OSError:
            return None
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return None


def _secret_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "opentally" / "cache-secret"


def _seal(kind: str, entry: str, payload: bytes) -> bytes | None:
    secret = _secret(_secret_path())
    if secret is None:
        return None
    message = f"{FORMAT}\0{kind}\0{entry}\0".encode("utf-8") + payload
    return hmac.new(secret, message, hashlib.sha256).hexdigest().encode("ascii")


def get(kind: str, entry: str) -> bytes | None:
    """The bytes stored under ``entry``, or None when there are none or their seal does not check out."""
    if _folder is None:
        return None
    try:
        data = (_folder / kind / entry[:2] / entry).read_bytes()
    except OSError:
        return None
    seal, _, payload = data.partition(b"\n")
    expected = _seal(kind, entry, payload)
    if expected is None or not hmac.compare_digest(seal, expected):
        return None
    return payload


def put(kind: str, entry: str, payload: bytes) -> None:
    """Store ``payload`` under ``entry``; a cache that cannot be written is no cache, never an error."""
    if _folder is None:
        return
    target = _folder / kind / entry[:2] / entry
    seal = _seal(kind, entry, payload)
    if seal is None:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(seal + b"\n" + payload)
        os.replace(temporary, target)
    except OSError:
        return


def memo(kind: str, parts: list, make) -> bytes:
    """What ``make()`` returns (bytes), taken from the cache when the same ``parts`` made it before.
    ``parts`` must name everything the result depends on: the input (or its SHA-256) and the code."""
    entry = key(kind, *parts)
    found = get(kind, entry)
    if found is not None:
        return found
    made = make()
    put(kind, entry, made)
    return made


def digest(data: str | bytes) -> str:
    """The SHA-256 of text (as UTF-8) or bytes: how a large input goes into a key."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def source_digest(*files: Path) -> str:
    """The SHA-256 of source files: part of a key, so that a change to the code that makes an entry
    makes a new one."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()
