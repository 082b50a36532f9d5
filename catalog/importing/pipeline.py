"""Overlap Python and the database: a chunk's SQL runs while the next chunk is parsed.

PostgreSQL works in its own process, so while Python parses chunk *n + 1* the server
can store chunk *n* (COPY into the stage, early inserts). :class:`Pipeline` runs a
chunk's steps in one background thread on the import's own connection (psycopg
connections may be shared between threads; the steps run inside the import's
transaction). Only one batch runs at a time, and the importing thread must
:meth:`~Pipeline.wait` before it touches the connection itself. On SQLite the steps run
at once, in the calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from catalog.importing.stage import is_postgres


@dataclass(frozen=True)
class Copy:
    """COPY ``data`` (already in COPY text format) into ``table`` (columns quoted)."""

    statement: str
    data: str


@dataclass(frozen=True)
class CopyRows:
    """COPY Python-valued rows (psycopg adapts them)."""

    statement: str
    rows: Sequence[tuple]


@dataclass(frozen=True)
class Many:
    """``executemany`` of an INSERT (SQLite's way to stage rows)."""

    statement: str
    rows: Sequence[tuple]


@dataclass(frozen=True)
class Sql:
    """A statement; with ``count``, its row count is added to :attr:`Pipeline.counted`."""

    statement: str
    params: Sequence = ()
    count: bool = False


class Pipeline:
    def __init__(self):
        self.background = is_postgres()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.counted = 0

    def submit(self, steps: list) -> None:
        """Run ``steps`` (after the previous batch), in the background on PostgreSQL."""
        self.wait()
        if not steps:
            return
        if self.background:
            raw = connection.connection
            self._thread = threading.Thread(target=self._run, args=(raw, steps), daemon=True)
            self._thread.start()
        else:
            with connection.cursor() as cursor:
                for step in steps:
                    if isinstance(step, Many):
                        cursor.executemany(step.statement, step.rows)
                    else:
                        cursor.execute(step.statement, step.params)
                        if step.count:
                            self.counted += cursor.rowcount

    def _run(self, raw, steps: list) -> None:
        try:
            with raw.cursor() as cursor:
                for step in steps:
                    if isinstance(step, Copy):
                        with cursor.copy(step.statement) as copy:
                            copy.write(step.data)
                    elif isinstance(step, CopyRows):
                        with cursor.copy(step.statement) as copy:
                            for row in step.rows:
                                copy.write_row(row)
                    else:
                        cursor.execute(step.statement, step.params or None)
                        if step.count:
                            self.counted += cursor.rowcount
        except BaseException as exc:  # handed to the importing thread by wait()
            self._error = exc

    def wait(self) -> None:
        """Wait for the running batch; raise what it raised."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
