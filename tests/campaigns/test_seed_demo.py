"""manage.py seed_demo: reproducible demo data whose numbers hold together.

One small shop (200 customers, 1,500 orders) is seeded once for the module, committed,
and emptied again at the end. Tests that seed again restore it before they finish. The
seeds commit for real (not inside a test transaction) because on PostgreSQL the tables
load on parallel connections.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import combinations

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Q, Sum
from django.test import override_settings
from django.utils import timezone

from analytics.models import Event
from campaigns.demo.catalog import generate_catalog
from campaigns.demo.run import existing_data, flush_demo_data, written_models
from campaigns.demo.timeline import Timeline
from campaigns.demo.users import DEMO_USERS
from campaigns.models import CouponTemplate, Redemption
from catalog.models import SKU, Channel, ChannelSpend, Order, OrderLine, Return, Review
from customers.models import Customer, GroupMembership, MembershipTier, PointsEntry

AS_OF = date(2026, 6, 30)
SEED = 7
SIZE = ["--customers", "200", "--orders", "1500"]
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
PAID = ("paid", "shipped", "completed")


def seed(*extra: str, seed: int = SEED) -> str:
    out = io.StringIO()
    with FAST_HASHER:
        call_command(
            "seed_demo", *SIZE, "--seed", str(seed), "--as-of", AS_OF.isoformat(),
            "--no-progress", *extra, stdout=out,
        )  # fmt: skip
    return out.getvalue()


def table_hashes() -> dict[str, str]:
    """An ordered dump of every table the seed writes, hashed per table."""
    hashes = {}
    for model in written_models():
        names = [f.attname for f in model._meta.concrete_fields]
        rows = list(model.objects.order_by("pk").values_list(*names))
        hashes[model._meta.label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return hashes


def end_of_as_of() -> datetime:
    return timezone.make_aware(datetime.combine(AS_OF + timedelta(days=1), time.min))


@pytest.fixture(scope="module")
def shop(django_db_setup, django_db_blocker):
    """The module's seeded shop: the dump hashes of its tables."""
    with django_db_blocker.unblock():
        seed("--flush")
        yield table_hashes()
        flush_demo_data()
        get_user_model().objects.filter(username__in=DEMO_USERS).delete()


@pytest.fixture
def reseed(shop, django_db_blocker):
    """Seed again inside a test; the module's shop is restored afterwards."""
    with django_db_blocker.unblock():
        yield seed
        seed("--flush")


# --- Reproducibility -------------------------------------------------------------------


def test_the_same_seed_and_day_reproduce_every_row_ids_included(shop, reseed):
    reseed("--flush")
    assert table_hashes() == shop


def test_another_seed_gives_other_customers_and_orders(shop, reseed):
    reseed("--flush", seed=SEED + 1)
    changed = {label for label, digest in table_hashes().items() if digest != shop[label]}
    assert {
        "customers.Customer",
        "catalog.Order",
        "catalog.OrderLine",
        "analytics.Event",
    } <= changed


# --- Orders and money ------------------------------------------------------------------


def test_exactly_the_requested_orders_in_every_status(shop, db):
    assert Order.objects.count() == 1500
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == {"pending", "paid", "shipped", "completed", "cancelled", "refunded"}
    completed = Order.objects.filter(status="completed").count()
    assert completed > 0.8 * 1500


def test_paid_at_is_set_for_paid_statuses_and_only_for_them(shop, db):
    assert not Order.objects.filter(status__in=PAID, paid_at__isnull=True).exists()
    assert not Order.objects.exclude(status__in=PAID).filter(paid_at__isnull=False).exists()
    assert not Order.objects.filter(paid_at__lt=F("created_at")).exists()


def test_order_totals_add_up_from_their_lines_and_coupons(shop, db):
    lines = {
        row["order_id"]: row
        for row in OrderLine.objects.values("order_id").annotate(
            goods=Sum(F("quantity") * F("unit_price")), off=Sum("discount"), n=Count("id")
        )
    }
    coupons = dict(Redemption.objects.values_list("order_id").annotate(Sum("discount_amount")))
    checked = 0
    for order in Order.objects.all():
        line = lines[order.pk]
        assert order.goods_total == line["goods"]
        assert order.discount_total == line["off"] + coupons.get(order.pk, Decimal("0"))
        assert order.paid_total == order.goods_total - order.discount_total + order.shipping_total
        assert order.paid_total >= 0 and order.logistics_cost > 0
        checked += 1
    assert checked == 1500
    assert 2.2 < OrderLine.objects.count() / 1500 < 2.8  # about 2.5 lines per order


def test_lines_are_sold_at_the_skus_price_and_cost(shop, db):
    assert not OrderLine.objects.exclude(unit_price=F("sku__list_price")).exists()
    assert not OrderLine.objects.exclude(unit_cost=F("sku__unit_cost")).exists()
    assert not OrderLine.objects.filter(discount__gt=F("quantity") * F("unit_price")).exists()


def test_nothing_happens_after_the_end_of_as_of(shop, db):
    end = end_of_as_of()
    future_by_nature = {("campaigns.Coupon", "expires_at")}  # a coupon may still be valid
    for model in written_models():
        for field in model._meta.concrete_fields:
            if (model._meta.label, field.name) in future_by_nature:
                continue
            if field.get_internal_type() == "DateTimeField":
                latest = model.objects.aggregate(m=Max(field.name))["m"]
                assert latest is None or latest < end, f"{model._meta.label}.{field.name}"


# --- Customers: the BG/NBD story -------------------------------------------------------


def test_some_customers_never_ordered(shop, db):
    prospects = Customer.objects.filter(orders__isnull=True).count()
    assert 0.1 * 200 < prospects < 0.45 * 200


def test_every_lifecycle_bucket_has_customers(shop, db):
    last_paid = Customer.objects.annotate(
        last=Max("orders__paid_at", filter=Q(orders__status__in=PAID))
    ).values_list("last", flat=True)
    end = end_of_as_of()
    buckets = defaultdict(int)
    for last in last_paid:
        if last is None:
            buckets["prospect"] += 1
            continue
        days = (end - last).days
        bucket = (
            "≤30" if days <= 30 else "31-90" if days <= 90 else "91-180" if days <= 180 else ">180"
        )
        buckets[bucket] += 1
    assert all(buckets[b] > 0 for b in ("prospect", "≤30", "31-90", "91-180", ">180")), buckets


def test_tiers_follow_twelve_month_spend(shop, db):
    end = end_of_as_of()
    spend = dict(
        Order.objects.filter(status__in=PAID, paid_at__gte=end - timedelta(days=365))
        .values_list("customer_id")
        .annotate(Sum("paid_total"))
    )
    tiers = list(MembershipTier.objects.order_by("rank"))
    assert [t.name for t in tiers] == ["Regular", "Silver", "Gold", "Diamond"]
    for customer in Customer.objects.select_related("tier"):
        due = [t for t in tiers if t.min_spend_12m <= spend.get(customer.pk, 0)][-1]
        assert customer.tier == due, customer.pk
    assert Customer.objects.filter(tier__rank__gte=1).exists()


def test_points_balances_equal_the_ledger_and_never_go_negative(shop, db):
    sums = dict(PointsEntry.objects.values_list("customer_id").annotate(Sum("delta")))
    for pk, balance in Customer.objects.values_list("pk", "points_balance"):
        assert balance == sums.get(pk, 0)
    assert not PointsEntry.objects.filter(balance_after__lt=0).exists()
    running = defaultdict(int)
    for customer, delta, after in PointsEntry.objects.order_by("created_at", "id").values_list(
        "customer_id", "delta", "balance_after"
    ):
        running[customer] += delta
        assert running[customer] == after
    paid_orders = Order.objects.filter(status__in=PAID).count()
    assert PointsEntry.objects.filter(reason="order").count() == paid_orders
    assert PointsEntry.objects.filter(reason="redemption").exists()


def test_kocs_hold_the_koc_role_in_a_group(shop, db):
    kocs = set(Customer.objects.filter(is_koc=True).values_list("pk", flat=True))
    holders = set(GroupMembership.objects.filter(role="koc").values_list("customer_id", flat=True))
    assert kocs and kocs == holders
    assert Customer.objects.filter(referred_by__isnull=False).exists()
    assert Customer.objects.filter(marketing_opt_in=True).count() > 0.75 * 200


# --- Goods: returns, reviews, bundles, stock -------------------------------------------


def test_about_eight_percent_of_paid_lines_come_back(shop, db):
    paid_lines = OrderLine.objects.filter(order__status__in=PAID).count()
    returned = Return.objects.filter(order_line__isnull=False).count()
    assert 0.06 < returned / paid_lines < 0.10
    assert not Return.objects.filter(refund_amount__lte=0).exists()


def test_a_problem_product_trips_the_quality_flags(shop, db):
    sold = defaultdict(int)
    back = defaultdict(int)
    for product, quantity, returned in OrderLine.objects.filter(order__status__in=PAID).values_list(
        "sku__product_id", "quantity", "returns__quantity"
    ):
        sold[product] += quantity
        back[product] += returned or 0
    reviews = defaultdict(list)
    for product, rating in Review.objects.values_list("order_line__sku__product_id", "rating"):
        reviews[product].append(rating)
    flagged = [
        p
        for p in sold
        if sold[p] >= 30
        and back[p] / sold[p] >= 0.20
        and np.mean([r >= 4 for r in reviews[p]]) < 0.70
    ]
    assert flagged


def test_bundle_pairs_are_bought_together_far_more_than_chance(shop, db):
    catalog = generate_catalog(np.random.default_rng(SEED), Timeline.build(AS_OF, "UTC"))
    baskets = defaultdict(set)
    for order, product in OrderLine.objects.values_list("order_id", "sku__product_id"):
        baskets[order].add(product)
    n = len(baskets)
    counts = defaultdict(int)
    pairs = defaultdict(int)
    for basket in baskets.values():
        for p in basket:
            counts[p] += 1
        for a, b in combinations(sorted(basket), 2):
            pairs[a, b] += 1
    lifts = []
    for a, b in catalog.bundles + 1:  # product ids
        a, b = sorted((int(a), int(b)))
        expected = counts[a] * counts[b] / n
        lifts.append(pairs[a, b] / expected if expected else 0)
    assert len(lifts) >= 4
    assert np.median(lifts) > 5


def test_stock_has_sold_out_low_and_healthy_skus(shop, db):
    assert 700 <= SKU.objects.count() <= 900
    assert SKU.objects.filter(stock_on_hand=0).exists()
    assert SKU.objects.filter(stock_on_hand__gt=0, stock_on_hand__lt=F("reorder_point")).exists()
    assert SKU.objects.filter(stock_on_hand__gte=F("reorder_point"), stock_on_hand__gt=0).exists()


def test_channels_have_commissions_and_spend_every_day(shop, db):
    assert Channel.objects.count() == 8
    assert Channel.objects.filter(commission_rate__gt=0).exists()
    per_channel = ChannelSpend.objects.values("channel").annotate(n=Count("id"))
    assert {row["n"] for row in per_channel} == {730}


# --- Behaviour events ------------------------------------------------------------------


def test_events_funnel_leaks_at_every_step(shop, db):
    assert Event.objects.count() == 15_000  # the default: ten per order
    sessions = {
        step: Event.objects.filter(type=step).values("session_id").distinct().count()
        for step in ("visit", "product_view", "add_to_cart", "order", "pay")
    }
    counts = list(sessions.values())
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == 5, sessions
    assert Event.objects.filter(customer__isnull=True, type="visit").exists()


def test_every_paid_order_in_the_tracked_window_has_its_pay_event(shop, db):
    start = Event.objects.order_by("occurred_at").values_list("occurred_at", flat=True)[0]
    recent = Order.objects.filter(status__in=PAID, created_at__gt=start + timedelta(hours=2))
    pays = {
        e.properties["order"]: e
        for e in Event.objects.filter(type="pay").select_related("customer")
    }
    assert recent.count() > 100
    for order in recent:
        event = pays[order.external_id]
        assert event.occurred_at == order.paid_at
        assert event.customer_id == order.customer_id and event.channel_id == order.channel_id


# --- Reference data and logins ---------------------------------------------------------


def test_the_activation_coupon_is_99_minus_50(shop, db):
    coupon = CouponTemplate.objects.get(name="99 minus 50")
    assert (coupon.kind, coupon.min_spend, coupon.value) == (
        "threshold",
        Decimal("99"),
        Decimal("50"),
    )
    used = Redemption.objects.filter(coupon__template=coupon, reversed_at__isnull=True).count()
    assert coupon.used_count == used > 0


@pytest.mark.parametrize(
    ("username", "group"),
    [("admin", None), ("ops", "Ops staff"), ("manager", "Store manager"), ("analyst", "Analyst")],
)
def test_demo_users_log_in_with_demo(shop, db, client, username, group):
    user = get_user_model().objects.get(username=username)
    assert user.is_staff and user.is_superuser == (group is None)
    assert list(user.groups.values_list("name", flat=True)) == ([group] if group else [])
    with FAST_HASHER:  # the hasher the seed used
        assert client.login(username=username, password="demo")


# --- A database with data, and bad arguments -------------------------------------------


def test_if_empty_leaves_a_database_with_data_alone(shop, django_db_blocker):
    with django_db_blocker.unblock():
        before = existing_data()
        out = seed("--if-empty", seed=99)
        assert "nothing seeded" in out
        assert existing_data() == before
        assert table_hashes() == shop


def test_seeding_over_data_without_flush_is_refused(shop, django_db_blocker):
    with django_db_blocker.unblock(), pytest.raises(CommandError, match="--flush"):
        seed(seed=99)
    with django_db_blocker.unblock():
        assert table_hashes() == shop


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--customers", "0"], "--customers"),
        (["--customers", "-5"], "--customers"),
        (["--customers", "200", "--orders", "150"], "--orders"),
        (["--customers", "200", "--orders", "10001"], "--orders"),
        (["--events", "-1"], "--events"),
        (["--seed", "-3"], "--seed"),
        (["--as-of", "2026-13-01"], "--as-of"),
        (["--customers", "many"], "--customers"),
        (["--if-empty", "--flush"], "--if-empty"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(args, named):
    with pytest.raises(CommandError, match=named):
        call_command("seed_demo", *args, "--no-progress", stdout=io.StringIO())
