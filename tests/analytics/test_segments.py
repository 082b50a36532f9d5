from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from analytics.models import Segment
from analytics.selectors import segment_members, segment_rule_preview
from analytics.services import segment_create, segment_snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db

HIGH_R = {"field": "r_score", "op": ">=", "value": 4}


@pytest.fixture
def scored():
    """r scores 5, 4, 4, 2 with monetary 100, 300, 200, 900."""
    rows = [("a", 5, "100"), ("b", 4, "300"), ("c", 4, "200"), ("d", 2, "900")]
    return {
        name: f.CustomerScoreFactory(
            customer=f.CustomerFactory(name=name, external_id=name.upper()),
            r_score=r,
            monetary=Decimal(m),
        ).customer
        for name, r, m in rows
    }


def test_preview_counts_and_samples_highest_value_first(scored, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count, then the sample
        preview = segment_rule_preview(rule=HIGH_R, sample_size=2)
    assert preview.count == 3
    assert [row["name"] for row in preview.sample] == ["b", "c"]
    assert preview.sample[0]["score__monetary"] == Decimal("300.00")


def test_a_preview_that_sums_orders_counts_and_samples_in_one_query(
    scored, django_assert_num_queries
):
    # paid in the 90 days to 30 June: a 150, b 50, c 60 + 60, d 500 (r score 2: out).
    # R ≥ 4 and spent ≥ 100: a and c; highest value first: c (200), then a (100).
    from datetime import UTC, date, datetime

    for name, totals in (("a", [150]), ("b", [50]), ("c", [60, 60]), ("d", [500])):
        for total in totals:
            f.OrderFactory(
                customer=scored[name],
                created_at=datetime(2026, 6, 20, 9, tzinfo=UTC),
                paid_at=datetime(2026, 6, 20, 10, tzinfo=UTC),
                paid_total=Decimal(total),
            )
    rule = {"all": [HIGH_R, {"field": "spent", "days": 90, "op": ">=", "value": 100}]}
    with django_assert_num_queries(1):
        preview = segment_rule_preview(rule=rule, as_of=date(2026, 6, 30), sample_size=1)
    assert preview.count == 2  # every match, not only the sample
    assert [row["name"] for row in preview.sample] == ["c"]
    # the same columns as the two-query preview of a rule that sums nothing
    assert set(preview.sample[0]) == set(segment_rule_preview(rule=HIGH_R).sample[0])
    nobody = {"all": [rule, {"field": "city", "op": "=", "value": "No such city"}]}
    assert segment_rule_preview(rule=nobody, as_of=date(2026, 6, 30)).count == 0


def test_sums_orders_finds_a_spent_or_orders_condition_at_any_depth():
    from analytics.segment_rules import sums_orders

    spent = {"field": "spent", "days": 30, "op": ">=", "value": 1}
    assert sums_orders({"all": [HIGH_R, {"any": [{"not": spent}]}]})
    assert sums_orders({"field": "orders", "days": 30, "op": "=", "value": 0})
    assert not sums_orders({"all": [HIGH_R, {"any": [{"not": HIGH_R}]}]})
    assert not sums_orders({})


def test_dynamic_segment_follows_the_data(scored):
    segment = segment_create(name="Recent buyers", rule=HIGH_R)
    assert segment.member_count == 3
    scored["d"].score.r_score = 5
    scored["d"].score.save()
    assert sorted(segment_members(segment=segment).values_list("name", flat=True)) == [
        "a",
        "b",
        "c",
        "d",
    ]


def test_static_segment_keeps_its_snapshot_until_retaken(scored):
    segment = segment_create(name="Snapshot", rule=HIGH_R, kind=Segment.Kind.STATIC)
    assert segment.member_count == 3
    scored["d"].score.r_score = 5
    scored["d"].score.save()
    scored["a"].score.r_score = 1
    scored["a"].score.save()
    assert sorted(segment_members(segment=segment).values_list("name", flat=True)) == [
        "a",
        "b",
        "c",
    ]
    assert segment_snapshot(segment=segment) == 3
    assert sorted(segment_members(segment=segment).values_list("name", flat=True)) == [
        "b",
        "c",
        "d",
    ]


def test_a_bad_rule_is_refused_with_the_field_named(db):
    with pytest.raises(ValidationError) as excinfo:
        segment_create(name="Broken", rule={"field": "shoe_size", "op": "=", "value": 42})
    assert "unknown field 'shoe_size'" in str(excinfo.value.message_dict["rule"])
    assert not Segment.objects.exists()


def test_builtin_segments_cover_every_label_with_an_action(scored):
    from analytics.models import LifecycleStage, RfmClass, RfmSegment
    from analytics.services import segments_ensure_builtin, segments_refresh_counts

    expected = len(RfmSegment.choices) + len(RfmClass.choices) + len(LifecycleStage.choices)
    assert segments_ensure_builtin() == expected == 25
    assert segments_ensure_builtin() == expected  # idempotent
    assert Segment.objects.filter(is_builtin=True).count() == expected
    assert not Segment.objects.filter(is_builtin=True, recommended_action="").exists()
    champions = Segment.objects.get(rule={"field": "rfm_segment", "op": "=", "value": "champions"})
    assert "VIP group" in champions.recommended_action

    scored["a"].score.rfm_segment = "champions"
    scored["a"].score.save()
    assert segments_refresh_counts() == expected
    champions.refresh_from_db()
    assert champions.member_count == 1


def test_builtin_segments_show_name_and_action_in_the_active_language():
    from django.utils import translation

    from analytics.services import segments_ensure_builtin

    segments_ensure_builtin()
    champions = Segment.objects.get(name="RFM: champions")  # stored in English: its key
    custom = Segment.objects.create(name="My list", rule={}, recommended_action="Call them")
    with translation.override("zh-hans"):
        assert champions.label == "RFM:冠军客户"
        assert champions.action_text.startswith("回馈他们")
        assert str(champions) == "RFM:冠军客户"
        assert (custom.label, custom.action_text) == ("My list", "Call them")
    with translation.override("en"):
        assert champions.label == "RFM: champions"
