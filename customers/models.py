"""Customers: members, membership tiers, the points ledger, community groups and tags.

This app imports nothing of ours (DESIGN §1). The acquisition channel is therefore kept
as the channel's code (``catalog.Channel.code``), not a foreign key.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MembershipTier(models.Model):
    """A membership level (Regular, Silver, Gold, Diamond...), ordered by ``rank``.

    A customer qualifies by rolling-12-month spend and/or points, as ``qualify_by`` says.
    """

    class QualifyBy(models.TextChoices):
        SPEND = "spend", _("12-month spend")
        POINTS = "points", _("points")
        SPEND_OR_POINTS = "spend_or_points", _("spend or points")
        SPEND_AND_POINTS = "spend_and_points", _("spend and points")

    name = models.CharField(max_length=50, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text=_("0 is the entry tier."))
    qualify_by = models.CharField(max_length=20, choices=QualifyBy, default=QualifyBy.SPEND)
    min_spend_12m = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    min_points = models.PositiveIntegerField(default=0)
    points_multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("1.00"))
    benefits = models.TextField(blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=Q(min_spend_12m__gte=0), name="tier_min_spend_gte_0"),
            models.CheckConstraint(
                condition=Q(points_multiplier__gt=0), name="tier_multiplier_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TierChange(models.Model):
    """A customer's move between membership tiers, kept as history."""

    class Reason(models.TextChoices):
        UPGRADE = "upgrade", _("upgrade")
        DOWNGRADE = "downgrade", _("downgrade")
        MANUAL = "manual", _("manual")

    customer = models.ForeignKey("Customer", on_delete=models.PROTECT, related_name="tier_changes")
    from_tier = models.ForeignKey(
        MembershipTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(
        MembershipTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=10, choices=Reason)
    spend_12m = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    points_12m = models.IntegerField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "changed_at"], name="tierchange_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier_id} -> {self.to_tier_id} ({self.reason})"


class Tag(models.Model):
    """A label on customers: manual (staff) or computed (refreshed by analytics)."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("manual")
        COMPUTED = "computed", _("computed")

    name = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.MANUAL)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet):
    def contactable(self) -> "CustomerQuerySet":
        """Customers who agreed to marketing; campaigns never contact anyone else."""
        return self.filter(marketing_opt_in=True)


class Customer(models.Model):
    """A member of the shop, keyed by the platform's id (``external_id``)."""

    class Gender(models.TextChoices):
        FEMALE = "f", _("female")
        MALE = "m", _("male")
        OTHER = "o", _("other")
        UNKNOWN = "u", _("unknown")

    external_id = models.CharField(max_length=64, unique=True, help_text=_("The platform's id."))
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    gender = models.CharField(max_length=1, choices=Gender, default=Gender.UNKNOWN)
    birthday = models.DateField(null=True, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)
    acquisition_channel = models.CharField(
        max_length=64, blank=True, help_text=_("Code of the channel the customer came from.")
    )
    tier = models.ForeignKey(
        MembershipTier, on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )
    tier_since = models.DateTimeField(null=True, blank=True)
    points_balance = models.IntegerField(
        default=0, editable=False, help_text=_("Always equal to the sum of the points ledger.")
    )
    tags = models.ManyToManyField(Tag, through="CustomerTag", related_name="customers", blank=True)
    is_koc = models.BooleanField(
        "KOC", default=False, help_text=_("Key opinion consumer: an influential member.")
    )
    referred_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    marketing_opt_in = models.BooleanField(
        default=True, help_text=_("Campaigns never contact a customer who opted out.")
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = CustomerQuerySet.as_manager()

    PII_FIELDS = ("email", "phone", "birthday")

    class Meta:
        ordering = ["-registered_at", "-id"]
        permissions = [("view_pii", "Can view customer PII (email, phone, birthday)")]
        indexes = [
            models.Index(fields=["registered_at"], name="customer_registered_idx"),
            models.Index(fields=["email"], name="customer_email_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["name"], name="customer_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_balance__gte=0), name="customer_points_gte_0"
            ),
            models.CheckConstraint(
                condition=~Q(referred_by=models.F("pk")), name="customer_not_self_referred"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or '—'} ({self.external_id})"


class CustomerTag(models.Model):
    """Who carries which tag, where it came from and since when."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("manual")
        COMPUTED = "computed", _("computed")
        IMPORT = "import", _("import")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="customer_links")
    source = models.CharField(max_length=10, choices=Source, default=Source.MANUAL)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customertag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} on {self.customer_id}"


class PointsEntry(models.Model):
    """One row of the points ledger. Rows are never edited or deleted.

    ``balance_after`` is the customer's balance once this row applied, so the ledger can
    be audited line by line; it can never be negative.
    """

    class Reason(models.TextChoices):
        ORDER = "order", _("order")
        REDEMPTION = "redemption", _("redemption")
        ADJUSTMENT = "adjustment", _("adjustment")
        EXPIRY = "expiry", _("expiry")
        REFERRAL = "referral", _("referral")
        REVIEW = "review", _("review")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="points_entries")
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=12, choices=Reason)
    reference = models.CharField(max_length=100, blank=True, help_text=_("e.g. the order id."))
    idempotency_key = models.CharField(max_length=128, unique=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "points entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="points_customer_time_idx"),
            models.Index(fields=["created_at"], name="points_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="points_delta_not_0"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_balance_after_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason} ({self.customer_id})"


class CommunityGroup(models.Model):
    """A private-domain group (WeChat/WeCom group, Discord server...)."""

    class Kind(models.TextChoices):
        VIP = "vip", _("VIP")
        WELFARE = "welfare", _("welfare")
        INTEREST = "interest", _("interest")
        CATEGORY = "category", _("category")
        REGION = "region", _("region")

    class Platform(models.TextChoices):
        WECHAT = "wechat", "WeChat"
        WECOM = "wecom", "WeCom"
        DISCORD = "discord", "Discord"
        OTHER = "other", _("other")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind)
    platform = models.CharField(max_length=10, choices=Platform, default=Platform.WECOM)
    capacity = models.PositiveIntegerField(default=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="group_capacity_gt_0"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A customer's stay in a group; ``left_at`` closes it (history is kept)."""

    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        KOC = "koc", "KOC"
        ADMIN = "admin", _("admin")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(CommunityGroup, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-joined_at"]
        indexes = [
            models.Index(fields=["group", "left_at"], name="membership_group_active_idx"),
            models.Index(fields=["joined_at"], name="membership_joined_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "group"],
                condition=Q(left_at__isnull=True),
                name="membership_one_active_per_group",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="membership_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.group_id}"


class AuditEntry(models.Model):
    """Who changed what, when, with the values before and after (DESIGN: audit trail).

    Written by the services (launch, redeem, points, tiers, groups...) and by the admin's
    saves and deletes; read-only everywhere. ``customer`` is set when the change concerns
    one customer, so their record can list it."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=100, help_text=_("The user, API key or system process that acted.")
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60, help_text=_("app_label.model"))
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="audit_entries",
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["customer", "at"], name="audit_customer_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type} {self.object_id}"
