from decimal import Decimal

from rest_framework import serializers

from catalog.models import (
    SKU,
    Category,
    Channel,
    ChannelSpend,
    Order,
    OrderLine,
    Product,
    Return,
    Review,
)
from ecomops.api.errors import CleanModelSerializer

MONEY = {"max_digits": 14, "decimal_places": 2}


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent"]


class SKUSerializer(CleanModelSerializer):
    """A SKU with price, cost and stock; ``PATCH`` sets stock and reorder settings."""

    product = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SKU
        fields = ["id", "code", "product", "attributes", "list_price", "unit_cost",
                  "stock_on_hand", "reorder_point", "lead_time_days", "active", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "code", "product", "attributes", "list_price", "unit_cost",
                            "updated_at"]  # fmt: skip
        extra_kwargs = {"stock_on_hand": {"min_value": 0}}


class ProductSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="name", read_only=True)
    category_id = serializers.IntegerField(read_only=True)
    skus = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "code", "name", "category", "category_id", "brand", "launched_at",
                  "active", "is_consumable", "skus", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "code", "name", "kind", "commission_rate", "active"]
        read_only_fields = fields


class ChannelSpendSerializer(serializers.ModelSerializer):
    """A channel's spend on a day; posting the same channel and day again replaces it."""

    channel = serializers.SlugRelatedField(slug_field="code", queryset=Channel.objects.all())
    spend = serializers.DecimalField(**MONEY, min_value=Decimal("0"))

    class Meta:
        model = ChannelSpend
        fields = ["id", "channel", "date", "spend"]
        validators = []  # (channel, date) is an upsert key, not a conflict

    def create(self, validated_data):
        spend, _ = ChannelSpend.objects.update_or_create(
            channel=validated_data["channel"],
            date=validated_data["date"],
            defaults={"spend": validated_data["spend"]},
        )
        return spend


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["id", "sku", "quantity", "unit_price", "unit_cost", "discount"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "external_id", "customer", "channel", "status", "created_at", "paid_at",
                  "goods_total", "discount_total", "shipping_total", "paid_total",
                  "shipping_region", "logistics_cost", "lines", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ReturnSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    sku = serializers.CharField(source="order_line.sku.code", read_only=True, default=None)

    class Meta:
        model = Return
        fields = ["id", "order", "order_line", "sku", "quantity", "reason", "refund_amount",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    order = serializers.CharField(source="order_line.order.external_id", read_only=True)
    sku = serializers.CharField(source="order_line.sku.code", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "order", "order_line", "sku", "customer", "rating", "has_media", "text",
                  "created_at", "reply", "replied_at"]  # fmt: skip
        read_only_fields = fields


# -- bulk ingest (documentation of the accepted record; the import checks the values) ----


class CustomerInSerializer(serializers.Serializer):
    customer_id = serializers.CharField(help_text="the platform's customer id (idempotency key)")
    name = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    phone = serializers.CharField(required=False)
    gender = serializers.ChoiceField(["f", "m", "o", "u"], required=False)
    birthday = serializers.DateField(required=False)
    city = serializers.CharField(required=False)
    region = serializers.CharField(required=False)
    registered_at = serializers.DateTimeField(required=False)
    channel = serializers.CharField(required=False, help_text="acquisition channel code")
    tags = serializers.ListField(child=serializers.CharField(), required=False,
                                 help_text="the customer's imported tags become exactly these")  # fmt: skip
    marketing_opt_in = serializers.BooleanField(required=False)


CUSTOMER_EXAMPLE = {
    "customer_id": "C-20001",
    "name": "Li Na",
    "email": "li.na@example.com",
    "registered_at": "2026-10-02T09:00:00+08:00",
    "channel": "search",
    "tags": ["tea lover"],
    "marketing_opt_in": True,
}


class OrderLineIn(serializers.Serializer):
    sku = serializers.CharField(help_text="an existing SKU code")
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(**MONEY, required=False)


class OrderInSerializer(serializers.Serializer):
    order_id = serializers.CharField(help_text="the platform's order id (idempotency key)")
    customer_id = serializers.CharField(
        required=False, help_text="the customer's external id; created if new; blank = guest"
    )
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(
        Order.Status.choices, required=False, help_text="default completed"
    )
    channel = serializers.CharField(required=False, help_text="an existing channel code")
    total = serializers.DecimalField(
        **MONEY, required=False, help_text="paid; default goods − discount + shipping"
    )
    shipping = serializers.DecimalField(**MONEY, required=False)
    region = serializers.CharField(required=False)
    order_discount = serializers.DecimalField(**MONEY, required=False)
    logistics_cost = serializers.DecimalField(**MONEY, required=False)
    lines = OrderLineIn(many=True, required=False)


ORDER_EXAMPLE = {
    "order_id": "SO-10001",
    "customer_id": "C-20001",
    "created_at": "2026-11-20T10:15:00+08:00",
    "status": "paid",
    "channel": "search",
    "shipping": "8.00",
    "lines": [{"sku": "TEA-001-M", "quantity": 2, "unit_price": "59.00"}],
}
