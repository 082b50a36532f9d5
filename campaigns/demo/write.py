"""Writing column tables fast: parallel COPY on PostgreSQL, batched inserts elsewhere.

Rows never become model instances: :mod:`formats` turns whole columns into database
text and the writer joins them. Every column is written explicitly — ids, ``created_at``
and ``auto_now`` fields included — which is what makes a seed reproducible
(``bulk_create`` would stamp ``auto_now`` fields with the wall clock).

**PostgreSQL.** Index upkeep and foreign-key checks cost the server far more than
formatting costs Python, and one server process works on one CPU. So each table is
copied on its own connection, in its own transaction, ``CONCURRENCY`` tables at a time,
while the main thread keeps generating. Foreign keys stay deferred and fully checked: a
table commits only after every table it references has committed (its checks run at that
commit and see them). Nothing is disabled or dropped. The price is that the seed is not
one transaction: :meth:`PostgresWriter.abort` rolls back what is open and the caller
empties what was committed (see ``run.seed_demo``).

**Elsewhere (SQLite).** ``executemany`` in batches, inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from django.core.management.color import no_style
from django.db import connection, models

from campaigns.demo.formats import field_kind, format_column
from campaigns.demo.tables import Table

logger = logging.getLogger(__name__)

CHUNK = 20_000
SQLITE_BATCH = 5_000
CONCURRENCY = 2  # server processes working at once (copying or committing)
PART_ROWS = 250_000
MAX_PARTS = 4  # each part holds a connection until it commits
COMMIT_PRIORITY, COPY_PRIORITY = 0, 1
DEMO_APPS = ("customers", "catalog", "analytics", "campaigns")


def _chunks(table: Table, postgres: bool, lo: int = 0, hi: int | None = None):
    """(formatted columns, rows) per CHUNK rows of ``table`` (rows lo..hi)."""
    fields = {f.attname: f for f in table.model._meta.concrete_fields}
    kinds = {name: field_kind(fields[name]) for name in table.columns}
    hi = len(table) if hi is None else hi
    for start in range(lo, hi, CHUNK):
        end = min(start + CHUNK, hi)
        columns = [
            format_column(values[start:end], *kinds[name], postgres=postgres)
            for name, values in table.columns.items()
        ]
        yield columns, end - start


def release_memory() -> None:
    """Hand freed memory back to the OS.

    Formatting makes millions of short-lived strings in several threads; glibc keeps
    what they freed in per-thread arenas, and without a trim the process would hold on
    to every peak. A no-op where there is no glibc.
    """
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):
        return None


_libc = _load_libc()


def parents_of_self(model) -> set[str]:
    """The model's own table, if one of its foreign keys points back at it."""
    return {
        model._meta.db_table
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is model
    }


def _column_list(table: Table) -> str:
    fields = {f.attname: f for f in table.model._meta.concrete_fields}
    return ", ".join(connection.ops.quote_name(fields[n].column) for n in table.columns)


class Writer:
    """Counts what it wrote; ``finish()`` moves id sequences past the explicit ids."""

    def __init__(self, on_rows: Callable[[str, int], None] | None = None):
        self.counts: dict[str, int] = {}
        self.models: list[type[models.Model]] = []
        self.on_rows = on_rows or (lambda label, n: None)
        self._lock = threading.Lock()

    def write(self, table: Table) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def abort(self) -> None:
        """Stop after a failure elsewhere (nothing to do when writes are synchronous)."""

    def _count(self, table: Table) -> None:
        table.check()
        self.models.append(table.model)
        self.counts[table.label] = self.counts.get(table.label, 0) + len(table)

    def _progress(self, label: str, rows: int) -> None:
        with self._lock:
            self.on_rows(label, rows)


class SqliteWriter(Writer):
    """Inserts in the caller's transaction (foreign keys are checked at its commit)."""

    def write(self, table: Table) -> None:
        self._count(table)
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(table.model._meta.db_table)} ({_column_list(table)}) "
            f"VALUES ({', '.join(['%s'] * len(table.columns))})"
        )
        with connection.cursor() as cursor:
            for columns, rows in _chunks(table, postgres=False):
                batch = list(zip(*columns, strict=True))
                for lo in range(0, rows, SQLITE_BATCH):
                    cursor.executemany(sql, batch[lo : lo + SQLITE_BATCH])
                self._progress(table.label, rows)


class _Slots:
    """At most ``n`` holders; waiting holders go by priority (lowest first), so commits,
    which unblock the tables that wait for them, overtake copies."""

    def __init__(self, n: int, cancel: threading.Event):
        self._free = n
        self._cond = threading.Condition()
        self._waiting: list[tuple] = []
        self._cancel = cancel
        self._tickets = itertools.count()

    @contextlib.contextmanager
    def hold(self, priority: int):
        with self._cond:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            while not (self._free and self._waiting[0] == ticket) and not self._cancel.is_set():
                self._cond.wait(0.5)
            self._waiting.remove(ticket)
            heapq.heapify(self._waiting)
            if self._cancel.is_set():
                self._cond.notify_all()
                raise _Cancelled
            self._free -= 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()


class _Job:
    """One table being written in parts: it counts as committed when all parts are."""

    def __init__(self, table: Table, parts: int):
        self.table = table
        self.copies_left = parts
        self.commits_left = parts
        self.committed = threading.Event()


class PostgresWriter(Writer):
    """COPY tables on parallel connections; each part commits after its parents.

    A table of more than PART_ROWS rows is copied in parts, each on its own connection
    and in its own transaction, so that the server spreads its index upkeep and
    foreign-key checks over every CPU. Write each table once: its commit is what the
    tables referencing it wait for.
    """

    def __init__(self, on_rows=None, *, concurrency: int = CONCURRENCY):
        super().__init__(on_rows)
        self._cancel = threading.Event()
        self._slots = _Slots(concurrency, self._cancel)
        self._committed: dict[str, threading.Event] = {}
        self._submitted: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._params = connection.get_connection_params()

    def write(self, table: Table) -> None:
        """Start copying ``table`` in the background; returns at once."""
        self._raise()
        self._count(table)
        own = table.model._meta.db_table
        if own in self._submitted:
            raise ValueError(f"{table.label} is written twice")
        self._submitted.add(own)
        parents = {
            f.related_model._meta.db_table
            for f in table.model._meta.concrete_fields
            if f.is_relation and f.related_model._meta.app_label in DEMO_APPS
        } - {own}
        n = len(table)
        # Parts of a self-referencing table would check each other before committing.
        parts = 1 if own in parents_of_self(table.model) else min(MAX_PARTS, -(-n // PART_ROWS))
        parts = max(parts, 1)
        job = _Job(table, parts)
        with self._lock:  # a child may already wait on this table's event: share it
            job.committed = self._committed.setdefault(own, job.committed)
        for k in range(parts):
            thread = threading.Thread(
                target=self._copy,
                args=(job, k * n // parts, (k + 1) * n // parts, parents),
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def finish(self) -> None:
        """Wait for every table to commit, then reset the sequences."""
        with self._lock:  # referenced but never written: no rows of ours to wait for
            for name, event in self._committed.items():
                if name not in self._submitted:
                    event.set()
        for thread in self._threads:
            thread.join()
        self._raise()
        super().finish()
        # Fresh statistics for the planner (autovacuum would take its time): without
        # them a filtered list guesses 46 rows where there are 60,000 and picks a bad plan.
        with connection.cursor() as cursor:
            for model in dict.fromkeys(self.models):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')

    def abort(self) -> None:
        """Roll back every open transaction and wait for the threads."""
        self._stop()
        for thread in self._threads:
            thread.join()

    def _stop(self) -> None:
        self._cancel.set()
        with self._lock:
            for event in self._committed.values():
                event.set()

    def _event(self, db_table: str) -> threading.Event:
        with self._lock:
            event = self._committed.setdefault(db_table, threading.Event())
            if self._cancel.is_set():
                event.set()
            return event

    def _raise(self) -> None:
        if self._errors:
            raise self._errors[0]

    def _copy(self, job: _Job, lo: int, hi: int, parents: set[str]) -> None:
        table = job.table
        sql = (
            f"COPY {connection.ops.quote_name(table.model._meta.db_table)} "
            f"({_column_list(table)}) FROM STDIN"
        )
        pg = None
        try:
            with self._slots.hold(COPY_PRIORITY):
                started = time.perf_counter()
                pg = connection.get_new_connection(dict(self._params))
                with pg.cursor() as cursor, cursor.copy(sql) as copy:
                    for columns, n in _chunks(table, postgres=True, lo=lo, hi=hi):
                        if self._cancel.is_set():
                            raise _Cancelled
                        copy.write("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")
                        self._progress(table.label, n)
            copied = time.perf_counter()
            with self._lock:
                job.copies_left -= 1
                if not job.copies_left:
                    table.columns.clear()  # free the arrays while waiting to commit
            release_memory()
            for parent in parents:
                self._event(parent).wait()
            if self._cancel.is_set():
                raise _Cancelled
            with self._slots.hold(COMMIT_PRIORITY):
                waited = time.perf_counter()
                pg.commit()  # deferred foreign-key checks run here, after the parents' commits
            with self._lock:
                job.commits_left -= 1
                if not job.commits_left:
                    job.committed.set()
            logger.debug(
                "%s[%d:%d]: copied in %.1f s, waited %.1f s, committed in %.1f s",
                table.label, lo, hi, copied - started, waited - copied,
                time.perf_counter() - waited,
            )  # fmt: skip
        except _Cancelled:
            pass
        except BaseException as exc:  # handed to the main thread by _raise()
            self._errors.append(exc)
            self._stop()
        finally:
            if pg is not None:
                pg.close()  # rolls back an uncommitted transaction


class _Cancelled(Exception):
    pass


def make_writer(on_rows: Callable[[str, int], None] | None = None) -> Writer:
    """The fastest writer for the current database."""
    if connection.vendor == "postgresql":
        return PostgresWriter(on_rows)
    return SqliteWriter(on_rows)
