import django_filters
from django.db.models import Prefetch
from rest_framework import viewsets

from customers.api.serializers import CustomerSerializer, TierSerializer
from customers.models import Customer, GroupMembership, MembershipTier
from ecomops.api.pagination import ApiCursorPagination


class CustomerFilter(django_filters.FilterSet):
    tier = django_filters.CharFilter(field_name="tier__name")
    tag = django_filters.CharFilter(field_name="tags__name")
    group = django_filters.NumberFilter(method="in_group")
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
        active = GroupMembership.objects.filter(group_id=value, left_at__isnull=True)
        return queryset.filter(pk__in=active.values("customer_id"))


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers with tier, tags, active groups and score; ``?segment=<id>`` in
    ``/api/v1/segments/<id>/members/``. PII masked without the ``pii`` scope."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    pagination_class = ApiCursorPagination
    lookup_field = "external_id"

    def get_queryset(self):
        # "score" is the analytics app's reverse one-to-one, joined by name.
        return Customer.objects.select_related("tier", "score").prefetch_related(
            "tags",
            Prefetch(
                "memberships",
                queryset=GroupMembership.objects.filter(left_at__isnull=True).select_related(
                    "group"
                ),
            ),
        )


class TierViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = MembershipTier.objects.order_by("rank")
    serializer_class = TierSerializer
    pagination_class = None
