"""Benchmark of the generic orders import: lines per second and peak memory.

    .venv/bin/python bench/import_orders.py                 # 1M lines, SQLite and PostgreSQL
    .venv/bin/python bench/import_orders.py --lines 5000000 --backends postgres

Generates a generic orders CSV (1-4 lines per order, 100,000 customers, 2,000 SKUs, a
year of dates), then imports it into a fresh database per backend, each in its own
process so that its peak resident memory (``ru_maxrss``) is the import's alone. SQLite
uses a temporary file; PostgreSQL a database named ``ecomops_bench_import`` (``--pg-url``
names the server), created before and dropped after the run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "ecomops_bench_import"
SKUS = 2000
CHANNELS = ("search", "homepage", "live-stream", "short-video", "private-group")
STATUSES = ("completed",) * 8 + ("paid", "shipped", "cancelled", "refunded", "pending")


def generate(path: Path, lines: int, seed: int = 7) -> int:
    """Write ``lines`` order lines; returns the number of orders."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1)
    orders = written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "order_id",
                "customer_id",
                "created_at",
                "paid_at",
                "status",
                "channel",
                "total",
                "sku",
                "quantity",
                "unit_price",
                "discount",
                "shipping",
                "region",
            ]
        )
        while written < lines:
            orders += 1
            created = start + timedelta(seconds=rng.randrange(365 * 86400))
            status = rng.choice(STATUSES)
            head = [
                f"O{orders:09d}",
                f"C{rng.randrange(100_000):06d}",
                created.strftime("%Y-%m-%d %H:%M:%S"),
                "",
                status,
                rng.choice(CHANNELS),
                "",
            ]
            shipping = rng.choice(("0", "0", "8.00", "12.00"))
            region = rng.choice(("Shanghai", "Beijing", "广东", "Zhejiang"))
            for _ in range(min(rng.randint(1, 4), lines - written)):
                price = rng.randrange(500, 50_000) / 100
                quantity = rng.randint(1, 3)
                discount = f"{price * quantity * 0.1:.2f}" if rng.random() < 0.2 else ""
                out.writerow(
                    [
                        *head,
                        f"SKU{rng.randrange(SKUS):05d}",
                        quantity,
                        f"{price:.2f}",
                        discount,
                        shipping,
                        region,
                    ]
                )
                written += 1
    return orders


def run_child(backend: str, database_url: str, csv_path: Path) -> dict:
    """Migrate an empty database, add the SKUs and channels, import; in this process."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command

    from catalog.models import SKU, Category, Channel, Product
    from catalog.services import import_file

    call_command("migrate", verbosity=0)
    category = Category.objects.create(name="Bench")
    products = Product.objects.bulk_create(
        Product(code=f"P{i:05d}", name=f"Product {i}", category=category) for i in range(SKUS)
    )
    SKU.objects.bulk_create(
        SKU(product=p, code=f"SKU{i:05d}", list_price=Decimal("99.00"), unit_cost=Decimal("40.00"))
        for i, p in enumerate(products)
    )
    Channel.objects.bulk_create(Channel(code=c, name=c.title()) for c in CHANNELS)
    server = _server_cpu_reader()
    server_before = server()
    client_before = time.process_time()
    started = time.perf_counter()
    result = import_file(kind="orders", path=csv_path)
    seconds = time.perf_counter() - started
    client_cpu = time.process_time() - client_before
    server_cpu = server() - server_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    return {
        "backend": backend,
        "seconds": round(seconds, 2),
        "lines_per_second": round(result.rows_read / seconds),
        "peak_mib": round(peak),
        "client_cpu": round(client_cpu, 1),
        "server_cpu": round(server_cpu, 1),
        "summary": result.summary(),
        "errors": result.errors_total,
    }


def _server_cpu_reader():
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server,
    read from /proc), so that a run on a shared machine can be judged by work done, not
    only by wall time. Zero for SQLite, which runs inside this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


def pg_admin(pg_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--file", type=Path, help="reuse this orders CSV instead of generating")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, url, path = args.child
        print(json.dumps(run_child(backend, url, Path(path))))
        return

    with tempfile.TemporaryDirectory(prefix="ecomops-bench-") as tmp:
        csv_path = args.file
        if csv_path is None:
            csv_path = Path(tmp) / "orders.csv"
            started = time.perf_counter()
            orders = generate(csv_path, args.lines)
            print(
                f"generated {args.lines:,} lines ({orders:,} orders, "
                f"{csv_path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s"
            )
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            elif backend == "postgres":
                pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {PG_DB}")
                pg_admin(args.pg_url, f"CREATE DATABASE {PG_DB}")
                url = f"{args.pg_url}/{PG_DB}"
            else:
                parser.error(f"unknown backend {backend!r}")
            try:
                child = subprocess.run(
                    [sys.executable, __file__, "--child", backend, url, str(csv_path)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            finally:
                if backend == "postgres":
                    pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            if child.returncode:
                print(child.stdout, child.stderr, file=sys.stderr)
                sys.exit(f"{backend}: the import failed")
            report = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{backend:>8}: {report['lines_per_second']:>8,} lines/s  "
                f"{report['seconds']:>7.1f} s  peak {report['peak_mib']:,} MiB  "
                f"(CPU s: python {report['client_cpu']}, server {report['server_cpu']})"
            )
            print(f"          {report['summary']}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
