"""Roles: the staff groups and the model permissions each one holds.

Ops staff (运营) manage members, groups, tags, coupons and campaigns and may see PII.
Store managers (店长) read everything and set KPI targets; analysts read everything and
build segments. Neither sees PII (``customers.view_pii``). Ops staff and analysts may
start an analytics run (``analytics.run_analytics``, "Recompute now"). ``roles_sync`` is run by a data
migration and by ``manage.py sync_roles``; it is idempotent and also works on the
historical app registry inside migrations.
"""

from django.apps import apps as global_apps

VIEW = ("view",)
EDIT = ("view", "add", "change")
FULL = ("view", "add", "change", "delete")

# role -> {app_label: {model_name or "*": actions}}; a named model overrides "*".
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "Ops staff": {
        "customers": {
            "*": FULL,
            "membershiptier": EDIT,
            "pointsentry": ("view", "add"),
        },
        "catalog": {"*": VIEW},
        "analytics": {"*": VIEW, "segment": FULL, "segmentmember": FULL},
        "campaigns": {"*": EDIT, "redemption": VIEW},
    },
    "Store manager": {
        "customers": {"*": VIEW},
        "catalog": {"*": VIEW},
        "analytics": {"*": VIEW, "kpitarget": FULL},
        "campaigns": {"*": VIEW},
    },
    "Analyst": {
        "customers": {"*": VIEW},
        "catalog": {"*": VIEW},
        "analytics": {"*": VIEW, "segment": FULL, "segmentmember": FULL},
        "campaigns": {"*": VIEW},
    },
}
EXTRA_PERMISSIONS: dict[str, list[str]] = {
    "Ops staff": ["customers.view_pii", "analytics.run_analytics"],
    "Analyst": ["analytics.run_analytics"],
}


def role_codenames(role: str, apps=global_apps) -> set[tuple[str, str]]:
    """(app_label, codename) pairs the role should hold, given the installed models."""
    wanted: set[tuple[str, str]] = set()
    for app_label, rules in ROLE_PERMISSIONS[role].items():
        for model in apps.get_app_config(app_label).get_models():
            name = model._meta.model_name
            for action in rules.get(name, rules.get("*", ())):
                wanted.add((app_label, f"{action}_{name}"))
    for dotted in EXTRA_PERMISSIONS.get(role, []):
        app_label, codename = dotted.split(".")
        wanted.add((app_label, codename))
    return wanted


def roles_sync(apps=global_apps) -> dict[str, int]:
    """Create the role groups and set their permissions exactly; returns counts per role."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs need this to be visited
        create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    counts = {}
    for role in ROLE_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = role_codenames(role, apps)
        labels = {label for label, _ in wanted}
        perms = [
            p
            for p in Permission.objects.filter(content_type__app_label__in=labels).select_related(
                "content_type"
            )
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts
