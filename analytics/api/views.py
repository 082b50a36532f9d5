"""Analytics resources: events (and their bulk ingest), customer scores, segments
(CRUD, preview, members), daily KPIs and targets, reports and recommendations. Reports
read the materialised results (never raw orders per request)."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.api import serializers as s
from analytics.models import CustomerScore, DailyKPI, Event, Segment
from analytics.segment_rules import RuleError
from analytics.selectors import reports
from analytics.selectors.segments import segment_members, segment_rule_preview
from analytics.services.events import events_ingest
from analytics.services.segments import SegmentError, segment_create, segment_delete, segment_update
from customers.api.serializers import CustomerSerializer
from customers.api.views import CustomerFilter, customer_page, customer_queryset
from ecomops.api.access import Attributed, acting_user
from ecomops.api.bulk import bulk_response, bulk_schema
from ecomops.api.errors import ApiError, refused, valid
from ecomops.api.pagination import ApiCursorPagination, cursor_by
from ecomops.api.values import plain, records

KEY = "[^/]+"


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Behaviour events; ``bulk`` creates or updates up to 1,000 at a time by ``event_id``."""

    queryset = Event.objects.select_related("customer", "sku", "channel")
    serializer_class = s.EventSerializer
    filterset_fields = {"type": ["exact"], "customer__external_id": ["exact"],
                        "session_id": ["exact"], "occurred_at": ["gte", "lt"]}  # fmt: skip
    ordering_fields = ["id", "occurred_at"]
    action_perms = {"bulk": ["analytics.add_event", "analytics.change_event"]}

    @bulk_schema(s.EventInSerializer, s.EVENT_EXAMPLE, "Create or update up to 1,000 events")
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        return bulk_response(events_ingest, request)


class ScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Customer scores from the last analytics run (RFM, lifecycle, value, predictions),
    looked up by the customer's external id."""

    queryset = CustomerScore.objects.select_related("customer")
    serializer_class = s.ScoreSerializer
    lookup_field, lookup_url_kwarg, lookup_value_regex = "customer__external_id", "customer", KEY
    filterset_fields = {"rfm_segment": ["exact"], "rfm_class": ["exact"],
                        "lifecycle_stage": ["exact"], "r_score": ["exact", "gte"],
                        "f_score": ["exact", "gte"], "m_score": ["exact", "gte"],
                        "p_alive": ["lte", "gte"]}  # fmt: skip
    ordering_fields = ["customer_id"]
    pagination_class = cursor_by("customer_id")


PREVIEW_EXAMPLE = OpenApiExample(
    "loyal buyers in Gold",
    value={"rule": {"all": [{"field": "r_score", "op": ">=", "value": 4},
                            {"field": "tier", "op": "in", "value": ["Gold"]}]}},
    request_only=True,
)  # fmt: skip
PREVIEW_RESULT = OpenApiExample("count and sample", response_only=True, value={
    "count": 20, "sample": [{"id": 27, "external_id": "C0000027", "name": "朱杰",
                             "tier__name": "Gold", "score__rfm_segment": "champions",
                             "score__lifecycle_stage": "active",
                             "score__monetary": "9526.01"}]})  # fmt: skip
SEGMENT_RULE = {"all": [{"field": "r_score", "op": ">=", "value": 4},
                        {"field": "tier", "op": "in", "value": ["Gold"]}]}  # fmt: skip
SEGMENT_EXAMPLE = {
    "id": 27, "name": "Recent Gold buyers", "description": "R score 4 or 5, tier Gold",
    "rule": SEGMENT_RULE, "kind": "dynamic", "is_builtin": False,
    "recommended_action": "exclusive early access and a VIP group invitation",
    "member_count": 20, "member_count_at": "2026-12-01T09:30:00Z",
    "created_at": "2026-12-01T09:30:00Z", "updated_at": "2026-12-01T09:30:00Z",
}  # fmt: skip


@extend_schema_view(
    create=extend_schema(examples=[
        OpenApiExample("a dynamic segment", request_only=True,
                       value={key: SEGMENT_EXAMPLE[key] for key in (
                           "name", "description", "rule", "kind", "recommended_action")}),
        OpenApiExample("created", response_only=True, value=SEGMENT_EXAMPLE),
    ]),
    partial_update=extend_schema(examples=[
        OpenApiExample("a new description", request_only=True,
                       value={"description": "R score 4 or 5, tier Gold (spring push)"}),
        OpenApiExample("changed", response_only=True, value={
            **SEGMENT_EXAMPLE, "description": "R score 4 or 5, tier Gold (spring push)",
            "updated_at": "2026-12-02T08:00:00Z"}),
    ]),
)  # fmt: skip
class SegmentViewSet(Attributed, viewsets.ModelViewSet):
    """Segments: create, change, delete; ``preview`` a rule (count + 20 customers) before
    saving; ``members`` lists a segment's customers with the customer filters."""

    queryset = Segment.objects.order_by("name")
    serializer_class = s.SegmentSerializer
    pagination_class = None
    filterset_fields = ["kind", "is_builtin"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_scopes = {"preview": "read"}
    action_perms = {"preview": ["analytics.view_segment"], "members": ["customers.view_customer"]}

    def perform_create(self, serializer):
        try:
            serializer.instance = segment_create(**serializer.validated_data,
                                                 created_by=acting_user(self.request))  # fmt: skip
        except RuleError as exc:
            raise ApiError("invalid", str(exc), 400, {"rule": [str(exc)]}) from exc

    def perform_update(self, serializer):
        try:
            segment_update(segment=serializer.instance, **serializer.validated_data)
        except SegmentError as error:
            raise refused(error, status_code=409) from error

    def perform_destroy(self, instance):
        try:
            segment_delete(segment=instance)
        except SegmentError as error:
            raise refused(error, status_code=409) from error

    @extend_schema(request=s.RuleSerializer, responses={200: s.PreviewSerializer},
                   examples=[PREVIEW_EXAMPLE, PREVIEW_RESULT])  # fmt: skip
    @action(detail=False, methods=["post"])
    def preview(self, request):
        rule = valid(s.RuleSerializer, request)["rule"]
        try:
            preview = segment_rule_preview(rule=rule)
        except RuleError as exc:
            raise ApiError("invalid", str(exc), 400, {"rule": [str(exc)]}) from exc
        sample = [{key: plain(value) for key, value in row.items()} for row in preview.sample]
        return Response({"count": preview.count, "sample": sample})

    @extend_schema(responses={200: CustomerSerializer(many=True)}, filters=False,
                   parameters=[OpenApiParameter("page_size", int), OpenApiParameter("cursor", str),
                               *(OpenApiParameter(name, str) for name in CustomerFilter.base_filters)])  # fmt: skip
    @action(detail=True, methods=["get"], serializer_class=CustomerSerializer,
            pagination_class=ApiCursorPagination)  # fmt: skip
    def members(self, request, pk=None):
        segment = self.get_object()
        members = customer_queryset().filter(pk__in=segment_members(segment=segment).values("pk"))
        filtered = CustomerFilter(request.query_params, queryset=members, request=request)
        if not filtered.is_valid():
            raise serializers.ValidationError(filtered.errors)
        return customer_page(self, filtered.qs)


class KpiViewSet(viewsets.ReadOnlyModelViewSet):
    """Daily KPI values (materialised by the analytics run): filter by ``metric``,
    ``dimension`` (all, channel, category), ``dimension_value`` and a date range;
    ``summary`` sums a period and compares it with the one before."""

    queryset = DailyKPI.objects.all()
    serializer_class = s.DailyKpiSerializer
    filterset_fields = {"metric": ["exact", "in"], "dimension": ["exact"],
                        "dimension_value": ["exact"], "date": ["exact", "gte", "lte"]}  # fmt: skip
    ordering_fields = ["id", "date"]

    @extend_schema(parameters=[s.ReportParams], responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def summary(self, request):
        f = s.report_filter(request)
        summary = reports.kpi_summary(f)
        return Response({
            "start": f.start, "end": f.end,
            "current": plain(summary.current),
            "previous": plain(summary.previous),
            "change": plain(summary.change),
        })  # fmt: skip

    @extend_schema(parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE)],
                   responses={200: OpenApiTypes.OBJECT})  # fmt: skip
    @action(detail=False, methods=["get"])
    def targets(self, request):
        """Every KPI target whose period holds ``as_of`` (default today), with progress."""
        as_of = s.serializers.DateField().run_validation(
            request.query_params.get("as_of") or timezone.localdate().isoformat()
        )
        rows = [
            {
                "metric": p.target.metric, "period_start": p.target.period_start,
                "period_end": p.target.period_end, "target": str(p.target.target),
                "owner": str(p.target.owner_user or p.target.owner_team or ""),
                "actual": plain(p.actual), "progress": plain(p.progress),
                "expected": plain(p.expected),
            }
            for p in reports.kpi_target_progress(as_of=as_of)
        ]  # fmt: skip
        return Response({"as_of": as_of, "targets": rows})


def _report_doc(summary: str):
    """A report's schema; its response example is recorded (ecomops/api/examples.py)."""
    return extend_schema(
        summary=summary, parameters=[s.ReportParams], responses={200: OpenApiTypes.OBJECT}
    )


class ReportViewSet(viewsets.ViewSet):
    """Reports over the materialised analytics: each takes ``start``, ``end`` (inclusive,
    default the last 30 days), ``channel`` (code) and ``category`` (id) where it can break
    down by them, and answers JSON tables."""

    view_perms = ["analytics.view_dailykpi"]

    @_report_doc("Funnel visit → view → cart → order → pay, overall and per channel")
    @action(detail=False)
    def funnel(self, request):
        f = s.report_filter(request)
        overall = reports.funnel_report(f)
        per_channel = reports.funnel_report(f, by_channel=True)
        return Response({
            "steps": records(overall.steps), "by_channel": records(per_channel.steps),
            "cart_abandonment": plain(overall.cart_abandonment),
            "payment_dropoff": plain(overall.payment_dropoff),
        })  # fmt: skip

    @_report_doc("Activity by weekday × hour")
    @action(detail=False)
    def activity(self, request):
        frame = reports.activity_report(s.report_filter(request),
                                        measure=request.query_params.get("measure", "events"))  # fmt: skip
        return Response({"cells": records(frame)})

    @_report_doc("Retention by first-purchase month (customers and revenue)")
    @action(detail=False)
    def cohorts(self, request):
        report = reports.cohort_report(s.report_filter(request))
        return Response({"retention": records(report.retention)})

    @_report_doc("30-day repurchase by cohort and the repurchase interval")
    @action(detail=False)
    def repurchase(self, request):
        report = reports.cohort_report(s.report_filter(request))
        histogram = [
            {"days": int(d), "pairs": int(n)} for d, n in report.interval_histogram.items()
        ]
        return Response({
            "by_cohort": records(report.repurchase_30d),
            "interval_median_days": plain(report.interval_median_days),
            "interval_pairs": report.interval_pairs, "interval_histogram": histogram,
        })  # fmt: skip

    @_report_doc("Sales vs margin matrix (star, traffic driver, profit contributor, long tail)")
    @action(detail=False)
    def products(self, request):
        report = reports.product_report(s.report_filter(request))
        return Response({"volume_split": plain(report.volume_split),
                         "margin_split": plain(report.margin_split),
                         "products": records(report.matrix)})  # fmt: skip

    @_report_doc("Return rate vs positive-review rate, with quality flags")
    @action(detail=False)
    def quality(self, request):
        report = reports.product_report(s.report_filter(request))
        return Response({"products": records(report.flags)})

    @_report_doc("Bought-together rules A → B with support, confidence and lift")
    @action(detail=False)
    def associations(self, request):
        return Response({"rules": records(reports.association_report())})

    @_report_doc("Bundle suggestions (pairs with lift > 1, best lift × support first)")
    @action(detail=False)
    def bundles(self, request):
        return Response({"bundles": records(reports.bundle_report())})

    @_report_doc("Channel quality: visitors, conversion, AOV, revenue, profit, spend, CAC, ROI")
    @action(detail=False)
    def channels(self, request):
        return Response({"channels": records(reports.channel_report(s.report_filter(request)))})

    @_report_doc("Inventory health: 动销率, 售罄率, turnover, low stock and slow movers")
    @action(detail=False)
    def inventory(self, request):
        report = reports.inventory_report(as_of=s.report_filter(request).end)
        return Response({"snapshot_date": report.snapshot_date,
                         "summary": plain(report.summary),
                         "low_stock": records(report.low_stock),
                         "slow_movers": records(report.slow_movers)})  # fmt: skip

    @_report_doc("4-week unit forecast per product with its backtest error")
    @action(detail=False)
    def forecast(self, request):
        report = reports.inventory_report(as_of=s.report_filter(request).end)
        return Response({"forecast": records(report.forecast)})

    @_report_doc("Customers by predicted 90-day value")
    @action(detail=False, url_path="predicted-value")
    def predicted_value(self, request):
        buckets = [{"low": str(b.low), "high": None if b.high is None else str(b.high),
                    "customers": b.customers, "predicted_value": str(b.predicted_value)}
                   for b in reports.clv_distribution()]  # fmt: skip
        return Response({"buckets": buckets})


class RecommendationViewSet(viewsets.ViewSet):
    """Product recommendations for a customer (from the last analytics run)."""

    view_perms = ["analytics.view_recommendation"]
    lookup_field, lookup_url_kwarg, lookup_value_regex = "customer", "customer", KEY

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request, customer=None):
        from customers.models import Customer

        found = get_object_or_404(Customer.objects.only("pk"), external_id=customer)
        products = [{**row, "computed_at": plain(row["computed_at"])}
                    for row in reports.customer_recommendations(found.pk)]  # fmt: skip
        return Response({"customer": customer, "products": products})
