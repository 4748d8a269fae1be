"""Vega expressions, read as data: a parser and an allow-list.

A Vega-Lite spec carries expressions as strings (a ``calculate`` transform, a ``filter``, a
condition's ``test``, a parameter's ``expr``, ``{"expr": ...}`` in place of a value, an axis'
``labelExpr``). The reader's browser evaluates them with Vega's expression interpreter, and the build
with vl-convert. The language is a subset of JavaScript expressions; Vega's own checks stop
statements and assignments, but not every call or every name a hostile contributor could try. So each
expression is parsed here into a syntax tree, and ``expression_problems`` checks it against a short
allow-list:

* names: only ``datum`` (the row), the constants ``CONSTANTS`` (PI, E, ...) and the names of the
  chart's own parameters; never ``this``, ``event``, ``window`` or any other global;
* member access: ``datum.a``, ``datum["a b"]`` and ``datum[0]``; never a computed key that is not a
  literal, and never ``constructor``, ``prototype`` or a name that starts with ``__``;
* calls: only to the pure functions in ``FUNCTIONS`` (numbers, text, dates, formatting, type
  checks), called by name; nothing that reads data sources, scales, the page, the pointer or the
  window, changes state, logs, draws at random or builds unbounded arrays or text;
* no regular expressions, ``in``, ``instanceof``, ``typeof``, ``new``, assignments, commas;
* at most ``MAX_LENGTH`` characters and ``MAX_DEPTH`` levels of nesting.

The grammar follows vega-expression's parser (itself from Esprima): literals, names, member access,
calls, unary ``+ - ! ~``, binary and logical operators with JavaScript's precedence, the ternary
operator, array and object literals. Whatever Vega would refuse, this refuses too; a text that cannot
be read is a problem, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_LENGTH = 1_000
MAX_DEPTH = 32

# Vega's constants (vega-expression constants.js).
CONSTANTS = frozenset({"NaN", "E", "LN2", "LN10", "LOG2E", "LOG10E", "PI", "SQRT1_2", "SQRT2",
                       "MIN_VALUE", "MAX_VALUE"})

# Pure functions of the Vega expression language (https://vega.github.io/vega/docs/expressions/),
# each checked against the Vega that vl-convert 1.9 bundles (tests/test_view_safety.py draws them).
FUNCTIONS = {
    "numbers": ("isNaN", "isFinite", "abs", "acos", "asin", "atan", "atan2", "ceil", "clamp", "cos",
                "exp", "floor", "hypot", "log", "max", "min", "pow", "round", "sin", "sqrt", "tan",
                "lerp"),
    "statistics": ("cumulativeNormal", "cumulativeLogNormal", "cumulativeUniform", "densityNormal",
                   "densityLogNormal", "densityUniform", "quantileNormal", "quantileLogNormal",
                   "quantileUniform"),
    "dates and times": ("datetime", "date", "day", "dayofyear", "year", "quarter", "month", "week",
                        "hours", "minutes", "seconds", "milliseconds", "time", "timezoneoffset",
                        "timeOffset", "utc", "utcdate", "utcday", "utcdayofyear", "utcyear",
                        "utcquarter", "utcmonth", "utcweek", "utchours", "utcminutes", "utcseconds",
                        "utcmilliseconds", "utcOffset"),
    "formatting": ("format", "utcFormat", "timeFormat", "timeParse", "utcParse", "monthFormat",
                   "monthAbbrevFormat", "dayFormat", "dayAbbrevFormat"),
    "types": ("isArray", "isBoolean", "isDate", "isDefined", "isNumber", "isObject", "isRegExp",
              "isString", "isValid", "toBoolean", "toDate", "toNumber", "toString"),
    "text and lists": ("indexof", "lastindexof", "length", "join", "reverse", "slice", "parseFloat",
                       "parseInt", "upper", "lower", "substring", "split", "replace", "trim",
                       "truncate", "extent", "clampRange", "inrange", "peek", "span"),
    "colours": ("rgb", "hsl", "lab", "hcl", "luminance", "contrast"),
    "choice": ("if",),
}
ALLOWED_FUNCTIONS = frozenset(name for names in FUNCTIONS.values() for name in names)

# Names an expression may never read as a property or write as an object key.
FORBIDDEN_MEMBERS = frozenset({"constructor", "prototype"})

# Names refused with a reason of their own (any other unknown name gets the general message).
_NAMED_REFUSALS = {
    "this": "the function context",
    "event": "the pointer or keyboard event",
    "item": "the scene graph item under the pointer",
    "window": "the browser window",
    "document": "the page",
    "globalThis": "the browser's globals",
    "self": "the browser's globals",
    "undefined": "a name that is not a constant in Vega (use isDefined(...) or isValid(...))",
}

# Reserved words (ES5 and its strict mode): Vega refuses them, apart from "if" (a function) and
# "this" (a name, refused here as a name).
_KEYWORDS = frozenset("""break case catch class const continue debugger default delete do else enum export
extends finally for function import in instanceof let new return super switch throw try typeof var void
while with yield implements interface package private protected public static""".split())
_PUNCTUATORS = (">>>=", "===", "!==", ">>>", "<<=", ">>=", "**=", "==", "!=", "<=", ">=", "&&", "||", "++", "--",
                "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "=>", "**", "...", "{", "}", "(", ")",
                "[", "]", ".", ";", ",", "<", ">", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "?", ":", "=")
_PRECEDENCE = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "===": 6, "!==": 6,
               "<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, ">>>": 8, "+": 9, "-": 9,
               "*": 11, "/": 11, "%": 11}
_UNARY = ("+", "-", "!", "~")
_WHITESPACE = frozenset("\t\v\f \xa0\ufeff\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                        "\u2009\u200a\u202f\u205f\u3000")
_LINE_TERMINATORS = frozenset("\n\r\u2028\u2029")
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}


# --- the syntax tree -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    value: object  # str, float, bool or None


@dataclass(frozen=True)
class Identifier:
    name: str


@dataclass(frozen=True)
class Member:
    object: Node
    property: Node  # an Identifier when not computed
    computed: bool


@dataclass(frozen=True)
class Call:
    callee: Node
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    operator: str
    argument: Node


@dataclass(frozen=True)
class Binary:
    operator: str  # "||" and "&&" too: Vega calls those LogicalExpression
    left: Node
    right: Node


@dataclass(frozen=True)
class Conditional:
    test: Node
    consequent: Node
    alternate: Node


@dataclass(frozen=True)
class Array:
    elements: tuple[Node | None, ...]


@dataclass(frozen=True)
class Object:
    properties: tuple[tuple[str, Node], ...]  # (key as text, value)


Node = Literal | Identifier | Member | Call | Unary | Binary | Conditional | Array | Object


class ExpressionSyntaxError(ValueError):
    """The text is not an expression Vega can read (or uses syntax this project refuses)."""


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "keyword", "number", "string", "punctuator", "end"
    value: object
    start: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while True:
        i = _skip_space(text, i)
        if i >= n:
            tokens.append(_Token("end", None, n))
            return tokens
        ch = text[i]
        if ch == "\\":
            raise ExpressionSyntaxError(f"a backslash outside quotes, at character {i + 1}")
        if _name_start(ch):
            j = i + 1
            while j < n and (_name_part(text[j]) or text[j] == "\\"):
                if text[j] == "\\":
                    raise ExpressionSyntaxError(f"an escape inside a name, at character {j + 1}: write the name plainly")
                j += 1
            word = text[i:j]
            kind = "keyword" if word in _KEYWORDS else "name"
            tokens.append(_Token(kind, word, i))
            i = j
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            match = _NUMBER.match(text, i)
            raw = match.group(0)
            end = match.end()
            if (len(raw) > 1 and raw[0] == "0" and raw[1].isdigit()) or (end < n and (_name_start(text[end]) or text[end].isdigit())):
                raise ExpressionSyntaxError(f"a number Vega cannot read, at character {i + 1}")
            value = float(int(raw, 16)) if raw[:2] in ("0x", "0X") else float(raw)
            tokens.append(_Token("number", value, i))
            i = end
        elif ch in "'\"":
            value, i_end = _string(text, i)
            tokens.append(_Token("string", value, i))
            i = i_end
        else:
            for p in _PUNCTUATORS:
                if text.startswith(p, i):
                    tokens.append(_Token("punctuator", p, i))
                    i += len(p)
                    break
            else:
                raise ExpressionSyntaxError(f"the character {ch!r} at character {i + 1}, which an expression cannot hold")


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE or ch in _LINE_TERMINATORS:
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] not in _LINE_TERMINATORS:
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ExpressionSyntaxError(f"a comment that is never closed, from character {i + 1}")
            i = end + 2
        else:
            break
    return i


def _name_start(ch: str) -> bool:
    return ch in "$_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z") or (ord(ch) > 127 and ch.isidentifier())


def _name_part(ch: str) -> bool:
    return _name_start(ch) or ch.isdigit() or (ord(ch) > 127 and ("a" + ch).isidentifier())


def _string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch in _LINE_TERMINATORS:
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i >= n:
            break
        esc = text[i]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 1
        elif esc in "xu":
            width = 2 if esc == "x" else 4
            if esc == "u" and text.startswith("{", i + 1):
                end = text.find("}", i + 2)
                digits = text[i + 2:end] if end > 0 else ""
                i_next = end + 1
            else:
                digits = text[i + 1:i + 1 + width]
                i_next = i + 1 + width
            if not digits or len(digits) > 6 or not all(c in "0123456789abcdefABCDEF" for c in digits) \
                    or (esc == "x" and len(digits) != 2) or int(digits, 16) > 0x10FFFF:
                raise ExpressionSyntaxError(f"an escape Vega cannot read, at character {i}")
            out.append(chr(int(digits, 16)))
            i = i_next
        elif esc.isdigit():
            if esc == "0" and not (i + 1 < n and text[i + 1].isdigit()):
                out.append("\0")
                i += 1
            else:
                raise ExpressionSyntaxError(f"an octal escape, at character {i}, which Vega refuses")
        elif esc in _LINE_TERMINATORS:
            i += 2 if text.startswith("\r\n", i) else 1
        else:
            out.append(esc)
            i += 1
    raise ExpressionSyntaxError(f"text in quotes that is never closed, from character {start + 1}")


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def next(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def is_punctuator(self, *values: str) -> bool:
        return self.token.kind == "punctuator" and self.token.value in values

    def expect(self, value: str) -> None:
        if not self.is_punctuator(value):
            raise self.unexpected(f'expected "{value}"')
        self.at += 1

    def unexpected(self, wanted: str = "") -> ExpressionSyntaxError:
        token = self.token
        what = ("the end of the expression" if token.kind == "end"
                else f'"{token.value}"' if token.kind in ("punctuator", "name", "keyword")
                else "a number" if token.kind == "number" else "text in quotes")
        place = f" at character {token.start + 1}" if token.kind != "end" else ""
        return ExpressionSyntaxError(f"{wanted + ', but found ' if wanted else 'unexpected '}{what}{place}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionSyntaxError(f"nested more than {MAX_DEPTH} levels deep")

    def parse(self) -> Node:
        node = self.conditional()
        if self.token.kind != "end":
            if self.is_punctuator(","):
                raise ExpressionSyntaxError(f"a comma at character {self.token.start + 1}: "
                                            "an expression is one value, not a list of them")
            if self.is_punctuator("=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "**="):
                raise ExpressionSyntaxError(f"an assignment at character {self.token.start + 1}: "
                                            "use === to compare")
            raise self.unexpected()
        return node

    def conditional(self) -> Node:
        self.enter()
        test = self.binary()
        if self.is_punctuator("?"):
            self.next()
            consequent = self.conditional()
            self.expect(":")
            alternate = self.conditional()
            test = Conditional(test, consequent, alternate)
        self.depth -= 1
        return test

    def binary(self) -> Node:
        # Precedence climbing, as Esprima's shift-reduce: left-associative at each level.
        stack: list = [self.unary()]
        while True:
            token = self.token
            if token.kind == "keyword" and token.value in ("in", "instanceof"):
                raise ExpressionSyntaxError(f'"{token.value}" at character {token.start + 1}, which an expression '
                                            "here may not use")
            prec = _PRECEDENCE.get(token.value) if token.kind == "punctuator" else None
            if prec is None:
                break
            while len(stack) > 2 and prec <= stack[-2][1]:
                right, (op, _), left = stack.pop(), stack.pop(), stack.pop()
                stack.append(Binary(op, left, right))
            self.next()
            stack.append((token.value, prec))
            stack.append(self.unary())
        while len(stack) > 1:
            right, (op, _), left = stack.pop(), stack.pop(), stack.pop()
            stack.append(Binary(op, left, right))
        return stack[0]

    def unary(self) -> Node:
        token = self.token
        if token.kind == "punctuator" and token.value in _UNARY:
            self.next()
            self.enter()
            node = Unary(token.value, self.unary())
            self.depth -= 1
            return node
        if token.kind == "punctuator" and token.value in ("++", "--"):
            raise ExpressionSyntaxError(f'"{token.value}" at character {token.start + 1}: an expression cannot change a value')
        if token.kind == "keyword" and token.value in ("typeof", "void", "delete", "new"):
            raise ExpressionSyntaxError(f'"{token.value}" at character {token.start + 1}, which Vega refuses')
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.is_punctuator("."):
                self.next()
                token = self.next()
                if token.kind not in ("name", "keyword"):
                    self.at -= 1
                    raise self.unexpected("expected a name after the dot")
                node = Member(node, Identifier(str(token.value)), computed=False)
            elif self.is_punctuator("["):
                self.next()
                self.enter()
                key = self.conditional()
                self.depth -= 1
                self.expect("]")
                node = Member(node, key, computed=True)
            elif self.is_punctuator("("):
                node = Call(node, self.arguments())
            else:
                break
            if self.is_punctuator("++", "--"):
                raise ExpressionSyntaxError(f'"{self.token.value}" at character {self.token.start + 1}: '
                                            "an expression cannot change a value")
        return node

    def arguments(self) -> tuple[Node, ...]:
        self.expect("(")
        self.enter()
        args = []
        while not self.is_punctuator(")"):
            args.append(self.conditional())
            if not self.is_punctuator(")"):
                self.expect(",")
        self.next()
        self.depth -= 1
        return tuple(args)

    def primary(self) -> Node:
        token = self.token
        if token.kind == "punctuator":
            if token.value == "(":
                self.next()
                self.enter()
                node = self.conditional()
                self.depth -= 1
                self.expect(")")
                return node
            if token.value == "[":
                return self.array()
            if token.value == "{":
                return self.object()
            if token.value in ("/", "/="):
                raise ExpressionSyntaxError(f"a regular expression at character {token.start + 1}, which an "
                                            "expression here may not use")
            raise self.unexpected()
        if token.kind == "name":
            self.next()
            if token.value in ("true", "false"):
                return Literal(token.value == "true")
            if token.value == "null":
                return Literal(None)
            return Identifier(str(token.value))
        if token.kind in ("number", "string"):
            self.next()
            return Literal(token.value)
        if token.kind == "keyword":
            raise ExpressionSyntaxError(f'"{token.value}" at character {token.start + 1}, which Vega refuses')
        raise self.unexpected()

    def array(self) -> Node:
        self.expect("[")
        self.enter()
        elements: list[Node | None] = []
        while not self.is_punctuator("]"):
            if self.is_punctuator(","):
                self.next()
                elements.append(None)
                continue
            elements.append(self.conditional())
            if not self.is_punctuator("]"):
                self.expect(",")
        self.next()
        self.depth -= 1
        return Array(tuple(elements))

    def object(self) -> Node:
        self.expect("{")
        self.enter()
        properties: list[tuple[str, Node]] = []
        seen: set[str] = set()
        while not self.is_punctuator("}"):
            token = self.next()
            if token.kind in ("name", "keyword", "string"):
                key = str(token.value)
            elif token.kind == "number":
                key = _number_text(token.value)
            else:
                self.at -= 1
                raise self.unexpected("expected a key")
            if key in seen:
                raise ExpressionSyntaxError(f'the key "{key}" twice in one object')
            seen.add(key)
            self.expect(":")
            properties.append((key, self.conditional()))
            if not self.is_punctuator("}"):
                self.expect(",")
        self.next()
        self.depth -= 1
        return Object(tuple(properties))


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def parse(text: str) -> Node:
    """The syntax tree of a Vega expression. Raises ``ExpressionSyntaxError`` for what Vega cannot read,
    and for the syntax this project refuses (regular expressions, ``in``, ``typeof``, escapes in names)."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression is text")
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(f"it is {len(text):,} characters long, more than {MAX_LENGTH:,}")
    if not text.strip():
        raise ExpressionSyntaxError("it is empty")
    return _Parser(text).parse()


# --- checking ------------------------------------------------------------------------------------

def expression_problems(text: object, names: Iterable[str] = ()) -> list[str]:
    """What is wrong with an expression, in plain words; an empty list when it may be used.

    ``names`` are the names, besides ``datum`` and the constants, that the expression may read: the
    parameters the chart declares.
    """
    try:
        tree = parse(text)  # type: ignore[arg-type]
    except ExpressionSyntaxError as exc:
        return [f"cannot be read: {exc}"]
    problems: list[str] = []
    try:
        _check(tree, frozenset(names), problems)
    except RecursionError:  # a chain of hundreds of operators or dots: no chart needs one
        return ["cannot be read: it is nested too deeply (a long chain of operators or dots)"]
    return list(dict.fromkeys(problems))


def _check(node: Node | None, names: frozenset[str], problems: list[str]) -> None:
    if node is None or isinstance(node, Literal):
        return
    if isinstance(node, Identifier):
        name = node.name
        if name == "datum" or name in CONSTANTS or (name in names and not _forbidden_member(name)):
            return
        if name in ALLOWED_FUNCTIONS:
            problems.append(f'uses the function "{name}" without calling it')
        elif name in _NAMED_REFUSALS:
            problems.append(f'reads "{name}" ({_NAMED_REFUSALS[name]}), which a chart expression may not use')
        else:
            problems.append(f'reads the name "{name}", which is not datum, a constant or a parameter of this chart')
    elif isinstance(node, Member):
        _check(node.object, names, problems)
        key = node.property
        if not node.computed:
            _check_member_name(key.name, problems)  # type: ignore[union-attr]
        elif isinstance(key, Literal) and isinstance(key.value, str):
            _check_member_name(key.value, problems)
        elif isinstance(key, Literal) and isinstance(key.value, float):
            pass
        else:
            problems.append("reads a property whose name is computed (write datum.name or datum[\"name\"])")
    elif isinstance(node, Call):
        callee = node.callee
        if not isinstance(callee, Identifier):
            problems.append("calls something that is not a function name (only functions such as "
                            "format(...) or toDate(...) may be called)")
            _check(callee, names, problems)
        elif callee.name not in ALLOWED_FUNCTIONS:
            problems.append(f'calls "{callee.name}", which is not one of the functions a chart may use')
        for arg in node.arguments:
            _check(arg, names, problems)
    elif isinstance(node, Unary):
        _check(node.argument, names, problems)
    elif isinstance(node, Binary):
        _check(node.left, names, problems)
        _check(node.right, names, problems)
    elif isinstance(node, Conditional):
        for part in (node.test, node.consequent, node.alternate):
            _check(part, names, problems)
    elif isinstance(node, Array):
        for element in node.elements:
            _check(element, names, problems)
    elif isinstance(node, Object):
        for key, value in node.properties:
            if _forbidden_member(key):
                problems.append(f'makes an object with the key "{key}", which a chart expression may not use')
            _check(value, names, problems)


def _forbidden_member(name: str) -> bool:
    return name in FORBIDDEN_MEMBERS or name.startswith("__")


def _check_member_name(name: str, problems: list[str]) -> None:
    if _forbidden_member(name):
        problems.append(f'reads the property "{name}", which a chart expression may not use')


def hint_for(problem: str) -> str:
    """How to fix one of ``expression_problems``' problems, in plain words."""
    if problem.startswith("calls") or problem.startswith("uses the function"):
        return "call a function by its name, and only one of these: " + allowed_functions_text()
    if problem.startswith("cannot be read"):
        if "long" in problem:
            return f"shorten the expression to at most {MAX_LENGTH:,} characters, or split it into several calculations"
        return ("write one Vega expression, e.g. datum.value * 100 or format(datum.value, ','): no assignments, "
                "statements, commas between expressions, regular expressions, typeof, new or in")
    if "computed" in problem or "property" in problem or "key" in problem:
        return 'read the row\'s fields by name: datum.value, or datum["a b"] for a name with spaces'
    return ('read only the row (datum.value, datum["a b"]), the constants ' + ", ".join(sorted(CONSTANTS)) +
            ', and the parameters the chart declares in "params"')


def allowed_functions_text() -> str:
    """The allow-list in words, for messages and documentation."""
    return "; ".join(f"{group}: {', '.join(names)}" for group, names in FUNCTIONS.items())
