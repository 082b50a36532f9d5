"""Benchmark of the analytics engine on a seeded database (PostgreSQL at 100k/1M).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops_bench_seed \\
        .venv/bin/python bench/analytics.py [--as-of DATE]

The database must hold data already (``bench/seed_demo.py`` leaves one). Prints, and
checks against the targets of the analytics issue:

- the full ``compute_analytics`` run (seconds and peak memory, in a child process);
- the scores step against a bare SQL ``GROUP BY customer`` over the same orders;
- associations; a one-day KPI increment; segment preview; the recommendations' offline
  hit rate on a time split (train up to as_of − 28 days, test on the next 28 days).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")

TARGETS = {
    "full run seconds": 60.0,
    "full run peak GiB": 3.0,
    "scores / bare GROUP BY": 3.0,
    "affinity seconds": 10.0,
    "one-day KPI increment seconds": 1.0,
    "segment preview p95 ms": 200.0,
}


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--as-of", help="as-of date (default: the last paid order's date)")
    parser.add_argument(
        "--skip-full", action="store_true", help="skip the full run in a child process"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from analytics import loaders
    from analytics.metrics.recommend import hit_rate_at_k, recommend_products
    from analytics.selectors import segment_rule_preview
    from analytics.services import kpis_compute, scores_compute
    from analytics.services.products import affinity_compute
    from catalog.models import Order
    from customers.models import Customer

    customers = Customer.objects.count()
    orders = Order.objects.count()
    if not orders:
        print("The database has no orders: seed it first (bench/seed_demo.py).")
        return 2
    last_paid = Order.objects.paid().order_by("-paid_at").values_list("paid_at", flat=True).first()
    as_of = date.fromisoformat(args.as_of) if args.as_of else last_paid.date()
    print(
        f"database {connection.vendor} {connection.settings_dict['NAME']}: {customers} customers, {orders} orders; as of {as_of}"
    )
    figures: dict[str, float] = {}

    if not args.skip_full:
        command = [
            sys.executable,
            "manage.py",
            "compute_analytics",
            "--as-of",
            as_of.isoformat(),
            "--no-progress",
        ]
        started = time.perf_counter()
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        figures["full run seconds"] = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        figures["full run peak GiB"] = peak_kib / 1024 / 1024
        print(run.stdout.rstrip())
        if run.returncode:
            print(run.stderr)
            return run.returncode

    placeholders = ", ".join(["%s"] * len(Order.PAID_STATUSES))
    bare_sql = (
        f"SELECT customer_id, COUNT(*), SUM(paid_total), MAX(paid_at) FROM {Order._meta.db_table} "
        f"WHERE status IN ({placeholders}) GROUP BY customer_id"
    )
    bare = []
    for _ in range(3):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(bare_sql, list(Order.PAID_STATUSES))
            cursor.fetchall()
            bare.append(time.perf_counter() - started)
    figures["bare GROUP BY seconds"] = min(bare)
    figures["scores seconds"], _ = timed(scores_compute, as_of=as_of)
    figures["scores / bare GROUP BY"] = figures["scores seconds"] / figures["bare GROUP BY seconds"]

    figures["affinity seconds"], affinity = timed(affinity_compute, as_of=as_of)
    figures["affinity rules"] = affinity.rules
    kpis_compute(as_of=as_of, since=as_of)  # warm
    figures["one-day KPI increment seconds"], _ = timed(kpis_compute, as_of=as_of, since=as_of)

    # The example rule (scores, tier, tags), then the same with a 90-day spend
    # condition, which sums the window's orders per customer in the database.
    example = {
        "all": [
            {"field": "r_score", "op": ">=", "value": 4},
            {
                "any": [
                    {"field": "tier", "op": "in", "value": ["Gold", "Diamond"]},
                    {"field": "tags", "op": "has", "value": "price-sensitive"},
                ]
            },
        ]
    }
    with_spend = {
        "all": [*example["all"], {"field": "spent", "days": 90, "op": ">=", "value": 100}]
    }
    for label, rule in (("segment preview", example), ("preview with 90-day spend", with_spend)):
        latencies = []
        for _ in range(20):
            seconds, preview = timed(segment_rule_preview, rule=rule, as_of=as_of)
            latencies.append(seconds * 1000)
        latencies.sort()
        figures[f"{label} p50 ms"] = statistics.median(latencies)
        figures[f"{label} p95 ms"] = latencies[int(0.95 * (len(latencies) - 1))]
        figures[f"{label} count"] = preview.count

    split = as_of - timedelta(days=28)
    lines = loaders.paid_lines(as_of=as_of)
    lines = lines[lines["customer_id"].notna()]
    train = lines[lines["paid_at"] < str(split + timedelta(days=1))]
    test = lines[lines["paid_at"] >= str(split + timedelta(days=1))]
    seconds, picks = timed(
        recommend_products, train[["customer_id", "product_id", "net_amount"]], loaders.products()
    )
    figures["recommendations seconds"] = seconds
    figures["recommendations hit rate @10 (28-day split)"] = hit_rate_at_k(
        picks, test[["customer_id", "product_id"]], k=10
    )

    failed = False
    for name, value in figures.items():
        target = TARGETS.get(name)
        mark = ""
        if target is not None:
            ok = value <= target
            failed |= not ok
            mark = f"  (target ≤ {target:g}: {'met' if ok else 'NOT MET'})"
        print(f"{name:<45} {value:12.3f}{mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
