#!/usr/bin/env python
"""Benchmark the REST API under gunicorn (2 workers) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops_bench_seed \\
        .venv/bin/python bench/api.py [--seconds 20] [--clients 4] [--batches 10]

The database must hold the seeded 100,000 customers / 1M orders (``bench/seed_demo.py
--keep``). The benchmark creates an API key, starts ``gunicorn -w 2`` (sync workers:
threads only fight over the GIL on two cores) with production
settings (DEBUG off, Redis cache and broker: the tasks an import queues wait in a Redis
list no worker reads, as in production where a worker would take them), then:

1. **Customer list**: ``--clients`` keep-alive connections request
   ``GET /api/v1/customers/?page_size=50`` (alternating the first page, a tier filter, a
   tag filter and a next-page cursor) for ``--seconds``; prints p50/p95/p99 latency
   (client side, so it includes the HTTP round trip) and requests per second. The
   throttle is raised for the run (its counter still runs on every request).
2. **Bulk order ingest**: ``--batches`` requests of 1,000 new orders each (2 lines,
   existing customers, SKUs and channels), two at a time; prints orders per second.

It removes the key, the orders it pushed and the queued tasks. Targets: p95 ≤ 50 ms,
≥ 200 requests/s, ≥ 2,000 orders/s. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")
REDIS = "redis://127.0.0.1:6379"
os.environ.setdefault("CELERY_BROKER_URL", f"{REDIS}/12")
os.environ.setdefault("REDIS_URL", f"{REDIS}/11")
PORT = 8765
TARGETS = {"p95_ms": 50.0, "rps": 200.0, "orders_per_s": 2000.0}
PREFIX = "BENCH-API-"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from catalog.models import SKU, Channel, Order
    from customers.models import Customer, CustomerTag
    from ecomops.models import ApiKey
    from ecomops.services import api_key_create

    if connection.vendor != "postgresql":
        print("run it on PostgreSQL (DATABASE_URL=postgres://...)")
        return 2
    cleanup(ApiKey, Order)
    print(f"database: {Customer.objects.count():,} customers, {Order.objects.count():,} orders")
    _, key = api_key_create(name="bench: api", scopes=["read", "write"])
    tag = CustomerTag.objects.values_list("tag__name", flat=True).first()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_THROTTLE_RATE": "1000000/min",
        "SECURE_SSL_REDIRECT": "false",
    }
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "ecomops.wsgi", "-w", "2", "--threads", str(args.threads),
         "-b", f"127.0.0.1:{PORT}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    failed = False
    try:
        wait_until_up(key)
        paths = customer_paths(key, tag)
        latencies, seconds = hammer(key, paths, args.seconds, args.clients)
        ms = sorted(1000 * x for x in latencies)
        p50, p95, p99 = (ms[int(q * (len(ms) - 1))] for q in (0.5, 0.95, 0.99))
        rps = len(ms) / seconds
        print(f"customer list: {len(ms):,} requests in {seconds:.1f} s with {args.clients} "
              f"clients → {rps:.0f} req/s; p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
              f"mean {statistics.mean(ms):.1f} ms")  # fmt: skip
        failed |= p95 > TARGETS["p95_ms"] or rps < TARGETS["rps"]

        customers = list(Customer.objects.values_list("external_id", flat=True)[:20_000])
        skus = list(SKU.objects.values_list("code", "list_price")[:500])
        channels = list(Channel.objects.values_list("code", flat=True))
        batches = [order_batch(b, customers, skus, channels) for b in range(args.batches)]
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            results = list(
                pool.map(lambda batch: post(key, "/api/v1/orders/bulk/", batch), batches)
            )
        seconds = time.perf_counter() - started
        created = sum(r["created"] for r in results)
        errors = sum(r["errors"] for r in results)
        per_second = created / seconds
        server_seconds = [r["seconds"] for r in results]
        print(f"bulk ingest: {created:,} orders ({errors} errors) in {seconds:.1f} s → "
              f"{per_second:,.0f} orders/s; per 1,000-order request: server "
              f"{statistics.median(server_seconds):.2f} s median, {max(server_seconds):.2f} s max")  # fmt: skip
        failed |= errors > 0 or per_second < TARGETS["orders_per_s"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        cleanup(ApiKey, Order)
        purge_queue()
    print("within targets" if not failed else "TARGET MISSED")
    return 1 if failed else 0


def request(conn, key: str, method: str, path: str, body: bytes | None = None):
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)


def wait_until_up(key: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            request(conn, key, "GET", "/api/v1/tiers/")
            return
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def customer_paths(key: str, tag: str | None) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    first = "/api/v1/customers/?page_size=50"
    tiers = [t["name"] for t in request(conn, key, "GET", "/api/v1/tiers/")]
    paths = [first] + [f"{first}&tier={quote(t)}" for t in tiers[:2]]
    if tag:
        paths.append(f"{first}&tag={quote(tag)}")
    next_url = request(conn, key, "GET", first)["next"]
    if next_url:
        split = urlsplit(next_url)
        paths.append(f"{split.path}?{split.query}")
    return paths


def hammer(key: str, paths: list[str], seconds: float, clients: int):
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine, i = [], n
        while time.perf_counter() < stop:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            request(conn, key, "GET", path)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def order_batch(batch: int, customers, skus, channels) -> bytes:
    rng = random.Random(batch)
    items = []
    for n in range(1000):
        lines = []
        for sku, price in rng.sample(skus, 2):
            lines.append({"sku": sku, "quantity": rng.randint(1, 3), "unit_price": str(price)})
        items.append({
            "order_id": f"{PREFIX}{batch:03d}-{n:04d}", "customer_id": rng.choice(customers),
            "created_at": f"2026-06-{rng.randint(1, 29):02d}T{rng.randint(8, 22):02d}:15:00+08:00",
            "status": "completed", "channel": rng.choice(channels), "shipping": "8.00",
            "lines": lines,
        })  # fmt: skip
    return json.dumps({"items": items}).encode()


def post(key: str, path: str, body: bytes) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    return request(conn, key, "POST", path, body)


def cleanup(ApiKey, Order) -> None:
    from catalog.models import OrderLine

    ApiKey.objects.filter(name="bench: api").delete()
    mine = Order.objects.filter(external_id__startswith=PREFIX)
    OrderLine.objects.filter(order__in=mine).delete()
    mine.delete()


def purge_queue() -> None:
    import redis

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()


if __name__ == "__main__":
    sys.exit(main())
