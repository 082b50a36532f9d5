from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.services.tags import tags_compute
from customers.models import CustomerTag, Tag
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def at(days_before: int, hour: int = 12) -> datetime:
    day = AS_OF - timedelta(days=days_before)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def test_computed_tags_are_replaced_and_manual_tags_kept():
    bargain = f.CustomerFactory(name="bargain")
    for days, discount in [(3, "5"), (10, "5"), (20, "0")]:  # 2 of 3 discounted
        f.OrderFactory(customer=bargain, created_at=at(days), discount_total=Decimal(discount))
    sharer = f.CustomerFactory(name="sharer")
    for days in range(5):
        f.EventFactory(customer=sharer, type="share", occurred_at=at(days))
    referrer = f.CustomerFactory(name="referrer")  # 1 share + 2 paying referrals × 3 = 7
    f.EventFactory(customer=referrer, type="share", occurred_at=at(1))
    for _ in range(2):
        f.OrderFactory(customer=f.CustomerFactory(referred_by=referrer), created_at=at(4))
    f.CustomerFactory(referred_by=referrer)  # referred, never paid: does not count
    vip = f.TagFactory(name="vip", kind="manual")
    f.CustomerTagFactory(customer=bargain, tag=vip)

    result = tags_compute(as_of=AS_OF)
    assert result.assigned["price-sensitive"] == 1
    assert result.assigned["koc-candidate"] == 2
    links = set(CustomerTag.objects.values_list("customer__name", "tag__name", "source"))
    assert ("bargain", "price-sensitive", "computed") in links
    assert ("sharer", "koc-candidate", "computed") in links
    assert ("referrer", "koc-candidate", "computed") in links
    assert ("bargain", "vip", "manual") in links
    assert Tag.objects.get(name="night-shopper").kind == "computed"

    # 120 days later every share is older than 90 days, so the KOC tags go; manual tags stay.
    tags_compute(as_of=AS_OF + timedelta(days=120))
    links = set(CustomerTag.objects.values_list("customer__name", "tag__name"))
    assert ("sharer", "koc-candidate") not in links
    assert ("referrer", "koc-candidate") in links  # 2 paying referrals × 3 = 6 ≥ 5
    assert ("bargain", "vip") in links


def test_a_manual_tag_with_a_computed_name_is_left_alone():
    manual = f.TagFactory(name="night-shopper", kind="manual")
    customer = f.CustomerFactory()
    f.CustomerTagFactory(customer=customer, tag=manual)
    result = tags_compute(as_of=AS_OF)
    assert result.skipped == ("night-shopper",)
    assert CustomerTag.objects.filter(tag=manual, customer=customer).exists()


def test_links_are_written_in_bulk_with_one_source_and_one_assigned_at(
    django_assert_max_num_queries,
):
    # 30 customers with 2 discounted orders each are price-sensitive; a link of that tag
    # made by hand is replaced by the computed one, as every link of a computed tag is.
    customers = [f.CustomerFactory() for _ in range(30)]
    for customer in customers:
        for days in (3, 5):
            f.OrderFactory(customer=customer, created_at=at(days), discount_total=Decimal("5"))
    tag = f.TagFactory(name="price-sensitive", kind="computed")
    f.CustomerTagFactory(customer=customers[0], tag=tag, source="manual")
    # The reads (orders, lines and returns table by table, twice outside a run's shared
    # frames), the tags made on the first run (savepoints), one DELETE, one INSERT or
    # COPY: as many statements for 30 customers as for 30,000.
    with django_assert_max_num_queries(38):
        result = tags_compute(as_of=AS_OF)
    assert result.assigned["price-sensitive"] == 30
    links = CustomerTag.objects.filter(tag=tag)
    assert sorted(links.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers)
    assert set(links.values_list("source", flat=True)) == {"computed"}
    assert links.values("assigned_at").distinct().count() == 1


def test_a_link_the_rules_still_give_keeps_the_day_it_came(settings):
    # sharer: 5 shares -> koc-candidate on both runs; bargain: 2 discounted orders ->
    # price-sensitive on the first run only, once the threshold is raised to 3 orders.
    sharer, bargain = f.CustomerFactory(name="sharer"), f.CustomerFactory(name="bargain")
    for days in range(5):
        f.EventFactory(customer=sharer, type="share", occurred_at=at(days))
    for days in (3, 10):
        f.OrderFactory(customer=bargain, created_at=at(days), discount_total=Decimal("5"))
    tags_compute(as_of=AS_OF)
    first = dict(CustomerTag.objects.values_list("customer__name", "assigned_at"))
    assert set(first) == {"sharer", "bargain"}

    settings.ANALYTICS = {**settings.ANALYTICS, "TAG_THRESHOLDS": {"price_min_orders": 3}}
    for days in (1, 2):  # 2 more shares: sharer's tag stays
        f.EventFactory(customer=sharer, type="share", occurred_at=at(days))
    tags_compute(as_of=AS_OF)
    second = dict(CustomerTag.objects.values_list("customer__name", "assigned_at"))
    assert second == {"sharer": first["sharer"]}  # unchanged, bargain's link gone
