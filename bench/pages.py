"""Server time of every page for people (target: p95 ≤ 150 ms at 100k customers / 1M orders).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops_bench_seed \\
        .venv/bin/python bench/pages.py [--repeat N] [--only cockpit,campaign-detail]

In-process, through Django's test client signed in as the demo ``admin`` (a superuser sees
every page): each page of the navigation (the names of ``ecomops/context_processors.py``
that resolve, so pages merged later are measured without editing this file) and each
detail page, with an id taken from the database (the latest campaign, experiment and
analytics run, the first group, a recent buyer, the largest segment). Report pages get
the 30 days that end with the last stored daily KPI, so an old seed is measured on its
data, not on an empty period. Per page: two warm-up requests, then ``--repeat`` timed
ones; it prints the median, the p95 and the number of SQL queries of one request, and
exits 1 when a p95 is over the target or a page does not answer 200.

Read-only, so it can run against a database someone else is using: the connection is
opened read-only (``default_transaction_read_only`` on PostgreSQL, ``query_only`` on
SQLite: a write would fail loudly), the session lives in the cache, and signing in does
not update ``last_login``. It creates nothing: seed first (``bench/seed_demo.py``,
``manage.py compute_analytics``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")
TARGET_MS = 150.0
# Detail pages: URL name -> how to find an id (model label, ordering, extra filter).
DETAIL_PAGES = {
    "campaigns:campaign-detail": ("campaigns.Campaign", "-id", {}),
    "campaigns:experiment-detail": ("campaigns.Experiment", "-id", {}),
    "campaigns:group-detail": ("customers.CommunityGroup", "id", {}),
    "campaigns:customer-detail": None,  # a recent buyer, below
    "analytics:segment-detail": ("analytics.Segment", "-member_count", {}),
    "analytics:run-progress": ("analytics.AnalyticsRun", "-id", {}),
}


def read_only(sender, connection, **kwargs) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET default_transaction_read_only = on")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")


def count_queries(connection, request) -> int:
    """SQL statements run by ``request()`` (the query log is emptied at each request start,
    so it cannot be used across a test-client request)."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        request()
    return len(statements)


def timed(request, repeat: int, before=None) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``request()``, sorted (``before()`` untimed)."""
    timings = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        request()
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(q * (len(sorted_ms) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--only", help="comma-separated page names (cockpit, customers, campaign-detail...)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth import get_user_model, user_logged_in
    from django.contrib.auth.models import update_last_login
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.db.models import Max
    from django.test import Client
    from django.urls import NoReverseMatch, resolve, reverse

    import ecomops.wsgi  # noqa: F401 - start as a server worker does (views loaded, gc.freeze)

    connection.close()
    connection_created.connect(read_only)
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False  # as in production: no query log kept
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"

    from analytics.models import DailyKPI
    from analytics.pages import ReportPage
    from analytics.services.freshness import report_data_changed as renew
    from catalog.models import Order
    from customers.models import Customer
    from ecomops.context_processors import NAVIGATION

    customers = Customer.objects.count()
    if not customers:
        print("The database is empty: seed it first (bench/seed_demo.py).")
        return 2
    User = get_user_model()
    admin = (
        User.objects.filter(username="admin", is_superuser=True).first()
        or User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    )
    if admin is None:
        print("No superuser in the database (seed_demo creates `admin`).")
        return 2
    client = Client()
    client.force_login(admin)

    last_kpi = DailyKPI.objects.aggregate(last=Max("date"))["last"]
    period = (
        f"?start={(last_kpi - timedelta(days=29)).isoformat()}&end={last_kpi.isoformat()}"
        if last_kpi
        else ""
    )
    pages: list[tuple[str, str]] = []
    for _section, entries in NAVIGATION:
        for entry in entries:
            try:
                path = reverse(entry.url_name)
            except NoReverseMatch:
                continue  # a page not installed on this branch
            view = getattr(resolve(path).func, "view_class", None)
            query = period if view and issubclass(view, ReportPage) else ""
            pages.append((entry.url_name.split(":")[1], path + query))
    for name, source in DETAIL_PAGES.items():
        if source is None:
            pk = (
                Order.objects.paid().order_by("-created_at").values_list("customer_id", flat=True)
            ).first()
        else:
            label, ordering, filters = source
            model = apps.get_model(label)
            pk = model.objects.filter(**filters).order_by(ordering).values_list("pk", flat=True)
            pk = pk.first()
        if pk is None:
            continue
        try:
            pages.append((name.split(":")[1], reverse(name, args=[pk])))
        except NoReverseMatch:
            continue
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        pages = [(name, path) for name, path in pages if name in wanted]

    orders = Order.objects.count()
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {customers:,} customers, "
        f"{orders:,} orders; report period {period or '(default)'}; {args.repeat} requests a page"
    )
    print(f"{'':<22} {'served (as users get it)':>26} {'just after a data change':>28}")
    print(
        f"{'page':<22} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} "
        f"{'p50 ms':>9} {'p95 ms':>9} {'queries':>8}  path"
    )
    failed = []
    for name, path in pages:
        response = client.get(path)
        if response.status_code != 200:
            print(f"{name:<22} HTTP {response.status_code}  {path}")
            failed.append(name)
            continue
        queries = count_queries(connection, lambda p=path: client.get(p))
        warm = timed(lambda p=path: client.get(p), args.repeat)
        # Cold: every request after the data changed (an analytics run, an import), so
        # a report page computes its report again instead of reading the cached one.
        cold_queries = count_queries(connection, lambda p=path: (renew(), client.get(p)))
        cold = timed(lambda p=path: client.get(p), args.repeat, before=renew)
        p50, p95 = statistics.median(warm), percentile(warm, 0.95)
        mark = "" if p95 <= TARGET_MS else "  OVER TARGET"
        if mark:
            failed.append(name)
        print(
            f"{name:<22} {p50:8.1f} {p95:8.1f} {queries:8d} "
            f"{statistics.median(cold):9.1f} {percentile(cold, 0.95):9.1f} {cold_queries:8d}"
            f"  {path}{mark}"
        )
    if not pages:
        print("no page matched")
        return 1
    if failed:
        print(f"{len(failed)} page(s) over {TARGET_MS:.0f} ms or failing: {', '.join(failed)}")
        return 1
    print(f"every page's p95 ≤ {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
