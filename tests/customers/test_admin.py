"""PII in the customer admin: ops staff see it, store managers and analysts see it masked."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(
        name="Zhang Wei", email="zhang.wei@example.com", phone="13812341234", birthday="1990-05-17"
    )


def login(client, role):
    user = UserFactory(username=role.replace(" ", "").lower())
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def test_ops_staff_see_and_search_pii(client, customer):
    client = login(client, "Ops staff")
    listing = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "zhang.wei@example.com" in listing and "13812341234" in listing
    found = client.get(reverse("admin:customers_customer_changelist"), {"q": "13812341234"})
    assert found.context["cl"].result_count == 1
    page = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()
    assert 'value="zhang.wei@example.com"' in page
    assert 'value="1990-05-17"' in page


@pytest.mark.parametrize("role", ["Store manager", "Analyst"])
def test_other_roles_see_pii_masked_and_cannot_search_it(client, customer, role):
    client = login(client, role)
    listing = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "z***@example.com" in listing and "138****1234" in listing
    assert "zhang.wei@example.com" not in listing and "13812341234" not in listing
    found = client.get(reverse("admin:customers_customer_changelist"), {"q": "13812341234"})
    assert found.context["cl"].result_count == 0
    page = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()
    assert "z***@example.com" in page and "****-**-**" in page
    assert "zhang.wei" not in page and "1990-05-17" not in page and "13812341234" not in page


def test_store_managers_cannot_change_customers(client, customer):
    client = login(client, "Store manager")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    assert b'name="_save"' not in client.get(url).content
    client.post(url, {"name": "Changed"})
    customer.refresh_from_db()
    assert customer.name == "Zhang Wei"


def test_customer_page_shows_scores_recent_orders_and_the_ledger(admin_client):
    from tests.factories import CustomerScoreFactory, OrderFactory, PointsEntryFactory

    customer = CustomerFactory()
    OrderFactory(customer=customer, external_id="SO-1")
    PointsEntryFactory(customer=customer, delta=120, balance_after=120, reference="SO-1")
    PointsEntryFactory(customer=customer, delta=-20, balance_after=100, reason="redemption")
    CustomerScoreFactory(customer=customer, r_score=5, f_score=4, m_score=3, rfm_segment="loyal")
    page = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()
    assert "R5 F4 M3 · loyal · active" in page
    assert "SO-1" in page
    assert ">+120<" in page and ">-20<" in page and ">100<" in page
