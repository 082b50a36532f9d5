"""The segment rule language: each field and operator on a small hand-made shop."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.segment_rules import FIELDS, RuleError, compile_rule, customers_matching
from tests import factories as f

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 6, 30, 12, 0).date()


def at(days_before: int, hour: int = 10) -> datetime:
    day = AS_OF - timedelta(days=days_before)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def shop():
    """Four customers:

    ann  Gold, tags vip + price-sensitive, in VIP group; r=5 champions, active;
         paid 300 (10 days ago, channel live) + 200 (40 days ago, channel search); bought Shoes
    bob  Silver, tag price-sensitive; r=2 at_risk, churn_warning; paid 80 (120 days ago, search)
    cat  no tier, opted out; r=1 lost, lost; one cancelled order 5 days ago (not paid)
    dan  no tier, no score, no orders (a prospect)
    """
    gold, silver = f.TierFactory(name="Gold", rank=2), f.TierFactory(name="Silver", rank=1)
    vip_tag, price_tag = f.TagFactory(name="vip"), f.TagFactory(name="price-sensitive")
    vip_group = f.CommunityGroupFactory(name="VIP club", kind="vip")
    shoes, bags = f.CategoryFactory(name="Shoes"), f.CategoryFactory(name="Bags")
    live, search = f.ChannelFactory(code="live"), f.ChannelFactory(code="search")

    ann = f.CustomerFactory(name="ann", tier=gold, city="Hangzhou", gender="f", points_balance=0)
    bob = f.CustomerFactory(name="bob", tier=silver, city="Shanghai", gender="m")
    cat = f.CustomerFactory(name="cat", marketing_opt_in=False, city="Hangzhou", is_koc=True)
    dan = f.CustomerFactory(name="dan", registered_at=at(3))
    f.CustomerTagFactory(customer=ann, tag=vip_tag)
    f.CustomerTagFactory(customer=ann, tag=price_tag)
    f.CustomerTagFactory(customer=bob, tag=price_tag)
    f.GroupMembershipFactory(customer=ann, group=vip_group)
    left = f.GroupMembershipFactory(customer=bob, group=vip_group, joined_at=at(200))
    left.left_at = at(100)
    left.save()

    shoe_sku = f.SKUFactory(product=f.ProductFactory(category=shoes))
    bag_sku = f.SKUFactory(product=f.ProductFactory(category=bags))
    o1 = f.OrderFactory(customer=ann, channel=live, created_at=at(10), paid_total=Decimal("300"))
    f.OrderLineFactory(order=o1, sku=shoe_sku)
    o2 = f.OrderFactory(customer=ann, channel=search, created_at=at(40), paid_total=Decimal("200"))
    f.OrderLineFactory(order=o2, sku=bag_sku)
    o3 = f.OrderFactory(customer=bob, channel=search, created_at=at(120), paid_total=Decimal("80"))
    f.OrderLineFactory(order=o3, sku=bag_sku)
    o4 = f.OrderFactory(
        customer=cat, status="cancelled", created_at=at(5), paid_total=Decimal("999")
    )
    f.OrderLineFactory(order=o4, sku=shoe_sku)

    f.CustomerScoreFactory(
        customer=ann,
        r_score=5,
        f_score=4,
        m_score=5,
        rfm_segment="champions",
        lifecycle_stage="active",
        monetary=Decimal("500"),
        p_alive=0.9,
    )
    f.CustomerScoreFactory(
        customer=bob,
        r_score=2,
        f_score=1,
        m_score=1,
        rfm_segment="at_risk",
        lifecycle_stage="churn_warning",
        monetary=Decimal("80"),
        p_alive=0.4,
    )
    f.CustomerScoreFactory(
        customer=cat,
        r_score=1,
        f_score=1,
        m_score=1,
        rfm_segment="lost",
        lifecycle_stage="lost",
        monetary=Decimal("0"),
        p_alive=None,
    )
    return {"ann": ann, "bob": bob, "cat": cat, "dan": dan}


def names(rule) -> list[str]:
    return sorted(customers_matching(rule, as_of=AS_OF).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({}, ["ann", "bob", "cat", "dan"]),
        ({"all": []}, ["ann", "bob", "cat", "dan"]),
        ({"field": "r_score", "op": ">=", "value": 2}, ["ann", "bob"]),
        ({"field": "r_score", "op": "between", "value": [1, 2]}, ["bob", "cat"]),
        ({"field": "r_score", "op": "is_null", "value": True}, ["dan"]),
        ({"field": "monetary", "op": ">", "value": "79.99"}, ["ann", "bob"]),
        ({"field": "p_alive", "op": "<", "value": 0.5}, ["bob"]),
        ({"field": "rfm_segment", "op": "in", "value": ["champions", "lost"]}, ["ann", "cat"]),
        # != and not_in negate = and in: dan, who has no score yet, is "not lost"
        ({"field": "lifecycle_stage", "op": "!=", "value": "lost"}, ["ann", "bob", "dan"]),
        ({"field": "tier", "op": "in", "value": ["Gold", "Diamond"]}, ["ann"]),
        ({"field": "tier", "op": "not_in", "value": ["Gold"]}, ["bob", "cat", "dan"]),
        ({"field": "tier_rank", "op": ">=", "value": 1}, ["ann", "bob"]),
        ({"field": "tags", "op": "has", "value": "price-sensitive"}, ["ann", "bob"]),
        ({"field": "tags", "op": "has_not", "value": "price-sensitive"}, ["cat", "dan"]),
        ({"field": "tags", "op": "has_all", "value": ["vip", "price-sensitive"]}, ["ann"]),
        # bob left the VIP club: only current memberships count
        ({"field": "groups", "op": "has", "value": "VIP club"}, ["ann"]),
        ({"field": "city", "op": "=", "value": "Hangzhou"}, ["ann", "cat"]),
        ({"field": "city", "op": "contains", "value": "hai"}, ["bob"]),
        ({"field": "gender", "op": "=", "value": "m"}, ["bob"]),
        ({"field": "marketing_opt_in", "op": "=", "value": False}, ["cat"]),
        ({"field": "is_koc", "op": "=", "value": True}, ["cat"]),
        ({"field": "registered_at", "op": ">=", "value": "2026-06-01"}, ["dan"]),
        # ann paid 300 + 200 in the last 90 days; bob's 80 is 120 days old; cat's order is cancelled
        ({"field": "spent", "days": 90, "op": ">=", "value": 500}, ["ann"]),
        ({"field": "spent", "days": 30, "op": "=", "value": 300}, ["ann"]),
        ({"field": "spent", "days": 365, "op": "<", "value": 100}, ["bob", "cat", "dan"]),
        ({"field": "orders", "days": 365, "op": "=", "value": 0}, ["cat", "dan"]),
        ({"field": "orders", "days": 365, "op": "not_in", "value": [0]}, ["ann", "bob"]),
        ({"field": "orders", "days": 365, "op": "between", "value": [0, 0]}, ["cat", "dan"]),
        ({"field": "orders", "days": 365, "op": "!=", "value": 0}, ["ann", "bob"]),
        ({"field": "orders", "days": 41, "op": ">=", "value": 2}, ["ann"]),
        # the 40-days-ago order is on day 41 of a window that ends today: out of a 40-day window
        ({"field": "orders", "days": 40, "op": ">=", "value": 2}, []),
        ({"field": "bought_category", "op": "has", "value": "Shoes"}, ["ann"]),
        ({"field": "bought_category", "op": "has", "value": "Bags"}, ["ann", "bob"]),
        ({"field": "bought_category", "days": 60, "op": "has", "value": "Bags"}, ["ann"]),
        ({"field": "bought_category", "op": "has_not", "value": "Shoes"}, ["bob", "cat", "dan"]),
        ({"field": "last_order_channel", "op": "=", "value": "live"}, ["ann"]),
        ({"field": "last_order_channel", "op": "=", "value": "search"}, ["bob"]),
        ({"field": "last_order_channel", "op": "!=", "value": "live"}, ["bob"]),
        (
            {
                "all": [
                    {"field": "r_score", "op": ">=", "value": 2},
                    {
                        "any": [
                            {"field": "tier", "op": "in", "value": ["Gold", "Diamond"]},
                            {"field": "tags", "op": "has", "value": "price-sensitive"},
                        ]
                    },
                    {"not": {"field": "lifecycle_stage", "op": "=", "value": "churn_warning"}},
                ]
            },
            ["ann"],
        ),
        (
            {
                "any": [
                    {"field": "spent", "days": 90, "op": ">", "value": 0},
                    {"field": "is_koc", "op": "=", "value": True},
                ]
            },
            ["ann", "cat"],
        ),
    ],
)
def test_rule_selects_exactly_the_expected_customers(shop, rule, expected):
    assert names(rule) == expected


def test_a_rule_is_one_query(shop, django_assert_num_queries):
    rule = {
        "all": [
            {"field": "spent", "days": 90, "op": ">=", "value": 100},
            {"field": "tags", "op": "has", "value": "vip"},
            {"field": "last_order_channel", "op": "in", "value": ["live", "search"]},
            {"field": "bought_category", "op": "has_any", "value": ["Shoes", "Bags"]},
        ]
    }
    with django_assert_num_queries(1):
        assert list(customers_matching(rule, as_of=AS_OF).values_list("name", flat=True)) == ["ann"]


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ([], "", "must be a JSON object"),
        ({"field": "shoe_size", "op": "=", "value": 1}, "field", "unknown field 'shoe_size'"),
        (
            {"field": "r_score", "op": "~", "value": 1},
            "op",
            "operator '~' does not apply to r_score",
        ),
        ({"field": "tags", "op": ">", "value": 1}, "op", "does not apply to tags"),
        ({"field": "r_score", "op": ">=", "value": "high"}, "value", "'high' is not a number"),
        ({"field": "r_score", "op": ">=", "value": 2.5}, "value", "expected a whole number"),
        ({"field": "r_score", "op": ">=", "value": True}, "value", "expected a number"),
        ({"field": "r_score", "op": "between", "value": [4, 2]}, "value", "low ≤ high"),
        ({"field": "r_score", "op": "in", "value": []}, "value", "non-empty list"),
        ({"field": "rfm_segment", "op": "=", "value": "vip"}, "value", "'vip' is not one of"),
        ({"field": "registered_at", "op": ">", "value": "yesterday"}, "value", "is not a date"),
        ({"field": "spent", "op": ">", "value": 1}, "days", "'days' must be a whole number"),
        ({"field": "spent", "days": 0, "op": ">", "value": 1}, "days", "from 1 to 3650"),
        ({"field": "r_score", "days": 30, "op": ">", "value": 1}, "days", "takes no 'days'"),
        ({"field": "tags", "op": "has", "value": ""}, "value", "takes one name"),
        (
            {"field": "r_score", "op": ">", "value": 1, "colour": "red"},
            "",
            "unknown key(s) ['colour']",
        ),
        ({"all": {"field": "r_score"}}, "all", "takes a list"),
        ({"all": [], "any": []}, "", "exactly one key"),
        (
            {"all": [{"field": "r_score", "op": ">", "value": 1}, "x"]},
            "all[1]",
            "must be an object",
        ),
        (
            {"any": [{"all": [{"field": "nope", "op": "=", "value": 1}]}]},
            "any[0].all[0].field",
            "unknown field",
        ),
        (
            {"not": {"field": "r_score", "op": "is_null", "value": "yes"}},
            "not.value",
            "true or false",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_place(rule, path, message):
    with pytest.raises(RuleError) as excinfo:
        compile_rule(rule, as_of=AS_OF)
    assert excinfo.value.path == path
    assert message in excinfo.value.message


def test_too_deep_rules_are_refused():
    rule: dict = {"field": "r_score", "op": ">", "value": 1}
    for _ in range(10):
        rule = {"not": rule}
    with pytest.raises(RuleError, match="nest at most"):
        compile_rule(rule)


def test_every_field_has_a_label_and_operators():
    for name, field in FIELDS.items():
        assert field.label, name
        assert field.ops, name
