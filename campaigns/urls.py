"""Pages of the campaigns app (cockpit, campaigns, experiments, groups, customers)."""

from django.urls import path

from campaigns.views.campaigns import (
    CampaignCancelView,
    CampaignCreatePage,
    CampaignDetailPage,
    CampaignLaunchView,
    CampaignListPage,
    CampaignProgressView,
)
from campaigns.views.cockpit import CockpitPage
from campaigns.views.customers import CustomerDetailPage, CustomerListPage
from campaigns.views.experiments import ExperimentDetailPage, ExperimentListPage
from campaigns.views.groups import GroupDetailPage, GroupListPage

app_name = "campaigns"

urlpatterns = [
    path("", CockpitPage.as_view(), name="cockpit"),
    path("campaigns/", CampaignListPage.as_view(), name="campaign-list"),
    path("campaigns/new/", CampaignCreatePage.as_view(), name="campaign-create"),
    path("campaigns/<int:pk>/", CampaignDetailPage.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/launch/", CampaignLaunchView.as_view(), name="campaign-launch"),
    path("campaigns/<int:pk>/cancel/", CampaignCancelView.as_view(), name="campaign-cancel"),
    path("campaigns/<int:pk>/progress/", CampaignProgressView.as_view(), name="campaign-progress"),
    path("experiments/", ExperimentListPage.as_view(), name="experiment-list"),
    path("experiments/<int:pk>/", ExperimentDetailPage.as_view(), name="experiment-detail"),
    path("customers/", CustomerListPage.as_view(), name="customer-list"),
    path("customers/<int:pk>/", CustomerDetailPage.as_view(), name="customer-detail"),
    path("groups/", GroupListPage.as_view(), name="group-list"),
    path("groups/<int:pk>/", GroupDetailPage.as_view(), name="group-detail"),
]
