"""Automations: who each trigger fires for, the cool-down, the holdout, the dry run, and a
daily run that can be repeated."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from campaigns.models import Automation, AutomationRecipient, Coupon, Message
from campaigns.services import automation_dry_run, automation_run, automations_run
from customers.models import TierChange
from tests import factories as f

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)
AT = timezone.make_aware(datetime(2026, 6, 15, 9))


def day(n: int) -> datetime:
    """``n`` days before the run, at noon."""
    return timezone.make_aware(datetime(2026, 6, 15, 12)) - timedelta(days=n)


def paid(customer, at):
    return f.OrderFactory(customer=customer, status="paid", created_at=at, paid_at=at)


def activation(**fields):
    defaults = {
        "name": "Activation",
        "trigger": Automation.Trigger.REGISTERED_NO_ORDER,
        "trigger_days": 1,
        "holdout_percent": 0,
        "cooldown_days": 365,
        "message": "Welcome {{ name }}: {{ offer }}, code {{ coupon_code }}",
        "coupon_template": f.CouponTemplateFactory(
            kind="threshold", value=D("50"), min_spend=D("99")
        ),
    }
    return f.AutomationFactory(**{**defaults, **fields})


def triggered(automation, as_of=TODAY) -> set[int]:
    dry = automation_dry_run(automation, as_of=as_of)
    return {row["customer_id"] for row in dry["sample"]}


def test_registered_without_an_order_after_a_day():
    fresh = f.CustomerFactory(registered_at=day(2))  # 2 days ago, no order: yes
    bought = f.CustomerFactory(registered_at=day(2))
    paid(bought, day(1))
    too_new = f.CustomerFactory(registered_at=AT - timedelta(hours=3))
    long_ago = f.CustomerFactory(registered_at=day(30))  # outside the 7-day catch-up
    pending = f.CustomerFactory(registered_at=day(3))
    f.OrderFactory(customer=pending, status="pending", created_at=day(2))  # not paid: still yes
    assert triggered(activation()) == {fresh.pk, pending.pk}
    assert {too_new.pk, long_ago.pk, bought.pk}.isdisjoint(triggered(activation(name="x")))


def test_days_since_last_order_is_a_window_after_n_days():
    win_back = f.AutomationFactory(trigger="days_since_last_order", trigger_days=90)
    due = f.CustomerFactory()
    paid(due, day(200))
    paid(due, day(92))
    recent = f.CustomerFactory()
    paid(recent, day(120))
    paid(recent, day(20))
    lapsed_long_ago = f.CustomerFactory()
    paid(lapsed_long_ago, day(130))
    assert triggered(win_back) == {due.pk}


def test_birthday_month_and_tier_upgrade():
    june = f.CustomerFactory(birthday=date(1990, 6, 30))
    f.CustomerFactory(birthday=date(1990, 7, 1))
    assert triggered(f.AutomationFactory(trigger="birthday", trigger_days=None)) == {june.pk}
    gold = f.TierFactory(name="Gold", rank=2)
    upgraded = f.CustomerFactory(tier=gold)
    TierChange.objects.create(customer=upgraded, to_tier=gold, reason="upgrade", changed_at=day(2))
    old = f.CustomerFactory(tier=gold)
    TierChange.objects.create(customer=old, to_tier=gold, reason="upgrade", changed_at=day(40))
    gift = f.AutomationFactory(trigger="tier_upgrade", trigger_days=None)
    assert triggered(gift) == {upgraded.pk}


def test_a_run_issues_contacts_and_can_be_repeated_the_same_day():
    people = [f.CustomerFactory(registered_at=day(2)) for _ in range(5)]
    opted_out = f.CustomerFactory(registered_at=day(2), marketing_opt_in=False)
    automation = activation()
    result = automation_run(automation, as_of=TODAY, at=AT)
    assert (result["candidates"], result["opted_out"], result["contacted"]) == (6, 1, 5)
    rows = AutomationRecipient.objects.filter(automation=automation)
    assert set(rows.values_list("customer_id", flat=True)) == {c.pk for c in people}
    assert Coupon.objects.filter(automation_recipient__automation=automation).count() == 5
    message = Message.objects.get(automation=automation, customer=people[0])
    assert message.body.startswith(f"Welcome {people[0].name}: spend 99, save 50, code ")
    assert not Message.objects.filter(customer=opted_out).exists()
    again = automation_run(automation, as_of=TODAY, at=AT + timedelta(hours=1))
    assert (again["new"], again["contacted"]) == (0, 0)
    assert Coupon.objects.count() == 5 and Message.objects.count() == 5


def test_the_cool_down_keeps_a_customer_from_a_second_offer():
    customer = f.CustomerFactory(registered_at=day(2))
    automation = activation(cooldown_days=30)
    assert automation_run(automation, as_of=TODAY, at=AT)["contacted"] == 1
    tomorrow = automation_run(
        automation, as_of=TODAY + timedelta(days=1), at=AT + timedelta(days=1)
    )
    assert (tomorrow["candidates"], tomorrow["cooling_down"], tomorrow["contacted"]) == (1, 1, 0)
    assert AutomationRecipient.objects.filter(customer=customer).count() == 1


def test_the_holdout_gets_nothing_and_is_recorded():
    for _ in range(200):
        f.CustomerFactory(registered_at=day(2))
    automation = activation(holdout_percent=25)
    result = automation_run(automation, as_of=TODAY, at=AT)
    control = AutomationRecipient.objects.filter(automation=automation, arm="control")
    assert control.count() == result["held_out"]
    assert 25 < control.count() < 80  # 25% of 200 = 50, sd 6
    assert not control.filter(coupon__isnull=False).exists()
    assert result["contacted"] == 200 - control.count()
    assert Message.objects.filter(automation=automation).count() == result["contacted"]


def test_dry_run_lists_who_gets_what_without_writing():
    people = [f.CustomerFactory(registered_at=day(2)) for _ in range(3)]
    dry = automation_dry_run(activation(), as_of=TODAY)
    assert dry["arms"] == {"control": 0, "treatment": 3}
    assert [row["external_id"] for row in dry["sample"]] == [c.external_id for c in people]
    assert {row["gets"] for row in dry["sample"]} == {"spend 99, save 50"}
    assert not AutomationRecipient.objects.exists() and not Coupon.objects.exists()


def test_the_daily_task_runs_every_active_automation():
    f.CustomerFactory(registered_at=day(2))
    activation()
    activation(name="Paused", active=False)
    results = automations_run(as_of=TODAY, at=AT)
    assert [r["automation"] for r in results] == ["Activation"]
    assert Automation.objects.get(name="Activation").last_run_at == AT
