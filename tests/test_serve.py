"""`build.py serve`: a preview on localhost that rebuilds when commentary or data change."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from conftest import ROOT
from test_build import copy_project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def test_serve_rebuilds_when_commentary_and_data_change(tmp_path):
    project = copy_project(tmp_path / "project")
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--project", str(project),
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: "Open Tally" in fetch(f"{base}/about.html"), 120)
        page = project / "site_src" / "about.md"
        page.write_text(page.read_text(encoding="utf-8") + "\n\nA sentence added while serving.\n", encoding="utf-8")
        assert wait_for(lambda: "A sentence added while serving." in fetch(f"{base}/about.html"), 120)
        outcomes = project / "datapackages" / "operation-nexus" / "data" / "outcomes.csv"
        outcomes.write_text(outcomes.read_text(encoding="utf-8").replace(",Removed from the UK,", ",Removed from Britain,"),
                            encoding="utf-8")
        assert wait_for(lambda: "Removed from Britain" in fetch(f"{base}/data/operation-nexus.html"), 120)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "serving on" in output
    assert (project / "site_src" / "about.md").read_text(encoding="utf-8").endswith("A sentence added while serving.\n")
