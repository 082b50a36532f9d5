"""Catalog resources: categories, products, SKUs (stock), channels and their spend, orders
with lines (and the bulk ingest), returns and reviews."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.views import APIView

from catalog.api import filters
from catalog.api.serializers import (
    CUSTOMER_EXAMPLE,
    ORDER_EXAMPLE,
    CategorySerializer,
    ChannelSerializer,
    ChannelSpendSerializer,
    CustomerInSerializer,
    OrderInSerializer,
    OrderSerializer,
    ProductSerializer,
    ReturnSerializer,
    ReviewSerializer,
    SKUSerializer,
)
from catalog.ingest import customers_ingest, orders_ingest
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
from ecomops.api.bulk import bulk_response, bulk_schema

KEY = "[^/]+"  # external ids and codes may hold dots


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    filterset_fields = ["parent"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Product.objects.select_related("category").prefetch_related("skus")
    serializer_class = ProductSerializer
    filterset_class = filters.ProductFilter
    lookup_field, lookup_value_regex = "code", KEY
    ordering_fields = ["id", "updated_at"]


@extend_schema_view(partial_update=extend_schema(examples=[
    OpenApiExample("a stock count", request_only=True,
                   value={"stock_on_hand": 140, "reorder_point": 40}),
    OpenApiExample("changed", response_only=True,
                   value={"id": 1, "code": "P00001-01", "product": "P00001",
                          "attributes": {"size": "M", "colour": "black"}, "list_price": "52.00",
                          "unit_cost": "23.40", "stock_on_hand": 140, "reorder_point": 40,
                          "lead_time_days": 14, "active": True,
                          "updated_at": "2026-12-01T09:30:00Z"}),
]))  # fmt: skip
class SKUViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """SKUs with stock; ``PATCH`` sets ``stock_on_hand``, ``reorder_point``,
    ``lead_time_days`` or ``active``."""

    queryset = SKU.objects.select_related("product")
    serializer_class = SKUSerializer
    filterset_class = filters.SKUFilter
    lookup_field, lookup_value_regex = "code", KEY
    http_method_names = ["get", "patch", "head", "options"]
    ordering_fields = ["id", "updated_at", "stock_on_hand"]


class ChannelViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Channel.objects.all()
    serializer_class = ChannelSerializer
    lookup_field, lookup_value_regex = "code", KEY
    pagination_class = None


@extend_schema_view(create=extend_schema(examples=[
    OpenApiExample("a day of search ads", request_only=True,
                   value={"channel": "search", "date": "2026-11-30", "spend": "1850.00"}),
    OpenApiExample("stored", response_only=True,
                   value={"id": 5841, "channel": "search", "date": "2026-11-30",
                          "spend": "1850.00"}),
]))  # fmt: skip
class ChannelSpendViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Daily spend per channel (for CAC and ROI); posting a channel and day again
    replaces its spend."""

    queryset = ChannelSpend.objects.select_related("channel")
    serializer_class = ChannelSpendSerializer
    filterset_fields = {"channel__code": ["exact"], "date": ["gte", "lte"]}


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders with their lines; ``bulk`` creates or updates up to 1,000 at a time."""

    queryset = Order.objects.select_related("customer", "channel").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("sku"))
    )
    serializer_class = OrderSerializer
    filterset_class = filters.OrderFilter
    lookup_field, lookup_value_regex = "external_id", KEY
    ordering_fields = ["id", "created_at", "updated_at"]
    action_perms = {"bulk": ["catalog.add_order", "catalog.change_order"]}

    @bulk_schema(OrderInSerializer, ORDER_EXAMPLE, "Create or update up to 1,000 orders")
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        return bulk_response(orders_ingest, request)


class ReturnViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Return.objects.select_related("order", "order_line__sku")
    serializer_class = ReturnSerializer
    filterset_class = filters.ReturnFilter
    ordering_fields = ["id", "created_at"]


class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Review.objects.select_related("customer", "order_line__order", "order_line__sku")
    serializer_class = ReviewSerializer
    filterset_class = filters.ReviewFilter
    ordering_fields = ["id", "created_at"]


class CustomerBulkView(APIView):
    """``POST /api/v1/customers/bulk/``: create or update up to 1,000 customers by
    ``customer_id`` (the customers import's rules; here because the import lives in
    catalog)."""

    view_perms = ["customers.add_customer", "customers.change_customer"]

    @bulk_schema(CustomerInSerializer, CUSTOMER_EXAMPLE, "Create or update up to 1,000 customers")
    def post(self, request):
        return bulk_response(customers_ingest, request)
