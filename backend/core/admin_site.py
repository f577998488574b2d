"""The admin's rules, in one place: who may enter it, who may open readers' data in it, and
which query-string lookups its lists accept.

- The admin is for librarians (the whole of it) and coordinators (volunteers, their shifts and
  absences). Operators work at the phone desk and through the staff API; volunteers in their
  app. Superusers may do everything.
- Every model that holds a reader's data (a relation to a reader or a family card, or their
  phone numbers) has an admin built on `ReaderDataAdmin`: librarians only, whatever the
  groups' model permissions say. The other roles read cards through the API and the pages,
  which show each role only the fields its work needs.
- A list accepts in its URL only the lookups its own filters and date drill-down make, for
  every role: `?document_number__startswith=…` or `?reader__birth_date__lt=…` answer 400
  before anything is looked up, so a guess gets no signal. Searches run on the fields an
  admin declares and sorting only on the columns it shows.

- Titles read right in Russian and Kazakh: Django writes "Добавить %s" with the model's name
  in the nominative ("Добавить читатель"). Every admin names its object as the object of a
  verb (`title_object`, "читателя", "оқырманды"), and `AdminTitlesMixin` builds the add,
  change, view, delete and list titles from whole translated phrases around it.

The system checks `kniga.E001`/`kniga.E002`/`kniga.E003` hold every registered admin to this.
"""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.filters import EmptyFieldListFilter, SimpleListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from backend.core.roles import Role, has_role

# Models whose rows are readers' data; a model with a relation to one of them is too.
READER_MODELS = frozenset({"readers.reader", "readers.familycard"})
# Readers' data without a relation to a card (phone numbers kept on their own).
READER_DATA_MODELS = frozenset({"notifications.phoneoptout"})

ADMIN_ROLES = (Role.LIBRARIAN, Role.COORDINATOR)
READER_DATA_ROLES = (Role.LIBRARIAN,)


def can_use_admin(user) -> bool:
    """May `user` enter the admin at all (staff flag and an admin role, or superuser)."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and user.is_staff and has_role(user, *ADMIN_ROLES))


def can_see_reader_data_in_admin(user) -> bool:
    return has_role(user, *READER_DATA_ROLES)


NO_ADMIN_ACCESS = _(
    "This account has no access to the admin. Operators work at the phone desk (/desk/), "
    "coordinators on the day plan (/plan/); readers' cards are in the admin for librarians only."
)


class KnigaAdminSite(admin.AdminSite):
    site_header = _("Kniga 03 administration")
    site_title = _("Kniga 03")
    index_title = _("Reader cards, family cards and settings")

    def has_permission(self, request) -> bool:
        return can_use_admin(request.user)

    def get_urls(self):
        from django.urls import path

        from backend.core.recurrence_picker import describe_view

        # The recurrence picker's sentence (staff only: admin_view checks has_permission).
        return [
            path("recurrence/describe/", self.admin_view(describe_view),
                 name="recurrence_describe"),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if request.user.is_authenticated and not can_use_admin(request.user):
            extra_context["kniga_no_admin_access"] = NO_ADMIN_ACCESS
        return super().login(request, extra_context)


def holds_reader_data(model: type[models.Model]) -> bool:
    label = model._meta.label_lower
    if label in READER_MODELS or label in READER_DATA_MODELS:
        return True
    return any(
        field.is_relation and field.concrete and field.related_model is not None
        and field.related_model._meta.label_lower in READER_MODELS
        for field in model._meta.get_fields()
    )


def _filter_parameters(model: type[models.Model], item) -> set[str]:
    """The query-string parameters one `list_filter` entry makes (as Django's filters name
    them), worked out from the field alone, without running the filter's queries."""
    if isinstance(item, type) and issubclass(item, SimpleListFilter):
        return {item.parameter_name}
    path, filter_class = (item[0], item[1]) if isinstance(item, (list, tuple)) else (item, None)
    if not isinstance(path, str):
        return set()
    if isinstance(filter_class, type) and issubclass(filter_class, EmptyFieldListFilter):
        return {f"{path}__isempty"}
    field = get_fields_from_path(model, path)[-1]
    names = {f"{path}__isnull"}
    if field.is_relation:
        names.add(f"{path}__{field.target_field.name}__exact")
    elif isinstance(field, models.DateField):  # DateTimeField too
        names |= {f"{path}__gte", f"{path}__lt"}
    else:
        names |= {path, f"{path}__exact"}
    return names


class StrictLookupsMixin:
    """Accept in a list's URL only the lookups this user's list filters and date drill-down
    make, plus `extra_lookups` for links the admin itself builds. Anything else is
    DisallowedModelAdminLookup, which Django answers with 400."""

    extra_lookups: tuple[str, ...] = ()

    def allowed_lookups(self, request) -> set[str]:
        allowed = set(self.extra_lookups)
        for item in self.get_list_filter(request):
            allowed |= _filter_parameters(self.model, item)
        if self.date_hierarchy:
            allowed |= {f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")}
        return allowed

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The raw-id popup filters by the field's limit_choices_to, as Django allows.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return request is not None and lookup in self.allowed_lookups(request)


# The admin's titles around an object named as the object of a verb (see AdminTitlesMixin).
TITLE_PHRASES = {
    "add": _("Add %(object)s"),
    "change": _("Change %(object)s"),
    "view": _("View %(object)s"),
    "choose_to_change": _("Select %(object)s to change"),
    "choose_to_view": _("Select %(object)s to view"),
    "choose": _("Select %(object)s"),
    "cannot_delete": _("Cannot delete %(object)s"),
}


# Django's own admin sentences that our catalogue words again: in Russian they gave every
# noun a masculine verb ("заявка … был успешно изменен") or wanted the genitive around the
# object's name. Ours agree with any noun ("Изменено: заявка «…»") and take the case of
# `title_object`. Listed here so that `make messages` keeps them.
DJANGO_SENTENCES = (
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} "
                 "below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} "
                 "below."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("Added {name} “{object}”."),
    gettext_noop("Changed {fields} for {name} “{object}”."),
    gettext_noop("Deleted {name} “{object}”."),
    gettext_noop('Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? '
                 "All of the following related items will be deleted:"),
    gettext_noop("Deleting the %(object_name)s '%(escaped_object)s' would result in deleting "
                 "related objects, but your account doesn't have permission to delete the "
                 "following types of objects:"),
    gettext_noop("Deleting the %(object_name)s '%(escaped_object)s' would require deleting "
                 "the following protected related objects:"),
)


class AdminTitlesMixin:
    """Titles of the add, change and view forms and of the list, in the right case.

    `title_object` is the model's name as the object of a verb, translated with the context
    "admin title object": `pgettext_lazy("admin title object", "reader")`, which is "читателя"
    in Russian and "оқырманды" in Kazakh. Each admin sets it in its app's admin.py."""

    title_object = None

    def admin_title(self, kind: str) -> str:
        name = self.title_object if self.title_object is not None \
            else self.model._meta.verbose_name
        return capfirst(gettext(str(TITLE_PHRASES[kind])) % {"object": name})

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        kind = "add" if add else "change" if self.has_change_permission(request, obj) else "view"
        context["title"] = self.admin_title(kind)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request, context):
        # The confirmation names the object as the object of "delete" ("удалить заявку");
        # the catalogue words Django's sentences around it so that they take that case.
        if context.get("perms_lacking") or context.get("protected"):
            context["title"] = self.admin_title("cannot_delete")
        if self.title_object is not None:
            context["object_name"] = str(self.title_object)
        return super().render_delete_form(request, context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"kniga_add_title": self.admin_title("add"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if changelist.is_popup:
            changelist.title = self.admin_title("choose")
        elif self.has_change_permission(request):
            changelist.title = self.admin_title("choose_to_change")
        else:
            changelist.title = self.admin_title("choose_to_view")
        return changelist


class StrictModelAdmin(StrictLookupsMixin, AdminTitlesMixin, admin.ModelAdmin):
    """The base of every admin in the project."""


class ReaderDataMixin:
    """For an admin of a model that holds readers' data: librarians (and superusers) only.
    The group permissions are checked as well; this makes sure no other role reaches the
    data through a permission granted by mistake."""

    def has_module_permission(self, request) -> bool:
        return can_see_reader_data_in_admin(request.user) and super().has_module_permission(
            request)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_see_reader_data_in_admin(request.user) and super().has_view_permission(
            request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return can_see_reader_data_in_admin(request.user) and super().has_add_permission(
            request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return can_see_reader_data_in_admin(request.user) and super().has_change_permission(
            request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return can_see_reader_data_in_admin(request.user) and super().has_delete_permission(
            request, obj)


class ReaderDataAdmin(ReaderDataMixin, StrictModelAdmin):
    """The base of every admin of a model that holds readers' data."""


def check_admins(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every registered admin accepts only its own filters' lookups and names its object in
    its titles, and every admin of readers' data is for librarians only."""
    errors = []
    for model, model_admin in admin.site._registry.items():
        name = f"{type(model_admin).__module__}.{type(model_admin).__qualname__}"
        if not isinstance(model_admin, StrictLookupsMixin):
            errors.append(checks.Error(
                f"{name} accepts any lookup in its URL.",
                hint="Build it on backend.core.admin_site.StrictModelAdmin.",
                obj=model_admin, id="kniga.E001"))
        if not isinstance(model_admin, AdminTitlesMixin) or model_admin.title_object is None:
            errors.append(checks.Error(
                f"{name} has no title_object: its titles would name the "
                f"{model._meta.verbose_name_raw} in the nominative.",
                hint="Build it on backend.core.admin_site.StrictModelAdmin (or add "
                     "AdminTitlesMixin) and set title_object = pgettext_lazy("
                     "\"admin title object\", ...).",
                obj=model_admin, id="kniga.E003"))
        if holds_reader_data(model) and not isinstance(model_admin, ReaderDataMixin):
            errors.append(checks.Error(
                f"{name} shows readers' data ({model._meta.label}) to roles other than "
                "librarians.",
                hint="Build it on backend.core.admin_site.ReaderDataAdmin.",
                obj=model_admin, id="kniga.E002"))
    return errors
