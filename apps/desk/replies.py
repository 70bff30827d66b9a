"""Reply templates: the replies an organisation's staff need not retype, in both languages, with
placeholders filled in per request.

Placeholders are `{reference}`, `{enterprise}`, `{due}`, `{officer}` and `{tier}` (`PLACEHOLDERS`),
written in `str.format` syntax with `{{` and `}}` for literal braces. Nothing else is accepted:
an unknown name, a positional field (`{}`, `{0}`), attribute or index access
(`{reference.x}`, `{reference[0]}`), a conversion or a format spec (`{due!r}`, `{due:>20}`) and
unbalanced braces are refused when a template is saved (`check_placeholders`, a form error or a
400), and `render` never calls `str.format`: it substitutes the parsed fields itself, so that a
template that reached the database some other way is refused (InvalidInput), never a crash and
never a door into the objects behind the values.

Whose templates a person is offered (`templates_for`): the active templates of their own
organisation and, for a department, of its parent authority as well. A district's (municipal,
provincial) supervisors thus write the replies of the whole authority, its departments' officers
included, and a department's supervisor adds the department's own; a park's supervisor writes
the park's, for its liaisons. Nothing travels further: a park is not offered its district's
replies (they answer for different tiers), nor a district its municipal authority's.

Who keeps them (`keeper_organization`): the supervisors of the organisation they belong to (park,
department or authority), in the page /desk/templates/ and the API /api/v1/reply-templates/;
the admin in the Django admin. Officers and liaisons use them but cannot change them (403).

What a template says (`render`): its text in the language chosen (by default the reader's
current language), or the other language's text when that one is empty; `{reference}` the
request's reference, `{enterprise}` the enterprise's name in that language, `{due}` the current
tier's feedback deadline in local time (`YYYY-MM-DD HH:MM`; a dash when no deadline runs, e.g.
after a reply stopped the clock), `{officer}` the name of the person replying, `{tier}` the
request's current tier in that language. The text is a starting point: the forms show it for
editing before anything is sent.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.casework.errors import InvalidInput, NotPermitted, NotVisible
from apps.casework.models import ServiceRequest
from apps.organizations.models import Organization, OrgKind, Role, Tier, User

from .models import NAME_MAX_LENGTH, ReplyTemplate

# Placeholder → what it stands for (shown beside the template's text in the editor).
PLACEHOLDERS: dict[str, str | Promise] = {
    "reference": gettext_lazy("the request's reference, e.g. PS-2026-000123"),
    "enterprise": gettext_lazy("the enterprise's name"),
    "due": gettext_lazy("the current tier's feedback deadline, e.g. 2026-03-02 18:00"),
    "officer": gettext_lazy("your name"),
    "tier": gettext_lazy("the request's current tier"),
}
BODY_MAX_LENGTH = 5000
# The two languages a template is written in, by the field holding each.
LANGUAGES: dict[str, str] = {"en": "body_en", "zh-hans": "body_zh"}
# The organisations whose supervisors keep templates.
KEEPING_KINDS = frozenset(
    {OrgKind.PARK, OrgKind.DEPARTMENT, OrgKind.DISTRICT, OrgKind.MUNICIPAL, OrgKind.PROVINCIAL}
)
# The transitions whose text a template may fill.
TEMPLATED_TRANSITIONS: tuple[str, ...] = ("respond", "request_info", "resolve")
NO_DEADLINE = "—"


# --- placeholders ---------------------------------------------------------------------------------
def _fields(text: str) -> list[tuple[str, str | None, str | None, str | None]]:
    return list(string.Formatter().parse(text))


def check_placeholders(text: str) -> list[str]:
    """What is wrong with the placeholders of `text`, one message per problem (none: fine)."""
    try:
        parsed = _fields(text)
    except ValueError:
        return [
            _("Unbalanced braces: write placeholders as {reference}, and a literal brace twice ({{ or }}).")
        ]
    problems: list[str] = []
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            # {}, {0}, {reference.x}, {reference[0]}: positions and the objects behind a value.
            message = _("“{%(field)s}” is not a placeholder: use one of %(known)s.") % {
                "field": name,
                "known": known,
            }
        elif name not in PLACEHOLDERS:
            message = _("Unknown placeholder {%(name)s}: use one of %(known)s.") % {
                "name": name,
                "known": known,
            }
        elif spec or conversion:
            message = _("Write the placeholder {%(name)s} without a format or conversion.") % {"name": name}
        else:
            continue
        if message not in problems:
            problems.append(message)
    return problems


def check_template(*, body_en: str, body_zh: str) -> dict[str, list[str]]:
    """The field errors of a template's texts: at least one text, and valid placeholders."""
    errors: dict[str, list[str]] = {}
    if not body_en.strip() and not body_zh.strip():
        errors["body_en"] = [_("Write the text in English, in Chinese or both.")]
    for field, text in (("body_en", body_en), ("body_zh", body_zh)):
        problems = check_placeholders(text)
        if problems:
            errors.setdefault(field, []).extend(problems)
    return errors


def validate_template(template: ReplyTemplate) -> None:
    """The model's clean(): raises ValidationError by field."""
    errors = check_template(body_en=template.body_en or "", body_zh=template.body_zh or "")
    if errors:
        raise ValidationError(errors)


# --- rendering ----------------------------------------------------------------------------------
def _language(language: str | None) -> str:
    """One of the template languages: `zh…` is Chinese, anything else English."""
    chosen = language or translation.get_language() or settings.LANGUAGE_CODE
    return "zh-hans" if chosen.lower().startswith("zh") else "en"


def body_in(template: ReplyTemplate, language: str | None) -> tuple[str, str]:
    """The template's text in `language`, or in the other language when that one is empty;
    with the language it is in."""
    wanted = _language(language)
    other = "en" if wanted == "zh-hans" else "zh-hans"
    for lang in (wanted, other):
        text = getattr(template, LANGUAGES[lang]) or ""
        if text.strip():
            return text, lang
    return "", wanted


def values_for(service_request: ServiceRequest, *, actor: User, language: str) -> dict[str, str]:
    """What each placeholder says for this request, in `language` (no query beyond the
    request's enterprise, which the request selectors fetch with it)."""
    with translation.override(_language(language)):
        due = service_request.feedback_due_at
        return {
            "reference": service_request.reference,
            "enterprise": str(service_request.enterprise.display_name),
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else NO_DEADLINE,
            "officer": actor.display_name,
            "tier": str(Tier(service_request.tier).label),
        }


def render(
    template: ReplyTemplate, service_request: ServiceRequest, *, actor: User, language: str | None = None
) -> str:
    """The template's text for this request, in `language` (default: the current language;
    the other language's text when that one is empty), its placeholders filled in.

    Raises InvalidInput when the stored text has a placeholder that is not one of ours."""
    text, lang = body_in(template, language)
    problems = check_placeholders(text)
    if problems:
        raise InvalidInput(
            _("The reply template “%(name)s” cannot be used: %(problems)s")
            % {"name": template.name, "problems": " ".join(problems)},
            fields={"template": problems},
        )
    values = values_for(service_request, actor=actor, language=lang)
    out: list[str] = []
    for literal, name, _spec, _conversion in _fields(text):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


@dataclass(frozen=True)
class Rendered:
    template: ReplyTemplate
    text_en: str
    text_zh: str

    @property
    def id(self) -> int:
        return self.template.pk

    @property
    def name(self) -> str:
        return self.template.name

    def text(self, language: str | None) -> str:
        return self.text_zh if _language(language) == "zh-hans" else self.text_en


def render_all(
    templates: Iterable[ReplyTemplate], service_request: ServiceRequest, *, actor: User
) -> list[Rendered]:
    """Each usable template rendered in both languages (those that cannot be used are left
    out: their keepers see why in the editor)."""
    found = []
    for template in templates:
        try:
            found.append(
                Rendered(
                    template,
                    render(template, service_request, actor=actor, language="en"),
                    render(template, service_request, actor=actor, language="zh-hans"),
                )
            )
        except InvalidInput:
            continue
    return found


def fill(current: str, rendered: str) -> str:
    """The text box after inserting a template: the template's text when the box is empty,
    else what was written followed by the template's text."""
    current = current.rstrip()
    return f"{current}\n\n{rendered}" if current else rendered


# --- who uses and who keeps them ------------------------------------------------------------------
def _source_organizations(user: User) -> list[int]:
    org = user.organization
    if org is None or user.is_superuser or user.role not in (Role.LIAISON, Role.OFFICER, Role.SUPERVISOR):
        return []
    ids = [org.pk]
    if org.kind == OrgKind.DEPARTMENT and org.parent_id:
        ids.append(org.parent_id)
    return ids


def templates_for(user: User) -> QuerySet[ReplyTemplate]:
    """The templates offered to this person: active ones of their organisation and, for a
    department, of its parent authority (one query, by name)."""
    return (
        ReplyTemplate.objects.filter(organization_id__in=_source_organizations(user), active=True)
        .select_related("organization")
        .order_by("name", "id")
    )


def get_usable_template(user: User, pk: Any) -> ReplyTemplate:
    """A template offered to this person, or NotVisible: another organisation's, an inactive
    one and an unknown id are all "no such template"."""
    try:
        return templates_for(user).get(pk=int(pk))
    except (ReplyTemplate.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotVisible(_("No such reply template.")) from None


def keeper_organization(user: User) -> Organization | None:
    """The organisation whose templates this person keeps: a supervisor's own."""
    org = user.organization
    if user.role != Role.SUPERVISOR or user.is_superuser or org is None or org.kind not in KEEPING_KINDS:
        return None
    return org


def _keeper(user: User) -> Organization:
    org = keeper_organization(user)
    if org is None:
        raise NotPermitted(_("Only the organisation's supervisors keep its reply templates."))
    return org


def kept_templates(user: User) -> QuerySet[ReplyTemplate]:
    """Every template of the supervisor's organisation, offered or not (NotPermitted for
    anybody else)."""
    return ReplyTemplate.objects.filter(organization=_keeper(user)).order_by("name", "id")


def inherited_templates(user: User) -> QuerySet[ReplyTemplate]:
    """The active templates a department's people are offered from its parent authority."""
    org = user.organization
    if org is None or org.kind != OrgKind.DEPARTMENT or not org.parent_id:
        return ReplyTemplate.objects.none()
    return ReplyTemplate.objects.filter(organization_id=org.parent_id, active=True).order_by("name", "id")


def get_kept_template(user: User, pk: Any) -> ReplyTemplate:
    """A template of the supervisor's organisation: NotPermitted (403) for who keeps none,
    NotVisible (404) for any other organisation's and unknown ids."""
    kept = kept_templates(user)
    try:
        return kept.get(pk=int(pk))
    except (ReplyTemplate.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotVisible(_("No such reply template.")) from None


def save_template(
    user: User,
    template: ReplyTemplate | None = None,
    *,
    name: str | None = None,
    body_en: str | None = None,
    body_zh: str | None = None,
    active: bool | None = None,
) -> ReplyTemplate:
    """Create (template None) or change a template of the supervisor's organisation. What is
    not given stays as it was. Refused with InvalidInput by field, nothing saved."""
    org = _keeper(user)
    if template is None:
        template = ReplyTemplate(organization=org, created_by=user)
    elif template.organization_id != org.pk:
        raise NotVisible(_("No such reply template."))
    if name is not None:
        template.name = name.strip()
    if body_en is not None:
        template.body_en = body_en
    if body_zh is not None:
        template.body_zh = body_zh
    if active is not None:
        template.active = active
    errors: dict[str, list[str]] = {}
    if not template.name:
        errors["name"] = [_("Give the template a name.")]
    elif len(template.name) > NAME_MAX_LENGTH:
        errors["name"] = [_("At most %(count)d characters.") % {"count": NAME_MAX_LENGTH}]
    elif (
        ReplyTemplate.objects.filter(organization=org, name__iexact=template.name)
        .exclude(pk=template.pk)
        .exists()
    ):
        errors["name"] = [_("Your organisation already has a reply template of that name.")]
    for field in ("body_en", "body_zh"):
        if len(getattr(template, field) or "") > BODY_MAX_LENGTH:
            errors[field] = [_("At most %(count)d characters.") % {"count": BODY_MAX_LENGTH}]
    for field, problems in check_template(body_en=template.body_en, body_zh=template.body_zh).items():
        errors.setdefault(field, []).extend(problems)
    if errors:
        raise InvalidInput(_("The reply template was not saved."), fields=errors)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        # Two supervisors saving the same name at once: the constraint decides.
        raise InvalidInput(
            _("The reply template was not saved."),
            fields={"name": [_("Your organisation already has a reply template of that name.")]},
        ) from None
    return template


def delete_template(user: User, pk: Any) -> None:
    get_kept_template(user, pk).delete()


def render_by_id(
    user: User, template_id: Any, service_request: ServiceRequest, *, language: str | None = None
) -> str:
    """A template offered to `user`, by id, rendered for the request: what bulk respond sends
    for each request. NotVisible (404) for another organisation's, an inactive or an unknown
    template; InvalidInput (400) for one whose placeholders are not ours."""
    return render(get_usable_template(user, template_id), service_request, actor=user, language=language)
