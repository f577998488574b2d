"""Who may use the volunteers' API: a signed-in user with an active volunteer profile.

Staff accounts get 403 here (they have the staff API); no token gets 401.
"""
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsVolunteer(BasePermission):
    message = _("The volunteer app is for volunteers only.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        volunteer = _volunteer_of(user)
        if volunteer is None or not volunteer.active:
            return False
        volunteer.user = user
        request.volunteer = volunteer
        return True


def _volunteer_of(user):
    """The user's volunteer profile with its branch, or None. The app's token authentication
    (accounts.tokens.AppJWTAuthentication) has read it with the user: no query then."""
    from backend.volunteers.models import Volunteer

    try:
        if type(user).volunteer.is_cached(user):
            return user.volunteer  # read with the user (None read: DoesNotExist)
        return Volunteer.objects.select_related("branch").get(user_id=user.pk)
    except ObjectDoesNotExist:
        return None
