from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "backend.branches"
    label = "branches"
    verbose_name = _("Branches")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from backend.branches.middleware import forget_branch_zone
        from backend.branches.models import Branch

        post_save.connect(forget_branch_zone, sender=Branch, dispatch_uid="branch-zone-save")
        post_delete.connect(forget_branch_zone, sender=Branch, dispatch_uid="branch-zone-delete")
