#!/usr/bin/env python
"""Benchmark a campaign launch to 100,000 recipients with a real Celery worker on Redis
and PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops_bench_seed \\
        .venv/bin/python bench/campaign_launch.py [--recipients 100000] [--concurrency 2]

The database must hold seeded customers (``bench/seed_demo.py --keep`` leaves 100,000).
The benchmark makes a static segment of the first N customers — opting in, for the run,
those of them who opted out (the seed opts out about 12%), so that all N are recipients;
their opt-out is restored at the end — a coupon template and
a campaign with a 10% holdout; starts ``celery worker`` on Redis db 12; launches; waits
until the last treatment recipient is contacted; then checks that every recipient row is
unique and that no customer got two coupons or two messages. It prints the seconds (from
the launch call to the last contact) and the counts, and removes what it created.
Target: ≤ 20 s with 0 duplicates. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings")
BROKER = "redis://127.0.0.1:6379/12"
os.environ.setdefault("CELERY_BROKER_URL", BROKER)
TARGET_SECONDS = 20.0
NAME = "bench: campaign launch"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from analytics.models import Segment
    from campaigns.models import Campaign, CampaignRecipient, Coupon, CouponTemplate, Message
    from customers.models import AuditEntry, Customer

    if connection.vendor != "postgresql":
        print("run it on PostgreSQL (DATABASE_URL=postgres://...)")
        return 2
    cleanup(Campaign, CampaignRecipient, Coupon, CouponTemplate, Message, Segment, AuditEntry)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[: args.recipients])
    opted_out = list(
        Customer.objects.filter(pk__in=ids, marketing_opt_in=False).values_list("pk", flat=True)
    )
    Customer.objects.filter(pk__in=opted_out).update(marketing_opt_in=True)
    try:
        return run(args, ids, opted_out)
    finally:
        Customer.objects.filter(pk__in=opted_out).update(marketing_opt_in=False)


def run(args, ids, opted_out) -> int:
    from django.db import connection
    from django.db.models import Count

    from analytics.models import Segment, SegmentMember
    from campaigns.models import Campaign, CampaignRecipient, Coupon, CouponTemplate, Message
    from campaigns.services import campaign_launch
    from customers.models import AuditEntry
    from ecomops.celery import app

    segment = Segment.objects.create(name=NAME, kind="static", rule={"all": []})
    SegmentMember.objects.bulk_create(
        (SegmentMember(segment=segment, customer_id=pk) for pk in ids), batch_size=10_000
    )
    template = CouponTemplate.objects.create(
        name=NAME, kind="threshold", value=Decimal("30"), min_spend=Decimal("199"), valid_days=14
    )
    campaign = Campaign.objects.create(
        name=NAME,
        audience_segment=segment,
        coupon_template=template,
        holdout_percent=Decimal("10"),
        message="Hi {{ name }}, {{ offer }} with {{ coupon_code }} until {{ coupon_expires }}. "
        "You may like {{ products }}",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"audience: {len(ids):,} customers ({len(opted_out):,} opted in for the run); "
        f"worker concurrency {args.concurrency}"
    )

    env = {**os.environ, "CELERY_BROKER_URL": BROKER, "CAMPAIGNS_FREQUENCY_CAP_DAYS": "0"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ecomops", "worker", "--loglevel=WARNING",
         f"--concurrency={args.concurrency}", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        app.control.purge()
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start")
        started = time.perf_counter()
        campaign_launch(campaign=campaign)
        while True:
            campaign.refresh_from_db()
            if campaign.sent_at is not None:
                break
            if time.perf_counter() - started > 600:
                raise RuntimeError("the launch did not finish within 10 minutes")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)

    stats = campaign.launch_stats
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    coupons = Coupon.objects.filter(template=template)
    messages = Message.objects.filter(campaign=campaign)
    duplicate_recipients = (
        recipients.values("customer_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    duplicate_coupons = (
        coupons.values("customer_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    duplicate_messages = (
        messages.values("customer_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    uncontacted = recipients.filter(arm="treatment", contacted_at__isnull=True).count()
    print(f"recipients: {recipients.count():,} ({stats['arms']})")
    print(f"coupons issued: {coupons.count():,}; messages logged: {messages.count():,}")
    print(
        f"duplicates: recipients {duplicate_recipients}, coupons {duplicate_coupons}, "
        f"messages {duplicate_messages}; treatment not contacted: {uncontacted}"
    )
    print(f"launch → last contact: {seconds:.1f} s (target ≤ {TARGET_SECONDS:.0f} s)")
    ok = (
        seconds <= TARGET_SECONDS
        and duplicate_recipients == duplicate_coupons == duplicate_messages == uncontacted == 0
        and coupons.count() == messages.count() == stats["to_contact"]
    )
    cleanup(Campaign, CampaignRecipient, Coupon, CouponTemplate, Message, Segment, AuditEntry)
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


def cleanup(Campaign, CampaignRecipient, Coupon, CouponTemplate, Message, Segment, AuditEntry):
    """Remove what an earlier run of this benchmark created."""
    campaigns = Campaign.objects.filter(name=NAME)
    AuditEntry.objects.filter(object_type="campaigns.coupon", after__template=NAME).delete()
    AuditEntry.objects.filter(object_type="campaigns.campaign", object_repr=NAME).delete()
    Message.objects.filter(campaign__in=campaigns).delete()
    CampaignRecipient.objects.filter(campaign__in=campaigns).delete()
    campaigns.delete()
    Coupon.objects.filter(template__name=NAME).delete()
    CouponTemplate.objects.filter(name=NAME).delete()
    Segment.objects.filter(name=NAME).delete()


if __name__ == "__main__":
    sys.exit(main())
