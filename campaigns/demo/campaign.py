"""A past win-back campaign in the demo data, run through the real services, so that the
loop closes on screen: segment → campaign with a holdout → coupons → redemptions on new
orders → uplift report.

Twenty days before ``as_of`` the campaign goes to the segment "Demo: lapsed buyers"
(lifecycle churn warning or lost, scores computed as of that day), 10% held out, with a "149 minus 30" win-back
coupon valid 14 days. Then customers answer: each holdout customer buys in the 14-day
window with probability ``BASE_RATE``; each treatment customer with ``TREATED_RATE`` (the
campaign's true effect). Buyers order one to three SKUs, preferring their recommended
products; treatment buyers whose cart reaches the threshold use their coupon
(``coupon_redeem``); every order earns points (``loyalty_order_paid``). Deterministic for
a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from django.utils import timezone

from analytics.models import Recommendation, Segment
from analytics.services import segment_create
from analytics.services.run import analytics_run
from campaigns.discounts import CartLine
from campaigns.models import Automation, Campaign, CampaignRecipient, CouponTemplate
from campaigns.services import (
    CouponError,
    campaign_launch,
    campaign_plan,
    campaign_send_chunk,
    campaigns_complete_due,
    coupon_quote,
    coupon_redeem,
    loyalty_order_paid,
)
from campaigns.services.campaigns import pending_chunks
from catalog.models import SKU, Channel, Order, OrderLine

NAME = "Demo: win back lapsed buyers"
SEGMENT = "Demo: lapsed buyers"
SEGMENT_RULE = {"field": "lifecycle_stage", "op": "in", "value": ["churn_warning", "lost"]}
BASE_RATE = 0.05
TREATED_RATE = 0.10
DAYS_BEFORE = 20
WINDOW = 14


@dataclass(frozen=True)
class DemoCampaignResult:
    campaign: Campaign | None
    recipients: int = 0
    orders: int = 0
    redemptions: int = 0
    note: str = ""


def _local(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


AUTOMATIONS = [
    # name, trigger, days, template (name, kind, value, min spend, valid days), cool-down, message
    ("New-member activation", Automation.Trigger.REGISTERED_NO_ORDER, 1,
     ("99 minus 50", "threshold", 50, 99, 7), 365,
     "Welcome, {{ name }}! Your first order: {{ offer }} with code {{ coupon_code }}."),
    ("Win-back after 90 days", Automation.Trigger.DAYS_SINCE_LAST_ORDER, 90,
     ("Win-back 149 minus 30", "threshold", 30, 149, 14), 180,
     "We miss you, {{ name }}: {{ offer }} with code {{ coupon_code }}. Picked for you: {{ products }}"),
    ("Birthday month", Automation.Trigger.BIRTHDAY, None,
     ("Birthday 15% off", "percent_off", 15, 0, 30), 300,
     "Happy birthday, {{ name }}! {{ offer }} all month with code {{ coupon_code }}."),
    ("Tier upgrade gift", Automation.Trigger.TIER_UPGRADE, None,
     ("Upgrade gift 20 off", "amount_off", 20, 0, 30), 30,
     "Welcome to {{ tier }}, {{ name }}! A gift: {{ offer }}, code {{ coupon_code }}."),
]  # fmt: skip


def seed_demo_automations() -> int:
    """The four lifecycle automations, with their coupon templates (idempotent)."""
    for name, trigger, days, (t_name, kind, value, spend, valid), cooldown, message in AUTOMATIONS:
        template, _ = CouponTemplate.objects.get_or_create(
            name=t_name,
            defaults={"kind": kind, "value": Decimal(value), "min_spend": Decimal(spend),
                      "valid_days": valid},
        )  # fmt: skip
        Automation.objects.get_or_create(
            name=name,
            defaults={"trigger": trigger, "trigger_days": days, "coupon_template": template,
                      "cooldown_days": cooldown, "holdout_percent": Decimal("10"),
                      "message": message},
        )  # fmt: skip
    return len(AUTOMATIONS)


def seed_demo_campaign(*, as_of: date, seed: int = 42) -> DemoCampaignResult:
    seed_demo_automations()
    if Campaign.objects.filter(name=NAME).exists():
        return DemoCampaignResult(None, note="the demo campaign exists already")
    start_day = as_of - timedelta(days=DAYS_BEFORE)
    analytics_run(as_of=start_day, only=["scores", "segments", "recommendations"])
    segment = Segment.objects.filter(name=SEGMENT).first() or segment_create(
        name=SEGMENT,
        rule=SEGMENT_RULE,
        description="Customers in churn warning or lost: the demo's win-back audience.",
        recommended_action="Win-back offer with personalised picks; measure against a holdout.",
        as_of=start_day,
    )
    if not segment.member_count:
        return DemoCampaignResult(None, note=f"no customers in {SEGMENT!r} on {start_day}")
    template, _ = CouponTemplate.objects.get_or_create(
        name="Win-back 149 minus 30",
        defaults={"kind": "threshold", "value": Decimal("30"), "min_spend": Decimal("149"),
                  "valid_days": WINDOW, "per_customer_limit": 1},
    )  # fmt: skip
    campaign = Campaign.objects.create(
        name=NAME, goal=Campaign.Goal.WIN_BACK, audience_segment=segment,
        coupon_template=template, holdout_percent=Decimal("10"), attribution_days=WINDOW,
        cost_per_contact=Decimal("0.05"),
        message="We miss you, {{ name }}! {{ offer }} with code {{ coupon_code }} until "
        "{{ coupon_expires }}. Picked for you: {{ products }}",
    )  # fmt: skip
    started = _local(start_day)
    # The launch's own tasks would send now; the demo sends "then", in-process.
    campaign_launch(campaign=campaign, at=started, queue=False)
    campaign_plan(campaign_id=campaign.pk, queue=False)
    campaign.refresh_from_db()
    for first_id, last_id in pending_chunks(campaign):
        campaign_send_chunk(campaign_id=campaign.pk, first_id=first_id, last_id=last_id, at=started)
    orders, redemptions = _responses(campaign, started, np.random.default_rng(seed))
    campaigns_complete_due(at=_local(as_of, 23))
    campaign.refresh_from_db()
    return DemoCampaignResult(campaign, campaign.launch_stats["recipients"], orders, redemptions)


def _responses(campaign: Campaign, started: datetime, rng) -> tuple[int, int]:
    recipients = list(
        CampaignRecipient.objects.filter(campaign=campaign)
        .select_related("customer", "coupon")
        .order_by("pk")
    )
    skus = list(SKU.objects.filter(active=True).select_related("product").order_by("pk"))
    if not skus:
        return 0, 0
    by_product: dict[int, list[SKU]] = {}
    for sku in skus:
        by_product.setdefault(sku.product_id, []).append(sku)
    picks: dict[int, list[int]] = {}
    for customer_id, product_id in Recommendation.objects.filter(
        customer_id__in=[r.customer_id for r in recipients], rank__lte=5
    ).values_list("customer_id", "product_id"):
        picks.setdefault(customer_id, []).append(product_id)
    channel = Channel.objects.order_by("pk").first()
    orders = redemptions = 0
    for recipient in recipients:
        rate = BASE_RATE if recipient.arm == "control" else TREATED_RATE
        if rng.random() >= rate:
            continue
        paid_at = started + timedelta(hours=float(rng.uniform(2, WINDOW * 24 - 2)))
        chosen = _basket(rng, picks.get(recipient.customer_id, []), by_product, skus)
        order = _order(recipient, chosen, paid_at, channel, orders)
        orders += 1
        if recipient.coupon is not None and _use_coupon(recipient, order, chosen, paid_at):
            redemptions += 1
        loyalty_order_paid(order=order)
    return orders, redemptions


def _basket(rng, products: list[int], by_product: dict, skus: list[SKU]) -> list[tuple[SKU, int]]:
    chosen = []
    for _ in range(int(rng.integers(1, 4))):
        if products and rng.random() < 0.6:
            options = by_product.get(products[int(rng.integers(len(products)))]) or skus
        else:
            options = skus
        chosen.append((options[int(rng.integers(len(options)))], int(rng.integers(1, 3))))
    return chosen


def _order(recipient, chosen, paid_at, channel, n: int) -> Order:
    goods = sum((sku.list_price * quantity for sku, quantity in chosen), Decimal("0"))
    order = Order.objects.create(
        external_id=f"DEMO-WB-{recipient.campaign_id}-{n + 1:05d}", customer_id=recipient.customer_id,
        channel=channel, status=Order.Status.COMPLETED, created_at=paid_at, paid_at=paid_at,
        goods_total=goods, paid_total=goods, shipping_total=Decimal("0"),
    )  # fmt: skip
    OrderLine.objects.bulk_create(
        OrderLine(order=order, sku=sku, quantity=quantity, unit_price=sku.list_price,
                  unit_cost=sku.unit_cost)
        for sku, quantity in chosen
    )  # fmt: skip
    return order


def _use_coupon(recipient, order: Order, chosen, at: datetime) -> bool:
    lines = [
        CartLine(sku.product_id, sku.product.category_id, quantity, sku.list_price)
        for sku, quantity in chosen
    ]
    try:
        quote = coupon_quote(
            code=recipient.coupon.code, customer=recipient.customer, lines=lines, at=at
        )
        order.discount_total = quote.discount
        order.paid_total = order.goods_total - quote.discount
        order.save(update_fields=["discount_total", "paid_total"])
        coupon_redeem(code=recipient.coupon.code, order=order, at=at)
    except CouponError:  # below the threshold: they pay full price
        order.discount_total, order.paid_total = Decimal("0"), order.goods_total
        order.save(update_fields=["discount_total", "paid_total"])
        return False
    return True
