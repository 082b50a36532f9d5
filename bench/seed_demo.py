#!/usr/bin/env python
"""Benchmark ``manage.py seed_demo`` on a fresh database.

PostgreSQL (default): drops and recreates ``ecomops_bench_seed`` on 127.0.0.1:5432 as
user ``postgres`` (trust auth), migrates it, runs the seed at 100,000 customers and
1,000,000 orders in a subprocess and reports wall seconds, the subprocess's peak RSS and
the rows per table. Exits 1 when over the targets (120 s, 2 GiB).

    .venv/bin/python bench/seed_demo.py                      # the issue's target size
    .venv/bin/python bench/seed_demo.py --orders 200000 --customers 20000
    .venv/bin/python bench/seed_demo.py --sqlite             # defaults (2,000 / 20,000)

The events count is the command's default (10 per order, at most 1,000,000) unless
``--events`` is given. The machine's load average is printed too: on a shared machine
other work skews the seconds.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("customers", "catalog", "analytics", "campaigns")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument("--customers", type=int, help="default 100,000 (2,000 with --sqlite)")
    parser.add_argument("--orders", type=int, help="default 1,000,000 (20,000 with --sqlite)")
    parser.add_argument("--events", type=int, help="default: the command's default")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--db-name", default="ecomops_bench_seed")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--max-rss-mib", type=float, default=2048.0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not args.db_name.startswith("ecomops_bench_seed"):
        parser.error("--db-name must start with ecomops_bench_seed (it is dropped)")
    customers = args.customers or (2_000 if args.sqlite else 100_000)
    orders = args.orders or (20_000 if args.sqlite else 1_000_000)

    with tempfile.TemporaryDirectory(prefix="ecomops_bench_seed_") as tmp:
        if args.sqlite:
            path = Path(tmp) / f"{args.db_name}.sqlite3"
            url = f"sqlite:///{path}"
        else:
            url = f"postgres://{args.user}@{args.host}:{args.port}/{args.db_name}"
            recreate_postgres(args)
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
        print(f"database: {url}", flush=True)
        run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)

        command = [
            sys.executable, "manage.py", "seed_demo", "--customers", str(customers),
            "--orders", str(orders), "--seed", str(args.seed), "--as-of", args.as_of,
            "--no-progress",
        ]  # fmt: skip
        if args.events is not None:
            command += ["--events", str(args.events)]
        print("running:", " ".join(command[1:]), flush=True)
        load_before = os.getloadavg()
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            print(f"seed_demo failed with exit code {process.returncode}")
            return process.returncode
        rss_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
        counts = count_sqlite(path) if args.sqlite else count_postgres(args)
        if not args.sqlite and not args.keep:
            drop_postgres(args)

    print()
    print(f"{'table':<46} {'rows':>12}")
    for table, n in sorted(counts.items()):
        print(f"{table:<46} {n:>12,}")
    print(f"{'total':<46} {sum(counts.values()):>12,}")
    print()
    print(f"size:        {customers:,} customers, {orders:,} orders")
    print(f"wall time:   {seconds:.1f} s (target {args.max_seconds:.0f} s)")
    print(f"peak RSS:    {rss_mib:,.0f} MiB (target {args.max_rss_mib:,.0f} MiB)")
    print(f"CPUs:        {os.cpu_count()}; load average before {load_before[0]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"child CPU:   user {usage.ru_utime:.1f} s, system {usage.ru_stime:.1f} s")
    over = []
    if seconds > args.max_seconds:
        over.append("time")
    if rss_mib > args.max_rss_mib:
        over.append("memory")
    if over:
        print(f"OVER TARGET: {', '.join(over)}")
        return 1
    print("within targets")
    return 0


def run(command: list[str], env: dict) -> None:
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def _admin(args):
    import psycopg

    return psycopg.connect(
        host=args.host, port=args.port, user=args.user, dbname="postgres", autocommit=True
    )


def recreate_postgres(args) -> None:
    from psycopg import sql

    with _admin(args) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db_name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db_name)))


def drop_postgres(args) -> None:
    from psycopg import sql

    with _admin(args) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db_name))
        )


def count_postgres(args) -> dict[str, int]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=args.host, port=args.port, user=args.user, dbname=args.db_name
    ) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
            if row[0].split("_", 1)[0] in APPS
        ]
        counts = {
            t: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))
            ).fetchone()[0]
            for t in tables
        }
    return {t: n for t, n in counts.items() if n}


def count_sqlite(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
            )
            if row[0].split("_", 1)[0] in APPS
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    return {t: n for t, n in counts.items() if n}


if __name__ == "__main__":
    sys.exit(main())
