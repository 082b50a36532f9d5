import django_filters

from catalog.models import SKU, Category, Order, Product, Return, Review


class UpdatedSince(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")


class ProductFilter(UpdatedSince):
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all())

    class Meta:
        model = Product
        fields = ["code", "brand", "active"]


class SKUFilter(UpdatedSince):
    product = django_filters.CharFilter(field_name="product__code")
    low_stock = django_filters.BooleanFilter(method="filter_low_stock")

    class Meta:
        model = SKU
        fields = ["code", "active"]

    def filter_low_stock(self, queryset, name, value):
        from django.db.models import F

        low = queryset.filter(stock_on_hand__lte=F("reorder_point"))
        return low if value else queryset.exclude(pk__in=low.values("pk"))


class OrderFilter(UpdatedSince):
    customer = django_filters.CharFilter(field_name="customer__external_id")
    channel = django_filters.CharFilter(field_name="channel__code")
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["external_id"]


class DateRange(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")


class ReturnFilter(DateRange):
    order = django_filters.CharFilter(field_name="order__external_id")

    class Meta:
        model = Return
        fields = ["reason"]


class ReviewFilter(DateRange):
    customer = django_filters.CharFilter(field_name="customer__external_id")
    product = django_filters.CharFilter(field_name="order_line__sku__product__code")

    class Meta:
        model = Review
        fields = ["rating", "has_media"]
