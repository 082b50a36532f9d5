from rest_framework import serializers

from customers.models import (
    CommunityGroup,
    Customer,
    GroupMembership,
    MembershipTier,
    PointsEntry,
    Tag,
)
from customers.pii import masked_value
from ecomops.api.access import sees_pii

SCORE_FIELDS = (
    "as_of", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
    "rfm_segment", "rfm_class", "lifecycle_stage", "historical_value", "p_alive",
    "predicted_purchases_90d", "predicted_value_90d",
)  # fmt: skip


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = MembershipTier
        fields = ["id", "name", "rank", "qualify_by", "min_spend_12m", "min_points",
                  "points_multiplier", "benefits"]  # fmt: skip


class CustomerSerializer(serializers.ModelSerializer):
    """A customer with tier, tags, active groups and score. E-mail, phone and birthday are
    masked unless the caller may see PII (key scope ``pii``, or ``customers.view_pii``)."""

    tier = serializers.SlugRelatedField(slug_field="name", read_only=True)
    tags = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id", "external_id", "name", "email", "phone", "birthday", "gender", "city",
            "region", "registered_at", "acquisition_channel", "tier", "tier_since",
            "points_balance", "is_koc", "marketing_opt_in", "tags", "groups", "score",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_pii(self.context["request"]):
            for field in Customer.PII_FIELDS:
                data[field] = masked_value(field, getattr(instance, field))
        return data

    def get_tags(self, customer) -> list[str]:
        return sorted(tag.name for tag in customer.tags.all())

    def get_groups(self, customer) -> list[str]:
        return sorted(m.group.name for m in customer.memberships.all() if m.left_at is None)

    def get_score(self, customer) -> dict | None:
        # The analytics app's CustomerScore, through its reverse relation (customers
        # imports nothing of the other apps).
        score = getattr(customer, "score", None)
        if score is None:
            return None
        values = {name: getattr(score, name) for name in SCORE_FIELDS}
        for name in ("monetary", "historical_value", "predicted_value_90d"):
            if values[name] is not None:
                values[name] = str(values[name])
        return values


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "kind", "description", "created_at"]
        read_only_fields = ["id", "kind", "created_at"]


class PointsEntrySerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True)

    class Meta:
        model = PointsEntry
        fields = ["id", "customer", "delta", "balance_after", "reason", "reference", "note",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class PointsAdjustSerializer(serializers.Serializer):
    customer_id = serializers.CharField(help_text="the customer's external id")
    delta = serializers.IntegerField(help_text="points to add (negative to remove); not 0")
    reason = serializers.CharField(max_length=200, help_text="why (kept in the ledger and audit)")
    idempotency_key = serializers.CharField(
        max_length=100, required=False, help_text="send the same key to make a retry a no-op"
    )


class GroupSerializer(serializers.ModelSerializer):
    members = serializers.IntegerField(read_only=True, help_text="active members")

    class Meta:
        model = CommunityGroup
        fields = ["id", "name", "kind", "platform", "capacity", "description", "active",
                  "created_at", "members"]  # fmt: skip
        read_only_fields = ["id", "created_at", "members"]


class MembershipSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    group = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = GroupMembership
        fields = ["id", "customer", "group", "group_id", "role", "joined_at", "left_at"]
        read_only_fields = fields


class MembersChangeSerializer(serializers.Serializer):
    customers = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, max_length=10_000,
        help_text="external ids",
    )  # fmt: skip
    role = serializers.ChoiceField(
        GroupMembership.Role.choices, default=GroupMembership.Role.MEMBER
    )
