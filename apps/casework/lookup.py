"""Find a request by what a person types in the header's search box: its reference
(`PS-2026-000123`), or just its number (`123`, `000123`) within the caller's own prefix.

A reference the caller may not see is answered exactly like one that does not exist (None): the
lookup only ever reads `visible_requests`.

The caller's prefix is their district's (`Organization.code`, which `create_request` puts in
front of every reference of the district): enterprise staff, parks, districts and their
departments have one. A municipal or provincial authority and its departments have the prefixes
of the districts under them: a bare number opens the request only when it matches in one of them
(two districts' `…-000123` is no answer, and falls to the word search). Of the years a number
matches in, the newest the caller may see wins.
"""

from __future__ import annotations

import re

from apps.organizations.models import Organization, OrgKind, User

from .models import ReferenceSequence
from .selectors import visible_requests

# What `create_request` uses when a district has no code.
DEFAULT_PREFIX = "REQ"

_REFERENCE = re.compile(r"#?([A-Za-z][A-Za-z0-9]{0,7})-(\d{4})-(\d{1,9})")
_NUMBER = re.compile(r"#?(\d{1,9})")


def reference_of(prefix: str, year: int, number: int) -> str:
    return f"{prefix.upper()}-{year}-{number:06d}"


def caller_prefixes(user: User) -> list[str]:
    """The reference prefixes of the caller's jurisdiction (see the module)."""
    districts = Organization.objects.filter(kind=OrgKind.DISTRICT)
    if not user.is_superuser:
        org = user.organization
        if org is None or not user.role:
            return []
        district = org.ancestor(OrgKind.DISTRICT)
        if district is not None:
            return [district.code or DEFAULT_PREFIX]
        authority = org.authority
        if authority is None:
            return []
        if authority.kind == OrgKind.MUNICIPAL:
            districts = districts.filter(parent=authority)
        elif authority.kind == OrgKind.PROVINCIAL:
            districts = districts.filter(parent__parent=authority)
        else:
            return []
    return sorted({code or DEFAULT_PREFIX for code in districts.values_list("code", flat=True)})


def find_by_reference(user: User, text: str) -> int | None:
    """The id of the request `text` names that the caller may see, or None (no reference, no
    such request, or one the caller may not see: the same answer)."""
    typed = (text or "").strip()
    full = _REFERENCE.fullmatch(typed)
    if full:
        prefix, year, number = full.group(1), int(full.group(2)), int(full.group(3))
        if not number:
            return None
        return (
            visible_requests(user)
            .filter(reference=reference_of(prefix, year, number))
            .values_list("pk", flat=True)
            .first()
        )
    bare = _NUMBER.fullmatch(typed)
    if not bare or not int(bare.group(1)):
        return None
    number = int(bare.group(1))
    prefixes = caller_prefixes(user)
    if not prefixes:
        return None
    # The years in which the prefix has handed out this number (the sequences are few rows).
    references = [
        reference_of(prefix, year, number)
        for prefix, year in ReferenceSequence.objects.filter(
            prefix__in=prefixes, last__gte=number
        ).values_list("prefix", "year")
    ]
    if not references:
        return None
    found = list(visible_requests(user).filter(reference__in=references).values_list("pk", "reference"))
    if len({reference.rsplit("-", 2)[0] for _pk, reference in found}) != 1:
        return None  # nothing, or the same number in two districts: not one request
    # Same prefix and number: the references sort by year.
    return max(found, key=lambda row: row[1])[0]
