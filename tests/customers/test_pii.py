from datetime import date

import pytest

from customers.pii import can_view_pii, mask_birthday, mask_email, mask_phone
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("zhang.wei@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("", ""),
        ("not-an-email", "n***"),
    ],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+8613812341234", "+86*******1234"),
        ("12345678", "123*5678"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_birthday():
    assert mask_birthday(date(1990, 5, 17)) == "****-**-**"
    assert mask_birthday(None) == ""


@pytest.mark.django_db
def test_only_holders_of_view_pii_may_see_it():
    from django.contrib.auth.models import Permission

    plain = UserFactory(username="plain")
    assert not can_view_pii(plain)
    assert not can_view_pii(None)
    allowed = UserFactory(username="allowed")
    allowed.user_permissions.add(Permission.objects.get(codename="view_pii"))
    assert can_view_pii(type(allowed).objects.get(pk=allowed.pk))
    assert can_view_pii(UserFactory(username="boss", is_superuser=True))
