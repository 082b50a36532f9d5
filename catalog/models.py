"""Catalog and sales: categories, products, SKUs and stock, channels and their spend,
orders and their lines, returns and reviews."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class Category(models.Model):
    """A node of the category tree (``parent`` is null at the roots)."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_unique_name_in_parent"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="category_unique_root_name"
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    brand = models.CharField(max_length=100, blank=True)
    launched_at = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    is_consumable = models.BooleanField(
        default=False, help_text=_("Bought again and again; recommendations may repeat it.")
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="product_name_idx")]

    def __str__(self) -> str:
        return self.name


class SKU(models.Model):
    """A stock-keeping unit: one sellable variant of a product, with price, cost and stock."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    code = models.CharField(max_length=64, unique=True)
    attributes = models.JSONField(default=dict, blank=True, help_text=_('e.g. {"size": "M"}'))
    list_price = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**MONEY)
    stock_on_hand = models.IntegerField(default=0)
    reorder_point = models.PositiveIntegerField(default=0)
    lead_time_days = models.PositiveSmallIntegerField(default=7)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = "SKU"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="sku_list_price_gte_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="sku_unit_cost_gte_0"),
            models.CheckConstraint(condition=Q(stock_on_hand__gte=0), name="sku_stock_gte_0"),
        ]

    def __str__(self) -> str:
        return self.code


class Channel(models.Model):
    """A traffic or sales channel, with the commission the platform takes on its sales."""

    class Kind(models.TextChoices):
        SEARCH = "search", _("search")
        HOMEPAGE = "homepage", _("homepage recommendation")
        LIVE_STREAM = "live_stream", _("live stream")
        SHORT_VIDEO = "short_video", _("short video")
        OFFICIAL_ACCOUNT = "official_account", _("official account")
        PRIVATE_GROUP = "private_group", _("private group")
        REFERRAL = "referral", _("referral")
        MARKETPLACE = "marketplace", _("marketplace store")
        OTHER = "other", _("other")

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=ZERO, help_text=_("Percent of net revenue, 0-100.")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=100),
                name="channel_commission_pct_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChannelSpend(models.Model):
    """What a channel cost on a day (for CAC and ROI)."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="spends")
    date = models.DateField()
    spend = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["-date", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "date"], name="channelspend_unique_day"),
            models.CheckConstraint(condition=Q(spend__gte=0), name="channelspend_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.date}: {self.spend}"


class OrderQuerySet(models.QuerySet):
    def paid(self) -> "OrderQuerySet":
        """Paid orders: status paid, shipped or completed (DESIGN §3)."""
        return self.filter(status__in=Order.PAID_STATUSES)


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        SHIPPED = "shipped", _("shipped")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        REFUNDED = "refunded", _("refunded")

    PAID_STATUSES = (Status.PAID, Status.SHIPPED, Status.COMPLETED)

    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        help_text=_("Empty for guest orders, which customer analytics leave out."),
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    goods_total = models.DecimalField(**MONEY, default=ZERO)
    discount_total = models.DecimalField(**MONEY, default=ZERO)
    shipping_total = models.DecimalField(**MONEY, default=ZERO)
    paid_total = models.DecimalField(**MONEY, default=ZERO)
    shipping_region = models.CharField(max_length=100, blank=True)
    logistics_cost = models.DecimalField(**MONEY, default=ZERO)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "paid_at"], name="order_customer_paid_idx"),
            # Covering: segment rules and reports sum a window of orders per customer
            # with an index-only scan (PostgreSQL; other databases ignore ``include``).
            models.Index(
                fields=["paid_at"],
                name="order_paid_at_idx",
                include=["customer", "paid_total", "status"],
            ),
            models.Index(fields=["created_at"], name="order_created_at_idx"),
            models.Index(fields=["status", "paid_at"], name="order_status_paid_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(goods_total__gte=0), name="order_goods_total_gte_0"),
            models.CheckConstraint(condition=Q(discount_total__gte=0), name="order_discount_gte_0"),
            models.CheckConstraint(condition=Q(shipping_total__gte=0), name="order_shipping_gte_0"),
            models.CheckConstraint(condition=Q(paid_total__gte=0), name="order_paid_total_gte_0"),
            models.CheckConstraint(
                condition=Q(logistics_cost__gte=0), name="order_logistics_gte_0"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "shipped", "completed"])
                | Q(paid_at__isnull=False),
                name="order_paid_status_has_paid_at",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def is_paid(self) -> bool:
        return self.status in self.PAID_STATUSES


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(SKU, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**MONEY, help_text=_("The SKU's unit cost when sold."))
    discount = models.DecimalField(
        **MONEY, default=ZERO, help_text=_("Discount on the whole line.")
    )

    class Meta:
        indexes = [models.Index(fields=["sku"], name="orderline_sku_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="orderline_cost_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="orderline_discount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}"

    @property
    def line_total(self) -> Decimal:
        return self.quantity * self.unit_price - self.discount


class Return(models.Model):
    """Goods sent back and the refund paid; ``order_line`` is empty for an order-level refund."""

    class Reason(models.TextChoices):
        QUALITY = "quality", _("quality problem")
        SIZE = "size", _("wrong size or fit")
        NOT_AS_DESCRIBED = "not_as_described", _("not as described")
        DAMAGED = "damaged", _("damaged in transit")
        CHANGED_MIND = "changed_mind", _("changed mind")
        CANCELLED = "cancelled", _("order cancelled")
        OTHER = "other", _("other")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )
    quantity = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=20, choices=Reason, default=Reason.OTHER)
    refund_amount = models.DecimalField(**MONEY, default=ZERO)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="return_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(order_line__isnull=True) | Q(quantity__gt=0),
                name="return_line_quantity_gt_0",
            ),
            models.CheckConstraint(condition=Q(refund_amount__gte=0), name="return_refund_gte_0"),
        ]

    def __str__(self) -> str:
        return f"return of {self.order_id}"


class Review(models.Model):
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="reviews")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField()
    has_media = models.BooleanField(default=False)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="review_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_5"
            ),
            models.UniqueConstraint(fields=["order_line"], name="review_one_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ on {self.order_line_id}"


class ImportJob(models.Model):
    """A file uploaded through the admin to be imported: its options, progress and result.

    The upload is validated first (a dry run, shown as a preview with every error); the
    import runs once a user confirms. Both run as Celery tasks; ``progress`` and the
    result are what the admin's progress bar and result page show.
    """

    class Status(models.TextChoices):
        VALIDATING = "validating", _("validating")
        PREVIEW = "preview", _("ready to confirm")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("importing")
        DONE = "done", _("imported")
        REFUSED = "refused", _("refused: bad rows, nothing written")
        FAILED = "failed", _("failed")

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    kind = models.CharField(max_length=32)
    file_format = models.CharField(max_length=20, default="generic")
    column_map = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    skip_bad_rows = models.BooleanField(default=False)
    file = models.FileField(upload_to="imports/", max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.VALIDATING)
    progress = models.PositiveSmallIntegerField(default=0, help_text=_("Percent done."))
    message = models.CharField(max_length=500, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="importjob_progress_le_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.original_name or self.file.name}"
