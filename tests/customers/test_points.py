"""The points ledger: awards, spends, adjustments, FIFO expiry, idempotency."""

from datetime import datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from customers.models import Customer, PointsEntry
from customers.services import (
    PointsError,
    points_adjust,
    points_award,
    points_expire,
    points_spend,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(datetime(2025, 1, 1, 12))


def balance(customer) -> int:
    customer.refresh_from_db()
    total = PointsEntry.objects.filter(customer=customer).aggregate(s=Sum("delta"))["s"] or 0
    assert customer.points_balance == total  # the balance is the ledger's sum
    return customer.points_balance


def test_award_spend_and_the_running_balance():
    customer = f.CustomerFactory()
    points_award(customer=customer, points=300, reason="order", idempotency_key="o1")
    spent = points_spend(customer=customer, points=120, reason="redemption", idempotency_key="s1")
    assert (spent.delta, spent.balance_after) == (-120, 180)
    assert balance(customer) == 180
    with pytest.raises(PointsError) as refused:
        points_spend(customer=customer, points=181, reason="redemption", idempotency_key="s2")
    assert refused.value.code == "insufficient_points"
    assert balance(customer) == 180 and not PointsEntry.objects.filter(idempotency_key="s2")


def test_a_repeated_key_writes_once():
    customer = f.CustomerFactory()
    first = points_award(customer=customer, points=50, reason="order", idempotency_key="order:7")
    again = points_award(customer=customer, points=50, reason="order", idempotency_key="order:7")
    assert again.pk == first.pk and balance(customer) == 50


def test_adjustments_need_a_reason_and_bad_amounts_are_refused():
    customer, staff = f.CustomerFactory(), f.UserFactory()
    with pytest.raises(PointsError):
        points_adjust(customer=customer, delta=10, note=" ", created_by=staff, idempotency_key="a")
    entry = points_adjust(
        customer=customer, delta=25, note="goodwill", created_by=staff, idempotency_key="a1"
    )
    assert (entry.reason, entry.note, entry.created_by) == ("adjustment", "goodwill", staff)
    for call in (
        lambda: points_award(customer=customer, points=0, reason="order", idempotency_key="z"),
        lambda: points_spend(customer=customer, points=-5, reason="order", idempotency_key="z"),
        lambda: points_adjust(
            customer=customer, delta=-26, note="x", created_by=staff, idempotency_key="z"
        ),
    ):
        with pytest.raises(PointsError):
            call()
    assert balance(customer) == 25


def test_expiry_takes_what_is_left_of_old_points_oldest_first():
    customer = f.CustomerFactory()
    points_award(customer=customer, points=100, reason="order", idempotency_key="a", at=T0)
    points_award(
        customer=customer,
        points=50,
        reason="order",
        idempotency_key="b",
        at=T0 + timedelta(days=200),
    )
    points_spend(
        customer=customer,
        points=70,
        reason="redemption",
        idempotency_key="c",
        at=T0 + timedelta(days=210),
    )
    # cutoff after the first award only: 100 earned before it, 70 consumed -> 30 expire
    cutoff = T0 + timedelta(days=100)
    expired = points_expire(customer=customer, cutoff=cutoff)
    assert (expired.delta, expired.reason, expired.balance_after) == (-30, "expiry", 50)
    assert points_expire(customer=customer, cutoff=cutoff) is None  # same cutoff: nothing more
    # a later cutoff covering both awards: 150 earned, 100 consumed -> the last 50 expire
    assert points_expire(customer=customer, cutoff=T0 + timedelta(days=300)).delta == -50
    assert balance(customer) == 0
    assert points_expire(customer=customer, cutoff=T0 + timedelta(days=400)) is None
    assert Customer.objects.get(pk=customer.pk).points_balance == 0
