from rest_framework.routers import SimpleRouter

from customers.api.views import CustomerViewSet, TierViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("tiers", TierViewSet, basename="tier")
