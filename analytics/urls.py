"""Pages of the analytics app (reports and the segment builder)."""

from django.urls import path

from analytics.views.bundles import BundlesPage
from analytics.views.cohorts import CohortsPage
from analytics.views.customers import CustomersPage
from analytics.views.products import ProductsPage

app_name = "analytics"

urlpatterns: list = [
    path("reports/customers/", CustomersPage.as_view(), name="customers"),
    path("reports/cohorts/", CohortsPage.as_view(), name="cohorts"),
    path("reports/products/", ProductsPage.as_view(), name="products"),
    path("reports/bundles/", BundlesPage.as_view(), name="bundles"),
]
