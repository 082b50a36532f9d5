"""Coupons through the API: quote a cart, redeem on an order."""

from decimal import Decimal

from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns.models import Coupon
from campaigns.services import CouponError, coupon_quote, coupon_redeem
from campaigns.services.coupons import sku_lines
from catalog.models import Order
from customers.models import Customer
from ecomops.api.errors import ApiError
from ecomops.api.pagination import ApiCursorPagination

CONFLICTS = {
    CouponError.LIMIT_REACHED,
    CouponError.CUSTOMER_LIMIT_REACHED,
    CouponError.BUDGET_EXHAUSTED,
    CouponError.ALREADY_USED_ON_ORDER,
}


def refusal(error: CouponError) -> ApiError:
    """A coupon refusal as an API error: limits and double use are conflicts (409), an
    unknown code is 404, every other reason 400; the code is the service's."""
    if error.code in CONFLICTS:
        return ApiError(error.code, error.message, status.HTTP_409_CONFLICT)
    if error.code == CouponError.UNKNOWN:
        return ApiError(error.code, error.message, status.HTTP_404_NOT_FOUND)
    return ApiError(error.code, error.message, status.HTTP_400_BAD_REQUEST)


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


class CouponViewSet(viewsets.ReadOnlyModelViewSet):
    """Issued coupons; ``quote`` a cart and ``redeem`` on a paid order."""

    queryset = Coupon.objects.select_related("template", "customer")
    serializer_class = CouponSerializer
    pagination_class = ApiCursorPagination
    lookup_field = "code"
    action_scopes = {"quote": "read", "redeem": "write"}
    action_perms = {"quote": ["campaigns.view_coupon"], "redeem": ["campaigns.add_redemption"]}

    @action(detail=False, methods=["post"])
    def quote(self, request):
        data = self._valid(QuoteSerializer, request)
        customer = None
        if data.get("customer_id"):
            customer = Customer.objects.filter(external_id=data["customer_id"]).first()
            if customer is None:
                raise ApiError(
                    "not_found",
                    f"no customer {data['customer_id']!r}",
                    404,
                    {"customer_id": ["unknown"]},
                )
        cart, unknown = sku_lines(
            [(line["sku"], line["quantity"], line.get("unit_price")) for line in data["lines"]]
        )
        if unknown:
            raise ApiError(
                "invalid",
                f"unknown SKU(s): {', '.join(unknown)}",
                400,
                {"lines": [f"unknown SKU {c}" for c in unknown]},
            )
        try:
            quote = coupon_quote(
                code=data["code"], customer=customer, lines=cart, shipping=data["shipping"]
            )
        except CouponError as error:
            raise refusal(error) from error
        return Response(
            {
                "code": quote.code,
                "discount": str(quote.discount),
                "eligible_subtotal": str(quote.eligible_subtotal),
            }
        )

    @action(detail=False, methods=["post"])
    def redeem(self, request):
        data = self._valid(RedeemSerializer, request)
        order = Order.objects.filter(external_id=data["order_id"]).first()
        if order is None:
            raise ApiError(
                "not_found", f"no order {data['order_id']!r}", 404, {"order_id": ["unknown"]}
            )
        try:
            redemption = coupon_redeem(code=data["code"], order=order)
        except CouponError as error:
            raise refusal(error) from error
        return Response(
            {
                "id": redemption.pk,
                "code": redemption.coupon.code,
                "order_id": order.external_id,
                "customer_id": order.customer.external_id if order.customer_id else None,
                "discount_amount": str(redemption.discount_amount),
                "redeemed_at": redemption.redeemed_at,
            },
            status=status.HTTP_201_CREATED,
        )

    def _valid(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
