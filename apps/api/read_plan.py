"""Output serializers that read their fields from a plan made once per class.

DRF serializes a row field by field: it builds the fields of a model serializer anew for every
serializer (a deep copy of the declared ones and a look at the model for the rest), then asks
each field for its attribute and its representation, through several layers of calls. For a
list of 25 requests of 29 fields that was a third of the time of the response (bench/profiles).
`ReadPlan` gives the same dictionary from a plan worked out once per serializer class, out of
the very fields DRF would use: a plain attribute read and one conversion per field. The fields
stay the one description of the output (the OpenAPI schema reads them), and
tests/test_api_read_plan.py holds every planned serializer to DRF's own representation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.settings import api_settings

# DRF writes datetimes in ISO 8601 unless told otherwise; the plan knows only that format.
_ISO = api_settings.DATETIME_FORMAT == ISO_8601

Reader = Callable[[serializers.Serializer, Any], Any]  # (the live serializer, the instance) -> value


# What a reader answers for a field whose source is missing and that DRF leaves out.
OMITTED = object()


def moment(value: Any) -> Any:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the current time zone."""
    if value is None or value is OMITTED:
        return value
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _follow(source: list[str], default: Any) -> Callable[[Any], Any]:
    """Read a (dotted) source; a missing step (a null relation) gives the field's default, as
    DRF's `Field.get_attribute` does."""

    def read(instance: Any) -> Any:
        try:
            for name in source:
                instance = getattr(instance, name)
        except (AttributeError, ObjectDoesNotExist):
            return default
        return instance

    if len(source) == 1:
        name = source[0]
        return lambda instance: getattr(instance, name)
    return read


# Field classes whose representation of a value that is not null is the value itself, for the
# values a model gives them (a str to a CharField, an int to an IntegerField, a bool to a
# BooleanField, a stored choice to a ChoiceField). Exact classes: a subclass may convert.
_AS_IS = {
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.EmailField,
}


def _reader(field: serializers.Field) -> Reader | None:
    """How to read one field without DRF's walk, or None where only DRF's own will do."""
    if isinstance(field, serializers.SerializerMethodField):
        method = field.method_name
        return lambda serializer, instance: getattr(serializer, method)(instance)
    source = field.source_attrs
    if field.source == "*" or (field.default is not empty and callable(field.default)):
        return None
    if field.default is not empty:
        default = field.default
    elif field.allow_null:
        default = None
    elif not field.required:
        default = OMITTED  # DRF leaves the key out
    else:
        return None  # DRF would fail: its walk decides
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if type(field) is PrimaryKeyRelatedField and len(source) == 1 and model is not None:
        # The id column, as DRF's pk-only optimisation reads it, without loading the relation.
        attname = model._meta.get_field(source[0]).attname
        return lambda serializer, instance: getattr(instance, attname)
    read = _follow(source, default)
    if type(field) is serializers.DateTimeField and getattr(field, "format", empty) is empty and _ISO:
        return lambda serializer, instance: moment(read(instance))  # type: ignore[arg-type]
    if type(field) in _AS_IS or (
        type(field) is serializers.BigIntegerField and not getattr(field, "coerce_to_string", False)
    ):
        return lambda serializer, instance: read(instance)
    return None


class ReadPlan(serializers.Serializer):
    """A read-only output serializer whose `to_representation` follows its plan. A field with no
    plan (a nested serializer, a custom field) is left to DRF, within the same dictionary."""

    _plans: ClassVar[dict[type, list[tuple[str, Reader | None]]]] = {}

    def _plan(self) -> list[tuple[str, Reader | None]]:
        cls = type(self)
        plan = ReadPlan._plans.get(cls)
        if plan is None:
            plan = ReadPlan._plans[cls] = [
                (str(field.field_name), _reader(field)) for field in self._readable_fields
            ]
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, read in self._plan():
            if read is None:
                field = self.fields[name]
                value = field.get_attribute(instance)
                row[name] = None if value is None else field.to_representation(value)
            else:
                value = read(self, instance)
                if value is not OMITTED:
                    row[name] = value
        return row

    def drf_representation(self, instance: Any) -> dict[str, Any]:
        """The same row as DRF's field-by-field walk gives it: what the plan is held to."""
        return dict(super().to_representation(instance))
