from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from .models import KeyProject, Organization, RoutingRule, User


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

    @admin.display(description=_("organisation"))
    def organisation(self, group: Group) -> str:
        prefix, _sep, pk = group.name.partition(":")
        if prefix != "org" or not pk.isdigit():
            return "—"
        organization = Organization.objects.filter(pk=int(pk)).first()
        return organization.display_name if organization else "—"
