from django.contrib import admin
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

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
from ecomops.admin_tools import BigTableAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "product_count"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(products_n=Count("products"))

    @admin.display(description=_("products"), ordering="products_n")
    def product_count(self, category):
        return category.products_n


class SKUInline(admin.TabularInline):
    model = SKU
    extra = 0
    fields = [
        "code",
        "attributes",
        "list_price",
        "unit_cost",
        "stock_on_hand",
        "reorder_point",
        "lead_time_days",
        "active",
    ]
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "category",
        "brand",
        "launched_at",
        "sku_count",
        "stock",
        "active",
        "is_consumable",
    ]
    list_filter = ["active", "is_consumable", "category", "brand"]
    list_select_related = ["category"]
    search_fields = ["=code", "name", "brand"]
    autocomplete_fields = ["category"]
    inlines = [SKUInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(skus_n=Count("skus"), stock_n=Sum("skus__stock_on_hand"))
        )

    @admin.display(description=_("SKUs"), ordering="skus_n")
    def sku_count(self, product):
        return product.skus_n

    @admin.display(description=_("stock"), ordering="stock_n")
    def stock(self, product):
        return product.stock_n


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "product",
        "list_price",
        "unit_cost",
        "stock_on_hand",
        "reorder_point",
        "lead_time_days",
        "active",
    ]
    list_filter = ["active", "product__category"]
    list_select_related = ["product"]
    search_fields = ["=code", "product__name"]
    autocomplete_fields = ["product"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "commission_rate", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


@admin.register(ChannelSpend)
class ChannelSpendAdmin(admin.ModelAdmin):
    list_display = ["date", "channel", "spend"]
    list_filter = ["channel"]
    list_select_related = ["channel"]
    date_hierarchy = "date"


class ReadOnlyInline(admin.TabularInline):
    """Lines and returns are facts from the platform (imports, services): shown, not edited,
    so that order totals always match their lines."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = ["sku", "quantity", "unit_price", "unit_cost", "discount"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku")


class ReturnInline(ReadOnlyInline):
    model = Return
    fields = readonly_fields = ["order_line", "quantity", "reason", "refund_amount", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line__sku")


@admin.register(Order)
class OrderAdmin(BigTableAdmin):
    list_display = [
        "external_id",
        "customer",
        "channel",
        "status",
        "created_at",
        "paid_at",
        "goods_total",
        "discount_total",
        "paid_total",
    ]
    list_filter = ["status", "channel"]
    list_select_related = ["customer", "channel"]
    search_fields = ["=external_id", "=customer__external_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["customer"]
    readonly_fields = ["updated_at"]
    inlines = [OrderLineInline, ReturnInline]


@admin.register(OrderLine)
class OrderLineAdmin(BigTableAdmin):
    list_display = ["order", "sku", "quantity", "unit_price", "unit_cost", "discount"]
    list_select_related = ["order", "sku"]
    search_fields = ["=order__external_id", "=sku__code"]
    autocomplete_fields = ["sku"]
    raw_id_fields = ["order"]


@admin.register(Return)
class ReturnAdmin(BigTableAdmin):
    list_display = ["order", "order_line", "quantity", "reason", "refund_amount", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["order", "order_line__sku"]
    search_fields = ["=order__external_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["order", "order_line"]


@admin.register(Review)
class ReviewAdmin(BigTableAdmin):
    list_display = ["created_at", "product", "customer", "rating", "has_media", "replied_at"]
    list_filter = ["rating", "has_media"]
    list_select_related = ["customer", "order_line__sku__product"]
    search_fields = ["=customer__external_id", "text"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["customer"]
    raw_id_fields = ["order_line"]

    @admin.display(description=_("product"))
    def product(self, review):
        return review.order_line.sku.product


# The import pages (ImportJob: upload, preview, confirm, progress) and the export action
# every changelist gets live in modules of their own.
from catalog import admin_export, admin_import  # noqa: E402, F401
