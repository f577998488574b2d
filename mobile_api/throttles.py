"""Sign-in throttles: by address and by phone. Rates come from settings
(MOBILE_AUTH_RATE_IP, MOBILE_AUTH_RATE_PHONE), e.g. "30/min"."""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from backend.core.exceptions import ApplicationError


class _SettingRateThrottle(SimpleRateThrottle):
    setting_name = ""
    default_rate = ""

    def get_rate(self) -> str:
        return getattr(settings, self.setting_name, self.default_rate)


class SignInIpThrottle(_SettingRateThrottle):
    scope = "mobile_auth_ip"
    setting_name = "MOBILE_AUTH_RATE_IP"
    default_rate = "30/min"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignInPhoneThrottle(_SettingRateThrottle):
    scope = "mobile_auth_phone"
    setting_name = "MOBILE_AUTH_RATE_PHONE"
    default_rate = "10/min"

    def get_cache_key(self, request, view):
        from mobile_api.auth import normalize_phone

        try:
            phone = request.data.get("phone")
        except ApplicationError:  # a body refused as such (too deep): say why, not "no phone"
            raise
        except Exception:  # unreadable body: the view answers 400
            return None
        if not phone or not isinstance(phone, str):
            return None
        return self.cache_format % {"scope": self.scope, "ident": normalize_phone(phone)}
