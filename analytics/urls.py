"""Pages of the analytics app (reports, the segment builder, analytics runs)."""

from django.urls import path

from analytics.views.bundles import BundlesPage
from analytics.views.channels import ChannelsPage
from analytics.views.cohorts import CohortsPage
from analytics.views.customers import CustomersPage
from analytics.views.inventory import InventoryPage
from analytics.views.products import ProductsPage
from analytics.views.runs import RunListPage, RunProgressPage, RunStatusView
from analytics.views.segments import SegmentDetailPage, SegmentListPage, SegmentPreviewView
from analytics.views.traffic import TrafficPage

app_name = "analytics"

urlpatterns = [
    path("reports/customers/", CustomersPage.as_view(), name="customers"),
    path("reports/cohorts/", CohortsPage.as_view(), name="cohorts"),
    path("reports/products/", ProductsPage.as_view(), name="products"),
    path("reports/bundles/", BundlesPage.as_view(), name="bundles"),
    path("reports/inventory/", InventoryPage.as_view(), name="inventory"),
    path("reports/traffic/", TrafficPage.as_view(), name="traffic"),
    path("reports/channels/", ChannelsPage.as_view(), name="channels"),
    path("segments/", SegmentListPage.as_view(), name="segments"),
    path("segments/preview/", SegmentPreviewView.as_view(), name="segment-preview"),
    path("segments/<int:pk>/", SegmentDetailPage.as_view(), name="segment-detail"),
    path("analytics/runs/", RunListPage.as_view(), name="runs"),
    path("analytics/runs/<int:pk>/", RunProgressPage.as_view(), name="run-progress"),
    path("analytics/runs/<int:pk>/status/", RunStatusView.as_view(), name="run-status"),
]
