"""What each role may do in the admin (Django model permissions).

The API checks roles itself; these permissions drive the admin: librarians' (cards,
catalog, orders, loans, message templates) and coordinators' (volunteers). Who may enter
the admin at all, and who may open readers' data in it, is decided in
backend/core/admin_site.py.
"""
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "librarian": {
        "readers.reader": ("view", "add", "change"),
        "readers.readerphone": ("view", "add", "change", "delete"),
        "readers.familycard": ("view", "add", "change"),
        "readers.cardchange": ("view",),
        "readers.cardaccess": ("view",),
        "plans.standingplan": ("view", "add", "change"),
        "plans.standingplanpause": ("view", "add", "change", "delete"),
        "branches.branch": ("view",),
        "catalog.title": ("view", "add", "change"),
        "catalog.item": ("view", "add", "change"),
        "orders.order": ("view", "change"),
        "orders.orderline": ("view",),
        "orders.calllog": ("view",),
        "circulation.loan": ("view", "change"),
        "volunteers.volunteer": ("view",),
        "routing.dayplan": ("view",),
        "routing.route": ("view",),
        # The texts of readers' and volunteers' messages (backend/notifications/admin.py).
        "notifications.messagetemplate": ("view", "change"),
    },
    # Operators work at the phone desk and through the API; coordinators get the admin for
    # volunteers only. Readers' data is in the admin for librarians only
    # (backend/core/admin_site.py).
    "operator": {},
    "coordinator": {
        "branches.branch": ("view",),
        "volunteers.volunteer": ("view", "add", "change"),
        "volunteers.shift": ("view", "add", "change", "delete"),
        "volunteers.absence": ("view", "add", "change", "delete"),
    },
    "volunteer": {},
}


def sync_role_groups(apps=None) -> None:
    """Create the role groups and give them exactly their permissions. Idempotent."""
    from django.contrib.auth.management import create_permissions

    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for model_label, actions in grants.items():
            app_label, model = model_label.split(".")
            for action in actions:
                wanted.extend(
                    Permission.objects.filter(
                        content_type__app_label=app_label,
                        codename=f"{action}_{model}",
                    )
                )
        group.permissions.set(wanted)
