"""Webhook subscriptions (create, list, change, delete) and their delivery log."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from ecomops.api.access import acting_user
from ecomops.api.errors import CleanModelSerializer
from ecomops.models import WebhookDelivery, WebhookSubscription
from ecomops.webhooks import webhook_subscription_create


class SubscriptionSerializer(CleanModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(WebhookSubscription.EVENTS), required=False,
        help_text="event names; empty or absent means all",
    )  # fmt: skip
    segments = serializers.ListField(child=serializers.IntegerField(), required=False)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "segments", "active", "created_at"]
        read_only_fields = ["id", "created_at"]


class NewSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="shown once: verify X-EcomOps-Signature with it"
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event", "event_id", "payload", "status", "attempts",
                  "next_attempt_at", "last_status_code", "last_error", "created_at",
                  "delivered_at"]  # fmt: skip
        read_only_fields = fields


SUBSCRIPTION_EXAMPLE = {
    "id": 1, "name": "CRM", "url": "https://crm.example.com/hooks/ecomops",
    "events": ["coupon.redeemed", "segment.entered"], "segments": [], "active": True,
    "created_at": "2026-12-01T09:30:00Z",
}  # fmt: skip


@extend_schema_view(partial_update=extend_schema(examples=[
    OpenApiExample("pause", request_only=True, value={"active": False}),
    OpenApiExample("changed", response_only=True, value={**SUBSCRIPTION_EXAMPLE, "active": False}),
]))  # fmt: skip
class SubscriptionViewSet(viewsets.ModelViewSet):
    """Webhook subscriptions. Each delivery is a signed POST (see docs/api.md)."""

    queryset = WebhookSubscription.objects.all()
    serializer_class = SubscriptionSerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=SubscriptionSerializer, responses={201: NewSubscriptionSerializer},
                   examples=[
        OpenApiExample("a CRM", request_only=True, value={
            key: SUBSCRIPTION_EXAMPLE[key] for key in ("name", "url", "events", "segments")}),
        OpenApiExample("created, with its secret", response_only=True, value={
            **SUBSCRIPTION_EXAMPLE,
            "secret": "5f2b8c0e9d41a7b3c6e2f0a9d8b7c6e5f4a3b2c1d0e9f8a7"}),
    ])  # fmt: skip
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(**serializer.validated_data,
                                                   by=acting_user(request))  # fmt: skip
        return Response(
            NewSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log: every event sent, its attempts and the last answer."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = DeliverySerializer
    filterset_fields = ["subscription", "event", "status"]


router = SimpleRouter()
router.register("webhooks", SubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
