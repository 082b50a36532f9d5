from django.utils import timezone
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
from ecomops.api.errors import CleanModelSerializer


def _iso(value) -> str | None:
    """A datetime as DRF writes it: in the current time zone, ISO 8601, UTC as ``Z``."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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

    # Not an EmailField: a customer without an e-mail has "" (and the schema must allow it).
    email = serializers.CharField(read_only=True, help_text="e-mail address, or empty")
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

    def to_representation(self, row):
        # From a ``customer_rows`` row (a dict), written out rather than field by field:
        # this is the API's busiest list, and model instances plus DRF's per-field
        # machinery were most of its time. The declared fields above keep the schema;
        # test_customer_representation_matches_the_fields checks the two agree.
        data = {
            "id": row["id"], "external_id": row["external_id"], "name": row["name"],
            "email": row["email"], "phone": row["phone"],
            "birthday": row["birthday"] and row["birthday"].isoformat(),
            "gender": row["gender"], "city": row["city"], "region": row["region"],
            "registered_at": _iso(row["registered_at"]),
            "acquisition_channel": row["acquisition_channel"], "tier": row["tier__name"],
            "tier_since": _iso(row["tier_since"]), "points_balance": row["points_balance"],
            "is_koc": row["is_koc"], "marketing_opt_in": row["marketing_opt_in"],
            "tags": row["labels"][0], "groups": row["labels"][1], "score": self.get_score(row),
            "updated_at": _iso(row["updated_at"]),
        }  # fmt: skip
        if not sees_pii(self.context["request"]):
            for field in Customer.PII_FIELDS:
                data[field] = masked_value(field, row[field])
        return data

    def get_tags(self, row) -> list[str]:
        return row["labels"][0]

    def get_groups(self, row) -> list[str]:
        return row["labels"][1]

    def get_score(self, row) -> dict | None:
        # The analytics app's CustomerScore, through its reverse relation "score"
        # (customers imports nothing of the other apps).
        if row["score__as_of"] is None:
            return None
        values = {name: row[f"score__{name}"] for name in SCORE_FIELDS}
        for name in ("monetary", "historical_value", "predicted_value_90d"):
            if values[name] is not None:
                values[name] = str(values[name])
        return values


ROW_FIELDS = (
    "id", "external_id", "name", "email", "phone", "birthday", "gender", "city", "region",
    "registered_at", "acquisition_channel", "tier__name", "tier_since", "points_balance",
    "is_koc", "marketing_opt_in", "updated_at", *(f"score__{name}" for name in SCORE_FIELDS),
)  # fmt: skip


class TagSerializer(CleanModelSerializer):
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


class GroupSerializer(CleanModelSerializer):
    members = serializers.IntegerField(read_only=True, help_text="active members")

    class Meta:
        model = CommunityGroup
        fields = ["id", "name", "kind", "platform", "capacity", "description", "active",
                  "created_at", "members"]  # fmt: skip
        read_only_fields = ["id", "created_at", "members"]
        extra_kwargs = {"capacity": {"min_value": 1}}


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
