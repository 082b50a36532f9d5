from rest_framework.routers import SimpleRouter

from analytics.api import views

router = SimpleRouter()
router.register("events", views.EventViewSet, basename="event")
router.register("scores", views.ScoreViewSet, basename="score")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("kpis", views.KpiViewSet, basename="kpi")
router.register("reports", views.ReportViewSet, basename="report")
router.register("recommendations", views.RecommendationViewSet, basename="recommendation")
