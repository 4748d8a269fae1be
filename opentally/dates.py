"""Dates in words, the one way every page, citation, chart and README says them.

English month names whatever the machine's locale (``strftime("%B")`` would follow it), so the same
input gives the same site everywhere. Periods are written as statistics publishers write them: whole
months and years by their names, other periods by their days.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def as_date(value, end: bool = False) -> date | None:
    """A cell or descriptor value as a date: a date, or ISO text "2013-07-24", "2013-07" or "2013" (a
    month or a year read as its first day, or its last when ``end``); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        value = f"{value[0]:04d}-{value[1]:02d}"  # a yearmonth cell
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", text):
            return date.fromisoformat(text[:10])
        if re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = int(text[:4]), int(text[5:])
            return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 12, 31) if end else date(int(text), 1, 1)
    except ValueError:
        return None
    return None


def long_date(day: date | str) -> str:
    """ "24 July 2013"."""
    day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_year(day: date) -> str:
    """ "July 2013"."""
    return f"{MONTHS[day.month - 1]} {day.year}"


def _whole_months(start: date, end: date) -> bool:
    return start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]


def period_parts(start: date, end: date) -> tuple[tuple[str, str], ...]:
    """A period exactly, as (words, ISO date or "") in reading order: whole years and months by their
    names ("2013", "June 2012" ... "June 2013"), other periods by their days."""
    if start == end:
        return ((long_date(start), start.isoformat()),)
    if _whole_months(start, end) and (start.month, end.month) == (1, 12):
        first, last = str(start.year), str(end.year)
    elif _whole_months(start, end):
        first, last = month_year(start), month_year(end)
    else:
        first, last = long_date(start), long_date(end)
    if first == last:
        return ((first, start.isoformat()),)
    return ((first, start.isoformat()), (" to ", ""), (last, end.isoformat()))


def period_words(start: date, end: date) -> str:
    """``period_parts`` as one string: "June 2012 to June 2013", "1 to 24 July 2013" is "1 July 2013 to 24 July 2013"."""
    return "".join(text for text, _ in period_parts(start, end))


def period_summary(start: date, end: date) -> str:
    """A period to the month, for a heading or a catalog: "June 2012 to July 2013", "June to July
    2013", "July 2013"; a period within one month by its days ("1 to 24 July 2013")."""
    if start == end:
        return long_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return month_year(start) if _whole_months(start, end) else f"{start.day} to {long_date(end)}"
    if start.year == end.year:
        return f"{MONTHS[start.month - 1]} to {month_year(end)}"
    return f"{month_year(start)} to {month_year(end)}"


def period_days(start: date, end: date) -> str:
    """A period to the day: "1 June 2012 to 24 July 2013", "24 July 2013"."""
    return long_date(start) if start == end else f"{long_date(start)} to {long_date(end)}"


def date_words(value: str) -> str:
    """ISO text in words: "1984-03-31" as "31 March 1984", "1984-03" as "March 1984", with a time of
    day when it is not midnight; anything else unchanged."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(T.*)?", value)
    if not match or (match.group(2) and not 1 <= int(match.group(2)) <= 12):
        return value
    year, month, day, time = match.groups()
    words = year
    if month:
        words = f"{MONTHS[int(month) - 1]} {words}"
    if day:
        words = f"{int(day)} {words}"
    if time and time.strip("T") not in ("00:00:00", "00:00:00Z", "00:00:00+00:00"):
        words += f" {time.strip('T')[:5]}"
    return words
