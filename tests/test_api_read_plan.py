"""The request serializers read their fields from a plan made once per class
(apps/api/read_plan.py): whatever the request's story, the persona or the language, a planned
row is exactly DRF's own representation of the same fields, key for key and in order."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django.utils import translation
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from apps.api import serializers as s
from apps.api.read_plan import ReadPlan
from apps.casework import selectors
from apps.casework.models import ServiceRequest

pytestmark = pytest.mark.django_db

PERSONAS = ["ent_pregene", "liaison_sbip", "officer_ps_msb", "officer_sz_amr", "supervisor_ps"]
PLANNED = [s.RequestSerializer, s.RequestDetailSerializer, s.RequestWithFilesSerializer]


@pytest.fixture
def world(lived_in_world_shared, db):
    return lived_in_world_shared


def context_for(user) -> dict:
    request = Request(RequestFactory().get("/api/v1/requests/"))
    request.user = user
    return {"request": request}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("username", PERSONAS)
def test_a_planned_request_row_is_drfs_own_representation(world, users, username, language):
    user = users[username]
    seen = list(selectors.request_list(user))
    assert len(seen) >= 3, "each persona sees part of the world"
    # The world's stories reach every field's kinds of value: no department (the park), no
    # assignee, resolved, overdue, green channel, a key project.
    assert any(r.department_id is None for r in seen) or username.startswith("officer")
    with translation.override(language):
        for serializer_class in PLANNED:
            serializer = serializer_class(context=context_for(user))
            for service_request in seen:
                planned = serializer.to_representation(service_request)
                assert list(planned.items()) == list(serializer.drf_representation(service_request).items())


def test_the_lists_rows_over_http_are_the_fields_representation(world, users, api):
    body = api("liaison_sbip").get("/api/v1/requests/?page_size=100").json()
    by_id = selectors.request_list(users["liaison_sbip"]).in_bulk([row["id"] for row in body["results"]])
    serializer = s.RequestSerializer(context=context_for(users["liaison_sbip"]))
    assert len(body["results"]) >= 10
    for row in body["results"]:
        expected = serializer.drf_representation(by_id[row["id"]])
        # Compared as the client reads both: through the same JSON renderer.
        assert row == json.loads(JSONRenderer().render(expected))


class _Mixed(ReadPlan, serializers.ModelSerializer):
    """Fields the plan reads itself beside fields it leaves to DRF (a nested serializer, a
    field class of its own, a dotted source that may be missing)."""

    class Upper(serializers.CharField):
        def to_representation(self, value):
            return str(value).upper()

    enterprise_org = s.OrganizationSerializer(source="enterprise", read_only=True)
    shouted = Upper(source="title", read_only=True)
    assignee_email = serializers.EmailField(source="assignee.email", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True)
    label = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "enterprise_org",
            "shouted",
            "assignee_email",
            "department_name",
            "label",
            "created_at",
            "key_project",
            "state",
        ]

    def get_label(self, obj):
        return f"{obj.reference}: {obj.title}"


def test_fields_the_plan_cannot_read_are_left_to_drf_in_the_same_row(world, users):
    serializer = _Mixed(context=context_for(users["liaison_sbip"]))
    rows = list(selectors.request_list(users["liaison_sbip"]))
    for service_request in rows:
        planned = serializer.to_representation(service_request)
        assert list(planned.items()) == list(serializer.drf_representation(service_request).items())
        assert planned["shouted"] == service_request.title.upper()
    # No assignee: DRF leaves the key out, and so does the plan.
    unassigned = [r for r in rows if r.assignee_id is None]
    assert unassigned and "assignee_email" not in serializer.to_representation(unassigned[0])
    planned_by_drf = {name for name, read in ReadPlan._plans[_Mixed] if read is None}
    assert planned_by_drf == {"enterprise_org", "shouted"}
