"""Git, run the one safe way for reading the project's own history.

Git runs at the project's root and may not look above it (``GIT_CEILING_DIRECTORIES``), so only the
project's own ``.git`` is read, never one a contributor put inside ``datapackages/`` or a package, nor
a repository the project happens to sit in; no system or user configuration is read, and nothing that
could start another program (signature checks, fsmonitor) is switched on.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def run(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    """``git ARGS`` in the repository at ``root`` (text output), or None when ``root`` is not one or git
    cannot run."""
    root = root.resolve()
    if not (root / ".git").exists():
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_CEILING_DIRECTORIES": str(root.parent),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"):
        env.pop(key, None)
    try:
        return subprocess.run(["git", "-c", "core.fsmonitor=false", *args], cwd=root, capture_output=True,
                              text=True, timeout=20, env=env)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
