from django.db import migrations


def create_roles(apps, schema_editor):
    from ecomops.roles import roles_sync

    roles_sync(apps)


def remove_roles(apps, schema_editor):
    from ecomops.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0001_initial"),
        ("catalog", "0001_initial"),
        ("analytics", "0001_initial"),
        ("campaigns", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
