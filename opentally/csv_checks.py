"""Checks of a CSV file's bytes and quoting that frictionless does not make, or makes silently.

Frictionless reads CSV with Python's lenient ``csv`` reader: a quote that is never closed swallows
the rest of the file into one cell (a 2,000-line file validates as "1 row"), and a NUL or other
control character in a cell is accepted, though it breaks the pages and charts built from it. Its
encoding errors name a position in a read buffer, not a line. ``check_csv`` reads the file the way
frictionless does (the same encoding, and the same delimiter and quote character, sniffed the same
way when the dialect does not give them) and reports, as issues:

* ``encoding-error``: the first byte that cannot be decoded, with its line (newlines before it,
  plus one) and its byte offset;
* ``unclosed-quote``: a quoted value whose quote is never closed, with the line where it opens and
  its column (Python's reader with ``strict=True`` fails at the end of the file);
* ``stray-quote``: text after the closing quote of a value (``"abc"def``), which a lenient reader
  silently glues on;
* ``control-character``: a C0 control character other than tab, line feed and carriage return in a
  cell, with the row and the column name (the first ``MAX_REPORTED``, then how many more);
* ``csv-error``: anything else Python's reader refuses, with the line.

A file with an encoding error, an unclosed quote or a ``csv-error`` is not ``readable``: frictionless
would read wrong rows from it, so validation leaves it to these issues.

Cost: two passes at C speed (the ``codecs`` decoder and one regular expression over 1 MiB chunks,
then the ``csv`` reader with one Python step per row). The slow work (locating a control
character's cell, the column of an unclosed quote) is done only for a file that has the problem.
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from .issues import Issue, error
from .strict_json import CONTROL, describe

CHUNK = 1 << 20  # bytes decoded at a time
MAX_REPORTED = 20  # cells with a control character reported one by one, per file
QUOTES = "\"'"  # the quote characters csv.Sniffer can find
SAMPLE_LINES = 100  # lines frictionless sniffs the delimiter from (frictionless.formats.csv.parser.SAMPLE_SIZE)

# As frictionless sets it when it reads CSV (frictionless.formats.csv.parser): a long cell is not an error.
csv.field_size_limit(max(csv.field_size_limit(), 2147483646))

_QUOTE_HINT = ('close the quote, or double a quote inside a quoted value (write "" for "); a value that '
               'holds a comma, a quote or a line break is written inside double quotes')


@dataclass(frozen=True)
class CsvCheck:
    """What ``check_csv`` found; ``readable`` is False when frictionless would read wrong rows from the file."""

    issues: tuple[Issue, ...]
    readable: bool
    # How ``csv.reader`` splits the file, for ``fastpath``: its arguments (None when the dialect is left
    # to frictionless to report), and its records, counted when the file holds its quote character
    # (None when it holds none, or was not read to its end).
    arguments: dict | None = None
    records: int | None = None
    codec: str | None = None  # the encoding the file was read in, by its Python name


def check_csv(path: Path, shown: str, encoding: str, dialect: dict | None = None, tsv: bool = False) -> CsvCheck:
    """Check the CSV file ``path`` (shown to the user as ``shown``), read as ``encoding`` with ``dialect``.

    ``dialect`` is the resource's Table Dialect (``delimiter``, ``quoteChar``, ``doubleQuote``,
    ``escapeChar``, ``skipInitialSpace``, ``header``; frictionless's ``csv`` sub-object is read too).
    An unknown encoding or an invalid dialect is left to frictionless to report.
    """
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        return CsvCheck((), True)
    if not getattr(info, "_is_text_encoding", True):  # rot13, hex, zlib...: bytes to bytes, or text to text
        return CsvCheck((error("encoding-error", shown, f'"{encoding}" is not an encoding of text, so the file cannot be read',
                               'give the file\'s text encoding in "encoding" (usually "utf-8"), or leave it out',
                               field="encoding"),), False)
    codec = info.name
    bom = b"\xef\xbb\xbf" if codec == "utf-8" else b""
    try:
        found = _decode(path, shown, codec, bom)
        if isinstance(found, Issue):
            return CsvCheck((found,), False)
        return dataclasses.replace(_structure(path, shown, codec, _options(dialect), tsv, *found), codec=codec)
    except OSError as exc:
        return CsvCheck((error("missing-file", shown, f"the file cannot be read: {exc.strerror or exc}",
                               "check that the file is there and readable"),), False)
    except (TypeError, ValueError, LookupError) as exc:  # a codec or dialect Python's readers cannot use
        return CsvCheck((error("csv-error", shown, f"the file cannot be read as CSV with its encoding and dialect: {exc}",
                               'check "encoding" and "dialect" in datapackage.json'),), False)


def _decode(path: Path, shown: str, codec: str, bom: bytes) -> Issue | tuple[int, frozenset[str]]:
    """The first encoding error as an issue, or how many control characters the file holds and which
    of the characters that can quote a value (``QUOTES``) it holds."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = newlines = count = 0
    quotes: set[str] = set()
    with open(path, "rb") as file:
        if bom:
            if file.read(len(bom)) == bom:
                offset = len(bom)
            else:
                file.seek(0)
        while True:
            chunk = file.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return _encoding_issue(shown, codec, exc, chunk, offset, newlines)
            if CONTROL.search(text):
                count += len(CONTROL.findall(text))
            quotes.update(q for q in QUOTES if q in text)
            if not chunk:
                return count, frozenset(quotes)
            offset += len(chunk)
            newlines += chunk.count(b"\n")


def _encoding_issue(shown: str, codec: str, exc: UnicodeDecodeError, chunk: bytes, offset: int,
                    newlines: int) -> Issue:
    data = exc.object if isinstance(exc.object, (bytes, bytearray)) else chunk
    pending = max(0, len(data) - len(chunk))  # bytes the decoder held back from the chunk before
    position = offset - pending + exc.start
    line = newlines + data.count(b"\n", pending, max(pending, exc.start)) + 1
    bad = " ".join(f"0x{b:02X}" for b in data[exc.start:exc.end][:4])
    name = "UTF-8" if codec == "utf-8" else codec
    return error("encoding-error", shown,
                 f"the file cannot be read as {name} text: byte {position:,} (on line {line:,}) is {bad}, "
                 f"which is not {name}",
                 f"save the file as UTF-8 (in a spreadsheet: Save As, CSV UTF-8), or give its real "
                 f'"encoding" in datapackage.json; look at line {line:,} for a character such as é, ’ or £',
                 line, None)


def _options(dialect: dict | None) -> dict:
    """The dialect's CSV properties (a frictionless ``csv`` sub-object wins), only those of the right type."""
    if not isinstance(dialect, dict):
        return {}
    merged = dict(dialect)
    if isinstance(dialect.get("csv"), dict):
        merged.update(dialect["csv"])
    kinds = {"delimiter": str, "quoteChar": str, "escapeChar": str, "doubleQuote": bool, "skipInitialSpace": bool,
             "header": bool}
    return {key: merged[key] for key, kind in kinds.items() if isinstance(merged.get(key), kind)}


def _python_dialect(options: dict, tsv: bool, sample: str) -> dict | None:
    """The arguments of ``csv.reader`` frictionless would use (CsvParser.read_cell_stream_create)."""
    delimiter = options.get("delimiter") or ("\t" if tsv else None)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiter or ",\t;|")
    except csv.Error:
        sniffed = csv.excel
    quote = options.get("quoteChar", '"' if sniffed.quotechar == "'" else sniffed.quotechar)
    escape = options.get("escapeChar", sniffed.escapechar)
    arguments = {
        "delimiter": delimiter or sniffed.delimiter,
        "quotechar": quote or None,
        "quoting": csv.QUOTE_NONE if quote == "" else csv.QUOTE_MINIMAL,
        "escapechar": escape or None,
        "doublequote": options.get("doubleQuote", True) if escape else True,
        "skipinitialspace": options.get("skipInitialSpace", sniffed.skipinitialspace),
        "strict": True,
    }
    try:
        csv.reader([], **arguments)
    except (TypeError, ValueError, csv.Error):
        return None  # frictionless reports the invalid dialect
    return arguments


def _structure(path: Path, shown: str, codec: str, options: dict, tsv: bool, controls: int,
               quotes: frozenset[str]) -> CsvCheck:
    """Read every record with ``strict=True``; find the cells of the control characters ``_decode`` counted.

    A file with no control character and no quote character needs no reading: without quotes,
    ``csv.reader`` has nothing to refuse (its errors are about quotes, escapes and NUL bytes)."""
    issues: list[Issue] = []
    readable = True
    reported = 0
    with open(path, encoding="utf-8-sig" if codec == "utf-8" else codec, newline="") as file:
        sample = list(itertools.islice(file, SAMPLE_LINES))
        arguments = _python_dialect(options, tsv, "".join(sample))
        if arguments is None:
            return CsvCheck((), True)
        quoted = arguments["quotechar"] in quotes or arguments["escapechar"] is not None
        if not controls and not quoted and arguments["quotechar"] in (*QUOTES, None):
            return CsvCheck((), True, arguments)
        if not controls:
            try:  # the common case, at C speed: every record reads, no cell to look for
                last = collections.deque(enumerate(csv.reader(itertools.chain(sample, file), **arguments), 1),
                                         maxlen=1)
                return CsvCheck((), True, arguments, last[0][0] if last else 0)
            except csv.Error:
                pass  # read it again record by record to say where
        file.seek(0)
        reader = csv.reader(file, **arguments)
        labels: list[str] = []
        header = options.get("header", True)
        record = 0
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record += 1
                message = str(exc)
                if "unexpected end of data" in message:
                    issues.append(_unclosed(path, shown, codec, arguments, start, reader.line_num, labels))
                    readable = False
                    break
                if "expected after" in message:
                    line = reader.line_num
                    where = f"line {line:,}" + ("" if line == start else f", in the row that starts on line {start:,}")
                    issues.append(error("stray-quote", shown,
                                        f"{where}: a value is closed by a quote and then goes on (as in \"abc\"def), "
                                        "so it is not clear where it ends"
                                        + ("" if line == start else f"; a quote opened on line {start:,} may be "
                                           "the one left open"), _QUOTE_HINT, start, None))
                    continue
                issues.append(error("csv-error", shown, f"line {reader.line_num:,}: the file cannot be read as "
                                    f"CSV: {message}", "check the file in a text editor at that line",
                                    reader.line_num, None))
                readable = False
                break
            record += 1
            if record == 1 and header:
                labels = row
            if controls and reported < MAX_REPORTED and CONTROL.search("".join(row)):
                found = _control_cells(shown, row, record, labels, MAX_REPORTED - reported)
                reported += len(found)
                issues += found
    if controls > reported and reported == MAX_REPORTED:
        issues.append(error("control-character", shown,
                            f"the file holds {controls:,} control characters in all: only the first {reported} "
                            "cells holding one are listed", "remove them all, e.g. by searching the file for them "
                            "in a text editor that shows invisible characters", None, None))
    return CsvCheck(tuple(issues), readable, arguments, record if readable else None)


def _control_cells(shown: str, row: list[str], record: int, labels: list[str], limit: int) -> list[Issue]:
    found = []
    for index, cell in enumerate(row):
        match = CONTROL.search(cell)
        if match and len(found) < limit:
            field = _label(labels, index)
            where = "the header" if record == 1 and labels is row else f'field "{field}"'
            found.append(error("control-character", shown,
                               f"{where}: the value holds the control character {describe(match.group())} at "
                               f"character {match.start() + 1}: {_printable(cell)}",
                               "delete the character: it is invisible, often comes from a copy and paste or an "
                               "export, and breaks the pages and charts made from the table", record, field))
    return found


def _label(labels: list[str], index: int) -> str:
    if index < len(labels) and labels[index] and not CONTROL.search(labels[index]):
        return labels[index]
    return f"column {index + 1}"


def _printable(value: str, width: int = 60) -> str:
    match = CONTROL.search(value)
    start = max(0, match.start() - width // 2) if match else 0
    text = value[start:start + width]
    shown = "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in text)
    return f'"{"..." if start else ""}{shown}{"..." if start + width < len(value) else ""}"'


def _unclosed(path: Path, shown: str, codec: str, arguments: dict, start: int, last: int,
              labels: list[str]) -> Issue:
    """The quote that is never closed: the record starting on line ``start`` runs to the end of the file."""
    column, line = _open_quote(path, codec, arguments, start)
    where = f'the value of column "{_label(labels, column)}"' if column is not None else "a value"
    line = line or start
    return error("unclosed-quote", shown,
                 f"the quote that opens {where} on line {line:,} is never closed, so everything after it, "
                 f"to the end of the file (line {last:,}), is read as that one value",
                 _QUOTE_HINT, line, _label(labels, column) if column is not None else None)


def _open_quote(path: Path, codec: str, arguments: dict, start: int) -> tuple[int | None, int | None]:
    """(column index, line) of the quote left open in the record starting on line ``start``."""
    quote, delimiter = arguments["quotechar"], arguments["delimiter"]
    if not quote or arguments["escapechar"] or not arguments["doublequote"]:
        return None, None
    with open(path, encoding="utf-8-sig" if codec == "utf-8" else codec, newline="") as file:
        text = "".join(itertools.islice(file, start - 1, None))
    q = re.escape(quote)
    quoted = re.compile(f"{q}(?:[^{q}]|{q}{q})*+{q}")
    boundary = re.compile(f"[{re.escape(delimiter)}\r\n]")
    position, column = 0, 0
    while True:
        if arguments["skipinitialspace"]:
            while text.startswith(" ", position):
                position += 1
        if text.startswith(quote, position):
            match = quoted.match(text, position)
            if match is None:
                return column, start + text.count("\n", 0, position)
            position = match.end()
        found = boundary.search(text, position)
        if found is None or found.group() != delimiter:
            return None, None
        column += 1
        position = found.end()
