"""Id-first admin search (ecomops.admin_tools.BigTableAdmin.get_search_results)."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def results(client, model: str, q: str) -> list:
    response = client.get(reverse(f"admin:{model}_changelist"), {"q": q})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def shop():
    wang = CustomerFactory(external_id="C-1", name="Wang Fang")
    li = CustomerFactory(external_id="C-2", name="Li C-1 Lei")  # the id inside a name
    orders = {
        "wang": OrderFactory(external_id="O-1", customer=wang),
        "wang2": OrderFactory(external_id="O-2", customer=wang),
        "li": OrderFactory(external_id="C-2", customer=li),  # an order id equal to a customer id
    }
    return wang, li, orders


def test_an_order_id_or_a_customer_id_finds_the_orders(admin_client, shop):
    *_, orders = shop
    assert results(admin_client, "catalog_order", "O-2") == [orders["wang2"]]
    assert set(results(admin_client, "catalog_order", "C-1")) == {orders["wang"], orders["wang2"]}
    # one term matching an order's id and another customer's id finds both
    assert set(results(admin_client, "catalog_order", " C-2 ")) == {orders["li"]}


def test_a_term_that_is_no_id_searches_the_text_fields(admin_client, shop):
    wang, li, _orders = shop
    assert results(admin_client, "customers_customer", "C-1") == [wang]  # the id wins
    assert results(admin_client, "customers_customer", "lei") == [li]
    assert results(admin_client, "customers_customer", "wang fang") == [wang]  # every word
    assert results(admin_client, "customers_customer", "nobody") == []


def test_a_table_with_only_id_fields_finds_nothing_for_other_terms(admin_client, shop):
    assert results(admin_client, "catalog_order", "Wang") == []


def test_a_foreign_key_id_is_matched_by_its_ids_not_a_join(admin_client, shop):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from catalog.admin import OrderAdmin
    from catalog.models import Order

    request = RequestFactory().get("/")
    request.user = type("U", (), {"is_active": True, "is_staff": True})()
    queryset, _ = OrderAdmin(Order, site).get_search_results(request, Order.objects.all(), "C-1")
    sql = str(queryset.query).upper()
    assert "JOIN" not in sql and "SELECT" not in sql.split("WHERE", 1)[1]
