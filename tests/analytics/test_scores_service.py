"""The scores step end to end on a shop small enough to check by hand."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.utils import timezone

from analytics.metrics.scores import line_figures
from analytics.models import CustomerScore
from analytics.services import scores_compute
from analytics.services.run import analytics_run
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def at(days_before: int, hour: int = 20) -> datetime:
    day = AS_OF - timedelta(days=days_before)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def order(
    customer, days_before, total, *, hour=20, sku=None, cost="0", status="completed", channel=None
):
    o = f.OrderFactory(
        customer=customer,
        created_at=at(days_before, hour),
        status=status,
        paid_total=Decimal(total),
        goods_total=Decimal(total),
        channel=channel,
    )
    f.OrderLineFactory(
        order=o,
        sku=sku or f.SKUFactory(),
        quantity=1,
        unit_price=Decimal(total),
        unit_cost=Decimal(cost),
    )
    return o


@pytest.fixture
def shop():
    """Five customers (RFM window 365 days, as of 2026-06-30):

    ann: orders 5 and 40 days ago, 100 + 300, shoes at 20:00  -> R 5, F 5, M 5 (ranks: see test)
    bob: one order 100 days ago, 400 (then a 30 refund)        -> churn_warning
    cat: one order 200 days ago, 50                             -> lost
    dan: orders 400 and 10 days ago (gap 390 > 90: won back), 80 + 20 -> won_back; F 1 in window
    eve: registered, never paid (one cancelled order)           -> prospect, no scores
    """
    shoes = f.CategoryFactory(name="Shoes")
    shoe_sku = f.SKUFactory(product=f.ProductFactory(category=shoes))
    live = f.ChannelFactory(code="live", commission_rate=Decimal("10"))
    people = {
        n: f.CustomerFactory(name=n, registered_at=at(500))
        for n in ["ann", "bob", "cat", "dan", "eve"]
    }
    order(people["ann"], 5, "100", sku=shoe_sku, cost="40", channel=live)
    order(people["ann"], 40, "300", sku=shoe_sku, cost="100", hour=9)
    bob_order = order(people["bob"], 100, "400")
    f.ReturnFactory(
        order=bob_order, order_line=bob_order.lines.get(), quantity=1, refund_amount=Decimal("30")
    )
    order(people["cat"], 200, "50")
    order(people["dan"], 400, "80")
    order(people["dan"], 10, "20")
    order(people["eve"], 3, "999", status="cancelled")
    return people


def test_scores_of_every_customer(shop):
    result = scores_compute(as_of=AS_OF)
    assert (result.customers, result.scored) == (5, 4)
    rows = {s.customer.name: s for s in CustomerScore.objects.select_related("customer")}

    # Recency: ann 5, dan 10, bob 100, cat 200 days -> ranked on −recency (n = 4):
    # cat rank 1 -> 1 + floor(5·0/4) = 1; bob 2 -> 1 + floor(5/4) = 2; dan 3 -> 1 + floor(10/4) = 3;
    # ann 4 -> 1 + floor(15/4) = 4.
    assert {n: rows[n].r_score for n in ["ann", "bob", "cat", "dan"]} == {
        "ann": 4,
        "dan": 3,
        "bob": 2,
        "cat": 1,
    }
    # Frequency in the window: ann 2, others 1 (dan's 400-days-old order is outside) ->
    # the three 1s tie at rank 1 -> score 1; ann rank 4 -> 4.
    assert {n: rows[n].f_score for n in ["ann", "bob", "cat", "dan"]} == {
        "ann": 4,
        "bob": 1,
        "cat": 1,
        "dan": 1,
    }
    # Monetary (net): ann 400, bob 370, cat 50, dan 20 -> dan 1, cat 2, bob 3, ann 4.
    assert {n: rows[n].m_score for n in ["ann", "bob", "cat", "dan"]} == {
        "dan": 1,
        "cat": 2,
        "bob": 3,
        "ann": 4,
    }
    assert rows["bob"].monetary == Decimal("370.00")
    assert rows["dan"].frequency == 1

    assert {n: rows[n].lifecycle_stage for n in rows} == {
        "ann": "active",
        "bob": "churn_warning",
        "cat": "lost",
        "dan": "won_back",
        "eve": "prospect",
    }
    # 8 classes (high = score ≥ 3): ann HHH; bob L L H; cat L L L; dan H L L.
    assert {n: rows[n].rfm_class for n in rows} == {
        "ann": "important_value",
        "bob": "important_win_back",
        "cat": "general_win_back",
        "dan": "general_develop",
        "eve": "",
    }
    # 11 segments on R × FM, FM = ceil((F + M) / 2): ann R4 FM4 loyal; bob R2 FM2 hibernating;
    # cat R1 FM2 lost; dan R3 FM1 about_to_sleep.
    assert {n: rows[n].rfm_segment for n in rows} == {
        "ann": "loyal",
        "bob": "hibernating",
        "cat": "lost",
        "dan": "about_to_sleep",
        "eve": "",
    }
    assert rows["eve"].r_score is None and rows["eve"].recency_days is None
    assert rows["eve"].frequency == 0 and rows["eve"].historical_value == Decimal("0.00")

    # Historical value is all history: dan 80 + 20.
    assert rows["dan"].historical_value == Decimal("100.00")
    assert rows["ann"].preferred_hour == 9  # one order at 9, one at 20: the tie goes to 9
    assert rows["ann"].last_order_at == at(5)
    assert rows["dan"].first_order_at == at(400)
    assert rows["dan"].recency_days == 10


def test_too_few_repeat_customers_leave_predictions_empty_and_say_why(shop):
    result = scores_compute(as_of=AS_OF)
    assert result.predicted == 0
    assert result.bgnbd_params is None
    assert "could not be fitted" in result.notes[0]
    assert not CustomerScore.objects.filter(p_alive__isnull=False).exists()


def test_recompute_updates_rows_in_place(shop):
    scores_compute(as_of=AS_OF)
    scores_compute(as_of=AS_OF + timedelta(days=100))
    assert CustomerScore.objects.count() == 5
    ann = CustomerScore.objects.get(customer__name="ann")
    assert (ann.as_of, ann.recency_days, ann.lifecycle_stage) == (
        AS_OF + timedelta(days=100),
        105,
        "churn_warning",
    )


def test_the_tags_step_stores_contribution_and_preferred_category(shop):
    scores_compute(as_of=AS_OF)
    analytics_run(as_of=AS_OF, only=["tags"])
    rows = {s.customer.name: s for s in CustomerScore.objects.select_related("customer")}

    # Contribution: ann 400 − cogs 140 − 10% commission on the live order (10) = 250;
    # bob 400 − 30 refunded − 0 cogs = 370; eve never paid: 0.
    assert rows["ann"].historical_contribution == Decimal("250.00")
    assert rows["bob"].historical_contribution == Decimal("370.00")
    assert rows["eve"].historical_contribution == Decimal("0.00")
    assert rows["ann"].preferred_category.name == "Shoes"  # both of ann's lines
    assert rows["eve"].preferred_category is None

    # A later scores run keeps them (the scores step reads the orders only).
    scores_compute(as_of=AS_OF)
    assert CustomerScore.objects.get(customer__name="ann").historical_contribution == Decimal(
        "250.00"
    )


def test_line_figures_break_ties_on_the_smallest_category():
    orders = pd.DataFrame(
        {
            "customer_id": [1.0, 2.0, None],
            "paid_total": [100.0, 50.0, 70.0],
            "refunds": [0.0, 10.0, 0.0],
            "cogs": [30.0, 5.0, 1.0],
            "commission": [5.0, 0.0, 0.0],
            "logistics_cost": [2.0, 3.0, 0.0],
        }
    )
    lines = pd.DataFrame(
        {
            "customer_id": [1.0, 1.0, 2.0, 2.0, None],
            "category_id": [9, 4, 7, 3, 1],
            "net_amount": [50.0, 50.0, 10.0, 30.0, 70.0],
        }
    )
    figures = line_figures(orders, lines)
    # 1: 100 − 30 − 5 − 2 = 63, categories 9 and 4 tie at 50 -> 4;
    # 2: 50 − 10 − 5 − 0 − 3 = 32, category 3 (30 > 10). The guest is left out.
    assert figures["historical_contribution"].to_dict() == {1: 63.0, 2: 32.0}
    assert figures["preferred_category_id"].to_dict() == {1: 4, 2: 3}
