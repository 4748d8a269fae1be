"""The browser harness never skips silently: without a browser it fails and says how to get one."""

from __future__ import annotations

import pytest

from conftest import NO_BROWSER, chromium_path


class NoBrowsers:
    class chromium:
        @property
        def executable_path(self):
            raise RuntimeError("Executable doesn't exist")

    chromium = chromium()


class PlaywrightBrowser:
    def __init__(self, path):
        self.chromium = type("Chromium", (), {"executable_path": str(path)})()


def test_without_any_browser_the_tests_fail_with_how_to_install_one(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENTALLY_CHROMIUM", raising=False)
    with pytest.raises(pytest.fail.Exception) as failure:
        chromium_path(NoBrowsers(), system=(str(tmp_path / "no-chromium"),))
    assert str(failure.value) == NO_BROWSER
    assert "apt-get install chromium" in NO_BROWSER and "playwright install chromium" in NO_BROWSER


def test_a_playwright_installed_chromium_is_used_when_debian_has_none(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENTALLY_CHROMIUM", raising=False)
    own = tmp_path / "chrome"
    own.write_text("")
    assert chromium_path(PlaywrightBrowser(own), system=(str(tmp_path / "no-chromium"),)) == str(own)


def test_debian_chromium_comes_first(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENTALLY_CHROMIUM", raising=False)
    debian = tmp_path / "chromium"
    debian.write_text("")
    assert chromium_path(PlaywrightBrowser(tmp_path / "other"), system=(str(debian),)) == str(debian)
