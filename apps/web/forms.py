"""Browser forms. They only collect input; the actions check it again and decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from apps.casework.actions import MAX_FILES_AT_ONCE
from apps.casework.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Category, ProductType, State
from apps.organizations.models import KeyProject, Organization, OrgKind, Role, User
from apps.organizations.selectors import fileable_enterprises


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class KeyProjectChoiceField(OrganizationChoiceField):
    """Key projects, too, by their name in the reader's language."""


class LimitedCharField(forms.CharField):
    """A length limit checked on the server, with a counter beside the box, instead of the
    browser's maxlength, which silently cuts what a person pastes."""

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if attrs.pop("maxlength", None) is not None:
            attrs["data-limit"] = str(self.max_length)
        return attrs


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (`multiple`), each through the field's own checks; the
    content check is the action's. Cleans to a list, empty when none was chosen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        chosen = data if isinstance(data, list | tuple) else [data] if data else []
        if len(chosen) > MAX_FILES_AT_ONCE:
            raise forms.ValidationError(
                _("Attach at most %(count)s files at once."), params={"count": MAX_FILES_AT_ONCE}
            )
        return [single(file, initial) for file in chosen]


FILES_HELP = _(
    "Up to %(count)s documents or images: PDF, Office, OpenDocument, text, CSV, PNG, JPEG or ZIP. "
    "If the form comes back with an error, choose them again."
)


def files_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Files"),
        help_text=lazy(lambda: str(FILES_HELP) % {"count": MAX_FILES_AT_ONCE}, str)(),
    )


class NewRequestForm(forms.Form):
    enterprise = OrganizationChoiceField(
        label=_("Enterprise"), queryset=Organization.objects.none(), required=False
    )
    title = LimitedCharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    description = LimitedCharField(
        label=_("Description"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you need from the regulator, and by when."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    product_type = forms.ChoiceField(label=_("Product type"), choices=ProductType.choices)
    key_project = KeyProjectChoiceField(
        label=_("Key project"),
        queryset=KeyProject.objects.none(),
        required=False,
        help_text=_("Requests of a key project go through the green channel."),
    )
    submit_now = forms.BooleanField(
        label=_("Submit to the park now (otherwise keep it as a draft)"), required=False, initial=True
    )
    file = files_field()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key_project = cast(forms.ModelChoiceField, self.fields["key_project"])
        if user.role == Role.LIAISON:
            enterprise = cast(forms.ModelChoiceField, self.fields["enterprise"])
            enterprise.queryset = fileable_enterprises(user)
            enterprise.required = True
            key_project.queryset = KeyProject.objects.filter(
                park_id=user.organization_id, status=KeyProject.Status.ACTIVE
            )
        else:
            del self.fields["enterprise"]
            key_project.queryset = KeyProject.objects.filter(
                enterprise_id=user.organization_id, status=KeyProject.Status.ACTIVE
            )


# The text each transition asks for: (field name, label), or None.
TRANSITION_TEXT: dict[str, tuple[str, Any] | None] = {
    "submit": None,
    "respond": ("body", _("Your reply to the enterprise")),
    "request_info": ("body", _("What information is needed")),
    "provide_info": ("body", _("The information asked for")),
    "escalate": ("reason", _("Why the next tier must answer")),
    "return": ("reason", _("Why the tier below should handle it")),
    "resolve": ("resolution", _("The answer that resolves the request")),
    "reopen": ("reason", _("Why the request is reopened")),
    "close": None,
    "withdraw": ("reason", _("Reason (optional)")),
    "claim": None,
}

# The transitions that take files with their text.
TRANSITION_FILES = {"provide_info"}

TRANSITION_LABELS: dict[str, Any] = {
    "submit": _("Submit"),
    "respond": _("Reply"),
    "request_info": _("Ask for information"),
    "provide_info": _("Provide information"),
    "escalate": _("Escalate"),
    "return": _("Return to the tier below"),
    "resolve": _("Resolve"),
    "reopen": _("Reopen"),
    "close": _("Close"),
    "withdraw": _("Withdraw"),
    "assign": _("Assign"),
    "claim": _("Claim"),
    "green_channel": _("Green channel"),
}


class TransitionForm(forms.Form):
    """One form for any transition: a text field when the transition asks for one."""

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transition = name
        spec = TRANSITION_TEXT.get(name)
        if spec:
            field, label = spec
            self.fields[field] = LimitedCharField(
                label=label,
                max_length=TEXT_MAX_LENGTH,
                required=name != "withdraw",
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if name in TRANSITION_FILES:
            self.fields["file"] = files_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The field is `file`, as the API's (and the action's refusals) name it; the action
        # takes the list as `files`.
        if "file" in self.fields:
            cleaned["files"] = cleaned.pop("file", [])
        return cleaned

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class AssignForm(forms.Form):
    assignee = PersonChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["assignee"]).queryset = candidates


class GreenChannelForm(forms.Form):
    green_channel = forms.TypedChoiceField(
        label=_("Green channel"),
        choices=[("true", _("On")), ("false", _("Off"))],
        coerce=lambda value: value == "true",
    )
    reason = LimitedCharField(label=_("Reason"), max_length=TEXT_MAX_LENGTH)


class MessageForm(forms.Form):
    body = LimitedCharField(
        label=_("Message"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    internal = forms.BooleanField(label=_("Internal note (never shown to the enterprise)"), required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    internal = forms.BooleanField(label=_("Internal (never shown to the enterprise)"), required=False)


class QueueFilterForm(forms.Form):
    DUE_CHOICES = [
        ("", _("Any deadline")),
        ("overdue", _("Overdue")),
        ("today", _("Due today")),
        ("open", _("Waiting for feedback")),
    ]
    WHO_CHOICES = [("", _("Anyone")), ("me", _("Mine")), ("none", _("Unassigned"))]

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Open states")), ("all", _("All states")), *State.choices],
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    product_type = forms.ChoiceField(
        label=_("Product type"), required=False, choices=[("", _("All product types")), *ProductType.choices]
    )
    due = forms.ChoiceField(label=_("Deadline"), required=False, choices=DUE_CHOICES)
    green = forms.BooleanField(label=_("Green channel only"), required=False)
    who = forms.ChoiceField(label=_("Assignee"), required=False, choices=WHO_CHOICES)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)


class KeyProjectForm(forms.ModelForm):
    class Meta:
        model = KeyProject
        fields = ["name", "name_zh", "enterprise", "products", "status"]
        field_classes = {"enterprise": OrganizationChoiceField}

    def __init__(self, *args: Any, district: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.district = district
        enterprise = cast(forms.ModelChoiceField, self.fields["enterprise"])
        enterprise.queryset = Organization.objects.filter(
            kind=OrgKind.ENTERPRISE, parent__parent=district
        ).order_by("name")

    def save(self, commit: bool = True) -> KeyProject:
        project = super().save(commit=False)
        project.district = self.district
        project.park_id = project.enterprise.parent_id
        if commit:
            project.save()
        return project

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        clash = KeyProject.objects.filter(district=self.district, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This district already has a key project of that name."))
        return str(name)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of pages and emails"), choices=settings.LANGUAGES)


class ReplyTemplateForm(forms.Form):
    """A reply template as its supervisor writes it; apps/desk/replies.save_template checks it."""

    name = forms.CharField(label=_("Template name"), max_length=80)
    body_en = LimitedCharField(
        label=_("Text in English"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    body_zh = LimitedCharField(
        label=_("Text in Chinese"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    active = forms.BooleanField(label=_("Offered in the reply forms"), required=False, initial=True)


class ReplyTemplatePicker(forms.Form):
    """The "Use a template" picker beside a reply's text box: which template, in which language."""

    template = forms.TypedChoiceField(label=_("Use a template"), coerce=int, empty_value=None, required=False)
    language = forms.ChoiceField(
        label=_("Language of the template"), choices=settings.LANGUAGES, required=False
    )

    def __init__(self, *args: Any, templates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template = cast(forms.TypedChoiceField, self.fields["template"])
        template.choices = [("", _("Choose a template…")), *((t.pk, t.name) for t in templates)]

    def clean_template(self) -> int:
        chosen = self.cleaned_data.get("template")
        if chosen is None:
            raise forms.ValidationError(_("Choose a template to insert."))
        return int(chosen)


class CodeForm(forms.Form):
    """A second-factor code: six digits from the authenticator app, or a backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits your authenticator app shows now, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )
