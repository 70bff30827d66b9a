from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.audit import trail
from apps.security import duties, two_factor

from .models import ADMINISTRATOR_ROLES, KeyProject, Organization, Role, RoutingRule, User

PORTAL_ROLES = [Role.ENTERPRISE, Role.LIAISON, Role.OFFICER, Role.SUPERVISOR]


class TemporaryPasswordForm(AdminPasswordChangeForm):
    """A password an administrator sets is temporary: its owner chooses their own at the next
    sign-in."""

    def save(self, commit: bool = True) -> Any:
        self.user.must_change_password = True
        return super().save(commit=commit)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_zh", "kind", "parent", "code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "name_zh", "code"]
    autocomplete_fields = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "organization", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name", "organization__name"]
    autocomplete_fields = ["organization"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Portal"), {"fields": ("organization", "role")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Portal"), {"fields": ("organization", "role")}),
    )
    change_password_form = TemporaryPasswordForm
    actions = ["reset_second_factor"]
    # What only the superuser gives: the duties and Django's own switches (the security
    # administrator gives roles in the portal, which bring their groups with them).
    SUPERUSER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # The security administrator never manages an administrator, themself included.
        return queryset.exclude(
            Q(is_superuser=True) | Q(role__in=ADMINISTRATOR_ROLES) | Q(pk=request.user.pk)
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in self.SUPERUSER_FIELDS]})
            for name, options in fieldsets
        ]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [("", "---------")] + [(r.value, r.label) for r in PORTAL_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and duties.may_manage_person(request.user, obj)  # type: ignore[arg-type]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            # An account someone else created: its owner chooses their own password first.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Reset the second factor of the selected people"), permissions=["change"])
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reset = 0
        for person in queryset:
            if not duties.may_manage_person(request.user, person):  # type: ignore[arg-type]
                continue
            if two_factor.remove(person):
                reset += 1
                trail.record("second_factor_reset", actor=request.user, request=request, obj=person)
        self.message_user(
            request,
            ngettext(
                "%(count)d person's second factor was reset: they set up a new one at their next sign-in.",
                "%(count)d people's second factors were reset: they set up new ones at their next sign-in.",
                reset,
            )
            % {"count": reset},
            messages.SUCCESS if reset else messages.INFO,
        )


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["authority", "category", "department"]
    list_filter = ["category"]
    search_fields = ["authority__name", "department__name"]
    autocomplete_fields = ["authority", "department"]


@admin.register(KeyProject)
class KeyProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "park", "enterprise", "status"]
    list_filter = ["status"]
    search_fields = ["name", "name_zh", "products", "enterprise__name"]
    autocomplete_fields = ["district", "park", "enterprise"]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups `org:<id>` stand for an organisation (per-object grants): shown by its name."""

    list_display = ["name", "organisation"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        queryset = super().get_queryset(request)
        # The duty groups are the superuser's to see and change.
        return queryset if request.user.is_superuser else queryset.exclude(name__startswith="duty:")

    @admin.display(description=_("organisation"))
    def organisation(self, group: Group) -> str:
        prefix, _sep, pk = group.name.partition(":")
        if prefix != "org" or not pk.isdigit():
            return "—"
        organization = Organization.objects.filter(pk=int(pk)).first()
        return organization.display_name if organization else "—"
