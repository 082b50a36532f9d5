from rest_framework import serializers

from customers.models import Customer, MembershipTier
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
