"""The base layout's navigation: the pages a user may open, grouped, for their role.

Each entry names the permission its page checks, so a link is shown exactly when the page
would answer (a store manager sees the reports but not "New campaign"; the pages
themselves refuse with 403 all the same). URL names only: ecomops imports no app here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str


NAVIGATION: list[tuple[str, list[NavEntry]]] = [
    (
        _("Performance"),
        [
            NavEntry(_("Cockpit"), "campaigns:cockpit", "analytics.view_dailykpi"),
            NavEntry(_("Customers & segments"), "analytics:customers", "analytics.view_dailykpi"),
            NavEntry(_("Cohorts & repurchase"), "analytics:cohorts", "analytics.view_dailykpi"),
            NavEntry(_("Products"), "analytics:products", "analytics.view_dailykpi"),
            NavEntry(_("Bought together"), "analytics:bundles", "analytics.view_dailykpi"),
            NavEntry(_("Inventory"), "analytics:inventory", "analytics.view_dailykpi"),
            NavEntry(_("Traffic & funnel"), "analytics:traffic", "analytics.view_dailykpi"),
            NavEntry(_("Channels"), "analytics:channels", "analytics.view_dailykpi"),
        ],
    ),
    (
        _("Operations"),
        [
            NavEntry(_("Segments"), "analytics:segments", "analytics.view_segment"),
            NavEntry(_("Campaigns"), "campaigns:campaign-list", "campaigns.view_campaign"),
            NavEntry(_("Experiments"), "campaigns:experiment-list", "campaigns.view_experiment"),
            NavEntry(_("Groups"), "campaigns:group-list", "customers.view_communitygroup"),
            NavEntry(_("Members"), "campaigns:customer-list", "customers.view_customer"),
        ],
    ),
    (
        _("Data"),
        [
            NavEntry(_("Analytics runs"), "analytics:runs", "analytics.view_analyticsrun"),
            # Imports keep their upload, preview and progress pages in the admin.
            NavEntry(_("Imports"), "admin:catalog_importjob_changelist", "catalog.view_importjob"),
        ],
    ),
]


def navigation(request) -> dict:
    """``nav``: [(section, [(label, url, active)])] for the signed-in user; empty otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    path = request.path
    sections = []
    for section, entries in NAVIGATION:
        links = []
        for entry in entries:
            if not user.has_perm(entry.permission):
                continue
            url = reverse(entry.url_name)
            active = path == url if url == "/" else path.startswith(url)
            links.append((entry.label, url, active))
        if links:
            sections.append((section, links))
    return {"nav": sections}
