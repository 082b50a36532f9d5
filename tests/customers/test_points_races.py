"""The ledger under 1,000 concurrent awards and spends on PostgreSQL (`make test-services`).

60 connections in flight at a time (the server allows 100)."""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Sum

from customers.models import PointsEntry
from customers.services import PointsError, points_award, points_spend
from tests import factories as f

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_1000_concurrent_awards_and_spends_keep_the_balance_equal_to_the_ledger():
    customer = f.CustomerFactory()
    rng = random.Random(5)
    calls = [(rng.random() < 0.5, rng.randrange(1, 40), i) for i in range(1000)]
    calls += [calls[i] for i in range(0, 1000, 50)]  # 20 retries of earlier calls

    def run(call) -> tuple[int, str]:
        award, points, i = call
        return i, attempt(award, points, i)

    def attempt(award, points, i) -> str:
        try:
            if award:
                points_award(
                    customer=customer.pk, points=points, reason="order", idempotency_key=f"k{i}"
                )
            else:
                points_spend(
                    customer=customer.pk,
                    points=points,
                    reason="redemption",
                    idempotency_key=f"k{i}",
                )
            return "ok"
        except PointsError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=60) as pool:
        outcomes = list(pool.map(run, calls))
    results = Counter(outcome for _, outcome in outcomes)
    written_keys = {f"k{i}" for i, outcome in outcomes if outcome == "ok"}
    customer.refresh_from_db()
    entries = PointsEntry.objects.filter(customer=customer)
    assert customer.points_balance == entries.aggregate(s=Sum("delta"))["s"] >= 0
    # each key wrote at most once, however often it was tried
    assert set(entries.values_list("idempotency_key", flat=True)) == written_keys
    assert entries.count() == len(written_keys)
    assert results["ok"] + results["insufficient_points"] == len(calls)
    assert results["insufficient_points"] > 0  # some spends met an empty balance
    # replaying the ledger in write order never goes below zero and ends at the balance
    running = 0
    for delta, after in entries.order_by("pk").values_list("delta", "balance_after"):
        running += delta
        assert after == running >= 0
