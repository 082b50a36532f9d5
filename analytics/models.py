"""Analytics: behaviour events in, computed results out (scores, segments, KPIs, affinities)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU, Category, Channel, Product
from customers.models import Customer


class Event(models.Model):
    """One behaviour-tracking event. High volume: indexed for time-range scans."""

    class Type(models.TextChoices):
        VISIT = "visit", _("visit")
        PRODUCT_VIEW = "product_view", _("product view")
        ADD_TO_CART = "add_to_cart", _("add to cart")
        CHECKOUT = "checkout", _("checkout")
        ORDER = "order", _("order")
        PAY = "pay", _("pay")
        SHARE = "share", _("share")
        GROUP_JOIN = "group_join", _("group join")
        SEARCH = "search", _("search")

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    session_id = models.CharField(max_length=64)
    type = models.CharField(max_length=16, choices=Type)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sku = models.ForeignKey(SKU, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["occurred_at"], name="event_occurred_idx"),
            models.Index(fields=["customer", "occurred_at"], name="event_customer_time_idx"),
            models.Index(fields=["type", "occurred_at"], name="event_type_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M}"


class RfmSegment(models.TextChoices):
    """The 11-segment RFM scheme."""

    CHAMPIONS = "champions", _("champions")
    LOYAL = "loyal", _("loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("potential loyalist")
    NEW = "new", _("new customers")
    PROMISING = "promising", _("promising")
    NEED_ATTENTION = "need_attention", _("need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("about to sleep")
    AT_RISK = "at_risk", _("at risk")
    CANNOT_LOSE = "cannot_lose", _("cannot lose them")
    HIBERNATING = "hibernating", _("hibernating")
    LOST = "lost", _("lost")


class RfmClass(models.TextChoices):
    """The 8-class scheme common in Chinese e-commerce (R, F, M each high or low)."""

    IMPORTANT_VALUE = "important_value", _("重要价值 important value")
    IMPORTANT_DEVELOP = "important_develop", _("重要发展 important develop")
    IMPORTANT_RETAIN = "important_retain", _("重要保持 important retain")
    IMPORTANT_WIN_BACK = "important_win_back", _("重要挽留 important win-back")
    GENERAL_VALUE = "general_value", _("一般价值 general value")
    GENERAL_DEVELOP = "general_develop", _("一般发展 general develop")
    GENERAL_RETAIN = "general_retain", _("一般保持 general retain")
    GENERAL_WIN_BACK = "general_win_back", _("一般挽留 general win-back")


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    NEW = "new", _("new")
    ACTIVE = "active", _("active")
    CHURN_WARNING = "churn_warning", _("churn warning")
    LOST = "lost", _("lost")
    WON_BACK = "won_back", _("won back")


class CustomerScore(models.Model):
    """Computed scores for one customer, recomputed by the analytics run as of ``as_of``."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    as_of = models.DateField()
    recency_days = models.IntegerField(null=True, blank=True)
    frequency = models.PositiveIntegerField(default=0)
    monetary = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    r_score = models.PositiveSmallIntegerField(null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_segment = models.CharField(max_length=20, choices=RfmSegment, blank=True)
    rfm_class = models.CharField(max_length=20, choices=RfmClass, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    historical_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    historical_contribution = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    p_alive = models.FloatField(null=True, blank=True)
    predicted_purchases_90d = models.FloatField(null=True, blank=True)
    predicted_value_90d = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    preferred_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    preferred_category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["rfm_segment"], name="score_segment_idx"),
            models.Index(fields=["rfm_class"], name="score_class_idx"),
            models.Index(fields=["lifecycle_stage"], name="score_lifecycle_idx"),
            models.Index(fields=["r_score", "f_score", "m_score"], name="score_rfm_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(r_score__isnull=True) | (Q(r_score__gte=1) & Q(r_score__lte=5)),
                name="score_r_1_5",
            ),
            models.CheckConstraint(
                condition=Q(f_score__isnull=True) | (Q(f_score__gte=1) & Q(f_score__lte=5)),
                name="score_f_1_5",
            ),
            models.CheckConstraint(
                condition=Q(m_score__isnull=True) | (Q(m_score__gte=1) & Q(m_score__lte=5)),
                name="score_m_1_5",
            ),
            models.CheckConstraint(
                condition=Q(p_alive__isnull=True) | (Q(p_alive__gte=0) & Q(p_alive__lte=1)),
                name="score_p_alive_0_1",
            ),
            models.CheckConstraint(
                condition=Q(preferred_hour__isnull=True) | Q(preferred_hour__lte=23),
                name="score_preferred_hour_0_23",
            ),
        ]

    def __str__(self) -> str:
        return f"score of {self.customer_id}"


class Segment(models.Model):
    """A named group of customers defined by a declarative rule (JSON)."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("dynamic")
        STATIC = "static", _("static snapshot")

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    rule = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.DYNAMIC)
    is_builtin = models.BooleanField(default=False)
    recommended_action = models.TextField(blank=True)
    members = models.ManyToManyField(
        Customer, through="SegmentMember", related_name="static_segments", blank=True
    )
    member_count = models.PositiveIntegerField(null=True, blank=True)
    member_count_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """The name as shown: a built-in segment's name in the active language (the
        stored name, its key, stays as created); other segments' names as typed."""
        field = self.rule.get("field") if isinstance(self.rule, dict) else None
        if not self.is_builtin or field not in BUILTIN_SEGMENT_FIELDS:
            return self.name
        pattern, choices = BUILTIN_SEGMENT_FIELDS[field]
        try:
            return pattern % {"label": choices(self.rule.get("value")).label}
        except ValueError:  # a value no longer among the choices
            return self.name

    @property
    def action_text(self) -> str:
        """The recommended action in the active language (built-in actions are in the
        catalogs; a text typed by staff is shown as typed)."""
        return gettext(self.recommended_action) if self.recommended_action else ""

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from analytics.segment_rules import RuleError, validate_rule

        try:
            validate_rule(self.rule)
        except RuleError as exc:
            raise ValidationError({"rule": str(exc)}) from exc


# The built-in segments (one per RFM segment, RFM class and lifecycle stage): the score
# field each filters on, the pattern of its name and the choices its value comes from.
BUILTIN_SEGMENT_FIELDS = {
    "rfm_segment": (_("RFM: %(label)s"), RfmSegment),
    "rfm_class": (_("RFM class: %(label)s"), RfmClass),
    "lifecycle_stage": (_("Lifecycle: %(label)s"), LifecycleStage),
}


class SegmentMember(models.Model):
    """A member of a static segment, frozen when the snapshot was taken."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="member_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segmentmember_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.segment_id}"


class DailyKPI(models.Model):
    """A materialised KPI value for one day, overall or per channel or category."""

    class Dimension(models.TextChoices):
        ALL = "all", _("all")
        CHANNEL = "channel", _("channel")
        CATEGORY = "category", _("category")

    date = models.DateField()
    metric = models.CharField(max_length=64)
    dimension = models.CharField(max_length=10, choices=Dimension, default=Dimension.ALL)
    dimension_value = models.CharField(
        max_length=64, blank=True, help_text=_("Channel code or category id; empty for all.")
    )
    value = models.DecimalField(max_digits=20, decimal_places=6)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "daily KPI"
        ordering = ["-date", "metric"]
        indexes = [models.Index(fields=["metric", "dimension", "date"], name="kpi_metric_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "metric", "dimension", "dimension_value"], name="kpi_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.date}: {self.value}"


class ProductSales(models.Model):
    """Paid lines of one day, product and order channel: the source of the product and
    inventory reports, so they never scan order lines per request. Written by the kpis
    step for the days it recomputes.

    Like every table the analytics run rewrites in bulk (facts, recommendations), its
    foreign keys have no database constraint and no index of their own: the rows are
    derived from rows that exist, the unique key (leading with ``date``) serves the reads,
    and constraint triggers would double the time of a nightly COPY of half a million rows.
    Deletes still cascade through the ORM."""

    date = models.DateField()
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    units = models.PositiveIntegerField()
    orders = models.PositiveIntegerField(help_text=_("Paid orders with this product."))
    revenue = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("Net of line discounts, before refunds.")
    )
    cost = models.DecimalField(max_digits=14, decimal_places=2)
    returned_units = models.PositiveIntegerField(
        help_text=_("Units of these lines returned so far.")
    )

    class Meta:
        verbose_name_plural = "product sales"
        ordering = ["-date", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "product", "channel"], name="productsales_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.date}: {self.units}"


class ProductReviews(models.Model):
    """Reviews of one product on one day (the quality flags' positive rate)."""

    date = models.DateField()
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    reviews = models.PositiveIntegerField()
    positive_reviews = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "product reviews"
        ordering = ["-date", "product"]
        constraints = [
            models.UniqueConstraint(fields=["date", "product"], name="productreviews_unique_cell")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.date}: {self.positive_reviews}/{self.reviews}"


class ActivityCell(models.Model):
    """Events and paid orders in one local hour of one day, per leaf category (a row
    without category holds the totals): the weekday × hour report's source."""

    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    events = models.PositiveIntegerField()
    orders = models.PositiveIntegerField()

    class Meta:
        ordering = ["-date", "hour"]
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="activitycell_hour_0_23"),
            models.UniqueConstraint(
                fields=["date", "hour", "category"], name="activitycell_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.hour:02d}h: {self.events} events, {self.orders} orders"


class Cohort(models.Model):
    """Customers whose first paid order fell in one month, by that order's channel.

    Rewritten by each kpis step from the stored ``CustomerRecency`` days. ``repurchased_30d``
    counts, among ``matured_30d`` (first order at least 30 days before the run's as_of),
    those with another paid order within 30 days of the first.
    """

    month = models.DateField(help_text=_("First day of the month of the first paid order."))
    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    customers = models.PositiveIntegerField()
    matured_30d = models.PositiveIntegerField()
    repurchased_30d = models.PositiveIntegerField()

    class Meta:
        ordering = ["month", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["month", "channel"], name="cohort_unique_month_channel")
        ]

    def __str__(self) -> str:
        return f"cohort {self.month:%Y-%m}: {self.customers}"


class _CohortActivity(models.Model):
    """What ``CohortCell`` and ``CohortDay`` count of one cohort's paid orders: its channel
    (of the first paid order), customers, paid orders, net revenue and the interval
    histogram {days: count}."""

    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    customers = models.PositiveIntegerField()
    orders = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    intervals = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class CohortCell(_CohortActivity):
    """One cohort's activity in its ``months_since``-th month: customers with a paid order
    that month, their paid orders and net revenue, and ``intervals``, a histogram
    {days: count} of the days between each of those orders and the customer's previous paid
    order (for the median repurchase interval). The sum of the ``CohortDay`` rows of that
    month; the kpis step rewrites the months from the first one it recomputes."""

    month = models.DateField()
    months_since = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["month", "channel", "months_since"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel", "months_since"], name="cohortcell_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"cohort {self.month:%Y-%m} +{self.months_since}: {self.customers}"


class CohortDay(_CohortActivity):
    """One day's paid orders of one cohort (month and channel of the first paid order):
    customers whose first paid order of that calendar month fell on the day, paid orders,
    net revenue and the interval histogram, as in ``CohortCell``. Summed into ``CohortCell``
    by calendar month; kept per day so that recomputing from a day on reads only the days
    from then. Written by the kpis step for every day it recomputes."""

    date = models.DateField()
    month = models.DateField()

    class Meta:
        ordering = ["-date", "month", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "month", "channel"], name="cohortday_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} cohort {self.month:%Y-%m}: {self.customers}"


class CustomerRecency(models.Model):
    """How long ago the customers had last ordered and been active at the end of one day,
    as histograms (``analytics.metrics.recency``): the state the trailing-window KPIs
    (repurchase, churn, win-back, 30-day repurchase, DAU, MAU) and the cohorts' 30-day
    repurchase are counted from, so that recomputing from a day on needs only the orders
    and events from then. Written by the kpis step for every day it recomputes.

    latest_order, previous_order: customers by days since their latest and second-latest
    paid order (index = days; the last entry counts that many days or more); returned:
    customers ordering that day after 92 … 121 (or more) days without; latest_event:
    customers by days since their latest event (0–29); first_orders: {channel id or "":
    customers whose first paid order was that day}; second_orders: {channel id or "": {days
    after the first (0 … 30): customers whose second paid order was that day}}."""

    date = models.DateField(unique=True)
    latest_order = models.JSONField(default=list)
    previous_order = models.JSONField(default=list)
    returned = models.JSONField(default=list)
    latest_event = models.JSONField(default=list)
    first_orders = models.JSONField(default=dict)
    second_orders = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "customer recency"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"customer recency {self.date}"


class SkuSales(models.Model):
    """Units of one SKU sold on one day (paid orders, by paid_at) and their cost at sale:
    the source of the inventory snapshot's sums over the last 30, 28 and 60 days. Written
    by the kpis step for every day it recomputes."""

    date = models.DateField()
    sku = models.ForeignKey(
        SKU, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    units = models.PositiveIntegerField()
    cost = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        verbose_name_plural = "SKU sales"
        ordering = ["-date", "sku"]
        constraints = [models.UniqueConstraint(fields=["date", "sku"], name="skusales_unique_cell")]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.date}: {self.units}"


class InventorySnapshot(models.Model):
    """Inventory health of one SKU as taken by the run of ``date`` (stock history is not
    kept, so each day's run records what it saw; ``analytics.metrics.inventory``)."""

    date = models.DateField()
    sku = models.ForeignKey(
        SKU, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    stock = models.IntegerField()
    units_sold = models.PositiveIntegerField(help_text=_("Units sold in the last 30 days."))
    daily_units = models.FloatField(help_text=_("Mean daily units of the last 28 days."))
    days_of_cover = models.FloatField(null=True, blank=True)
    lead_time_days = models.PositiveSmallIntegerField()
    low_stock = models.BooleanField()
    last_sale = models.DateField(null=True, blank=True)
    slow_mover = models.BooleanField()
    unit_sell_through = models.FloatField(null=True, blank=True)
    turnover = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["date", "sku"], name="inventorysnapshot_unique_sku")
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.date}: {self.stock}"


class ProductAffinity(models.Model):
    """How often two products are bought together (association rule A → B)."""

    product_a = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    product_b = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    pair_count = models.PositiveIntegerField()
    support = models.FloatField()
    confidence = models.FloatField(help_text=_("P(B | A)"))
    lift = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "product affinities"
        ordering = ["-lift"]
        constraints = [
            models.UniqueConstraint(fields=["product_a", "product_b"], name="affinity_unique_pair"),
            models.CheckConstraint(
                condition=~Q(product_a=F("product_b")), name="affinity_distinct"
            ),
            models.CheckConstraint(
                condition=Q(support__gte=0) & Q(support__lte=1), name="affinity_support_0_1"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1),
                name="affinity_confidence_0_1",
            ),
            models.CheckConstraint(condition=Q(lift__gte=0), name="affinity_lift_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_a_id} → {self.product_b_id} (lift {self.lift:.2f})"


class KpiTarget(models.Model):
    """A target for a metric over a period, owned by a user or a team."""

    metric = models.CharField(max_length=64)
    period_start = models.DateField()
    period_end = models.DateField()
    target = models.DecimalField(max_digits=20, decimal_places=6)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner_team = models.ForeignKey(
        "auth.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "KPI target"
        ordering = ["-period_start", "metric"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="kpitarget_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.period_start}–{self.period_end}: {self.target}"


class Recommendation(models.Model):
    """A product recommended to a customer, ranked; replaced by each analytics run."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="recommendations",
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "rank"], name="recommendation_unique_rank"),
            models.UniqueConstraint(
                fields=["customer", "product"], name="recommendation_unique_product"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="recommendation_rank_gte_1"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.product_id} for {self.customer_id}"


class ProductForecast(models.Model):
    """Forecast units of a product for one week (Monday ``week_start``)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="forecasts")
    week_start = models.DateField()
    units = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["product", "week_start"], name="forecast_unique_week"),
            models.CheckConstraint(condition=Q(units__gte=0), name="forecast_units_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} week of {self.week_start}: {self.units:.1f}"


class ForecastAccuracy(models.Model):
    """The backtest of a product's forecast: the last weeks held out and predicted.

    The sums let pages pool errors over any set of products: WAPE = Σ abs_error / Σ
    actual_units; MAPE = Σ ape_sum / Σ nonzero_weeks.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="forecast_accuracy"
    )
    mape = models.FloatField(null=True, blank=True)
    wape = models.FloatField(null=True, blank=True)
    abs_error = models.FloatField()
    actual_units = models.FloatField()
    ape_sum = models.FloatField()
    nonzero_weeks = models.PositiveSmallIntegerField()
    weeks_of_history = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "forecast accuracies"

    def __str__(self) -> str:
        return f"backtest of {self.product_id}"


class AnalyticsRun(models.Model):
    """One analytics run: started by a person ("recompute now") or by the nightly schedule
    (no user), with its progress while it runs and each step's report when done."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the nightly run."),
    )
    as_of = models.DateField()
    steps = models.JSONField(default=list, blank=True, help_text=_("Requested steps; empty: all."))
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    current_step = models.CharField(max_length=32, blank=True)
    steps_done = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("run_analytics", "Can start an analytics run (recompute now)")]

    def __str__(self) -> str:
        return f"analytics run as of {self.as_of} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0
