"""Validation's fast path: prove a large CSV resource valid with pyarrow, or leave it to frictionless.

Frictionless reads a table one Python object per cell (about 30 s for a million rows of five
columns). Here pyarrow reads the file in C++ and checks whole columns at once. It never reports an
error itself: it only *proves* a resource valid under rules that are stricter than frictionless's,
and hands back its rows typed exactly as frictionless would type them. Anything it is not sure of
(a cell that is not in the plain form it checks, a schema feature it does not check, a dialect it
does not read the same way) makes it return None, and frictionless validates the resource as
before. So its findings are frictionless's by construction: a valid file is valid for both, and an
invalid or unusual one is read by frictionless alone. ``tests/test_fastpath.py`` runs both over
every fixture and bad-input case and requires identical findings and identical rows.

What it proves, on a resource whose one local CSV file is UTF-8 (no byte-order mark), comma-separated
with double quotes (as frictionless reads it: ``csv_checks`` sniffs the dialect the same way):

* the header is the schema's field names, in order; every record has as many cells;
* each cell is missing (one of the schema's ``missingValues``, by default ``""``) or in plain form
  for its type: ``string`` (default format) anything; ``integer`` ``-?[0-9]+`` within 64 bits;
  ``number`` ``-?[0-9]+(.[0-9]+)?``; ``date`` (default format) ``YYYY-MM-DD``, a real day of year 1
  or later; ``boolean`` frictionless's default true and false words;
* constraints ``required``, ``unique`` (not on numbers), ``minimum``/``maximum`` (integers),
  ``enum`` and ``pattern`` (strings; a pattern only from the subset ``_SAFE_PATTERN`` reads the
  same in pyarrow's RE2 as in Python), and the primary key (no missing cell, no repeated key);
* foreign keys of one field, to this resource or to one proven before it (``refers_elsewhere``);
* no row whose cells are all missing (frictionless's blank row).

Cells are split the way Python's ``csv`` module splits them: a file with no quote character has
nothing to disagree on (lone carriage returns aside, which send it to frictionless); a file with
quotes must have read strictly in ``csv_checks``, and both readers must count the same records.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import importlib
import itertools
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from . import tables
from .csv_checks import CsvCheck

# Files smaller than this are left to frictionless, the reference, which is quick enough on them.
MIN_BYTES = 1 << 20
# OPENTALLY_FAST_PATH=off never takes the fast path; =always takes it whatever the file's size (the
# differential tests use both).
SETTING = "OPENTALLY_FAST_PATH"

CHUNK = 1 << 20  # bytes read at a time when scanning a file's bytes
_LONE_CR = re.compile(rb"\r(?!\n)")
_EMPTY_LINE = re.compile(rb"\n\r?\n")
_INTEGER = r"^-?[0-9]+$"
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TRUE = ("true", "True", "TRUE", "1")  # frictionless.settings.DEFAULT_TRUE_VALUES
_FALSE = ("false", "False", "FALSE", "0")
_FIELD_OPTIONS = {"name", "type", "format", "title", "description", "constraints", "example", "rdfType", "unit"}
_CONSTRAINTS = {"string": {"required", "unique", "enum", "pattern"}, "integer": {"required", "unique", "minimum", "maximum"},
                "number": {"required"}, "date": {"required", "unique"}, "boolean": {"required", "unique"}}
_DIALECT = {"header": True, "delimiter": ",", "quoteChar": '"', "doubleQuote": True}


@dataclass(frozen=True)
class Proof:
    """A resource proven valid: its rows, typed as frictionless types them (kept as ``ColumnRows``)."""

    table: tables.Table

    @property
    def rows(self) -> int:
        return len(self.table.rows)

    def column(self, name: str):
        """The pyarrow array of one field (what a foreign key to this resource is checked against)."""
        return self.table.rows.array(name)


def wanted(path: Path) -> bool:
    """Whether the fast path is worth trying on this file (its size, and ``OPENTALLY_FAST_PATH``)."""
    setting = os.environ.get(SETTING, "")
    if setting == "off":
        return False
    try:
        return setting == "always" or path.stat().st_size >= MIN_BYTES
    except OSError:
        return False


def prove(resource, path: Path, checked: CsvCheck, proven: dict[str, Proof] | None = None) -> Proof | None:
    """The rows of the frictionless tabular ``resource`` (whose file is ``path``, checked by
    ``csv_checks`` as ``checked``) when they are proven valid; None when frictionless must decide.
    ``proven``: the resources of the package proven so far, by name, which foreign keys may name."""
    if not _plain_resource(resource, checked):
        return None
    schema = resource.schema
    fields = list(schema.fields)
    missing_values = _plain_schema(schema, fields)
    if missing_values is None or not all(_plain_field(f) for f in fields):
        return None
    references = _references(resource, proven or {})
    if references is None:
        return None
    try:  # only a build with a large resource pays for the import; without pyarrow, no fast path
        for module in ("pyarrow", "pyarrow.compute", "pyarrow.csv"):
            importlib.import_module(module)
    except ImportError:
        return None
    if not _plain_bytes(path, checked, one_column=len(fields) == 1):
        return None
    try:
        return _read_and_check(resource, path, checked, missing_values, references)
    finally:
        release_memory()


def release_memory() -> None:
    """Give back to the system what pyarrow freed: its allocator keeps freed memory for reuse, and the
    copies made while checking or aggregating millions of cells were most of a build's peak memory."""
    import pyarrow as pa
    pa.default_memory_pool().release_unused()


def _read_and_check(resource, path: Path, checked: CsvCheck, missing_values: list[str],
                    references: list) -> Proof | None:
    """``prove``'s reading of the file and checking of its columns, once the resource is plain."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    schema = resource.schema
    fields = list(schema.fields)
    names = [f.name for f in fields]
    try:
        read = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(use_threads=True, autogenerate_column_names=True),
            parse_options=pcsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                                            newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(len(names))},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, OSError, ValueError):
        return None  # a record of another width, an empty file...: frictionless says what
    if read.num_columns != len(names) or read.num_rows == 0:
        return None
    header = [read.column(i)[0].as_py() for i in range(len(names))]
    if header != names:
        return None
    body = read.slice(1)
    if checked.records is not None and checked.records != read.num_rows:
        return None  # the two readers split the records differently
    columns = [body.column(i) for i in range(len(names))]  # chunked as read: combining them would copy
    del read, body
    missing = [pc.is_in(column, value_set=pa.array(missing_values, pa.string())) for column in columns]
    if _blank_row(missing):
        return None
    typed = _typed_columns(fields, columns, missing, set(schema.primary_key))
    del columns, missing
    if typed is None or not _unique_keys(schema, fields, typed):
        return None
    index = {f.name: i for i, f in enumerate(fields)}
    for name, other, target in references:
        allowed = typed[index[target]] if other is None else other.column(target)
        if not _all(pc.is_in(pc.drop_null(typed[index[name]]), value_set=one_array(pc.drop_null(allowed)))):
            return None
    rows = ColumnRows(tuple(names), tuple(f.type for f in fields), tuple(typed))
    return Proof(tables.table_of(resource, rows, range(2, len(rows) + 2)))


class ColumnRows(collections.abc.Sequence):
    """The rows of a proven table, kept as its typed pyarrow columns. A row is made as the dict
    frictionless gives (``Decimal`` numbers, ``date`` days) only when it is asked for, a batch at a
    time: a stage that reads every row once (the chart's data) never holds a million dicts, which took
    about 900 MB, and validation does not pay for rows it does not read. It compares equal to any
    sequence of the same rows, and pickles as its columns (validation runs in a process pool)."""

    BATCH = 65_536

    def __init__(self, names: tuple[str, ...], types: tuple[str, ...], columns: tuple):
        self.names, self.types, self.columns = names, types, columns
        self._length = len(columns[0]) if columns else 0

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return tuple(self[i] for i in range(start, stop, step))
            return tuple(self._rows(start, max(start, stop)))
        position = index + self._length if index < 0 else index
        if not 0 <= position < self._length:
            raise IndexError("row index out of range")
        return self._rows(position, position + 1)[0]

    def __iter__(self):
        for start in range(0, self._length, self.BATCH):
            yield from self._rows(start, min(self._length, start + self.BATCH))

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if not isinstance(other, collections.abc.Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(other) == self._length and all(a == b for a, b in zip(self, other))

    __hash__ = None  # like a list: the rows are dicts

    def __repr__(self) -> str:
        return f"<ColumnRows: {self._length:,} rows of {', '.join(self.names)}>"

    def column(self, name: str) -> list:
        """Every value of one column, as the rows would give it."""
        return python_values(self.type_of(name), self.array(name))

    def array(self, name: str):
        """The pyarrow array of one column."""
        return self.columns[self.names.index(name)]

    def type_of(self, name: str) -> str | None:
        """The Table Schema type of one column; None when the table has no such column."""
        return self.types[self.names.index(name)] if name in self.names else None

    def _rows(self, start: int, stop: int) -> list[dict]:
        values = [python_values(kind, column.slice(start, stop - start)) for kind, column in zip(self.types, self.columns)]
        return list(map(dict, map(zip, itertools.repeat(self.names), zip(*values))))  # a fifth faster than a loop


# --- what the fast path reads the same way as frictionless ---------------------------------------

def _plain_resource(resource, checked: CsvCheck) -> bool:
    descriptor = resource.to_descriptor()
    if not isinstance(descriptor.get("path"), str) or descriptor.get("compression") or descriptor.get("innerpath"):
        return False
    if (descriptor.get("format") or Path(descriptor["path"]).suffix.lstrip(".")).lower() != "csv":
        return False
    if any(key in descriptor for key in ("hash", "bytes", "stats", "data")):
        return False
    dialect = descriptor.get("dialect") or {}
    if not isinstance(dialect, dict) or any(_DIALECT.get(k, object()) != v for k, v in dialect.items()):
        return False
    arguments = checked.arguments
    return (not checked.issues and checked.readable and checked.codec == "utf-8" and arguments is not None
            and arguments.get("delimiter") == "," and arguments.get("quotechar") == '"'
            and arguments.get("escapechar") is None and arguments.get("doublequote")
            and not arguments.get("skipinitialspace"))


def _plain_field(field) -> bool:
    descriptor = field.to_descriptor()
    kind = descriptor.get("type", "string")
    if kind not in _CONSTRAINTS or descriptor.get("format", "default") != "default":
        return False
    if set(descriptor) - _FIELD_OPTIONS:  # missingValues, trueValues, bareNumber, groupChar...
        return False
    constraints = descriptor.get("constraints") or {}
    if set(constraints) - _CONSTRAINTS[kind]:
        return False
    for bound in ("minimum", "maximum"):
        if bound in constraints and (type(constraints[bound]) is not int):
            return False
    enum = constraints.get("enum")
    if enum is not None and not (isinstance(enum, list) and all(isinstance(v, str) for v in enum)):
        return False
    pattern = constraints.get("pattern")
    return pattern is None or (isinstance(pattern, str) and _SAFE_PATTERN.fullmatch(pattern) is not None)


# A pattern that pyarrow's RE2, matching the whole cell, accepts only where frictionless's Python
# ``re.match("^PATTERN$")`` accepts too: literals, classes of literals and ranges, the ASCII classes
# \d \w \s (narrower in RE2 than in Python, never wider), groups and quantifiers. No alternation
# (Python's "^a|b$" is not "^(?:a|b)$"), no anchors, no negated class, no back-reference or lookaround.
_LITERAL = r"[A-Za-z0-9 _\-,;:'\"/@#%&=<>!~]|\\[.\-\\/+*?()\[\]{}dws]"
_SAFE_PATTERN = re.compile(
    rf"(?:{_LITERAL}|\[(?:[A-Za-z0-9 _.,]|[A-Za-z0-9]-[A-Za-z0-9]|\\[.\-\\\[\]dws]|-(?=\]))+\]"
    rf"|\((?!\?)|\(\?:|\)|\.|(?<!\()[?*+]|\{{\d+(?:,\d*)?\}})*")  # "(?i)", "(?=", "(?P<": not the same


def _plain_schema(schema, fields) -> list[str] | None:
    """The schema's missing values, when the schema has only what the fast path checks: its fields
    (named once each), a primary key of them, missing values given as text, and foreign keys."""
    descriptor = schema.to_descriptor()
    if set(descriptor) - {"fields", "primaryKey", "missingValues", "foreignKeys"}:  # fieldsMatch, uniqueKeys...
        return None
    types = {f.name: f.type for f in fields}
    if not fields or len(types) != len(fields) or not all(name in types for name in schema.primary_key):
        return None
    if any(types[name] == "number" for name in schema.primary_key):
        return None  # numbers stay text here, and "1.0" repeats "1.00" for frictionless (red-team review)
    values = descriptor.get("missingValues", [""])
    return values if isinstance(values, list) and all(isinstance(v, str) for v in values) else None


def _plain_bytes(path: Path, checked: CsvCheck, one_column: bool = False) -> bool:
    """No byte-order mark, no carriage return other than before a line feed, when the file has
    quotes a count of records from ``csv_checks`` to compare with pyarrow's, and in a file of one
    column no empty line (Python's reader gives it no cell, a blank row; pyarrow one empty cell)."""
    quoted = False
    try:
        with open(path, "rb") as file:  # read a chunk at a time: a mapped file would count in the peak memory
            first = file.read(CHUNK)
            if not first or first.startswith(b"\xef\xbb\xbf"):
                return False
            chunk = first
            while chunk:
                following = file.read(CHUNK)
                # A carriage return at the end of a chunk is followed by the next chunk's first byte.
                if _LONE_CR.search(chunk + following[:1] if chunk.endswith(b"\r") else chunk):
                    return False
                if one_column and _EMPTY_LINE.search(chunk + following[:2]):
                    return False
                quoted = quoted or b'"' in chunk
                chunk = following
    except OSError:
        return False
    return checked.records is not None or not quoted


def _references(resource, proven: dict[str, Proof]) -> list[tuple[str, Proof | None, str]] | None:
    """Each foreign key as (field, the proof of the resource it names, or None for this resource,
    the field named there): one field each, of the same type, naming a resource proven already or
    this one. None when a key is of another kind: frictionless checks those."""
    found = []
    types = {f.name: f.type for f in resource.schema.fields}
    for key in resource.schema.foreign_keys:
        fields, reference = key.get("fields"), key.get("reference") or {}
        target, other = reference.get("fields"), reference.get("resource")
        if not (isinstance(fields, list) and isinstance(target, list) and len(fields) == len(target) == 1
                and isinstance(other, str) and fields[0] in types):
            return None
        itself = _names_itself(resource, reference)
        source = None if itself else proven.get(other)
        named = types.get(target[0]) if source is None else getattr(source.table.field(target[0]), "type", None)
        if (source is None and not itself) or named != types[fields[0]] or named == "number":
            return None  # numbers stay text here, and "1.0" is "1.00" to frictionless: it compares them
        found.append((fields[0], source, target[0]))
    return found


def refers_elsewhere(resource) -> bool:
    """Whether a foreign key of the resource names another resource (which must be proven first)."""
    return any(not _names_itself(resource, k.get("reference") or {})
               for k in resource.schema.foreign_keys if isinstance(k, dict))


def _names_itself(resource, reference: dict) -> bool:
    """Whether a foreign key's reference is to its own resource (named, or "" as the standard allows)."""
    return reference.get("resource") in ("", resource.name)


# --- the checks, a column at a time ----------------------------------------------------------------

def _typed_columns(fields, columns, masks, key: set[str]) -> list | None:
    """Each column as pyarrow values of its type, missing cells (``masks``) null; None when a cell is
    not plain or breaks a constraint. Takes the text ``columns`` out of their list as it goes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    typed = []
    for n, (field, missing) in enumerate(zip(fields, masks)):
        column, columns[n] = columns[n], None  # the text column is let go once typed: a copy less held
        constraints = field.constraints or {}
        any_missing = pc.any(missing).as_py()
        if (constraints.get("required") or field.name in key) and any_missing:
            return None
        # Nulling the missing cells copies the column: only done when a cell is missing.
        nulled = pc.if_else(missing, None, column) if any_missing else column
        present = pc.drop_null(nulled) if any_missing else column
        try:
            if field.type == "integer":
                if not _all(pc.match_substring_regex(present, _INTEGER)):
                    return None
                values = pc.cast(present, pa.int64())
                if "minimum" in constraints and len(values) and pc.min(values).as_py() < constraints["minimum"]:
                    return None
                if "maximum" in constraints and len(values) and pc.max(values).as_py() > constraints["maximum"]:
                    return None
                out = pc.cast(nulled, pa.int64())
            elif field.type == "number":
                if not _all(pc.match_substring_regex(present, _NUMBER)):
                    return None
                out = nulled
            elif field.type == "date":
                if not _all(pc.match_substring_regex(present, _DATE)) or pc.any(pc.starts_with(present, "0000")).as_py():
                    return None
                out = pc.cast(nulled, pa.date32())
            elif field.type == "boolean":
                if not _all(pc.is_in(present, value_set=pa.array(_TRUE + _FALSE))):
                    return None
                out = pc.if_else(missing, None, pc.is_in(column, value_set=pa.array(_TRUE)))
            else:
                if "enum" in constraints and not _all(pc.is_in(present, value_set=pa.array(constraints["enum"],
                                                                                            pa.string()))):
                    return None
                if "pattern" in constraints and not _all(pc.match_substring_regex(
                        present, f"^(?:{constraints['pattern']})$")):
                    return None
                out = nulled
        except (pa.ArrowException, ValueError, OverflowError):
            return None
        if constraints.get("unique") and _repeated([out]):
            return None
        typed.append(out)
    return typed


def one_array(values):
    """A pyarrow array from a chunked one (a ``value_set`` must be one array; a chunked one is copied)."""
    return values.combine_chunks() if hasattr(values, "combine_chunks") else values


def _all(mask) -> bool:
    import pyarrow.compute as pc
    return len(mask) == 0 or bool(pc.all(mask).as_py())


def _blank_row(masks) -> bool:
    """Whether a row has every cell missing (frictionless reports it as a blank row)."""
    import pyarrow.compute as pc
    blank = masks[0]
    for mask in masks[1:]:
        blank = pc.and_(blank, mask)
    return bool(pc.any(blank).as_py())


def _unique_keys(schema, fields, typed) -> bool:
    """No primary key repeated (its cells are never missing: ``_typed_columns`` saw to that)."""
    key = list(schema.primary_key)
    if not key:
        return True
    index = {f.name: i for i, f in enumerate(fields)}
    if len(key) == 1 and (fields[index[key[0]]].constraints or {}).get("unique"):
        return True  # ``_typed_columns`` looked for repeats already
    return not _repeated([typed[index[name]] for name in key])


def _repeated(columns: list) -> bool:
    """Whether a value of the column (or a combination of the columns' values) comes twice, missing
    cells aside: the rows sorted, then each compared with the next. Hashing them instead (pyarrow's
    ``count_distinct``) took four times the memory and five times the time: 750 MB for 5,000,000 ids."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if len(columns[0]) < 2:
        return False
    names = [f"k{n}" for n in range(len(columns))]
    order = pc.sort_indices(pa.table(dict(zip(names, columns))), sort_keys=[(n, "ascending") for n in names])
    same = None
    for column in columns:
        ordered = column.take(order)
        equal = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))  # null beside a missing cell
        same = equal if same is None else pc.and_(same, equal)
    return bool(pc.any(same).as_py())  # nulls skipped: a missing cell repeats nothing


def python_values(kind: str, column) -> list:
    """A typed column's cells as the Python values frictionless gives (numbers, kept as text, as
    ``Decimal``; a missing cell is null)."""
    if kind == "number":
        return [None if s is None else Decimal(s) for s in column.to_pylist()]
    if kind == "date":  # pyarrow makes dates one by one in Python: five times slower than this
        import pyarrow as pa
        made: dict = {None: None}  # a day repeated is one object
        return [made[d] if d in made else made.setdefault(d, dt.date.fromordinal(d + _EPOCH))
                for d in column.cast(pa.int32()).to_pylist()]
    return column.to_pylist()


_EPOCH = dt.date(1970, 1, 1).toordinal()  # date32 counts days from 1970-01-01
