"""Read a contributor's JSON strictly: one meaning for every file, or a problem with its line.

Python's ``json`` accepts what JSON does not (``NaN``, ``Infinity``, ``-Infinity``), lets the last
of two equal keys win silently (another reader may take the first), and fails with a
``RecursionError`` on very deep nesting. A descriptor that two readers understand differently can
pass validation and be published wrong, so every JSON file the project reads from a contributor
(``datapackage.json``, a schema or dialect file a descriptor names) goes through ``parse``:

* ``parse(data, soft=None)`` takes the file's bytes (or its text) and returns the value, as
  ``json.loads`` would. It raises ``JsonProblem`` for the first problem found, in the order of the
  file, with a stable ``code``, the 1-based ``line`` (and ``column``) where it is, the JSON pointer
  (``pointer``) of the value when there is one, a message in plain words and a ``hint``.
  ``JsonProblem.issue(path)`` turns it into an ``Issue``. When a list is given as ``soft``, the
  problems that leave the meaning of the file clear (``control-character``) are appended to it,
  every one of them, instead of being raised, and the value is returned.
* ``read(path)`` reads a file for ``parse`` without reading more than ``MAX_BYTES`` of it.

Before the text reaches ``json.loads``, a small tokenizer (a regular expression, so one Python step
per token, not per character) checks the grammar and refuses:

=====================  ===================================================================
``json-too-large``     the file is over ``MAX_BYTES`` (10 MB)
``json-too-deep``      objects and arrays nested more than ``MAX_DEPTH`` (100) levels deep
``duplicate-key``      the same key twice in one object (the line is the second one's)
``json-number``        ``NaN``, ``Infinity`` or ``-Infinity``, a number too large for a float
                       (``1e999`` would become infinity) or an integer of more than 4,300 digits
``control-character``  a string (or key) holding a C0 control character other than tab, line
                       feed and carriage return (written as an escape such as ``\\u0000``; a raw
                       one is already a syntax error): it breaks the pages and charts built from it
``lone-surrogate``     a string holding half of a UTF-16 surrogate pair (``\\ud800`` alone): it
                       cannot be written as UTF-8
``descriptor-json``    any other syntax error, with ``json``'s own words, line and column
``descriptor-encoding``  the bytes are not UTF-8 (a byte-order mark is allowed)
=====================  ===================================================================
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .issues import Issue, error, pointer_part

MAX_BYTES = 10_000_000  # 10 MB: a descriptor describes files, it does not hold their data
MAX_DEPTH = 100  # levels of nested objects and arrays
MAX_INTEGER_DIGITS = 4300  # Python's own limit on converting digits to an int

# Characters no text of the site may hold: C0 controls but tab, LF and CR; lone UTF-16 surrogates.
# Characters a page or a drawing cannot carry: C0 controls but tab, line feed and carriage return, and
# U+FFFE and U+FFFF, which XML forbids (vl-convert refused to draw a label holding one).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_BAD = re.compile(r"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})")

_TOKEN = re.compile(r"""
    [ \t\n\r]*
    (?:
        (?P<string>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*+")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![0-9A-Za-z_.]))
      | (?P<punct>[{}\[\]:,])
      | (?P<word>-?[A-Za-z_][A-Za-z0-9_]*)
    )""", re.X)
_SPACE = re.compile(r"[ \t\n\r]*")
_LITERALS = {"true", "false", "null"}
_NOT_NUMBERS = {"NaN", "Infinity", "-Infinity", "-NaN"}

# What the scanner may meet next.
_VALUE, _FIRST_VALUE, _KEY, _FIRST_KEY, _COLON, _AFTER_VALUE, _DONE = range(7)

_SYNTAX_HINT = "check for a missing comma or quote, or a trailing comma, at or just before that place"


class JsonProblem(ValueError):
    """Why a JSON file cannot be read with one meaning, and where (``line`` is 1-based; None when unknown)."""

    def __init__(self, code: str, message: str, line: int | None, hint: str, column: int | None = None,
                 pointer: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        self.pointer = pointer

    def issue(self, path: str) -> Issue:
        """The problem as an error on ``path``: ``row`` is the line, ``field`` the JSON pointer."""
        return error(self.code, path, self.message, self.hint, row=self.line, field=self.pointer)


def read(path: Path) -> bytes:
    """The bytes of ``path``, refusing (``json-too-large``) a file over ``MAX_BYTES`` without reading it all.

    ``OSError`` (a missing or unreadable file) is left to the caller.
    """
    with open(path, "rb") as file:
        data = file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise _too_large(os.fstat(file.fileno()).st_size)
    return data


def parse(data: bytes | str, soft: list[JsonProblem] | None = None) -> object:
    """The JSON value ``data`` holds; ``JsonProblem`` when it is not one strict, unambiguous JSON text.

    With ``soft``, control characters in strings are appended to it rather than raised.
    """
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_BYTES:
            raise _too_large(len(data))
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise JsonProblem("descriptor-encoding",
                              f"the file is not UTF-8 text (byte {exc.start} cannot be read)", line,
                              "save the file as UTF-8 (in most editors: Save As, encoding UTF-8)") from None
    else:
        text = data[1:] if data.startswith("\ufeff") else data
        if len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise _too_large(len(text.encode("utf-8", "surrogatepass")))
    _scan(text, soft)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # the scan and json disagree: never expected
        raise JsonProblem("descriptor-json", f"the file is not valid JSON: {exc}", None, _SYNTAX_HINT) from None


def _too_large(size: int) -> JsonProblem:
    return JsonProblem("json-too-large",
                       f"the file is {size / 1e6:,.1f} MB, over the {MAX_BYTES / 1e6:,.0f} MB a JSON descriptor may be",
                       None, "keep data in CSV files that the descriptor names: a descriptor describes them, "
                             "and needs only a few kilobytes")


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _column(text: str, position: int) -> int:
    return position - text.rfind("\n", 0, position)


def _pointer(stack: list, key: str | None = None) -> str:
    parts = [pointer_part(frame[2]) if frame[0] else str(frame[2]) for frame in stack if frame[2] is not None]
    if key is not None:
        parts.append(pointer_part(key))
    return "".join(f"/{p}" for p in parts)


def _decode(token: str) -> str:
    return json.loads(token) if "\\" in token else token[1:-1]


def _scan(text: str, soft: list[JsonProblem] | None) -> None:
    """Check ``text`` token by token; raise ``JsonProblem`` at the first problem."""
    # A frame: [is_object, {key: position} or None, current key or index].
    stack: list[list] = []
    expect = _VALUE
    position = 0
    end = len(text)
    match = _TOKEN.match
    while True:
        found = match(text, position)
        if found is None:
            after = _SPACE.match(text, position).end()
            if after == end and expect == _DONE:
                return
            _syntax(text, after, stack)
        kind = found.lastgroup
        start = found.start(kind)
        token = found.group(kind)
        position = found.end()
        if expect == _DONE:
            _syntax(text, start, stack)
        if kind == "punct":
            if token in "{[":
                if expect not in (_VALUE, _FIRST_VALUE):
                    _syntax(text, start, stack)
                if len(stack) >= MAX_DEPTH:
                    raise JsonProblem("json-too-deep",
                                      f"objects and arrays are nested more than {MAX_DEPTH} levels deep here "
                                      f"(line {_line(text, start)})",
                                      _line(text, start),
                                      "a descriptor needs only a few levels: remove the extra brackets",
                                      _column(text, start))
                if token == "{":
                    stack.append([True, {}, None])
                    expect = _FIRST_KEY
                else:
                    stack.append([False, None, 0])
                    expect = _FIRST_VALUE
            elif token in "}]":
                closes_object = token == "}"
                if not stack or stack[-1][0] != closes_object:
                    _syntax(text, start, stack)
                if expect not in ((_FIRST_KEY, _AFTER_VALUE) if closes_object else (_FIRST_VALUE, _AFTER_VALUE)):
                    _syntax(text, start, stack)
                stack.pop()
                expect = _AFTER_VALUE if stack else _DONE
            elif token == ":":
                if expect != _COLON:
                    _syntax(text, start, stack)
                expect = _VALUE
            else:  # ","
                if expect != _AFTER_VALUE or not stack:
                    _syntax(text, start, stack)
                if stack[-1][0]:
                    expect = _KEY
                else:
                    stack[-1][2] += 1
                    expect = _VALUE
            continue
        if expect in (_KEY, _FIRST_KEY):
            if kind != "string":
                _syntax(text, start, stack)
            key = _decode(token)
            frame = stack[-1]
            frame[2] = None  # the pointer of the object itself while its key is checked
            _check_string(text, start, token, key, stack, key, soft)
            if key in frame[1]:
                first = _line(text, frame[1][key])
                line = _line(text, start)
                raise JsonProblem("duplicate-key",
                                  f'the key "{key}" is given twice in the same object (line {first} and line {line}): '
                                  "JSON readers differ on which one counts",
                                  line, f'keep one "{key}" and delete the other', _column(text, start),
                                  _pointer(stack, key))
            frame[1][key] = start
            frame[2] = key
            expect = _COLON
            continue
        if expect not in (_VALUE, _FIRST_VALUE):
            _syntax(text, start, stack)
        if kind == "string":
            if "\\u" in token:
                _check_string(text, start, token, _decode(token), stack, None, soft)
        elif kind == "number":
            _check_number(text, start, token, stack)
        elif token in _NOT_NUMBERS:
            raise JsonProblem("json-number",
                              f"{token} is not a number JSON allows (at {_pointer(stack) or 'the top'})",
                              _line(text, start),
                              "write the number with digits, e.g. 1000000, or leave the property out: JSON has no "
                              "NaN or Infinity (a limit that is not there is written by leaving it out)",
                              _column(text, start), _pointer(stack) or None)
        elif token not in _LITERALS:
            _syntax(text, start, stack)
        expect = _AFTER_VALUE if stack else _DONE


def _check_string(text: str, start: int, token: str, value: str, stack: list, key: str | None,
                  soft: list[JsonProblem] | None) -> None:
    """Refuse a control character or a lone surrogate in a string (``key`` when the string is a key)."""
    if "\\u" not in token or not _ESCAPED_BAD.search(token):
        return
    pointer = _pointer(stack, key) if key is not None else (_pointer(stack) or None)
    what = f"the key {json.dumps(key)}" if key is not None else "the text"
    bad = CONTROL.search(value)
    if bad:
        problem = JsonProblem("control-character",
                              f"{pointer or 'the top'}: {what} holds the control character "
                              f"{describe(bad.group())}, which pages and charts cannot show",
                              _line(text, start), "delete the character (it often comes with text pasted from "
                              "another program); write a line break as \\n and a tab as \\t",
                              _column(text, start), pointer)
        if soft is None:
            raise problem
        soft.append(problem)
    bad = _SURROGATE.search(value)
    if bad:
        raise JsonProblem("lone-surrogate",
                          f"{pointer or 'the top'}: {what} holds U+{ord(bad.group()):04X}, half of a "
                          "UTF-16 surrogate pair without its other half, which cannot be written as UTF-8",
                          _line(text, start), "write the character itself (the file is UTF-8), or both halves "
                          "of the pair, e.g. \\ud83d\\ude00",
                          _column(text, start), pointer)


def _check_number(text: str, start: int, token: str, stack: list) -> None:
    if len(token) < 16 and "e" not in token and "E" not in token:
        return
    too_large = False
    if "." in token or "e" in token or "E" in token:
        too_large = float(token) in (float("inf"), float("-inf"))
    elif len(token.lstrip("-")) > MAX_INTEGER_DIGITS:
        too_large = True
    if too_large:
        raise JsonProblem("json-number",
                          f"{token[:20]}{'...' if len(token) > 20 else ''} is too large a number to be read "
                          f"(at {_pointer(stack) or 'the top'})",
                          _line(text, start), "write a number a computer can hold (at most about 1.8e308), "
                          "or leave the property out", _column(text, start), _pointer(stack) or None)


def _syntax(text: str, position: int, stack: list):
    """Raise the syntax error at ``position`` in ``json``'s own words when it finds the same one."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonProblem("descriptor-json",
                          f"the file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                          exc.lineno, _SYNTAX_HINT, exc.colno) from None
    except (ValueError, RecursionError):
        pass
    line, column = _line(text, position), _column(text, position)
    shown = text[position:position + 12].split("\n")[0] or "the end of the file"
    raise JsonProblem("descriptor-json",
                      f"the file is not valid JSON: unexpected {shown!r} (line {line}, column {column})",
                      line, _SYNTAX_HINT, column)


def describe(char: str) -> str:
    """A character as its code point and name, e.g. ``U+0000 (NUL)``."""
    names = {0: "NUL", 7: "BEL, bell", 8: "BS, backspace", 9: "tab", 10: "LF, line feed", 11: "VT, vertical tab",
             12: "FF, form feed", 13: "CR, carriage return", 27: "ESC, escape", 127: "DEL"}
    code = ord(char)
    name = names.get(code, "a control character" if code < 32 else "a noncharacter" if code >= 0xFFFE else "")
    return f"U+{code:04X} ({name})" if name else f"U+{code:04X}"
