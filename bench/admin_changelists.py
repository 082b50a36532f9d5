"""Server time of every admin changelist on a seeded database (target: p95 < 300 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops_bench_seed \\
        .venv/bin/python bench/admin_changelists.py [--repeat N]

It creates no data (seed first with ``bench/seed_demo.py``). For each changelist, plus a
search, a filter and a date drill-down on customers and orders, it makes one warm-up
request and ``--repeat`` timed ones through Django's test client as a superuser, and
prints the median, the p95 and the number of queries. Exits 1 if any p95 is over target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")
TARGET_MS = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from catalog.models import Order
    from customers.models import Customer

    settings.ALLOWED_HOSTS = ["*"]
    customers, orders = Customer.objects.count(), Order.objects.count()
    if not customers:
        print("The database is empty: seed it first (bench/seed_demo.py).")
        return 2
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    urls = []
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label_lower):
        opts = model._meta
        urls.append(
            (opts.label_lower, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        )
    some_customer = Customer.objects.order_by("id").values_list("external_id", flat=True).first()
    some_order = Order.objects.order_by("id").values_list("external_id", flat=True).first()
    last = Order.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    customer_list = reverse("admin:customers_customer_changelist")
    order_list = reverse("admin:catalog_order_changelist")
    urls += [
        ("customer search by id", f"{customer_list}?q={some_customer}"),
        ("customer search by name", f"{customer_list}?q=Wang"),
        ("customer filter KOC", f"{customer_list}?is_koc__exact=1"),
        ("order search by id", f"{order_list}?q={some_order}"),
        ("order filter status", f"{order_list}?status__exact=refunded"),
        (
            "order drill-down month",
            f"{order_list}?created_at__year={last.year}&created_at__month={last.month}",
        ),
    ]

    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {customers} customers, {orders} orders"
    )
    print(f"{'page':<40} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    failed = []
    for name, url in urls:
        response = client.get(url)
        if response.status_code != 200:
            print(f"{name:<40} HTTP {response.status_code}")
            failed.append(name)
            continue
        timings = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        mark = "" if p95 < TARGET_MS else "  OVER TARGET"
        if mark:
            failed.append(name)
        print(f"{name:<40} {statistics.median(timings):10.1f} {p95:8.1f} {len(queries):8d}{mark}")
    if failed:
        print(f"{len(failed)} page(s) over {TARGET_MS:.0f} ms or failing: {', '.join(failed)}")
        return 1
    print(f"every page's p95 under {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
