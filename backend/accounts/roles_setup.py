"""What each role may do in the admin (Django model permissions).

The API checks roles itself; these permissions drive the librarians' admin.
"""
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "librarian": {
        "readers.reader": ("view", "add", "change"),
        "readers.readerphone": ("view", "add", "change", "delete"),
        "readers.familycard": ("view", "add", "change"),
        "readers.cardchange": ("view",),
        "readers.cardaccess": ("view",),
        "readers.standingplan": ("view", "add", "change"),
        "readers.standingplanpause": ("view", "add", "change", "delete"),
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
    },
    "operator": {
        "readers.reader": ("view",),
        "readers.readerphone": ("view",),
        "readers.familycard": ("view",),
        "readers.standingplan": ("view", "add", "change"),
        "branches.branch": ("view",),
        "catalog.title": ("view",),
        "catalog.item": ("view",),
        "orders.order": ("view", "change"),
        "orders.calllog": ("view",),
        "circulation.loan": ("view",),
    },
    "coordinator": {
        "readers.reader": ("view",),
        "readers.familycard": ("view",),
        "branches.branch": ("view",),
        "orders.order": ("view",),
        "catalog.title": ("view",),
        "volunteers.volunteer": ("view", "add", "change"),
        "volunteers.shift": ("view", "add", "change", "delete"),
        "volunteers.absence": ("view", "add", "change", "delete"),
        "routing.dayplan": ("view",),
        "routing.route": ("view",),
        "routing.stop": ("view",),
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
