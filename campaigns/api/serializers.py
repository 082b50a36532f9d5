from decimal import Decimal

from rest_framework import serializers

from analytics.models import Segment
from campaigns.models import (
    Automation,
    Campaign,
    Coupon,
    CouponTemplate,
    Experiment,
    ExperimentVariant,
)
from campaigns.services.campaigns import campaign_create, campaign_progress, experiment_create
from customers.models import CommunityGroup, MembershipTier


class CouponTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CouponTemplate
        fields = ["id", "name", "kind", "value", "max_discount", "min_spend", "nth_item",
                  "valid_from", "valid_until", "valid_days", "total_limit",
                  "per_customer_limit", "used_count", "budget", "discount_given",
                  "stackable", "group", "active", "created_at"]  # fmt: skip
        read_only_fields = fields


class CouponSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="name", read_only=True)
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id",
            "code",
            "template",
            "customer",
            "status",
            "issued_at",
            "expires_at",
            "times_used",
        ]
        read_only_fields = fields


class QuoteLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False
    )


class QuoteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    customer_id = serializers.CharField(required=False, help_text="the customer's external id")
    lines = QuoteLineSerializer(many=True, allow_empty=False)
    shipping = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    order_id = serializers.CharField(help_text="the order's external id")


class IssueSerializer(serializers.Serializer):
    template = serializers.PrimaryKeyRelatedField(
        queryset=CouponTemplate.objects.filter(active=True), help_text="an active template's id"
    )
    customers = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, max_length=10_000,
        help_text="external ids (at most 10,000; use a campaign for more)",
    )  # fmt: skip


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign: audience (segment, group, tier or an uploaded list as a static
    segment), offer, message, channel, holdout and schedule. Created as a draft; launch it
    with ``launch``."""

    audience_segment = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(), required=False, allow_null=True
    )
    audience_group = serializers.PrimaryKeyRelatedField(
        queryset=CommunityGroup.objects.all(), required=False, allow_null=True
    )
    audience_tier = serializers.SlugRelatedField(
        slug_field="name", queryset=MembershipTier.objects.all(), required=False, allow_null=True
    )
    coupon_template = serializers.PrimaryKeyRelatedField(
        queryset=CouponTemplate.objects.all(), required=False, allow_null=True
    )
    experiment = serializers.PrimaryKeyRelatedField(
        queryset=Experiment.objects.all(), required=False, allow_null=True
    )
    holdout_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("90"),
        required=False,
    )  # fmt: skip
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "goal", "audience_kind", "audience_segment", "audience_group",
                  "audience_tier", "coupon_template", "experiment", "message",
                  "contact_channel", "scheduled_at", "holdout_percent", "attribution_days",
                  "cost_per_contact", "status", "started_at", "sent_at", "completed_at",
                  "launch_stats", "progress", "created_at"]  # fmt: skip
        read_only_fields = ["id", "status", "started_at", "sent_at", "completed_at",
                            "launch_stats", "progress", "created_at"]  # fmt: skip

    def get_progress(self, campaign) -> dict:
        return campaign_progress(campaign)

    def create(self, validated_data):
        return campaign_create(**validated_data, by=self.context.get("user"))


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExperimentVariant
        fields = ["name", "weight", "coupon_template", "message"]


class ExperimentSerializer(serializers.ModelSerializer):
    """An A/B(/n) test: variants with weights (percent of the test part, summing to 100);
    a campaign with this experiment sends each variant's offer and message."""

    variants = VariantSerializer(many=True)

    class Meta:
        model = Experiment
        fields = ["id", "name", "hypothesis", "primary_metric", "allocation_percent",
                  "status", "starts_at", "ends_at", "variants", "created_at"]  # fmt: skip
        read_only_fields = ["id", "status", "created_at"]

    def validate_variants(self, variants):
        if len(variants) < 2:
            raise serializers.ValidationError("an experiment needs at least two variants")
        if len({v["name"] for v in variants}) != len(variants):
            raise serializers.ValidationError("variant names must differ")
        if sum(v["weight"] for v in variants) != 100:
            raise serializers.ValidationError("variant weights must add up to 100")
        return variants

    def create(self, validated_data):
        return experiment_create(**validated_data, by=self.context.get("user"))


class AutomationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Automation
        fields = ["id", "name", "trigger", "trigger_days", "coupon_template", "message",
                  "contact_channel", "cooldown_days", "holdout_percent", "active",
                  "last_run_at", "created_at"]  # fmt: skip
        read_only_fields = fields
