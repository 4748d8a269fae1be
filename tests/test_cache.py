"""The build cache (``.build/cache/``): a warm build gives the same bytes as a cold one and draws
nothing again; an entry that does not check out is ignored and made again; ``--no-cache`` writes none."""

from __future__ import annotations

import pytest

from conftest import run_cli
from opentally import cache, charts
from opentally.pipeline import Project, build_site
from test_build import copy_project, tree_digest


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A cache of the test's own, empty (the session shares one otherwise, see conftest)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


def test_warm_and_cold_builds_are_the_same_bytes_and_a_bad_entry_is_made_again(tmp_path, own_cache, monkeypatch):
    project = Project(copy_project(tmp_path / "project"))
    cold = build_site(project, tmp_path / "cold", use_cache=False)
    assert cold.ok and not own_cache.exists()  # no cache: nothing written
    filling = build_site(project, tmp_path / "filling")
    entries = sorted(p for p in own_cache.rglob("*") if p.is_file())
    assert filling.ok and len(entries) >= cold.charts * 4  # every drawing of every chart

    def no_drawing(*args, **kwargs):
        raise AssertionError("a warm build drew a chart again")

    with monkeypatch.context() as m:
        m.setattr(charts, "_draw_now", no_drawing)
        warm = build_site(project, tmp_path / "warm")
    assert warm.ok
    assert tree_digest(tmp_path / "cold") == tree_digest(tmp_path / "filling") == tree_digest(tmp_path / "warm")

    # Entries cut short, altered, or replaced by something else are ignored and drawn again.
    for n, entry in enumerate(entries):
        data = entry.read_bytes()
        entry.write_bytes([data[: len(data) // 2], data[:-1] + b"x", b"not a cache entry", b""][n % 4])
    again = build_site(project, tmp_path / "again")
    assert again.ok and tree_digest(tmp_path / "again") == tree_digest(tmp_path / "cold")
    drawings = [e for e in entries if e.parent.parent.name == "charts"]
    assert drawings and all(cache.get("charts", e.name) is not None for e in drawings)  # made again, and good


def test_the_key_changes_with_every_input_and_an_entry_checks_its_bytes(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV, raising=False)
    cache.use(tmp_path)
    try:
        keys = {cache.key("drawing", "svg", {"mark": "bar"}, 1), cache.key("drawing", "png", {"mark": "bar"}, 1),
                cache.key("drawing", "svg", {"mark": "line"}, 1), cache.key("drawing", "svg", {"mark": "bar"}, 2),
                cache.key("page", "svg", {"mark": "bar"}, 1)}
        assert len(keys) == 5
        entry = cache.key("drawing", "svg", {"mark": "bar"}, 1)
        assert cache.get("charts", entry) is None
        cache.put("charts", entry, b"<svg/>")
        assert cache.get("charts", entry) == b"<svg/>"
        stored = tmp_path / "charts" / entry[:2] / entry
        stored.write_bytes(stored.read_bytes().replace(b"<svg/>", b"<svg onload=alert(1)/>"))
        assert cache.get("charts", entry) is None
        # Foreign entries: one a contributor could commit (its checksum is no secret), one moved to
        # another key, and one sealed on another machine (another user's secret).
        import hashlib

        forged = b"<svg onload=alert(1)/>"
        stored.write_bytes(hashlib.sha256(forged).hexdigest().encode() + b"\n" + forged)
        assert cache.get("charts", entry) is None
        other = cache.key("drawing", "png", {"mark": "bar"}, 1)
        cache.put("charts", other, forged)
        stored.write_bytes((tmp_path / "charts" / other[:2] / other).read_bytes())
        assert cache.get("charts", other) == forged and cache.get("charts", entry) is None
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-machine"))
        assert cache.get("charts", other) is None
        cache.put("charts", other, forged)  # sealed with the other secret, made there on first use
        assert cache.get("charts", other) == forged
        assert (tmp_path / "another-machine" / "opentally" / "cache-secret").stat().st_mode & 0o077 == 0
    finally:
        cache.use(None)


def test_build_no_cache_writes_no_cache(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    monkeypatch.delenv(cache.ENV, raising=False)
    monkeypatch.chdir(project)
    result = run_cli("build", "--no-cache")
    assert result.exit_code == 0, result.output
    assert not (project / ".build").exists()


def test_a_rebuild_with_nothing_changed_does_nothing_and_a_change_of_any_input_rebuilds(tmp_path, own_cache,
                                                                                         monkeypatch):
    """The whole site's key (``stamp``): the same inputs and an untouched output folder skip the build;
    a change to data, commentary, a template, mkdocs.yml, an environment variable it reads, or to the
    output folder itself builds again, and the result is what a build from scratch makes."""
    from opentally import stamp, validate

    root = copy_project(tmp_path / "project")
    project, out = Project(root), tmp_path / "site"
    first = build_site(project, out)
    assert first.ok and not first.unchanged
    built = tree_digest(out)

    def nothing_may_run(*args, **kwargs):
        raise AssertionError("a build with nothing changed validated or drew again")

    with monkeypatch.context() as m:
        m.setattr(validate, "validate_packages", nothing_may_run)
        m.setattr(charts, "_draw_now", nothing_may_run)
        again = build_site(project, out)
    assert again.ok and again.unchanged and tree_digest(out) == built
    assert (again.pages, again.charts, again.files, again.bytes) == (first.pages, first.charts, first.files, first.bytes)
    assert again.issues == first.issues

    engagement = root / "datapackages" / "operation-nexus" / "data" / "engagement.csv"
    changes = {
        "a CSV cell": (lambda: engagement.write_text(engagement.read_text(encoding="utf-8").replace(
            "Community Reference Group meeting,", "Community Reference Group meeting (first),", 1), encoding="utf-8"),
            "data/operation-nexus.html", "meeting (first)"),
        "a commentary page": (lambda: (root / "site_src" / "index.md").write_text(
            (root / "site_src" / "index.md").read_text(encoding="utf-8") + "\nA sentence added for the test.\n",
            encoding="utf-8"), "index.html", "A sentence added for the test."),
        "a template": (lambda: (root / "templates" / "assets" / "site.css").write_text(
            (root / "templates" / "assets" / "site.css").read_text(encoding="utf-8") + "\n/* changed-for-the-test */\n",
            encoding="utf-8"), "assets/opentally/site.css", "changed-for-the-test"),
        "mkdocs.yml": (lambda: (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text(encoding="utf-8").replace(
            "site_name: ", "site_name: Renamed ", 1), encoding="utf-8"), "index.html", "Renamed "),
        "an environment variable mkdocs.yml reads": (lambda: monkeypatch.setenv("SITE_URL", "https://stats.example.org/"),
                                                     "sitemap.xml", "https://stats.example.org/"),
    }
    for what, (change, page, expected) in changes.items():
        change()
        result = build_site(project, out)
        assert result.ok and not result.unchanged, what
        assert expected in (out / page).read_text(encoding="utf-8"), what
        assert build_site(project, out).unchanged, what
    built = tree_digest(out)

    # The output folder itself: a file edited, removed or added by hand is put back by a full build.
    for damage in (lambda: (out / "index.html").write_text("defaced", encoding="utf-8"),
                   lambda: (out / "index.html").unlink(),
                   lambda: (out / "extra.html").write_text("added", encoding="utf-8")):
        damage()
        result = build_site(project, out)
        assert result.ok and not result.unchanged and tree_digest(out) == built
    # With the cache off, nothing is skipped.
    assert not build_site(project, out, use_cache=False).unchanged
    assert stamp.site_key(root) == stamp.site_key(root)


def test_a_package_validated_before_is_recalled_with_its_tables_and_charts_and_a_changed_one_is_not(
        tmp_path, own_cache, monkeypatch):
    """Validation is cached per package (``stored``): the same files give the same report, typed tables
    and charts, without validating; a change to one package validates that one alone."""
    import json
    import shutil

    from conftest import NEXUS
    from opentally import load, validate

    packages = tmp_path / "datapackages"
    shutil.copytree(NEXUS, packages / "first")
    shutil.copytree(NEXUS, packages / "second")
    descriptor = json.loads((packages / "second" / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = "second"
    (packages / "second" / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    monkeypatch.setattr(cache, "_folder", None)
    uncached = validate.validate_packages(load.load_packages(load.find_packages(packages)))
    assert uncached.valid and all(p.read.tables and p.read.charts for p in uncached.packages)

    validated = []
    original = validate._validate_package

    def counting(loaded):
        validated.append(loaded.directory.name)
        return original(loaded)

    monkeypatch.setattr(validate, "_validate_package", counting)
    cache.use(tmp_path / "cache")
    try:
        def run():
            validated.clear()
            return validate.validate_packages(load.load_packages(load.find_packages(packages)))

        assert run() == uncached and validated == ["first", "second"]
        recalled = run()
        assert validated == []
        assert recalled == uncached  # name, path, counts and every issue
        for made, kept in zip(uncached.packages, recalled.packages):
            assert kept.read == made.read  # every typed cell (Decimal, date...), every chart's spec and rows
        engagement = packages / "second" / "data" / "engagement.csv"
        engagement.write_text(engagement.read_text(encoding="utf-8").replace(
            "Community Reference Group meeting,", "Community Reference Group meeting (first),", 1), encoding="utf-8")
        changed = run()
        assert validated == ["second"] and changed.valid
        assert changed.packages[0].read == uncached.packages[0].read != changed.packages[1].read
    finally:
        cache.use(None)


def test_typed_cells_are_stored_as_tagged_json_and_what_cannot_be_is_not_stored():
    import datetime as dt
    from decimal import Decimal

    from opentally import stored, validate
    from opentally.tables import Field, Table

    cells = {"n": Decimal("1.50"), "d": dt.date(2013, 7, 24), "t": dt.time(9, 30), "dt": dt.datetime(2013, 7, 24, 9),
             "o": {"$": "date", "v": "not a tag"}, "a": [1, "x", None], "f": 0.5, "b": True, "s": "text", "i": 7,
             "none": None}
    table = Table("t", tuple(Field(k) for k in cells), (cells,), "T", (2,))
    report = validate.PackageReport("p", "p", 1, 1, (), validate.PackageRead({"t": table}, {}))
    back = stored.load(stored.dump(report), validate.PackageReport, validate.PackageRead)
    assert back.read.tables["t"] == table and back.read.tables["t"].rows[0]["n"] == Decimal("1.50")
    assert type(back.read.tables["t"].rows[0]["dt"]) is dt.datetime and back.read.tables["t"].rows[0]["o"] == cells["o"]
    aware = Table("t", (Field("x"),), ({"x": dt.datetime(2013, 7, 24, tzinfo=dt.timezone.utc)},))
    assert stored.dump(validate.PackageReport("p", "p", 1, 1, (), validate.PackageRead({"t": aware}, {}))) is None


# --- found by a red-team review of the cache ---------------------------------------------------------

def test_a_build_folder_committed_as_a_link_is_not_used_as_the_cache(tmp_path, monkeypatch):
    """``.build`` committed as a symbolic link (to a folder outside, or to the site itself): the build
    writes no cache there, says so, and builds the same site."""
    monkeypatch.delenv(cache.ENV, raising=False)
    root = copy_project(tmp_path / "project")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".build").symlink_to(outside)
    said = []
    result = build_site(Project(root), root / "site", log=said.append)
    assert result.ok and list(outside.iterdir()) == []
    assert any("the build cache is not used: .build or .build/cache is a symbolic link" in s for s in said)
    (root / ".build").unlink()
    (root / ".build").symlink_to(root / "site")
    result = build_site(Project(root), root / "site", log=said.append)
    assert result.ok and not (root / "site" / "cache").exists()
    assert cache.project_folder(root, root / ".build" / "cache" / "x")[0] is None  # a site inside the cache: no cache


def test_keys_name_everything_a_result_depends_on(tmp_path, monkeypatch):
    """The validation key names where the package is (its issues name its files); the site key names
    every variable an !ENV tag of mkdocs.yml can read, fallbacks and quoted names included."""
    import shutil

    from conftest import NEXUS
    from opentally import stamp

    shutil.copytree(NEXUS, tmp_path / "a" / "nexus")
    shutil.copytree(NEXUS, tmp_path / "b" / "nexus")
    assert stamp.folder_key(tmp_path / "a" / "nexus") != stamp.folder_key(tmp_path / "b" / "nexus")
    assert stamp.folder_key(tmp_path / "a" / "nexus") == stamp.folder_key(tmp_path / "a" / "nexus")

    (tmp_path / "mkdocs.yml").write_text('site_url: !ENV [SITE_URL, PAGES_URL, ""]\nsite_name: !ENV ["NAME_VAR", x]\n',
                                         encoding="utf-8")
    keys = set()
    for name, value in (("PAGES_URL", "https://a.example/"), ("PAGES_URL", "https://b.example/"), ("NAME_VAR", "y")):
        monkeypatch.setenv(name, value)
        keys.add(stamp.site_key(tmp_path))
    assert len(keys) == 3


def test_a_cell_nested_too_deep_to_store_is_validated_again_not_a_crash():
    from opentally import stored, validate
    from opentally.tables import Field, Table

    deep = {"deep": []}
    inner = deep["deep"]
    for _ in range(2_000):
        inner.append([])
        inner = inner[0]
    table = Table("t", (Field("note", "object"),), ({"note": deep},))
    assert stored.dump(validate.PackageReport("p", "p", 1, 1, (), validate.PackageRead({"t": table}, {}))) is None
