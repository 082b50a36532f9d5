from rest_framework.routers import SimpleRouter

from campaigns.api import views

router = SimpleRouter()
router.register("coupon-templates", views.CouponTemplateViewSet, basename="coupon-template")
router.register("coupons", views.CouponViewSet, basename="coupon")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("experiments", views.ExperimentViewSet, basename="experiment")
router.register("automations", views.AutomationViewSet, basename="automation")
router.register("group-reports", views.GroupReportViewSet, basename="group-report")
