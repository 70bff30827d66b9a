"""Which targets an organisation's figures are read against.

A district sets its targets once and its departments and parks inherit them; a department may
set stricter ones of its own. So the lookup walks up the tree to the nearest organisation with a
`ServiceTarget` row, and falls back to the portal's defaults above the top.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings

from apps.organizations.models import Organization

from .models import ServiceTarget


class Target(NamedTuple):
    on_time_percent: int
    satisfaction_percent: int

    @property
    def on_time(self) -> float:
        """The response-rate target as a share (0..1), to compare with the figures' rates."""
        return self.on_time_percent / 100

    @property
    def satisfaction(self) -> float:
        return self.satisfaction_percent / 100


def default_target() -> Target:
    return Target(
        settings.PORTAL["TARGET_ON_TIME_PERCENT"],
        settings.PORTAL["TARGET_SATISFACTION_PERCENT"],
    )


def targets_for(organization_ids: Iterable[int | None]) -> dict[int, Target]:
    """The target of each organisation, by id: its own row, else its nearest ancestor's, else the
    defaults. Walks the tree one level at a time for all of them at once, so a page with twenty
    departments costs a query per level (four at most), not a walk per department."""
    wanted = {pk for pk in organization_ids if pk}
    # The chain of each organisation, itself first: chains[pk] = [pk, parent, grandparent, …].
    chains: dict[int, list[int]] = {pk: [pk] for pk in wanted}
    parent_of: dict[int, int | None] = {}
    frontier = set(wanted)
    while frontier:
        rows = Organization.objects.filter(pk__in=frontier).values_list("pk", "parent_id")
        parent_of.update(dict(rows))
        frontier = {p for p in parent_of.values() if p and p not in parent_of}
    for chain in chains.values():
        while (up := parent_of.get(chain[-1])) and up not in chain:
            chain.append(up)
    target_rows = ServiceTarget.objects.filter(organization_id__in=parent_of).values_list(
        "organization_id", "on_time_percent", "satisfaction_percent"
    )
    own = {pk: Target(on_time, satisfaction) for pk, on_time, satisfaction in target_rows}
    fallback = default_target()
    return {pk: next((own[up] for up in chain if up in own), fallback) for pk, chain in chains.items()}


def target_for(organization: Organization | None) -> Target:
    """`(on_time_percent, satisfaction_percent)` for the organisation: its own row, else the
    nearest ancestor's, else `PORTAL["TARGET_ON_TIME_PERCENT"]` / `["TARGET_SATISFACTION_PERCENT"]`
    (also for no organisation at all: an administrator's whole-portal view)."""
    if organization is None or organization.pk is None:
        return default_target()
    return targets_for([organization.pk])[organization.pk]
