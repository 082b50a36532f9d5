from rest_framework.routers import SimpleRouter

from customers.api import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("tiers", views.TierViewSet, basename="tier")
router.register("tags", views.TagViewSet, basename="tag")
router.register("points", views.PointsViewSet, basename="points")
router.register("groups", views.GroupViewSet, basename="group")
router.register("memberships", views.MembershipViewSet, basename="membership")
