from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from analytics.models import CustomerScore, DailyKPI, Event, Segment
from analytics.selectors.reports import ReportFilter, ReportFilterError
from catalog.models import Category, Channel
from ecomops.api.errors import ApiError


class EventSerializer(serializers.ModelSerializer):
    # Null when the event came without an id, from an anonymous visitor, or names no SKU
    # or channel (the schema says so; the recorded examples are checked against it).
    event_id = serializers.CharField(source="external_id", read_only=True, allow_null=True)
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True,
                                            allow_null=True)  # fmt: skip
    sku = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = ["id", "event_id", "customer", "session_id", "type", "sku", "product",
                  "channel", "occurred_at", "properties"]  # fmt: skip
        read_only_fields = fields


class EventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(help_text="the tool's event id (idempotency key)")
    customer_id = serializers.CharField(required=False, help_text="blank for anonymous visitors")
    session_id = serializers.CharField()
    type = serializers.ChoiceField(Event.Type.choices)
    sku = serializers.CharField(required=False)
    channel = serializers.CharField(required=False)
    occurred_at = serializers.DateTimeField()
    properties = serializers.DictField(required=False)


EVENT_EXAMPLE = {
    "event_id": "ev-000123",
    "customer_id": "C-20001",
    "session_id": "s-8f2a",
    "type": "product_view",
    "sku": "TEA-001-M",
    "channel": "search",
    "occurred_at": "2026-11-20T10:12:00+08:00",
    "properties": {"query": "oolong"},
}


class ScoreSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    churn_risk = serializers.SerializerMethodField()

    class Meta:
        model = CustomerScore
        fields = ["customer", "as_of", "recency_days", "frequency", "monetary", "r_score",
                  "f_score", "m_score", "rfm_segment", "rfm_class", "lifecycle_stage",
                  "first_order_at", "last_order_at", "historical_value",
                  "historical_contribution", "p_alive", "churn_risk",
                  "predicted_purchases_90d", "predicted_value_90d", "preferred_hour",
                  "preferred_category", "computed_at"]  # fmt: skip
        read_only_fields = fields

    def get_churn_risk(self, score) -> float | None:
        return None if score.p_alive is None else round(1 - score.p_alive, 6)


class SegmentSerializer(serializers.ModelSerializer):
    """A segment: a rule over customers (see docs/analytics.md, "Segments"), dynamic (re-evaluated) or
    static (members frozen when saved)."""

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "rule", "kind", "is_builtin",
                  "recommended_action", "member_count", "member_count_at", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["id", "is_builtin", "member_count", "member_count_at",
                            "created_at", "updated_at"]  # fmt: skip

        extra_kwargs = {"rule": {"required": True}}

    def validate_rule(self, rule):
        if not isinstance(rule, dict):
            raise serializers.ValidationError("a rule is a JSON object ({} selects everyone)")
        return rule


class RuleSerializer(serializers.Serializer):
    rule = serializers.JSONField(
        help_text='e.g. {"all": [{"field": "r_score", "op": ">=", "value": 4}]}'
    )


class PreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = serializers.ListField(child=serializers.DictField())


class DailyKpiSerializer(serializers.ModelSerializer):
    class Meta:
        model = DailyKPI
        fields = ["date", "metric", "dimension", "dimension_value", "value"]
        read_only_fields = fields


class ReportParams(serializers.Serializer):
    """The filter every report takes: an inclusive date range (default the 30 days up to
    today), a channel code and a category id (the category and everything under it)."""

    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    channel = serializers.SlugRelatedField(
        slug_field="code", queryset=Channel.objects.all(), required=False
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)


def report_filter(request) -> ReportFilter:
    params = ReportParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    end = data.get("end") or timezone.localdate()
    start = data.get("start") or end - timedelta(days=29)
    try:
        return ReportFilter(start, end, data.get("channel"), data.get("category"))
    except ReportFilterError as exc:
        raise ApiError("invalid", str(exc), 400, {"start": [str(exc)]}) from exc
