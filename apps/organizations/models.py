"""The jurisdiction tree, its users and roles, routing rules and key projects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .categories import Category


class OrgKind(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial authority")
    MUNICIPAL = "municipal", _("Municipal authority")
    DISTRICT = "district", _("District")
    DEPARTMENT = "department", _("Department")
    PARK = "park", _("Industrial park")
    ENTERPRISE = "enterprise", _("Enterprise")


class Tier(models.TextChoices):
    """The four tiers a request climbs, lowest first."""

    PARK = "park", _("Park")
    DISTRICT = "district", _("District")
    MUNICIPAL = "municipal", _("Municipal")
    PROVINCIAL = "provincial", _("Provincial")


TIER_ORDER: list[str] = [Tier.PARK, Tier.DISTRICT, Tier.MUNICIPAL, Tier.PROVINCIAL]
AUTHORITY_TIERS: list[str] = [Tier.DISTRICT, Tier.MUNICIPAL, Tier.PROVINCIAL]

# Which kinds may hang under which: the tree of SPEC.md.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    OrgKind.PROVINCIAL: {None},
    OrgKind.MUNICIPAL: {OrgKind.PROVINCIAL},
    OrgKind.DISTRICT: {OrgKind.MUNICIPAL},
    OrgKind.DEPARTMENT: {OrgKind.DISTRICT, OrgKind.MUNICIPAL, OrgKind.PROVINCIAL},
    OrgKind.PARK: {OrgKind.DISTRICT},
    OrgKind.ENTERPRISE: {OrgKind.PARK},
}


def tier_index(tier: str) -> int:
    return TIER_ORDER.index(tier)


class Organization(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(
        _("code"),
        max_length=8,
        blank=True,
        help_text=_("Districts: the prefix of request references, e.g. PS for PS-2026-000123."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "parent"])]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        parent_kind = self.parent.kind if self.parent_id else None  # type: ignore[union-attr]
        if parent_kind not in ALLOWED_PARENTS.get(self.kind, set()):
            raise ValidationError(
                {
                    "parent": _("A %(kind)s cannot sit under %(parent)s.")
                    % {"kind": self.get_kind_display(), "parent": parent_kind or _("nothing")}
                }
            )

    @property
    def display_name(self) -> str:
        if self.name_zh and (get_language() or "").startswith("zh"):
            return self.name_zh
        return self.name

    @property
    def tier(self) -> str | None:
        """The tier this organisation answers for (None for enterprises)."""
        if self.kind == OrgKind.PARK:
            return Tier.PARK
        if self.kind in (OrgKind.DISTRICT, OrgKind.MUNICIPAL, OrgKind.PROVINCIAL):
            return self.kind
        if self.kind == OrgKind.DEPARTMENT and self.parent_id:
            return self.parent.kind  # type: ignore[union-attr]
        return None

    @property
    def authority(self) -> Organization | None:
        """The tier authority this organisation belongs to (itself, or a department's parent)."""
        if self.kind == OrgKind.DEPARTMENT:
            return self.parent
        if self.kind == OrgKind.ENTERPRISE:
            return None
        return self

    def ancestor(self, kind: str) -> Organization | None:
        node: Organization | None = self
        while node is not None and node.kind != kind:
            node = node.parent
        return node


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise staff")
    LIAISON = "liaison", _("Park liaison")
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")
    # 三员分立: three administrators, none able to do another's work (apps/security/duties.py).
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Security auditor")


# The organisation kinds each role may belong to.
ROLE_ORG_KINDS: dict[str, set[str]] = {
    Role.ENTERPRISE: {OrgKind.ENTERPRISE},
    Role.LIAISON: {OrgKind.PARK},
    Role.OFFICER: {OrgKind.DEPARTMENT, OrgKind.DISTRICT, OrgKind.MUNICIPAL, OrgKind.PROVINCIAL},
    Role.SUPERVISOR: {
        OrgKind.DEPARTMENT,
        OrgKind.PARK,
        OrgKind.DISTRICT,
        OrgKind.MUNICIPAL,
        OrgKind.PROVINCIAL,
    },
}


# 三员分立: the three administrators, each with a duty of their own (apps/security/duties.py).
DUTY_ROLES: tuple[str, ...] = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)
# The roles that run the portal rather than answer requests: they belong to no organisation.
ADMINISTRATOR_ROLES: frozenset[str] = frozenset({Role.ADMIN, *DUTY_ROLES})


class User(AbstractUser):
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    language = models.CharField(
        _("language for emails"), max_length=8, choices=settings.LANGUAGES, default="zh-hans"
    )
    session_epoch = models.PositiveIntegerField(
        _("session epoch"),
        default=0,
        editable=False,
        help_text=_("Raised by “log out everywhere”: every session signed in before is ended."),
    )

    password_changed_at = models.DateTimeField(
        _("password changed"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Staff passwords expire a set number of days after this (PORTAL_PASSWORD_MAX_AGE_DAYS)."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_(
            "Asked to choose a new password at the next sign-in (set for accounts an administrator created)."
        ),
    )

    # set_unusable_password() (the admin's "disable password") changes the credentials too.
    _password_disabled = False

    class Meta(AbstractUser.Meta):
        indexes = [models.Index(fields=["organization", "role"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new password (set_password; not the silent re-hash at sign-in, which leaves _password
        # unset) or a disabled one revokes the API token: whoever knew the old password may hold it.
        # Browser sessions end by themselves: the session hash below covers the password.
        if self.role in DUTY_ROLES:
            self.is_staff = True  # the admin site is where their duty is done
        new_password = getattr(self, "_password", None) is not None
        credentials_changed = not self._state.adding and (new_password or self._password_disabled)
        if new_password:
            self.password_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "password_changed_at"}
        super().save(*args, **kwargs)
        self._password_disabled = False
        if credentials_changed:
            from .accounts import revoke_api_token

            revoke_api_token(self)

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_disabled = True

    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=secret)

    def _session_auth_hash(self, secret: str | bytes | None = None) -> str:
        """Django's session hash (an HMAC of the password hash, checked on every request by
        AuthenticationMiddleware), with the session epoch mixed in: raising the epoch ends every
        session at once. At epoch 0 it is exactly Django's, so no session ended when it came in."""
        material = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            material,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and not self.role:
            return
        allowed = ROLE_ORG_KINDS.get(self.role)
        if allowed is None:
            if self.role not in ADMINISTRATOR_ROLES:
                raise ValidationError({"role": _("Choose a role.")})
            if self.organization_id is not None and self.role != Role.ADMIN:
                raise ValidationError({"organization": _("Administrators belong to no organisation.")})
            return
        if self.organization is None or self.organization.kind not in allowed:
            raise ValidationError(
                {
                    "organization": _("A %(role)s must belong to one of: %(kinds)s.")
                    % {"role": self.get_role_display(), "kinds": ", ".join(sorted(allowed))}
                }
            )

    @property
    def display_name(self) -> str:
        """How pages and messages name the person: their full name, else their username."""
        return self.get_full_name() or self.get_username()

    @property
    def effective_role(self) -> str:
        if self.is_superuser:
            return Role.ADMIN
        return self.role

    @property
    def is_administrator(self) -> bool:
        """One of the three administrators (or the emergency superuser): runs the portal, sees no
        request."""
        return self.is_superuser or self.role in ADMINISTRATOR_ROLES

    @property
    def is_enterprise(self) -> bool:
        return self.role == Role.ENTERPRISE and not self.is_superuser


class RoutingRule(models.Model):
    """Within an authority tier, which department answers which category.

    A rule without a category is the tier's default department."""

    authority = models.ForeignKey(
        Organization,
        verbose_name=_("authority"),
        on_delete=models.CASCADE,
        related_name="routing_rules",
        limit_choices_to={"kind__in": ["district", "municipal", "provincial"]},
    )
    category = models.CharField(
        _("category"),
        max_length=32,
        choices=Category.choices,
        blank=True,
        help_text=_("Leave empty for the default department of this authority."),
    )
    department = models.ForeignKey(
        Organization,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": "department"},
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(fields=["authority", "category"], name="routing_one_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} / {self.category or '*'} → {self.department}"

    def clean(self) -> None:
        if self.category and self.category not in Category.values:
            raise ValidationError({"category": _("Unknown category.")})
        if self.department_id and self.authority_id and self.department.parent_id != self.authority_id:
            raise ValidationError({"department": _("The department must belong to this authority.")})


class KeyProject(models.Model):
    """A district's register of priority ("green channel") projects."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")

    district = models.ForeignKey(
        Organization,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="key_projects",
        limit_choices_to={"kind": "district"},
    )
    enterprise = models.ForeignKey(
        Organization,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="enterprise_key_projects",
        limit_choices_to={"kind": "enterprise"},
    )
    park = models.ForeignKey(
        Organization,
        verbose_name=_("park"),
        on_delete=models.PROTECT,
        related_name="park_key_projects",
        limit_choices_to={"kind": "park"},
    )
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    products = models.CharField(_("products"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="key_project_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the reader's language (the Chinese name on a Chinese page, when there is one)."""
        if self.name_zh and (get_language() or "").startswith("zh"):
            return self.name_zh
        return self.name


def organization_group(organization: Organization) -> Group:
    """The auth group that stands for an organisation in explicit per-object grants."""
    group, _created = Group.objects.get_or_create(name=f"org:{organization.pk}")
    return group


def sync_organization_group(user: User) -> None:
    """Keep a user in exactly the group of their organisation."""
    stale = user.groups.filter(name__startswith="org:")
    if user.organization_id is not None:
        stale = stale.exclude(name=f"org:{user.organization_id}")
    user.groups.remove(*stale)
    if user.organization_id is not None:
        user.groups.add(organization_group(user.organization))  # type: ignore[arg-type]
