"""Customers (with tier, tags, groups and score), tiers, tags, the points ledger and
community groups with their members."""

import uuid

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.api.serializers import (
    ROW_FIELDS,
    CustomerSerializer,
    GroupSerializer,
    MembersChangeSerializer,
    MembershipSerializer,
    PointsAdjustSerializer,
    PointsEntrySerializer,
    TagSerializer,
    TierSerializer,
)
from customers.errors import ServiceError
from customers.models import (
    CommunityGroup,
    Customer,
    GroupMembership,
    MembershipTier,
    PointsEntry,
    Tag,
)
from customers.selectors import customers_by_external_id, customers_label, groups_with_counts
from customers.services import group_members_add, group_members_remove, points_adjust
from ecomops.api.access import Attributed, acting_user
from ecomops.api.errors import ApiError, refused, valid

KEY = "[^/]+"


class CustomerFilter(django_filters.FilterSet):
    tier = django_filters.CharFilter(field_name="tier__name")
    tag = django_filters.CharFilter(field_name="tags__name")
    group = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=CommunityGroup.objects.all(), method="in_group", help_text="a group's id"
        )
    )
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    registered_after = django_filters.IsoDateTimeFilter(
        field_name="registered_at", lookup_expr="gte"
    )
    registered_before = django_filters.IsoDateTimeFilter(
        field_name="registered_at", lookup_expr="lt"
    )
    external_id = django_filters.CharFilter()
    is_koc = django_filters.BooleanFilter()

    class Meta:
        model = Customer
        fields = []

    def in_group(self, queryset, name, value):
        active = GroupMembership.objects.filter(group=value, left_at__isnull=True)
        return queryset.filter(pk__in=active.values("customer_id"))


def customer_queryset():
    """Customers as rows for ``CustomerSerializer`` ("score" is the analytics app's
    reverse one-to-one, joined by name)."""
    return Customer.objects.values(*ROW_FIELDS)


def customer_page(view, queryset):
    """A paginated customer list with tags and groups attached in two queries."""
    page = view.paginate_queryset(queryset)
    customers_label(page)
    return view.get_paginated_response(
        CustomerSerializer(page, many=True, context=view.get_serializer_context()).data
    )


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers with tier, tags, active groups and score (a segment's members are at
    ``/segments/<id>/members/``, with the same filters). PII (e-mail, phone, birthday)
    is masked without the ``pii`` scope (or ``customers.view_pii``)."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    lookup_field, lookup_value_regex = "external_id", KEY
    ordering_fields = ["id", "updated_at", "registered_at"]

    def get_queryset(self):
        return customer_queryset()

    def list(self, request, *args, **kwargs):
        return customer_page(self, self.filter_queryset(self.get_queryset()))

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        customers_label([row])
        return Response(self.get_serializer(row).data)


class TierViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = MembershipTier.objects.order_by("rank")
    serializer_class = TierSerializer
    pagination_class = None


@extend_schema_view(create=extend_schema(examples=[
    OpenApiExample("a manual tag", request_only=True,
                   value={"name": "Gift buyer", "description": "orders gift wrapping"}),
    OpenApiExample("created", response_only=True,
                   value={"id": 11, "name": "Gift buyer", "kind": "manual",
                          "description": "orders gift wrapping",
                          "created_at": "2026-12-01T09:30:00Z"}),
]))  # fmt: skip
class TagViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Tags; computed ones are refreshed by the analytics run, manual ones are created here."""

    queryset = Tag.objects.order_by("name")
    serializer_class = TagSerializer
    pagination_class = None
    filterset_fields = ["kind"]
    lookup_field, lookup_value_regex = "name", KEY


class PointsViewSet(Attributed, viewsets.ReadOnlyModelViewSet):
    """The points ledger (read); ``adjust`` adds or removes points with a reason."""

    queryset = PointsEntry.objects.select_related("customer")
    serializer_class = PointsEntrySerializer
    filterset_fields = {"customer__external_id": ["exact"], "reason": ["exact"],
                        "created_at": ["gte", "lt"]}  # fmt: skip
    ordering_fields = ["id", "created_at"]
    action_perms = {"adjust": ["customers.add_pointsentry"]}

    @extend_schema(request=PointsAdjustSerializer, responses={201: PointsEntrySerializer},
                   examples=[
        OpenApiExample("a goodwill credit", request_only=True,
                       value={"customer_id": "C0000399", "delta": 200,
                              "reason": "late delivery, ticket 58812",
                              "idempotency_key": "ticket-58812"}),
        OpenApiExample("the ledger entry", response_only=True,
                       value={"id": 9112, "customer": "C0000399", "delta": 200,
                              "balance_after": 1460, "reason": "adjustment", "reference": "",
                              "note": "late delivery, ticket 58812",
                              "created_at": "2026-12-01T09:30:00Z"}),
    ])  # fmt: skip
    @action(detail=False, methods=["post"])
    def adjust(self, request):
        data = valid(PointsAdjustSerializer, request)
        ids, _ = customers_by_external_id([data["customer_id"]])
        if not ids:
            raise ApiError("not_found", f"no customer {data['customer_id']!r}", 404,
                           {"customer_id": ["unknown"]})  # fmt: skip
        key = data.get("idempotency_key") or uuid.uuid4().hex
        try:
            entry = points_adjust(
                customer=ids[0], delta=data["delta"], note=data["reason"],
                created_by=acting_user(request), idempotency_key=f"adjust:{key}",
            )  # fmt: skip
        except ServiceError as error:
            raise refused(error) from error
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


MembersChanged = inline_serializer(
    "MembersChanged",
    {
        "added": serializers.IntegerField(required=False),
        "already": serializers.IntegerField(required=False),
        "full": serializers.IntegerField(required=False, help_text="refused: group at capacity"),
        "removed": serializers.IntegerField(required=False),
        "unknown": serializers.ListField(child=serializers.CharField()),
    },
)


GROUP_EXAMPLE = {
    "id": 9, "name": "VIP Club 02", "kind": "vip", "platform": "wecom", "capacity": 500,
    "description": "Gold and Diamond members in Shanghai", "active": True,
    "created_at": "2026-12-01T09:30:00Z", "members": 0,
}  # fmt: skip
MEMBERS_EXAMPLE = OpenApiExample("two customers", request_only=True,
                                 value={"customers": ["C0000399", "C0000398"], "role": "member"})  # fmt: skip


@extend_schema_view(
    create=extend_schema(examples=[
        OpenApiExample("a VIP group", request_only=True,
                       value={"name": "VIP Club 02", "kind": "vip", "platform": "wecom",
                              "capacity": 500,
                              "description": "Gold and Diamond members in Shanghai"}),
        OpenApiExample("created", response_only=True, value=GROUP_EXAMPLE),
    ]),
    partial_update=extend_schema(examples=[
        OpenApiExample("more room", request_only=True, value={"capacity": 800}),
        OpenApiExample("changed", response_only=True,
                       value={**GROUP_EXAMPLE, "capacity": 800, "members": 412}),
    ]),
)  # fmt: skip
class GroupViewSet(Attributed, viewsets.ModelViewSet):
    """Community groups (private-domain groups) with their active member counts; add or
    remove members by external id."""

    serializer_class = GroupSerializer
    pagination_class = None
    filterset_fields = ["kind", "active"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_perms = {
        "add_members": ["customers.add_groupmembership"],
        "remove_members": ["customers.change_groupmembership"],
    }

    def get_queryset(self):
        return groups_with_counts()

    @extend_schema(request=MembersChangeSerializer, responses={200: MembersChanged},
                   examples=[MEMBERS_EXAMPLE, OpenApiExample("counts", response_only=True, value={
                       "added": 1, "already": 1, "full": 0, "unknown": []})])  # fmt: skip
    @action(detail=True, methods=["post"], url_path="members/add")
    def add_members(self, request, pk=None):
        group = self.get_object()
        data = valid(MembersChangeSerializer, request)
        ids, unknown = customers_by_external_id(data["customers"])
        try:
            counts = group_members_add(group=group, customers=ids, role=data["role"],
                                       by=acting_user(request))  # fmt: skip
        except ServiceError as error:
            raise refused(error) from error
        return Response({**counts, "unknown": unknown})

    @extend_schema(request=MembersChangeSerializer, responses={200: MembersChanged},
                   examples=[MEMBERS_EXAMPLE, OpenApiExample("counts", response_only=True, value={
                       "removed": 2, "unknown": []})])  # fmt: skip
    @action(detail=True, methods=["post"], url_path="members/remove")
    def remove_members(self, request, pk=None):
        group = self.get_object()
        data = valid(MembersChangeSerializer, request)
        ids, unknown = customers_by_external_id(data["customers"])
        removed = group_members_remove(group=group, customers=ids, by=acting_user(request))
        return Response({"removed": removed, "unknown": unknown})


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    """Group memberships, past and present (``active=true`` for current ones)."""

    queryset = GroupMembership.objects.select_related("customer", "group")
    serializer_class = MembershipSerializer
    filterset_fields = {"group": ["exact"], "customer__external_id": ["exact"],
                        "role": ["exact"], "left_at": ["isnull"], "joined_at": ["gte", "lt"]}  # fmt: skip
    ordering_fields = ["id", "joined_at"]
