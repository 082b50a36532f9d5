"""Campaign resources: coupon templates, coupons (issue, quote, redeem), campaigns
(create, launch, cancel, report), experiments (create, result), automations (dry run)
and community group reports."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns.api.serializers import (
    AutomationSerializer,
    CampaignSerializer,
    CouponSerializer,
    CouponTemplateSerializer,
    ExperimentSerializer,
    IssueSerializer,
    QuoteSerializer,
    RedeemSerializer,
)
from campaigns.models import Automation, Campaign, Coupon, CouponTemplate, Experiment
from campaigns.selectors import (
    campaign_report,
    campaign_sample_plan,
    experiment_result,
    group_report,
)
from campaigns.services import (
    CampaignError,
    CouponError,
    campaign_cancel,
    campaign_launch,
    coupon_quote,
    coupon_redeem,
    coupons_issue,
)
from campaigns.services.automations import automation_dry_run
from campaigns.services.campaigns import campaign_problems, campaign_schedule
from campaigns.services.coupons import sku_lines
from catalog.models import Order
from customers.models import CommunityGroup, Customer
from customers.selectors import customers_by_external_id
from ecomops.api.access import Attributed, acting_user
from ecomops.api.errors import ApiError, refused, valid
from ecomops.api.values import plain

QuoteResult = inline_serializer("QuoteResult", {
    "code": serializers.CharField(), "discount": serializers.DecimalField(14, 2),
    "eligible_subtotal": serializers.DecimalField(14, 2)})  # fmt: skip
RedemptionResult = inline_serializer("RedemptionResult", {
    "id": serializers.IntegerField(), "code": serializers.CharField(),
    "order_id": serializers.CharField(), "customer_id": serializers.CharField(allow_null=True),
    "discount_amount": serializers.DecimalField(14, 2),
    "redeemed_at": serializers.DateTimeField()})  # fmt: skip

CONFLICTS = {
    CouponError.LIMIT_REACHED,
    CouponError.CUSTOMER_LIMIT_REACHED,
    CouponError.BUDGET_EXHAUSTED,
    CouponError.ALREADY_USED_ON_ORDER,
}


def refusal(error: CouponError) -> ApiError:
    """A coupon refusal: limits and double use are conflicts (409), an unknown code 404,
    every other reason 400; the code is the service's."""
    return refused(error, conflicts=CONFLICTS, not_found={CouponError.UNKNOWN})


class CouponViewSet(Attributed, viewsets.ReadOnlyModelViewSet):
    """Issued coupons; ``issue`` personal coupons, ``quote`` a cart and ``redeem`` on a
    paid order."""

    queryset = Coupon.objects.select_related("template", "customer")
    serializer_class = CouponSerializer
    lookup_field = "code"
    filterset_fields = {"customer__external_id": ["exact"], "template": ["exact"],
                        "status": ["exact"], "issued_at": ["gte", "lt"]}  # fmt: skip
    ordering_fields = ["id", "issued_at"]
    action_scopes = {"quote": "read", "redeem": "write", "issue": "write"}
    action_perms = {
        "quote": ["campaigns.view_coupon"],
        "redeem": ["campaigns.add_redemption"],
        "issue": ["campaigns.add_coupon"],
    }

    @extend_schema(request=IssueSerializer, responses={201: CouponSerializer(many=True)},
                   examples=[
        OpenApiExample("two customers", request_only=True,
                       value={"template": 1, "customers": ["C0000399", "C0000398"]}),
        OpenApiExample("their coupons", response_only=True, status_codes=[201],
                       value={"id": 547, "code": "K7QX2M9TPLRA", "template": "99 minus 50",
                              "customer": "C0000399", "status": "issued",
                              "issued_at": "2026-12-01T09:30:00Z",
                              "expires_at": "2026-12-31T09:30:00Z", "times_used": 0}),
    ])  # fmt: skip
    @action(detail=False, methods=["post"])
    def issue(self, request):
        data = valid(IssueSerializer, request)
        ids, unknown = customers_by_external_id(data["customers"])
        if unknown:
            raise ApiError("invalid", f"unknown customer(s): {', '.join(unknown[:20])}", 400,
                           {"customers": [f"unknown {e}" for e in unknown[:20]]})  # fmt: skip
        coupons = coupons_issue(template=data["template"], customers=ids)
        coupons = Coupon.objects.filter(pk__in=[c.pk for c in coupons]).select_related(
            "template", "customer"
        )
        return Response(CouponSerializer(coupons, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=QuoteSerializer, responses={200: QuoteResult},
                   examples=[OpenApiExample("a cart", request_only=True, value={
                       "code": "K7QX2M9TPLRA", "customer_id": "C-20001",
                       "lines": [{"sku": "P00001-01", "quantity": 2}]}),
                             OpenApiExample("the discount", response_only=True, value={
                       "code": "K7QX2M9TPLRA", "discount": "10.40",
                       "eligible_subtotal": "104.00"})])  # fmt: skip
    @action(detail=False, methods=["post"])
    def quote(self, request):
        data = valid(QuoteSerializer, request)
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

    @extend_schema(request=RedeemSerializer, responses={201: RedemptionResult},
                   examples=[OpenApiExample("redeem", request_only=True,
                                            value={"code": "K7QX2M9TPLRA", "order_id": "SO000003001"}),
                             OpenApiExample("redeemed", response_only=True, value={
                                 "id": 212, "code": "K7QX2M9TPLRA", "order_id": "SO000003001",
                                 "customer_id": "C0000399", "discount_amount": "10.40",
                                 "redeemed_at": "2026-12-01T09:31:02Z"})])  # fmt: skip
    @action(detail=False, methods=["post"])
    def redeem(self, request):
        data = valid(RedeemSerializer, request)
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


class CouponTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CouponTemplate.objects.order_by("name")
    serializer_class = CouponTemplateSerializer
    pagination_class = None
    filterset_fields = ["kind", "active"]


class LaunchSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(
        required=False, help_text="launch later (the per-minute tick starts it); now if absent"
    )


CAMPAIGN_EXAMPLE = {
    "id": 2, "name": "December repurchase push", "goal": "repurchase",
    "audience_kind": "segment", "audience_segment": 3, "audience_group": None,
    "audience_tier": None, "coupon_template": 2, "experiment": None,
    "message": "{{ name }}, {{ offer }} with code {{ coupon_code }} until {{ coupon_expires }}.",
    "contact_channel": "sms", "scheduled_at": None, "holdout_percent": "10.00",
    "attribution_days": 14, "cost_per_contact": "0.0500", "status": "draft",
    "started_at": None, "sent_at": None, "completed_at": None, "launch_stats": {},
    "progress": {"planned": False, "to_contact": None, "contacted": 0, "percent": 0},
    "created_at": "2026-12-01T09:30:00Z",
}  # fmt: skip
CAMPAIGN_LAUNCHED = {
    **CAMPAIGN_EXAMPLE, "status": "running", "started_at": "2026-12-01T10:00:00Z",
    "launch_stats": {"planned": True, "audience": 64, "opted_out": 9, "frequency_capped": 2,
                     "frequency_cap_days": 7, "recipients": 53,
                     "arms": {"control": 5, "treatment": 48}, "to_contact": 48},
    "progress": {"planned": True, "to_contact": 48, "contacted": 0, "percent": 0,
                 "done": False},
}  # fmt: skip


@extend_schema_view(create=extend_schema(examples=[
    OpenApiExample("a draft", request_only=True, value={
        key: CAMPAIGN_EXAMPLE[key] for key in (
            "name", "goal", "audience_kind", "audience_segment", "coupon_template", "message",
            "contact_channel", "holdout_percent", "attribution_days", "cost_per_contact")}),
    OpenApiExample("created", response_only=True, value=CAMPAIGN_EXAMPLE),
]))  # fmt: skip
class CampaignViewSet(Attributed, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns: create a draft, ``launch`` (now or scheduled), ``cancel``, read the
    ``report`` (per arm vs the holdout: conversion, revenue, incremental revenue and ROI
    with intervals, verdict, daily series)."""

    queryset = Campaign.objects.select_related(
        "audience_segment", "audience_group", "audience_tier", "coupon_template"
    )
    serializer_class = CampaignSerializer
    filterset_fields = ["status", "goal", "audience_kind"]
    ordering_fields = ["id", "created_at"]
    action_perms = {
        "launch": ["campaigns.change_campaign"],
        "cancel": ["campaigns.change_campaign"],
        "report": ["campaigns.view_campaign"],
    }
    action_scopes = {"report": "read"}

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "user": acting_user(self.request)}

    @extend_schema(request=LaunchSerializer, responses={202: CampaignSerializer}, examples=[
        OpenApiExample("now", request_only=True, value={}),
        OpenApiExample("later", request_only=True, value={"scheduled_at": "2026-12-12T02:00:00Z"}),
        OpenApiExample("launched", response_only=True, status_codes=[202], value=CAMPAIGN_LAUNCHED),
    ])  # fmt: skip
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        campaign = self.get_object()
        problems = campaign_problems(campaign)
        if problems:
            raise ApiError("not_ready", "; ".join(problems), 409)
        scheduled_at = valid(LaunchSerializer, request).get("scheduled_at") or timezone.now()
        try:
            if scheduled_at > timezone.now():
                campaign = campaign_schedule(campaign=campaign, scheduled_at=scheduled_at,
                                             by=acting_user(request))  # fmt: skip
            else:
                campaign = campaign_launch(campaign=campaign, by=acting_user(request))
        except CampaignError as error:
            raise refused(error, status_code=409) from error
        campaign.refresh_from_db()
        return Response(self.get_serializer(campaign).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: CampaignSerializer}, examples=[
        OpenApiExample("cancelled", response_only=True, value={
            **CAMPAIGN_LAUNCHED, "status": "cancelled", "completed_at": "2026-12-01T10:02:00Z",
            "progress": {**CAMPAIGN_LAUNCHED["progress"], "contacted": 20, "percent": 42}}),
    ])  # fmt: skip
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        try:
            campaign = campaign_cancel(campaign=self.get_object(), by=acting_user(request))
        except CampaignError as error:
            raise refused(error, status_code=409) from error
        return Response(self.get_serializer(campaign).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        campaign = self.get_object()
        report = campaign_report(campaign)
        return Response({
            "campaign": campaign.pk, "status": campaign.status,
            "start": plain(report.start), "end": plain(report.end),
            "window_complete": report.window_complete,
            "arms": plain(report.arms), "uplift": plain(report.uplift),
            "verdict": plain(report.verdict),
            "sample_ratio_mismatch": report.sample_ratio_mismatch,
            "daily": plain(report.daily),
            "sample_plan": plain(campaign_sample_plan(campaign)),
        })  # fmt: skip


EXPERIMENT_REQUEST = {
    "name": "Win-back: 30 off vs 149 minus 30",
    "hypothesis": "a plain 30 off wins back more lapsed buyers than a threshold",
    "primary_metric": "conversion", "allocation_percent": "100.00",
    "starts_at": "2026-12-05T00:00:00Z", "ends_at": "2026-12-19T00:00:00Z",
    "variants": [
        {"name": "A", "weight": "50.00", "coupon_template": 7,
         "message": "{{ name }}, 30 off your next order: {{ coupon_code }}"},
        {"name": "B", "weight": "50.00", "coupon_template": 8,
         "message": "{{ name }}, 30 off from 149: {{ coupon_code }}"},
    ],
}  # fmt: skip


@extend_schema_view(create=extend_schema(examples=[
    OpenApiExample("two variants", request_only=True, value=EXPERIMENT_REQUEST),
    OpenApiExample("created", response_only=True, value={
        "id": 1, **EXPERIMENT_REQUEST, "status": "draft", "created_at": "2026-12-01T09:30:00Z"}),
]))  # fmt: skip
class ExperimentViewSet(Attributed, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A/B(/n) experiments: create with variants; ``result`` gives each variant's outcome,
    the verdict against the first variant and the sample-ratio check."""

    queryset = Experiment.objects.prefetch_related("variants").order_by("-id")
    serializer_class = ExperimentSerializer
    filterset_fields = ["status", "primary_metric"]
    action_perms = {"result": ["campaigns.view_experiment"]}

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "user": acting_user(self.request)}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        result = experiment_result(self.get_object())
        return Response({
            "experiment": result.experiment.pk, "baseline": result.baseline,
            "variants": plain(result.variants), "comparisons": plain(result.comparisons),
            "sample_ratio_mismatch": result.sample_ratio_mismatch,
        })  # fmt: skip


class AutomationViewSet(viewsets.ReadOnlyModelViewSet):
    """Lifecycle automations; ``dry-run`` says what today's run would do, writing nothing."""

    queryset = Automation.objects.select_related("coupon_template").order_by("name")
    serializer_class = AutomationSerializer
    pagination_class = None
    action_perms = {"dry_run": ["campaigns.view_automation"]}
    action_scopes = {"dry_run": "read"}

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, examples=[
        OpenApiExample("birthday month", response_only=True, value={
            "as_of": "2026-12-02", "candidates": 24, "opted_out": 3, "cooling_down": 0,
            "arms": {"control": 4, "treatment": 17}, "offer": "15% off",
            "sample": [{"customer_id": 7, "external_id": "C0000007", "name": "杨子涵",
                        "arm": "treatment", "gets": "15% off"},
                       {"customer_id": 9, "external_id": "C0000009", "name": "孙洋",
                        "arm": "control", "gets": "nothing (holdout)"}]}),
    ])  # fmt: skip
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        return Response(plain(automation_dry_run(self.get_object())))


class GroupReportViewSet(viewsets.GenericViewSet):
    """A community group over a period (default the last 30 days): members, KOCs, joins
    and leaves, active buyers, orders, net revenue and its exclusive offers' use."""

    serializer_class = None
    pagination_class = None
    view_perms = ["customers.view_communitygroup"]

    def get_queryset(self):
        return CommunityGroup.objects.all()

    @extend_schema(parameters=[OpenApiParameter("days", int, description="period length, default 30")],
                   responses={200: OpenApiTypes.OBJECT})  # fmt: skip
    def retrieve(self, request, pk=None):
        group = self.get_object()
        days = serializers.IntegerField(min_value=1, max_value=3660).run_validation(
            request.query_params.get("days", 30)
        )
        end = timezone.now()
        return Response(plain(group_report(group, start=end - timedelta(days=days), end=end)))
