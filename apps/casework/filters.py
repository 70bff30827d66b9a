"""The filters of a request list, shared by the API and the pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import MultipleChoiceField
from django_filters.widgets import BooleanWidget

from apps.casework import queues, search
from apps.casework.models import Category, ProductType, ServiceRequest, State


class _StrictBooleanWidget(BooleanWidget):
    """true or false (1 or 0), nothing for either, and anything else passed on to be refused
    (django-filter's own widget reads it as nothing, so `overdue=yes` listed everything)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        raw = data.get(name)
        if raw in (None, ""):
            return None
        parsed = super().value_from_datadict(data, files, name)
        return raw if parsed is None else parsed


class _StrictNullBooleanField(forms.NullBooleanField):
    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # None: no filter
        if value is None or isinstance(value, bool):
            return value
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = _StrictNullBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", _StrictBooleanWidget)
        super().__init__(*args, **kwargs)


class _OptionalMultipleChoiceField(MultipleChoiceField):
    """Drops empty values: a form's "All" option sends `category=`, which means no filter (the
    stock field refused it as "Select a valid choice")."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            value = [item for item in value if item not in ("", None)]
        return super().clean(value)


class OptionalMultipleChoiceFilter(filters.MultipleChoiceFilter):
    field_class = _OptionalMultipleChoiceField


class RequestFilter(filters.FilterSet):
    # distinct=False: one column of one table never repeats a row, and DISTINCT over whole rows
    # would make the database sort them.
    # Labels given lazily, so that an error names the field in the reader's language (a label
    # django-filter derives itself is worked out once, in whatever language is active then).
    state = OptionalMultipleChoiceFilter(label=_("State"), choices=State.choices, distinct=False)
    category = OptionalMultipleChoiceFilter(label=_("Category"), choices=Category.choices, distinct=False)
    product_type = OptionalMultipleChoiceFilter(
        label=_("Product type"), choices=ProductType.choices, distinct=False
    )
    tier = filters.CharFilter(field_name="tier", label=_("Tier"))
    green_channel = StrictBooleanFilter(label=_("Green channel"))
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Overdue"))
    due = filters.ChoiceFilter(
        label=_("Deadline"),
        choices=[
            ("overdue", _("Overdue")),
            ("today", _("Due today")),
            ("waiting", _("Waiting for feedback")),
        ],
        method="filter_due",
    )
    assignee = filters.ChoiceFilter(
        choices=[("me", _("Me")), ("none", _("Nobody"))], method="filter_assignee"
    )
    search = filters.CharFilter(method="filter_search", max_length=200, label=_("Search"))
    # Read by the list (apps/casework/queues.py), which orders and counts from indexes.
    ordering = filters.ChoiceFilter(
        label=_("Order"),
        choices=[("work", _("Work order")), ("newest", _("Newest first"))],
        method="keep_order",
    )

    class Meta:
        model = ServiceRequest
        fields = ["state", "category", "product_type", "tier", "green_channel"]

    def keep_order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def listing(self) -> queues.WorkOrder | queues.NewestFirst:
        """The filtered requests in the order asked for (work order unless told otherwise)."""
        asked = self.form.cleaned_data if self.is_valid() else {}
        searched = bool(asked.get("search", "").strip())
        # Matches of a search are shown newest first unless the work order is asked for.
        ordering = asked.get("ordering") or ("newest" if searched else "work")
        return queues.ORDERINGS[ordering](self.qs, searched=searched)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            return queryset.filter(queues.overdue(timezone.now()))
        return queryset.exclude(feedback_due_at__lt=timezone.now())

    def filter_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(queues.overdue(now))
        if value == "today":
            end_of_day = datetime.combine(timezone.localdate(now) + timedelta(days=1), time.min)
            return queryset.filter(
                feedback_due_at__gte=now, feedback_due_at__lt=timezone.make_aware(end_of_day)
            )
        if value == "waiting":
            return queryset.filter(feedback_due_at__isnull=False)
        return queryset

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search.matching(queryset, value)
