"""Readers: a CSV or XLSX file as a header and a stream of rows (never loaded whole).

:func:`open_table` looks at the bytes, not only the name: an XLSX is a ZIP holding
``xl/workbook.xml``; anything else must decode as text. CSV encodings are detected from
the first MiB: a UTF-8 or UTF-16 byte-order mark, else strict UTF-8, else GB18030 (a
superset of GBK, what Chinese Excel writes); ``encoding=`` overrides the guess. The
delimiter is whichever of ``, ; TAB |`` the header line uses most.

Rows come as ``(line, values)``: ``line`` is the row number a spreadsheet shows (the
header is line 1), so an error message points where the user will look. Blank rows are
skipped. XLSX cells keep dates and datetimes as Python values; numbers become text
(``17850.0`` → ``"17850"``, ``12.5`` → ``"12.5"``) so that parsing has one path.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from catalog.importing.errors import ImportFileError

CHUNK_ROWS = 20_000
SAMPLE_BYTES = 1 << 20
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an Excel 97-2003 (.xls) or other OLE file",
}
Row = tuple[int, list]


class Table:
    """An open tabular file: ``header`` (list of str) and :meth:`chunks` of rows."""

    def __init__(self, path: Path, *, file_type: str, encoding: str | None = None):
        self.path = path
        self.file_type = file_type
        self.encoding = encoding
        self.delimiter = ","
        self.size = path.stat().st_size
        self.header: list[str] = []
        self._rows: Iterator[Row]
        self._position = lambda: 0.0
        self._closers: list = []
        if file_type == "xlsx":
            self._open_xlsx()
        else:
            self._open_csv()

    # -- CSV ---------------------------------------------------------------------------

    def _open_csv(self) -> None:
        raw = self.path.open("rb")
        self._closers.append(raw)  # until the wrapper below exists
        sample = raw.read(SAMPLE_BYTES)
        raw.seek(0)
        if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
            raise ImportFileError("The file is empty.", code="empty")
        if self.encoding is None:
            self.encoding = detect_encoding(sample, complete=len(sample) < SAMPLE_BYTES)
        stream = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
        self._closers.append(stream)  # closing the wrapper closes ``raw`` too
        first_line = _first_line(sample, self.encoding)
        self.delimiter = _delimiter(first_line, self.path.suffix.lower())
        reader = csv.reader(stream, delimiter=self.delimiter)
        self._position = lambda: 1.0 if raw.closed or not self.size else raw.tell() / self.size
        self._rows = self._csv_rows(reader)
        try:
            line, header = next(self._rows)
        except StopIteration:
            raise ImportFileError("The file is empty.", code="empty") from None
        if line != 1:
            raise ImportFileError(
                "The file has no header: line 1 is empty. The first line must name the columns.",
                code="no_header",
            )
        self.header = [str(cell).lstrip("\ufeff").strip() for cell in header]

    def _csv_rows(self, reader) -> Iterator[Row]:
        line = 0
        try:
            for record in reader:
                line += 1
                # Cheap test first: nearly every row has something in its first cell.
                if record and (record[0].strip() or "".join(record).strip()):
                    yield line, record
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"Line {line + 1}: the bytes are not valid {self.encoding} ({exc.reason}). "
                "Pass the file's encoding (e.g. --encoding gb18030).",
                code="encoding",
            ) from None
        except csv.Error as exc:
            raise ImportFileError(
                f"Line {line + 1}: not readable as CSV ({exc}).", code="not_csv"
            ) from None

    # -- XLSX --------------------------------------------------------------------------

    def _open_xlsx(self) -> None:
        from openpyxl import load_workbook

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(
                f"Not a readable .xlsx workbook ({exc}).", code="not_xlsx"
            ) from None
        self._closers.append(book)
        sheet = book.worksheets[0]
        total = sheet.max_row or 0
        self._rows = self._xlsx_rows(sheet)
        self._done = 0
        self._position = lambda: min(self._done / total, 1.0) if total else 0.0
        try:
            line, header = next(self._rows)
        except StopIteration:
            raise ImportFileError("The workbook's first sheet is empty.", code="empty") from None
        if line != 1:
            raise ImportFileError(
                "The sheet has no header: row 1 is empty. The first row must name the columns.",
                code="no_header",
            )
        self.header = [str(cell).strip() for cell in header]

    def _xlsx_rows(self, sheet) -> Iterator[Row]:
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            self._done = line
            cells = [_cell(value) for value in values]
            if any(cell if not isinstance(cell, str) else cell.strip() for cell in cells):
                yield line, cells

    # -- common ------------------------------------------------------------------------

    def chunks(self, size: int | None = None) -> Iterator[list[Row]]:
        """The data rows (after the header), ``size`` (default :data:`CHUNK_ROWS`) at a time."""
        size = size or CHUNK_ROWS
        chunk: list[Row] = []
        for row in self._rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def fraction_read(self) -> float:
        return self._position()

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer.close()  # closing twice is harmless
        self._closers.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RowsTable:
    """Rows already in memory (the API's bulk ingest) behind :class:`Table`'s interface:
    ``header``, :meth:`chunks` and line numbers as a file would have them (header = 1)."""

    file_type = "rows"
    encoding = None

    def __init__(self, header: list[str], rows: list[list]):
        self.header = header
        self._rows = [(line, row) for line, row in enumerate(rows, start=2)]
        self._read = 0

    def chunks(self, size: int | None = None) -> Iterator[list[Row]]:
        size = size or CHUNK_ROWS
        for start in range(0, len(self._rows), size):
            self._read = min(start + size, len(self._rows))
            yield self._rows[start : start + size]

    def fraction_read(self) -> float:
        return self._read / len(self._rows) if self._rows else 1.0

    def __enter__(self) -> RowsTable:
        return self

    def __exit__(self, *exc) -> None:
        pass


def open_table(path: str | Path, *, encoding: str | None = None, name: str = "") -> Table:
    """Open ``path`` as CSV or XLSX (judged from its bytes and ``name``'s extension)."""
    path = Path(path)
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(f"Unknown encoding {encoding!r}.", code="encoding") from None
    file_type = sniff_file_type(path, name or path.name)
    table = Table(path, file_type=file_type, encoding=encoding)
    return table


def sniff_file_type(path: Path, name: str) -> str:
    """``"csv"`` or ``"xlsx"``; anything else is refused with what it looks like."""
    if not path.exists():
        raise ImportFileError(f"No such file: {path}.", code="missing")
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise ImportFileError("The file is empty.", code="empty")
    suffix = Path(name).suffix.lower()
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise ImportFileError(
                f"This is {what}, not a CSV or XLSX file. Save it as .xlsx or CSV.",
                code="not_tabular",
            )
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise ImportFileError(
            "This is a ZIP archive, not an XLSX workbook or a CSV file.", code="not_tabular"
        )
    if suffix in {".xlsx", ".xlsm"}:
        raise ImportFileError(f"{name} is named .xlsx but is not a workbook.", code="not_xlsx")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("This is a binary file, not a CSV or XLSX file.", code="not_tabular")
    return "csv"


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM) or GB18030, judged from ``sample``."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            # The sample may end in the middle of a character.
            if not complete and exc.start >= len(sample) - 4:
                return encoding
    raise ImportFileError(
        "Cannot tell the file's encoding (it is neither UTF-8 nor GBK/GB18030). "
        "Pass it explicitly, e.g. --encoding big5.",
        code="encoding",
    )


def _first_line(sample: bytes, encoding: str) -> str:
    text = sample[:65536].decode(encoding, errors="ignore")
    return text.splitlines()[0] if text else ""


def _delimiter(line: str, suffix: str) -> str:
    counts = {sep: line.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return "\t" if suffix == ".tsv" else ","
    return best


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
