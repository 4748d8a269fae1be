"""A table of figures as blocks people can read, and the column widths of any other table.

A figure (``conventions``: a row with an identifying column and a ``value``) is shown as one block:
its label, its value with its unit, its qualifier, its period or date, what it measures, its quote in
full with the link to its place in the source, and its note. Every other column of the row is listed
under the block, so that nothing the table holds is lost; the table itself stays one click away.

Which column plays which part is read from the column names the package conventions already use
(``plan._figures`` takes a figure's label and qualifier from the same ``label`` and ``qualifier``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Callable, Sequence

from . import conventions, dates
from .conventions import (AS_OF_FIELD, DATE_FIELD, LABEL_FIELD, MEASURE_FIELD, NOTE_FIELD, PERIOD_END_FIELD,
                          PERIOD_START_FIELD, QUALIFIER_FIELD)

QuotePlace = Callable[[dict, str], "tuple[str, int] | None"]  # (link to the quote's place, line) or None


@dataclass(frozen=True)
class When:
    """A date, or a period, as words and as machine-readable dates."""

    prefix: str  # "As of", "Period end"..., or "" for a period with both ends
    parts: tuple[tuple[str, str], ...]  # (text, ISO date or "") in reading order: ("June 2012", "2012-06-01"), (" to ", "")...


@dataclass(frozen=True)
class Quoted:
    """A quote cell: the words, and the link to their place in the source page (None when not found)."""

    text: str
    place: tuple[str, int] | None


@dataclass(frozen=True)
class Other:
    """A column of the row that the block does not show in its own place."""

    title: str
    text: str
    quote: Quoted | None = None  # set for a quote column (``conventions.is_quote_field``)


@dataclass(frozen=True)
class FigureBlock:
    anchor: str | None  # the row's id on its dataset page (None where the page already has it)
    figure: str  # the figure's id (the identifying cell), shown beside its value when it has a label
    figure_title: str  # the title of the identifying column ("Figure id")
    label: str
    value: str  # formatted as the table's cell
    unit: str  # "" when the value carries its unit ("28%")
    qualifier: str
    when: tuple[When, ...]
    measure: str
    quote: Quoted | None
    derivation: str
    note: str
    others: tuple[Other, ...]
    ident: str = ""  # the figure's id, always (``figure`` is empty when the label says it)


def has_figures(resource) -> bool:
    """Whether a resource's rows are figures (``conventions.Columns.has_figures``)."""
    if not getattr(resource, "tabular", False):
        return False
    return conventions.columns([f.name for f in resource.fields], resource.primary_key).has_figures


@dataclass(frozen=True)
class Figures:
    blocks: tuple[FigureBlock, ...]
    shared: tuple[Other, ...]  # columns every figure has the same value in, said once for all of them


def figure_blocks(resource, rows: Sequence[dict], quote_place: QuotePlace, format_cell: Callable,
                  anchors: bool = True) -> Figures:
    """One block per figure row of ``rows`` (rows without an id are not figures and get none).

    A column that is not shown in its own place and holds the same value for every figure (the source
    document, a period quote) is said once, above the blocks, as a table's notes are."""
    blocks = _blocks(resource, rows, quote_place, format_cell, anchors)
    if len(blocks) < 2:
        return Figures(tuple(blocks), ())
    shared = tuple(o for o in blocks[0].others if all(o in b.others for b in blocks[1:]))
    blocks = [replace(b, others=tuple(o for o in b.others if o not in shared)) for b in blocks]
    return Figures(tuple(blocks), shared)


def _blocks(resource, rows: Sequence[dict], quote_place: QuotePlace, format_cell: Callable,
            anchors: bool) -> list[FigureBlock]:
    fields = {f.name: f for f in resource.fields}
    cols = conventions.columns(list(fields), resource.primary_key)
    value_field = fields[cols.value]
    shown = {cols.id, cols.value, cols.unit, cols.quote, cols.derivation, LABEL_FIELD, QUALIFIER_FIELD,
             MEASURE_FIELD, NOTE_FIELD, PERIOD_START_FIELD, PERIOD_END_FIELD, AS_OF_FIELD, DATE_FIELD}
    blocks = []
    for row in rows:
        figure = conventions.figure_id(row, cols)
        if figure is None:
            continue
        unit = conventions.figure_unit(row, cols, value_field.unit)
        value = format_cell(row.get(cols.value), value_field.type)
        if unit == "percent" and value:
            value, unit = f"{value}%", ""
        quote = conventions.figure_quote(row, cols)
        others = []
        for f in resource.fields:
            cell = row.get(f.name)
            if f.name in shown:
                continue
            if cell is None or cell == "":
                continue
            if conventions.is_quote_field(f.name) and isinstance(cell, str):
                others.append(Other(f.title or f.name, cell, Quoted(cell, quote_place(row, f.name))))
            else:
                others.append(Other(f.title or f.name, format_cell(cell, f.type)))
        blocks.append(FigureBlock(
            anchor=resource.anchor_of(row) if anchors else None,
            figure=figure if _text(row.get(LABEL_FIELD)) else "",
            figure_title=fields[cols.id].title or cols.id,
            label=_text(row.get(LABEL_FIELD)) or figure,
            value=value, unit=unit,
            qualifier=_text(row.get(QUALIFIER_FIELD)),
            when=_when(row, fields, format_cell),
            measure=_text(row.get(MEASURE_FIELD)),
            quote=Quoted(quote, quote_place(row, cols.quote)) if quote else None,
            derivation=conventions.derivation(row, cols),
            note=_text(row.get(NOTE_FIELD)),
            others=tuple(others),
            ident=figure,
        ))
    return blocks


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- dates ---------------------------------------------------------------------------------------

def _when(row: dict, fields: dict, format_cell: Callable) -> tuple[When, ...]:
    out = []
    start, end = row.get(PERIOD_START_FIELD), row.get(PERIOD_END_FIELD)
    if start not in (None, "") and end not in (None, ""):
        out.append(When("", period(start, end, format_cell)))
    else:
        for name in (PERIOD_START_FIELD, PERIOD_END_FIELD):
            if row.get(name) not in (None, "") and name in fields:
                out.append(When(fields[name].title or name, (_day(row[name], format_cell),)))
    for name in (AS_OF_FIELD, DATE_FIELD):
        if row.get(name) not in (None, "") and name in fields:
            out.append(When(fields[name].title or name, (_day(row[name], format_cell),)))
    return tuple(out)


def _day(value, format_cell: Callable) -> tuple[str, str]:
    day = dates.as_date(value) if isinstance(value, (date, str)) and len(str(value)) >= 10 else None
    return (dates.long_date(day), day.isoformat()) if day else (format_cell(value), "")


def period(start, end, format_cell: Callable = str) -> tuple[tuple[str, str], ...]:
    """A figure's period in words (``dates.period_parts``), or its cells as they are when not dates."""
    first, last = _day(start, format_cell), _day(end, format_cell)
    if not first[1] or not last[1]:
        return (first, (" to ", ""), last)
    return dates.period_parts(date.fromisoformat(first[1]), date.fromisoformat(last[1]))


# --- column widths of a wide table ---------------------------------------------------------------

def column_widths(fields, rows: Sequence[dict], format_cell: Callable) -> dict[str, str]:
    """A width class for each column, from the longest text it holds, so that a wide table keeps
    readable columns (it scrolls in its box) instead of one word per line."""
    widths = {}
    for f in fields:
        longest = max([len(f.title or f.name)] + [len(format_cell(row.get(f.name), f.type)) for row in rows])
        widths[f.name] = ("ot-w-s" if longest <= 30 else "ot-w-m" if longest <= 40
                          else "ot-w-l" if longest <= 120 else "ot-w-xl")
    return widths
