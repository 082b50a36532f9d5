"""Affinity, recommendations and forecast steps on hand-checkable data."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import ForecastAccuracy, ProductAffinity, ProductForecast, Recommendation
from analytics.services.products import affinity_compute, forecast_compute
from analytics.services.recommendations import recommendations_compute
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 28)  # a Sunday


def at(days_before: int) -> datetime:
    day = AS_OF - timedelta(days=days_before)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


def basket(customer, days_before, *skus, quantity=1):
    order = f.OrderFactory(customer=customer, created_at=at(days_before))
    for sku in skus:
        f.OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=Decimal("10"))
    return order


@pytest.fixture
def catalogue():
    cats = [f.CategoryFactory(name=n) for n in ("Tops", "Shoes", "Bags")]
    skus = {
        name: f.SKUFactory(product=f.ProductFactory(name=name, category=cat), stock_on_hand=stock)
        for name, cat, stock in [
            ("shirt", cats[0], 5),
            ("socks", cats[0], 5),
            ("boots", cats[1], 5),
            ("sandals", cats[1], 0),
            ("tote", cats[2], 5),
        ]
    }
    return skus


def test_affinity_rules_by_hand(settings, catalogue):
    """4 orders: {shirt, socks}, {shirt, socks}, {shirt, boots}, {tote}.

    support(shirt, socks) = 2/4; confidence(socks → shirt) = 0.5 / 0.5 = 1;
    confidence(shirt → socks) = 0.5 / 0.75; lift = 1 / 0.75 = 4/3.
    """
    settings.ANALYTICS = {**settings.ANALYTICS, "AFFINITY_MIN_SUPPORT": 0.3}
    c = f.CustomerFactory()
    s = catalogue
    basket(c, 1, s["shirt"], s["socks"])
    basket(c, 2, s["shirt"], s["socks"])
    basket(c, 3, s["shirt"], s["boots"])
    basket(c, 4, s["tote"])
    result = affinity_compute(as_of=AS_OF)
    assert (result.orders, result.rules) == (4, 2)  # boots pair has support 1/4 < 0.3
    rule = ProductAffinity.objects.get(product_a__name="socks", product_b__name="shirt")
    assert (rule.pair_count, rule.support, rule.confidence) == (2, 0.5, 1.0)
    assert rule.lift == pytest.approx(4 / 3)
    back = ProductAffinity.objects.get(product_a__name="shirt", product_b__name="socks")
    assert back.confidence == pytest.approx(2 / 3)


def test_recommendations_skip_bought_and_out_of_stock_products(catalogue):
    s = catalogue
    for _ in range(3):
        basket(f.CustomerFactory(), 5, s["shirt"], s["socks"], s["sandals"])
    basket(f.CustomerFactory(), 5, s["shirt"], s["boots"])
    me = f.CustomerFactory()
    basket(me, 1, s["shirt"])
    result = recommendations_compute(as_of=AS_OF)
    assert result.customers >= 1
    mine = list(Recommendation.objects.filter(customer=me).values_list("product__name", flat=True))
    # socks (co-bought with shirt 3 times) before boots (once); shirt already bought;
    # sandals out of stock; tote never co-bought with what I bought.
    assert mine == ["socks", "boots"]


def test_forecast_of_steady_sales_is_steady_with_zero_backtest_error(catalogue):
    c = f.CustomerFactory()
    for week in range(12):  # 3 units of boots every week for 12 whole weeks
        basket(c, 7 * week + 3, catalogue["boots"], quantity=3)
    result = forecast_compute(as_of=AS_OF)
    # Sales start on a Thursday: that first, partial week is left out, so 11 whole weeks.
    assert (result.products, result.weeks_of_history) == (1, 11)
    assert result.mape == 0 and result.wape == 0
    weeks = list(ProductForecast.objects.values_list("week_start", "units"))
    assert weeks == [(AS_OF + timedelta(days=1 + 7 * i), 3.0) for i in range(4)]
    accuracy = ForecastAccuracy.objects.get()
    assert (accuracy.actual_units, accuracy.abs_error, accuracy.nonzero_weeks) == (12.0, 0.0, 4)


def test_forecast_needs_enough_weeks(catalogue):
    basket(f.CustomerFactory(), 3, catalogue["boots"])
    result = forecast_compute(as_of=AS_OF)
    assert result.products == 0
    assert "at least 6 needed" in result.note
