"""Admin pages that write through the services, as the API does.

`ServiceSavingAdmin` is the base of every admin whose add and change forms save a row: the
admin writes nothing itself; the app's service does (one function per state change, with its
rules and its history). A rule the service refuses (an ApplicationError, or a Django
ValidationError from `full_clean()`) rolls the admin's transaction back and comes back as
errors on the form, never as a 500.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import translation

from backend.core.admin_site import StrictModelAdmin
from backend.core.exceptions import ApplicationError


class ServiceRejected(Exception):
    """Carries a service's refusal out of the admin's transaction, which then rolls back."""

    def __init__(self, error: ApplicationError) -> None:
        super().__init__(str(error))
        self.error = error


class ServiceErrorFormMixin:
    """Shows a rule the service refused (an ApplicationError) as errors on the form.

    The admin runs the form a second time with `service_error` set; see
    `ServiceSavingAdmin`, which mixes this into its forms itself.
    """

    service_error = None

    def clean(self):
        cleaned = super().clean()
        error = self.service_error
        if error is not None:
            self.add_error(None, str(error.message))
            for name, messages in (error.fields or {}).items():
                if name in self.fields:
                    if not isinstance(messages, (list, tuple)):
                        messages = [messages]
                    for message in messages:
                        self.add_error(name, str(message))
        return cleaned


class ServiceSavingAdmin(StrictModelAdmin):
    """A ModelAdmin whose add and change forms write through a service function.

    `save_model` writes nothing; `save_related` gathers the form and its inlines and calls
    `save_through_service` once. When the service refuses, the admin's transaction is
    rolled back and the form is shown again with the service's messages on its fields.
    """

    def save_through_service(self, request, form, formsets, change: bool) -> Model:
        """Write the form (and its inlines) through the app's services; return the row."""
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # Nothing was written (the view's transaction rolled back). Show the same form
            # again; this time its validation reports what the service said.
            request._kniga_service_error = rejected.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, "_kniga_service_error", None)
        if error is not None:
            bases = (form,) if issubclass(form, ServiceErrorFormMixin) \
                else (ServiceErrorFormMixin, form)
            form = type(form.__name__, bases, {"service_error": error})
        return form

    def save_model(self, request, obj, form, change):
        """Written in save_related, together with the inlines, by the service."""

    def save_related(self, request, form, formsets, change):
        try:
            saved = self.save_through_service(request, form, formsets, change)
        except ApplicationError as error:
            raise ServiceRejected(error) from error
        except ValidationError as error:
            fields = error.message_dict if hasattr(error, "error_dict") else {}
            message = "; ".join(error.messages)
            raise ServiceRejected(ApplicationError("validation_error", message, fields=fields)) \
                from error
        # The admin goes on with form.instance (log entry, redirect): make it the saved row.
        for field in saved._meta.concrete_fields:
            setattr(form.instance, field.attname, getattr(saved, field.attname))
        form.instance._state.adding = False
        form.instance._state.db = saved._state.db

    def construct_change_message(self, request, form, formsets, add=False):
        """Django's own History: which fields changed (the services keep the values)."""
        if add:
            return [{"added": {}}]
        with translation.override(None):
            names = [str(form.fields[name].label or name) for name in form.changed_data
                     if name in form.fields]
            names += [str(fs.model._meta.verbose_name_plural) for fs in formsets
                      if fs.has_changed()]
        return [{"changed": {"fields": names}}] if names else []
