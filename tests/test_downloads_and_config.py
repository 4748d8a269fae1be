"""What a contributor can put in a package folder or mkdocs.yml never breaks the build, the zip or a
reader's page: dates out of a zip's range, names an unzip tool would misread, clashing file names,
markup in the site's settings, and a page that would send readers elsewhere."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from opentally import citation, plan, write
from opentally.issues import BuildError


def _zip_of(directory: Path, modified: str = "2013-07-24") -> zipfile.ZipFile:
    cited = citation.cite("pkg", "A package", {}, (), modified, "Open Tally")
    about = plan.ZipAbout("A package", "", cited, None)
    return zipfile.ZipFile(io.BytesIO(plan._zip("pkg", directory, {}, about)))


def test_a_date_beyond_what_a_zip_can_hold_is_brought_within_it():
    for modified, expected in (("2200-01-01", (2107, 12, 31)), ("1900-05-05", (1980, 1, 1)), ("2013-07-24", (2013, 7, 24))):
        archive = zipfile.ZipFile(io.BytesIO(citation.zip_bytes([("a.txt", b"x")], modified)))
        assert archive.getinfo("a.txt").date_time[:3] == expected


def test_names_an_unzip_tool_would_misread_stay_out_of_the_zip_and_clashing_names_never_overwrite(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "datapackage.json").write_text("{}", encoding="utf-8")
    (package / "a\\..\\..\\evil.bat").write_text("echo", encoding="utf-8")
    (package / "c:evil.txt").write_text("x", encoding="utf-8")
    for name in ("README.txt", "opentally-README.txt", "LICENCE.txt"):
        (package / name).write_text(f"the contributor's {name}", encoding="utf-8")
    archive = _zip_of(package)
    names = archive.namelist()
    assert not any("\\" in n or ":" in n for n in names), names
    for name in ("README.txt", "opentally-README.txt", "LICENCE.txt"):
        assert archive.read(f"pkg/{name}").decode() == f"the contributor's {name}"
    assert "pkg/opentally-2-README.txt" in names and "pkg/opentally-LICENCE.txt" in names


@pytest.mark.parametrize("key, value", [
    ("site_name", "Open Tally<meta http-equiv=refresh content=0;https://evil.example/>"),
    ("site_description", 'Stats" onmouseover="alert(1)'),
    ("copyright", "<script src=https://evil.example/x.js></script>"),
    ("site_author", "A\nB"),
])
def test_markup_in_the_site_s_settings_is_refused_naming_the_setting(key, value):
    with pytest.raises(BuildError) as caught:
        write._check_config_text({key: value}, Path("mkdocs.yml"))
    assert f"mkdocs.yml: {key} holds" in str(caught.value)
    write._check_config_text({key: "Open Tally & friends: figures (2013)"}, Path("mkdocs.yml"))  # text is fine


@pytest.mark.parametrize("content", ["0;https://evil.example/", "0; url='https://evil.example/'", "0,https://evil.example/",
                                     "5; url=https://evil.example/"])
def test_a_built_page_that_would_send_readers_elsewhere_fails_the_build(tmp_path, content):
    (tmp_path / "index.html").write_text(f'<html><head><meta http-equiv="Refresh" content="{content}"></head></html>',
                                         encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        write._check_built_site(tmp_path)
    assert "index.html: a <meta http-equiv=refresh>" in str(caught.value)


def test_png_downloads_are_made_only_where_the_site_asks_for_them(built_site, configured_site):
    """PNG drawings are the slowest part of a build and most of its bytes: a chart is drawn as PNG only
    when mkdocs.yml asks (``extra: opentally: chart_png: true``), as the configured site does. The
    shipped site does not: it offers the SVG and the data of every chart, and no PNG link."""
    site = built_site
    shipped, configured = sorted((site / "charts").rglob("*.png")), sorted((configured_site / "charts").rglob("*.png"))
    assert shipped == [] and len(configured) == len(list((configured_site / "charts").rglob("*.vl.json"))) > 0
    assert all(png.read_bytes().startswith(b"\x89PNG") for png in configured)
    assert len(list((site / "charts").rglob("*.wide.svg"))) == len(configured)

    def png_links(html: str) -> list[str]:
        return [href for href in re.findall(r'href="([^"]+)"', html) if "charts/" in href and href.endswith(".png")]

    shipped_page = (site / "data" / "operation-nexus.html").read_text(encoding="utf-8")
    assert "Image (PNG)" not in shipped_page and png_links(shipped_page) == []
    assert "Image (SVG)" in shipped_page
    page = (configured_site / "data" / "operation-nexus.html").read_text(encoding="utf-8")
    assert "Image (PNG)" in page and len(png_links(page)) == len(configured)


@pytest.mark.parametrize("setting, words", [
    ("hooks:\n  - hook.py\n", "hooks runs Python files in the build"),
    ("INHERIT: base.yml\n", "INHERIT reads another configuration file"),
    ("plugins:\n  - search\n  - macros\n", "plugins names 'macros'"),
    ("markdown_extensions:\n  - pymdownx.snippets\n", "markdown_extensions names 'pymdownx.snippets'"),
    ("markdown_extensions:\n  - mymodule.ext:\n      x: 1\n", "markdown_extensions names 'mymodule.ext'"),
    ("theme:\n  name: material\n  custom_dir: overrides\n", "theme custom_dir 'overrides' is not templates/theme"),
    ("theme: readthedocs\n", "theme 'readthedocs' is not the site's theme"),
], ids=["hooks", "inherit", "plugin", "snippets", "extension-module", "custom-dir", "theme"])
def test_mkdocs_settings_that_would_load_code_or_files_from_elsewhere_are_refused(tmp_path, setting, words):
    """Red-team review: ``hooks:`` in mkdocs.yml ran a contributor's Python in the build (and could read
    the cache's secret). Such settings are refused before MkDocs reads the file."""
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: Test\nsite_url: !ENV [SITE_URL, \"\"]\n" + setting, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        write.check_config(config)
    assert words in str(caught.value)
    config.write_text("site_name: Test\ntheme:\n  name: material\n  custom_dir: templates/theme\nplugins:\n  - search\n"
                      "markdown_extensions:\n  - toc:\n      permalink: true\n  - pymdownx.superfences\n", encoding="utf-8")
    write.check_config(config)  # the site's own settings pass


def test_a_hook_in_mkdocs_yml_never_runs(tmp_path, monkeypatch):
    from conftest import run_cli
    from test_build import copy_project

    project = copy_project(tmp_path / "project")
    marker = tmp_path / "HOOK_RAN"
    (project / "hook.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - hook.py\n", encoding="utf-8")
    monkeypatch.chdir(project)
    result = run_cli("build", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1 and "hooks runs Python files in the build" in result.output
    assert not marker.exists() and not (tmp_path / "site").exists()


def test_a_hidden_link_in_templates_is_refused_not_published(tmp_path, monkeypatch):
    """Red-team review: a hidden symbolic link (``templates/theme/.leak``) was skipped by the link check
    while Jinja still followed it, publishing any file the build could read."""
    from conftest import run_cli
    from test_build import copy_project

    project = copy_project(tmp_path / "project")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-OUTSIDE-THE-REPOSITORY", encoding="utf-8")
    (project / "templates" / "theme" / ".leak").symlink_to(secret)
    (project / "templates" / "theme" / ".hidden").mkdir()
    (project / "templates" / "theme" / ".hidden" / "inner").symlink_to(secret)
    monkeypatch.chdir(project)
    result = run_cli("build", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1 and "unsafe-link" in result.output
    assert "templates/theme/.leak" in result.output and "templates/theme/.hidden/inner" in result.output
    assert not (tmp_path / "site").exists()


def test_the_package_zip_cites_the_page_at_the_sites_address_when_it_is_known(built_site, configured_site):
    """The zip's README gives the citation the dataset page gives: with ``SITE_URL`` set, the page's
    absolute address (the zip is made where the site's settings are known)."""
    from conftest import CONFIGURED_SITE_URL

    def readme(site):
        with zipfile.ZipFile(site / "downloads" / "operation-nexus.zip") as archive:
            return archive.read("operation-nexus/README.txt").decode("utf-8")

    def citation_line(text):
        return next(line for line in text.splitlines() if line.startswith("Metropolitan Police Service (2013)."))

    assert f"{CONFIGURED_SITE_URL}data/operation-nexus.html" in citation_line(readme(configured_site))
    shipped = citation_line(readme(built_site))
    assert "://" not in shipped and "operation-nexus.html" not in shipped  # no address when the site has none
    page = (configured_site / "data" / "operation-nexus.html").read_text(encoding="utf-8")
    digest = __import__("hashlib").sha256((configured_site / "downloads" / "operation-nexus.zip").read_bytes()).hexdigest()
    assert digest in page  # the page lists the zip it publishes, by its checksum
