"""Pages of the campaigns app (cockpit, campaigns, experiments, groups, customers)."""

from django.urls import path

from campaigns.views.cockpit import CockpitPage
from campaigns.views.customers import CustomerDetailPage, CustomerListPage
from campaigns.views.groups import GroupDetailPage, GroupListPage

app_name = "campaigns"

urlpatterns = [
    path("", CockpitPage.as_view(), name="cockpit"),
    path("customers/", CustomerListPage.as_view(), name="customer-list"),
    path("customers/<int:pk>/", CustomerDetailPage.as_view(), name="customer-detail"),
    path("groups/", GroupListPage.as_view(), name="group-list"),
    path("groups/<int:pk>/", GroupDetailPage.as_view(), name="group-detail"),
]
