"""opentally/conventions.py: the one home of the data conventions, and the value-in-quote matcher."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentally import conventions
from opentally.conventions import SourceText, numbers_in, value_forms, value_in_quote

# (value, quote): the quote states the value, in one of the forms sources write numbers.
STATED = [
    (207000, "207,000 prisoners"),
    (207000, "207000 prisoners"),
    (207000, "207k prisoners have passed through MPS custody"),
    (207000, "207K prisoners"),
    (207000, "207 thousand prisoners"),
    (1200000, "1.2 million people"),
    (1200000, "1.2m people"),
    (1200000, "1,200,000 people"),
    (1200000, "1.2mn people"),
    (3000000000, "a budget of £3bn"),
    (3500000, "about 3.5 million visits"),
    (1204, "the council issued 1,204 penalty notices"),
    (28, "58k of these are Foreign Nationals (28%)"),
    (28, "c.28% of all MPS prisoners"),
    (28, "28 per cent of prisoners"),
    (28, "28 percent of prisoners"),
    (40, "in excess of c.40% of all prisoners"),
    (30, "a rate of 30/week"),
    (30, "30 per week"),
    (100, "100 a week"),
    (200, "a rate of 200/month offenders"),
    (5200, "To make 5200 (100/week) high harm offender referrals"),
    (100, "To make 5200 (100/week) high harm offender referrals"),
    (Decimal("1.5"), "1.5 per cent"),
    (Decimal("2.50"), "a rise of 2.5"),
    (1.25, "1.25 hours"),
    (37, "thirty-seven removed"),
    (37, "Thirty seven removed"),
    (42, "Forty-two wardens patrolled the town centre"),
    (50, "fifty officers"),
    (12, "twelve officers"),
    (100, "a hundred officers"),
    (100, "one hundred officers"),
    (0, "zero complaints"),
    (0, "0 complaints"),
    ("207,000", "207k prisoners"),  # a value typed as text is read as a number
    (-37, "37 fewer than last year"),  # the sign is not read
    (37, "37 removed from the UK"),
    (37, "(37)"),
    (37, "37."),
]

# (value, quote): the quote does not state the value.
NOT_STATED = [
    (39, "37 removed from the UK"),
    (37, "370 removed"),
    (37, "1,037 removed"),
    (37, "137 removed"),
    (37, "3.7 per cent"),
    (37, "0.37 of them"),
    (37, "37k prisoners"),
    (37, "thirty-eight removed"),
    (207, "207k prisoners"),
    (207000, "207 prisoners"),
    (1234567, "1.2 million people"),  # 1.2 million is 1,200,000: write the rounded value
    (28, "2.8%"),
    (5, "c.5.5%"),
    (10, "on 10th July"),  # an ordinal is not a count
    (21, "the twenty-first meeting"),
    (100, "one hundred and five"),
    (13, "v1.13"),
    (100, "100mm"),
    (5, "no number here"),
]


@pytest.mark.parametrize("value, quote", STATED)
def test_a_value_in_one_of_the_forms_sources_write_is_stated(value, quote):
    assert value_in_quote(value, quote), [str(n.value) for n in numbers_in(quote)]


@pytest.mark.parametrize("value, quote", NOT_STATED)
def test_a_value_is_matched_whole_and_never_inside_another_number(value, quote):
    assert not value_in_quote(value, quote), [str(n.value) for n in numbers_in(quote)]


@pytest.mark.parametrize("value", [None, "", "n/a", True, "thirty", float("nan")])
def test_a_value_that_is_not_a_number_is_not_checked(value):
    assert value_in_quote(value, "no number here")


@pytest.mark.parametrize("value, unit, forms", [
    (37, "people", ("37", "thirty-seven")),
    (207000, "people", ("207000", "207,000", "207k", "207 thousand")),
    (1200000, "", ("1200000", "1,200,000", "1.2m", "1.2 million")),
    (3000000000, "GBP", ("3000000000", "3,000,000,000", "3bn", "3 billion")),
    (28, "percent", ("28", "twenty-eight", "28%", "28 per cent")),
    (30, "referrals per week", ("30", "thirty", "30/week", "30 a week", "30 per week")),
    (Decimal("1.5"), "", ("1.5",)),
    (1234, "", ("1234", "1,234")),
    (100, "", ("100", "a hundred")),
    (111, "people", ("111",)),
])
def test_the_forms_tried_are_listed_for_messages_and_each_one_is_stated(value, unit, forms):
    assert value_forms(value, unit) == forms
    for form in forms:
        assert value_in_quote(value, f"about {form} people"), form


def test_numbers_in_reads_each_number_once_with_its_words():
    found = numbers_in("To make 5200 (100/week) referrals; 58k of these (28%), thirty-seven and 1.2 million")
    assert [(n.text, n.value) for n in found] == [
        ("5200", 5200), ("100", 100), ("58k", 58000), ("28", 28), ("thirty-seven", 37), ("1.2 million", 1200000)]


# --- columns, ids, units and the sources table -----------------------------------------------------

@pytest.mark.parametrize("name, expected", [("quote", True), ("period_quote", True), ("quotes", False),
                                            ("misquote", False), ("quote_period", False), ("_quote", False)])
def test_quote_columns(name, expected):
    assert conventions.is_quote_field(name) is expected


@pytest.mark.parametrize("primary_key, fields, expected", [
    (["id"], ["id", "value"], "id"),
    (["code"], ["id", "code", "value"], "code"),  # a one-field primary key first
    ("code", ["code", "value"], "code"),
    (["year", "region"], ["id", "year", "region"], "id"),  # a key of two fields: the id column
    ([], ["id", "value"], "id"),
    ([], ["name", "value"], None),
])
def test_a_row_is_identified_by_its_primary_key_else_its_id_column(primary_key, fields, expected):
    assert conventions.id_field(primary_key, fields) == expected


def test_the_columns_of_a_table_of_figures():
    cols = conventions.columns(["id", "value", "unit", "source", "period_quote", "quote", "derivation"], ["id"])
    assert (cols.id, cols.value, cols.quote, cols.quotes, cols.source, cols.unit, cols.derivation) == (
        "id", "value", "quote", ("quote", "period_quote"), "source", "unit", "derivation")
    assert cols.has_figures
    assert not conventions.columns(["id", "activity", "quote"], ["id"]).has_figures  # no value: not a figure


def test_a_figure_takes_its_unit_from_its_row_else_from_its_value_field():
    cols = conventions.columns(["id", "value", "unit"])
    assert conventions.figure_unit({"id": "a", "value": 1, "unit": "percent"}, cols, "people") == "percent"
    assert conventions.figure_unit({"id": "a", "value": 1, "unit": None}, cols, "people") == "people"
    assert conventions.figure_unit({"id": "a", "value": 1}, conventions.columns(["id", "value"]), "GBP") == "GBP"


def test_the_sources_table_is_the_resource_named_sources():
    class Resource:
        def __init__(self, name, tabular=True):
            self.name, self.tabular = name, tabular

    resources = [Resource("documents"), Resource("sources", tabular=False), Resource("sources")]
    assert conventions.sources_table(resources) is resources[2]
    assert conventions.sources_table([Resource("documents")]) is None


def test_a_quote_is_found_in_its_source_whatever_its_spacing():
    text = "Here are some statistics.\n\n- 37 removed\n  from the UK\n- 74 on conditions\n"
    source = SourceText(text)
    assert source.contains("37 removed from the UK") and source.contains("removed   from\nthe UK")
    start, end = source.span("37 removed from the UK")
    assert text[start:end] == "37 removed\n  from the UK"
    assert source.line(start) == 3
    assert not source.contains("37 removed from UK")
    assert source.closest("37 removed from UK") == "37 removed from the UK - 74 on"
    assert conventions.quote_anchor("37 removed\nfrom the UK") == conventions.quote_anchor("37 removed from the UK")
