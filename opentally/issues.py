"""The values every stage uses to say what is wrong with the input.

Validation never raises for bad data: it returns ``Issue`` values, so that a contributor sees every
problem at once, and the command line decides how to fail. ``BuildError`` is for the few faults that
stop a stage outright; the command line prints it as one line, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem in the input.

    ``code`` is stable and documented (see the README), ``path`` is the file as the user would type
    it, ``row`` is the line of a CSV file (the header is row 1) or of a JSON file, ``field`` is a
    column name or a JSON pointer into a descriptor. ``hint`` says how to fix it.
    """

    code: str
    severity: Severity
    path: str
    message: str
    hint: str = ""
    row: int | None = None
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        return f"{self.path}:{self.row}" if self.row is not None else self.path

    def as_error(self) -> Issue:
        """The same issue raised to an error (``--strict``)."""
        return Issue(self.code, Severity.ERROR, self.path, self.message, self.hint, self.row, self.field)

    @classmethod
    def from_dict(cls, d: dict) -> Issue:
        """The issue ``to_dict`` wrote."""
        return cls(d["code"], Severity(d["severity"]), d["path"], d["message"], d["hint"], d["row"], d["field"])

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "row": self.row,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


def pointer_part(key) -> str:
    """A key as one part of a JSON pointer (RFC 6901): "~" is written "~0" and "/" is written "~1"."""
    return str(key).replace("~", "~0").replace("/", "~1")


def error(code: str, path: str, message: str, hint: str = "", row: int | None = None,
          field: str | None = None) -> Issue:
    return Issue(code, Severity.ERROR, path, message, hint, row, field)


def warning(code: str, path: str, message: str, hint: str = "", row: int | None = None,
            field: str | None = None) -> Issue:
    return Issue(code, Severity.WARNING, path, message, hint, row, field)


class BuildError(Exception):
    """A fault that stops the build; shown to the user as ``path:line: message``."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        text = f"{where}{self.message}"
        return f"{text}\n  how to fix: {self.hint}" if self.hint else text
