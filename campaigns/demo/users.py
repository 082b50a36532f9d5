"""The demo logins: ``admin`` (superuser), ``ops``, ``manager`` and ``analyst``.

Created or brought back to their demo state on every seed (never by a migration, so a
production database never gets them by accident). The role groups come from the
``ecomops`` data migration; a missing group means the database is not migrated.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

DEMO_PASSWORD = "demo"
# username -> role group (None: the superuser, who needs none)
DEMO_USERS: dict[str, str | None] = {
    "admin": None,
    "ops": "Ops staff",
    "manager": "Store manager",
    "analyst": "Analyst",
}


class MissingRoleGroup(Exception):
    pass


def ensure_demo_users(password: str = DEMO_PASSWORD) -> dict[str, object]:
    """Create or update the four demo users; returns them by username."""
    groups = {
        g.name: g for g in Group.objects.filter(name__in=[g for g in DEMO_USERS.values() if g])
    }
    missing = sorted({g for g in DEMO_USERS.values() if g} - set(groups))
    if missing:
        raise MissingRoleGroup(
            f"role groups {', '.join(missing)} are missing: run `manage.py migrate` first"
        )
    # One hash for all four: hashing is deliberately slow and the demo password is shared.
    hashed = make_password(password)
    User = get_user_model()
    users = {}
    for username, role in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_active = True
        user.is_superuser = role is None
        user.password = hashed
        user.email = user.email or f"{username}@example.com"
        user.save()
        user.groups.set([groups[role]] if role else [])
        users[username] = user
    return users
