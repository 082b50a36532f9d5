from rest_framework.routers import SimpleRouter

from campaigns.api.views import CouponViewSet

router = SimpleRouter()
router.register("coupons", CouponViewSet, basename="coupon")
