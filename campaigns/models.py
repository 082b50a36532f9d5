"""Campaigns: coupon templates and issued coupons, redemptions, campaigns with holdouts,
experiments and lifecycle automations."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import Segment
from catalog.models import Category, Order, Product
from customers.models import CommunityGroup, Customer, MembershipTier

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")
PERCENT = {"max_digits": 5, "decimal_places": 2}


def percent_0_100(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": 100}), name=name
    )


class CouponTemplate(models.Model):
    """What a coupon gives, to whom, how often and until when."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("amount off")
        PERCENT_OFF = "percent_off", _("percent off")
        THRESHOLD = "threshold", _("spend X save Y")
        FREE_SHIPPING = "free_shipping", _("free shipping")
        NTH_ITEM = "nth_item", _("Nth item discount")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind)
    value = models.DecimalField(
        **MONEY,
        default=ZERO,
        help_text=_("Amount off, or percent off (0-100) for percent and Nth-item coupons."),
    )
    max_discount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("Cap on the discount of a percent coupon.")
    )
    min_spend = models.DecimalField(**MONEY, default=ZERO)
    nth_item = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("For Nth-item coupons: which item is discounted.")
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    valid_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Valid for N days from issue (instead of fixed dates).")
    )
    total_limit = models.PositiveIntegerField(null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(default=1)
    used_count = models.PositiveIntegerField(default=0, editable=False)
    budget = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("Total discount that may be given.")
    )
    discount_given = models.DecimalField(**MONEY, default=ZERO, editable=False)
    applicable_categories = models.ManyToManyField(Category, blank=True, related_name="+")
    applicable_products = models.ManyToManyField(Product, blank=True, related_name="+")
    stackable = models.BooleanField(default=False)
    group = models.ForeignKey(
        CommunityGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exclusive_coupons",
        help_text=_("Only members of this group may use it (group-exclusive offer)."),
    )
    free_usage_on_refund = models.BooleanField(
        default=True, help_text=_("A refund or cancellation gives the usage back.")
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="template_value_gte_0"),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="template_min_spend_gte_0"),
            models.CheckConstraint(
                condition=~Q(kind__in=["percent_off", "nth_item"]) | Q(value__lte=100),
                name="template_percent_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(kind="nth_item") | Q(nth_item__gte=2),
                name="template_nth_item_gte_2",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                name="template_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(total_limit__isnull=True) | Q(used_count__lte=F("total_limit")),
                name="template_used_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(discount_given__lte=F("budget")),
                name="template_discount_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(per_customer_limit__gte=1), name="template_per_customer_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """An issued coupon: personal (``customer`` set) or a public code."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        REDEEMED = "redeemed", _("redeemed")
        EXPIRED = "expired", _("expired")
        VOID = "void", _("void")

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    code = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="coupons"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.ISSUED)
    times_used = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="coupon_customer_status_idx"),
            models.Index(fields=["issued_at"], name="coupon_issued_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("issued_at")),
                name="coupon_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """A coupon used on an order. Reversed (not deleted) when the order is refunded."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="redemptions"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="redemptions")
    discount_amount = models.DecimalField(**MONEY)
    redeemed_at = models.DateTimeField(default=timezone.now)
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        indexes = [models.Index(fields=["redeemed_at"], name="redemption_redeemed_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "order"], name="redemption_unique_coupon_order"
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0), name="redemption_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} on {self.order_id}"


class Experiment(models.Model):
    """An A/B(/n) test: variants share the test part of an audience by ``weight``."""

    class Metric(models.TextChoices):
        CONVERSION = "conversion", _("conversion")
        REVENUE_PER_USER = "revenue_per_user", _("revenue per user")
        CLICK_THROUGH = "click_through", _("click-through")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    name = models.CharField(max_length=100, unique=True)
    hypothesis = models.TextField(blank=True)
    primary_metric = models.CharField(max_length=20, choices=Metric, default=Metric.CONVERSION)
    allocation_percent = models.DecimalField(
        **PERCENT, default=Decimal("100"), help_text=_("Share of the audience in the test.")
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            percent_0_100("allocation_percent", "experiment_allocation_0_100"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="experiment_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExperimentVariant(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=40)
    weight = models.DecimalField(**PERCENT, help_text=_("Percent of the test part, 0-100."))
    coupon_template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["experiment", "name"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_unique_name"),
            percent_0_100("weight", "variant_weight_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}/{self.name}"


class Campaign(models.Model):
    """An offer sent to an audience, with a random holdout so that uplift is measurable."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    class Goal(models.TextChoices):
        ACTIVATION = "activation", _("activate new customers")
        REPURCHASE = "repurchase", _("drive repurchase")
        UPSELL = "upsell", _("raise order value")
        WIN_BACK = "win_back", _("win back")
        RETENTION = "retention", _("retain valuable customers")
        AWARENESS = "awareness", _("awareness")

    class AudienceKind(models.TextChoices):
        SEGMENT = "segment", _("segment")
        GROUP = "group", _("community group")
        TIER = "tier", _("membership tier")
        LIST = "list", _("uploaded list")

    class ContactChannel(models.TextChoices):
        CONSOLE = "console", _("console / file")
        SMS = "sms", "SMS"
        EMAIL = "email", _("email")
        WECOM = "wecom", "WeCom"

    name = models.CharField(max_length=100)
    goal = models.CharField(max_length=12, choices=Goal, default=Goal.REPURCHASE)
    audience_kind = models.CharField(
        max_length=8, choices=AudienceKind, default=AudienceKind.SEGMENT
    )
    audience_segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    audience_group = models.ForeignKey(
        CommunityGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    audience_tier = models.ForeignKey(
        MembershipTier, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    coupon_template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    experiment = models.ForeignKey(
        Experiment, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    message = models.TextField(blank=True)
    contact_channel = models.CharField(
        max_length=10, choices=ContactChannel, default=ContactChannel.CONSOLE
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    holdout_percent = models.DecimalField(**PERCENT, default=Decimal("10"))
    attribution_days = models.PositiveSmallIntegerField(default=14)
    cost_per_contact = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the last treatment recipient was contacted.")
    )
    launch_stats = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Audience snapshot at launch: sizes, exclusions, arms, chunks."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_status_idx")]
        constraints = [
            percent_0_100("holdout_percent", "campaign_holdout_0_100"),
            models.CheckConstraint(
                condition=~Q(audience_kind="list") | Q(audience_segment__isnull=False),
                name="campaign_list_audience_set",
            ),
            models.CheckConstraint(
                condition=Q(cost_per_contact__gte=0), name="campaign_contact_cost_gte_0"
            ),
            models.CheckConstraint(
                condition=~Q(audience_kind="segment") | Q(audience_segment__isnull=False),
                name="campaign_segment_audience_set",
            ),
            models.CheckConstraint(
                condition=~Q(audience_kind="group") | Q(audience_group__isnull=False),
                name="campaign_group_audience_set",
            ),
            models.CheckConstraint(
                condition=~Q(audience_kind="tier") | Q(audience_tier__isnull=False),
                name="campaign_tier_audience_set",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audience_target_id(self) -> int | None:
        """The id of what the audience kind points at (segment, group or tier)."""
        return {
            self.AudienceKind.SEGMENT: self.audience_segment_id,
            self.AudienceKind.LIST: self.audience_segment_id,
            self.AudienceKind.GROUP: self.audience_group_id,
            self.AudienceKind.TIER: self.audience_tier_id,
        }.get(self.audience_kind)

    @property
    def audience_target(self):
        """The segment, group or tier the audience kind points at (None when unset)."""
        if self.audience_target_id is None:
            return None
        if self.audience_kind == self.AudienceKind.GROUP:
            return self.audience_group
        if self.audience_kind == self.AudienceKind.TIER:
            return self.audience_tier
        return self.audience_segment


class CampaignRecipient(models.Model):
    """One customer of a campaign's audience and the arm they fell in."""

    CONTROL = "control"
    TREATMENT = "treatment"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="recipients")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="campaign_recipients"
    )
    arm = models.CharField(max_length=40, help_text=_("treatment, control, or a variant's name."))
    coupon = models.OneToOneField(
        Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="recipient"
    )
    contacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "arm"], name="recipient_campaign_arm_idx"),
            models.Index(fields=["customer", "contacted_at"], name="recipient_contacted_idx"),
            # The launch's "who is still to contact" (chunks, progress, the stall watch).
            models.Index(
                fields=["campaign", "id"],
                condition=Q(contacted_at__isnull=True),
                name="recipient_pending_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="recipient_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.campaign_id} ({self.arm})"

    @property
    def is_control(self) -> bool:
        return self.arm == self.CONTROL


class Automation(models.Model):
    """A lifecycle trigger that sends an offer; runs daily and honours a cool-down."""

    class Trigger(models.TextChoices):
        REGISTERED_NO_ORDER = "registered_no_order", _("registered, no order after N days")
        DAYS_SINCE_LAST_ORDER = "days_since_last_order", _("N days since last order")
        BIRTHDAY = "birthday", _("birthday month")
        TIER_UPGRADE = "tier_upgrade", _("tier upgrade")

    name = models.CharField(max_length=100, unique=True)
    trigger = models.CharField(max_length=24, choices=Trigger)
    trigger_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("N for the day-count triggers.")
    )
    coupon_template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="automations"
    )
    message = models.TextField(blank=True)
    contact_channel = models.CharField(
        max_length=10, choices=Campaign.ContactChannel, default=Campaign.ContactChannel.CONSOLE
    )
    cooldown_days = models.PositiveIntegerField(default=90)
    holdout_percent = models.DecimalField(**PERCENT, default=Decimal("10"))
    active = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            percent_0_100("holdout_percent", "automation_holdout_0_100"),
            models.CheckConstraint(
                condition=~Q(trigger__in=["registered_no_order", "days_since_last_order"])
                | Q(trigger_days__isnull=False),
                name="automation_days_set_for_day_triggers",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AutomationRecipient(models.Model):
    """A customer an automation triggered for on one day, and the arm they fell in.

    Unique per (automation, customer, day): a daily run repeated or retried issues nothing
    twice. The cool-down looks back over these rows (control arm included)."""

    automation = models.ForeignKey(Automation, on_delete=models.PROTECT, related_name="recipients")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="automation_recipients"
    )
    triggered_on = models.DateField()
    arm = models.CharField(max_length=10)
    coupon = models.OneToOneField(
        Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="automation_recipient"
    )
    contacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-triggered_on", "-id"]
        indexes = [
            models.Index(
                fields=["automation", "customer", "triggered_on"], name="autorecipient_cooldown_idx"
            ),
            models.Index(fields=["triggered_on"], name="autorecipient_day_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "customer", "triggered_on"], name="autorecipient_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} by {self.automation_id} on {self.triggered_on} ({self.arm})"


class Message(models.Model):
    """One contact of a customer, by a campaign or an automation, as rendered and handed
    to the channel backend. ``key`` makes each contact happen once; the frequency cap reads
    this table."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(max_length=80, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="messages")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    automation = models.ForeignKey(
        Automation, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Campaign.ContactChannel)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status, default=Status.SENT)
    error = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "sent_at"], name="message_customer_sent_idx"),
            models.Index(fields=["sent_at"], name="message_sent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=True) | Q(automation__isnull=True),
                name="message_one_sender",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Reward(models.Model):
    """An item of the points mall: a coupon bought with points."""

    name = models.CharField(max_length=100, unique=True)
    points_cost = models.PositiveIntegerField()
    coupon_template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="rewards"
    )
    stock = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("How many may still be exchanged (empty = no limit).")
    )
    min_tier = models.ForeignKey(
        MembershipTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("Only customers of this tier or above may exchange it."),
    )  # fmt: skip
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["points_cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="reward_cost_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.points_cost} points)"
