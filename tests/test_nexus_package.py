"""The shipped Operation Nexus package: valid, complete, and every figure traceable to the letter."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from conftest import LETTER, NEXUS, SHARED, run_cli

# Every statistic of the letter of 24 July 2013: (resource, id, value, unit, qualifier).
FIGURES = [
    ("custody", "prisoners-through-custody", 207000, "people", "rounded"),
    ("custody", "foreign-national-prisoners", 58000, "people", "rounded"),
    ("custody", "foreign-national-prisoners-share", 28, "percent", "rounded"),
    ("custody", "detained-by-hoie", 977, "people", "exact"),
    ("custody", "reporting-conditions-by-hoie", 903, "people", "exact"),
    ("prisoner-share", "share-all-boroughs", 28, "percent", "approximate"),
    ("prisoner-share", "share-several-boroughs", 40, "percent", "lower bound"),
    ("targets", "target-detained-with-view-to-remove", 200, "people per month", "target"),
    ("targets", "target-high-harm-referrals", 5200, "referrals per year", "target"),
    ("targets", "target-high-harm-referrals-weekly", 100, "referrals per week", "target"),
    ("high-harm-referrals", "high-harm-referrals-to-date", 591, "referrals", "exact"),
    ("high-harm-referrals", "high-harm-referral-rate", 30, "referrals per week", "exact"),
    ("high-harm-referrals", "high-harm-referral-aspiration", 100, "referrals per week", "aspiration"),
    ("outcomes", "removed-from-uk", 37, "people", "exact"),
    ("outcomes", "restrictive-reporting-conditions", 74, "people", "exact"),
    ("outcomes", "in-custody-or-monitored", 83, "people", "exact"),
    ("resourcing", "officers-dedicated", 50, "officers", "exact"),
    ("resourcing", "officers-planned", 95, "officers", "planned"),
]

ENGAGEMENT = [
    ("crg-meeting-2012-11", "meeting", "2012-11-01", "2012-11-30"),
    ("crg-meeting-2012-12", "meeting", "2012-12-01", "2012-12-31"),
    ("crg-meeting-2013-06", "meeting", "2013-06-01", "2013-06-30"),
    ("crg-meeting-2013-07-10", "meeting", "2013-07-10", "2013-07-10"),
    ("presentation-ramfel", "presentation", "", "2013-07-24"),
    ("presentation-lsmp", "presentation", "", "2013-07-24"),
    ("presentation-runnymede-trust", "presentation", "", "2013-07-24"),
]


def read_table(name: str) -> dict[str, dict]:
    with open(NEXUS / "data" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def normalise(text: str) -> str:
    return " ".join(text.split())


def descriptor() -> dict:
    return json.loads((NEXUS / "datapackage.json").read_text(encoding="utf-8"))


def test_the_shipped_package_is_valid_even_when_warnings_count_as_errors():
    result = run_cli("validate", "--strict", str(NEXUS))
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output.splitlines()[-1]


@pytest.mark.parametrize("resource, figure_id, value, unit, qualifier", FIGURES)
def test_every_figure_of_the_letter_is_present_with_its_value_and_qualifier(resource, figure_id, value, unit, qualifier):
    row = read_table(resource)[figure_id]
    assert (int(row["value"]), row["unit"], row["qualifier"]) == (value, unit, qualifier)
    assert row["source"] == "mps-letter-2013-07-24"


def test_custody_figures_cover_june_2012_to_june_2013():
    for row in read_table("custody").values():
        assert (row["period_start"], row["period_end"]) == ("2012-06-01", "2013-06-30")
        assert normalise(row["period_quote"]) in normalise(LETTER.read_text(encoding="utf-8"))


@pytest.mark.parametrize("figure_id, activity, start, end", ENGAGEMENT)
def test_community_engagement_is_recorded_with_dates(figure_id, activity, start, end):
    row = read_table("engagement")[figure_id]
    assert (row["activity"], row["period_start"], row["period_end"]) == (activity, start, end)


def test_every_quote_is_verbatim_in_the_letter():
    letter = normalise(LETTER.read_text(encoding="utf-8"))
    checked = 0
    for path in sorted((NEXUS / "data").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for name in ("quote", "period_quote"):
                    if row.get(name):
                        assert normalise(row[name]) in letter, f"{path.name} {row['id']}: {row[name]}"
                        checked += 1
    assert checked >= len(FIGURES) + len(ENGAGEMENT)


def test_every_figure_value_appears_in_its_quote():
    """A figure's number is written in its quote: 207000 as "207k", 5200 as "5200"."""
    for resource, figure_id, value, _, _ in FIGURES:
        quote = read_table(resource)[figure_id]["quote"]
        written = f"{value // 1000}k" if value >= 10000 else str(value)
        assert written in quote, f"{figure_id}: {written} not in {quote!r}"


def test_every_figure_is_stated_by_its_quote_so_none_needs_a_derivation():
    """The rule `validate` applies (conventions.value_in_quote): each value is written in its quote."""
    from opentally import conventions

    for resource, figure_id, _, _, _ in FIGURES:
        row = read_table(resource)[figure_id]
        assert conventions.value_in_quote(int(row["value"]), row["quote"]), f"{figure_id}: {row['quote']!r}"
        assert "derivation" not in row
    rows = sum(len(read_table(r)) for r in {r for r, *_ in FIGURES})
    assert rows == len(FIGURES)  # every figure of the package is in FIGURES


def test_the_letter_in_the_package_is_the_published_letter():
    sources = read_table("sources")
    letter = sources["mps-letter-2013-07-24"]
    assert (NEXUS / letter["path"]).resolve() == LETTER.resolve()
    assert hashlib.sha256(LETTER.read_bytes()).hexdigest() == letter["sha256"]
    assert (letter["date"], letter["received"], letter["reference"]) == ("2013-07-24", "2013-08-01", "Your ref: 16/2013")
    original = SHARED / "sources" / LETTER.name
    if original.exists():  # beside the repository in CI and in a developer's workplace
        assert original.read_bytes() == LETTER.read_bytes()


def test_the_package_describes_itself_for_the_public():
    d = descriptor()
    assert d["name"] == "operation-nexus"
    assert d["title"] and len(d["description"]) > 200
    assert "Operation Nexus" in d["keywords"]
    assert d["licenses"][0]["name"] == "OGL-UK-3.0"
    assert d["version"] == "1.1.0"
    assert d["modified"]
    assert d["contributors"] and d["sources"]


def test_tables_use_real_types_and_constraints():
    schema = json.loads((NEXUS / "schemas" / "observation.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["value"]["type"] == "integer" and fields["value"]["constraints"]["minimum"] == 0
    assert {"exact", "approximate", "rounded", "lower bound", "target", "aspiration", "planned"} == set(
        fields["qualifier"]["constraints"]["enum"])
    assert fields["period_start"]["type"] == "date"
    assert schema["primaryKey"] == ["id"]
    assert schema["foreignKeys"][0]["reference"] == {"resource": "sources", "fields": ["id"]}
