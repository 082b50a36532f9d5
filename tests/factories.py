"""factory_boy factories for every model the tests build by hand."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from analytics.models import CustomerScore, DailyKPI, Event, KpiTarget, ProductAffinity, Segment
from campaigns.models import (
    Automation,
    Campaign,
    CampaignRecipient,
    Coupon,
    CouponTemplate,
    Experiment,
    ExperimentVariant,
    Redemption,
)
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
from customers.models import (
    CommunityGroup,
    Customer,
    CustomerTag,
    GroupMembership,
    MembershipTier,
    PointsEntry,
    Tag,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("demo")
    is_staff = True


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipTier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n)
    min_spend_12m = Decimal("0")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.LazyAttribute(lambda o: f"{o.external_id.lower()}@example.com")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    registered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=400))


class CustomerTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerTag

    customer = factory.SubFactory(CustomerFactory)
    tag = factory.SubFactory(TagFactory)


class PointsEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PointsEntry

    customer = factory.SubFactory(CustomerFactory)
    delta = 100
    balance_after = 100
    reason = PointsEntry.Reason.ADJUSTMENT
    idempotency_key = factory.Sequence(lambda n: f"test-{n}")


class CommunityGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    kind = CommunityGroup.Kind.WELFARE


class GroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMembership

    customer = factory.SubFactory(CustomerFactory)
    group = factory.SubFactory(CommunityGroupFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU{n:06d}")
    list_price = Decimal("100.00")
    unit_cost = Decimal("40.00")
    stock_on_hand = 50


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"channel-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    commission_rate = Decimal("5.00")


class ChannelSpendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelSpend

    channel = factory.SubFactory(ChannelFactory)
    date = factory.LazyFunction(lambda: timezone.localdate())
    spend = Decimal("1000.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    external_id = factory.Sequence(lambda n: f"O{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.COMPLETED
    created_at = factory.LazyFunction(timezone.now)
    paid_at = factory.LazyAttribute(
        lambda o: o.created_at if o.status in Order.PAID_STATUSES else None
    )
    goods_total = Decimal("100.00")
    paid_total = Decimal("100.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.SubFactory(SKUFactory)
    quantity = 1
    unit_price = Decimal("100.00")
    unit_cost = Decimal("40.00")


class ReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Return

    order_line = factory.SubFactory(OrderLineFactory)
    order = factory.LazyAttribute(lambda o: o.order_line.order)
    quantity = 1
    refund_amount = Decimal("100.00")


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    order_line = factory.SubFactory(OrderLineFactory)
    customer = factory.LazyAttribute(lambda o: o.order_line.order.customer)
    rating = 5


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    customer = factory.SubFactory(CustomerFactory)
    session_id = factory.Sequence(lambda n: f"s{n}")
    type = Event.Type.VISIT
    occurred_at = factory.LazyFunction(timezone.now)


class CustomerScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerScore

    customer = factory.SubFactory(CustomerFactory)
    as_of = factory.LazyFunction(timezone.localdate)
    lifecycle_stage = "active"


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    rule = factory.LazyFunction(lambda: {"all": [{"field": "r_score", "op": ">=", "value": 4}]})


class DailyKPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyKPI

    date = factory.LazyFunction(timezone.localdate)
    metric = factory.Iterator(["gmv", "orders", "net_revenue", "aov", "dau"])
    value = Decimal("1000")


class ProductAffinityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductAffinity

    product_a = factory.SubFactory(ProductFactory)
    product_b = factory.SubFactory(ProductFactory)
    pair_count = 10
    support = 0.01
    confidence = 0.2
    lift = 2.0


class KpiTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiTarget

    metric = "gmv"
    period_start = factory.LazyFunction(timezone.localdate)
    period_end = factory.LazyAttribute(lambda o: o.period_start + timedelta(days=30))
    target = Decimal("100000")


class CouponTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CouponTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    kind = CouponTemplate.Kind.THRESHOLD
    value = Decimal("50.00")
    min_spend = Decimal("99.00")
    valid_days = 30


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    template = factory.SubFactory(CouponTemplateFactory)
    code = factory.Sequence(lambda n: f"CODE{n:08d}")
    customer = factory.SubFactory(CustomerFactory)


class RedemptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Redemption

    coupon = factory.SubFactory(CouponFactory)
    customer = factory.LazyAttribute(lambda o: o.coupon.customer)
    order = factory.SubFactory(OrderFactory, customer=factory.SelfAttribute("..customer"))
    discount_amount = Decimal("50.00")


class ExperimentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experiment

    name = factory.Sequence(lambda n: f"Experiment {n}")


class ExperimentVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExperimentVariant

    experiment = factory.SubFactory(ExperimentFactory)
    name = factory.Sequence(lambda n: f"V{n}")
    weight = Decimal("50")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    audience_kind = Campaign.AudienceKind.SEGMENT
    audience_segment = factory.SubFactory(SegmentFactory)
    coupon_template = factory.SubFactory(CouponTemplateFactory)


class CampaignRecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignRecipient

    campaign = factory.SubFactory(CampaignFactory)
    customer = factory.SubFactory(CustomerFactory)
    arm = CampaignRecipient.TREATMENT


class AutomationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Automation

    name = factory.Sequence(lambda n: f"Automation {n}")
    trigger = Automation.Trigger.DAYS_SINCE_LAST_ORDER
    trigger_days = 90
