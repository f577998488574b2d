"""Who may use the volunteers' API: a signed-in user with an active volunteer profile.

Staff accounts get 403 here (they have the staff API); no token gets 401.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsVolunteer(BasePermission):
    message = _("The volunteer app is for volunteers only.")

    def has_permission(self, request, view) -> bool:
        from backend.volunteers.models import Volunteer

        user = request.user
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        # The user is loaded already; ordering by pk spares the join the default ordering
        # (by the user's name) would need.
        volunteer = (Volunteer.objects.select_related("branch")
                     .filter(user_id=user.pk, active=True).order_by("pk").first())
        if volunteer is None:
            return False
        volunteer.user = user
        request.volunteer = volunteer
        return True
