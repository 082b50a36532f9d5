"""What an import tells the user about bad input (DESIGN §4).

A :class:`RowError` names the line (as a spreadsheet numbers rows: the header is line 1),
the column as the file spells it, and the reason. A problem with the file as a whole (not
CSV or XLSX, empty, no header, a required column missing, undecodable bytes) is an
:class:`ImportFileError`, raised before any row is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How many row errors are kept in full; the rest are counted. A file where every one of
# five million lines is bad must not exhaust memory on its own error list.
MAX_KEPT_ERRORS = 10_000


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad line: where it is and why it was refused."""

    line: int
    column: str
    reason: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason, "code": self.code}


class ImportFileError(Exception):
    """The file cannot be imported at all; the message says why and what to do."""

    code = "file"

    def __init__(self, message: str, *, code: str = "file"):
        super().__init__(message)
        self.code = code


class FieldError(ValueError):
    """A value that does not parse; the caller adds the line (and the column, unless
    ``field`` names it already)."""

    def __init__(self, reason: str, code: str = "invalid", *, field: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.field = field


@dataclass
class ErrorLog:
    """Row errors of one import, in the order found; keeps the first ``limit`` in full."""

    limit: int = MAX_KEPT_ERRORS
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    bad_lines: int = 0
    _lines: set[int] = field(default_factory=set)

    def add(self, error: RowError) -> None:
        self.total += 1
        if error.line not in self._lines:
            self._lines.add(error.line)
            self.bad_lines += 1
        if len(self.errors) < self.limit:
            self.errors.append(error)

    def has_line(self, line: int) -> bool:
        return line in self._lines

    def __bool__(self) -> bool:
        return self.total > 0

    def sorted(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.line, e.column))
