"""Pages of the campaigns app (cockpit, campaigns, experiments, groups, customers)."""

from django.urls import path

from campaigns.views.cockpit import CockpitPage

app_name = "campaigns"

urlpatterns = [
    path("", CockpitPage.as_view(), name="cockpit"),
]
