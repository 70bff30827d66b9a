"""Following a request (watch) and naming a colleague in a message (`@username`).

Followers hear of the changes of a request they follow that they may see: public events all of
them; internal events only the authorities' and the park's staff, never enterprise staff; never
of their own doings, and never twice for one event (a follower who hears of it anyway keeps the
notification they get). A person named with `@username` in a message hears of it when they are
active, not enterprise staff, and may see the request; anyone else named — unknown, inactive,
of another jurisdiction, enterprise staff — is silently passed over, so that writing a name
tells nobody whether such an account exists.

Visibility is `visible_requests`, as everywhere: checked when the event happens (a follower who
has since lost sight of the request hears nothing more of it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from apps.casework.models import EventKind, RequestEvent, ServiceRequest
from apps.casework.selectors import visible_requests
from apps.organizations.models import Role, User

from .models import Watch

# Notification kinds (apps/notifications/services.py words them).
WATCHED = "watched"
MENTIONED = "mentioned"

# Events a follower is not told of: the request's own creation comes before anyone follows it.
_NOT_FOLLOWED = {EventKind.CREATED}
# Events whose text is a message someone wrote, where `@username` names a colleague.
_WRITTEN = {EventKind.MESSAGE, EventKind.NOTE}
# At most this many names are looked up per message.
MAX_MENTIONS = 10

# Django's usernames: letters, digits and @ . + - _. A mention starts at a word boundary (not in
# an email address) and does not take the sentence's final full stop.
_MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]{1,150})")


def mentioned_usernames(text: str) -> list[str]:
    """The usernames `text` names, in order, each once, at most MAX_MENTIONS."""
    found: list[str] = []
    for match in _MENTION.finditer(text or ""):
        name = match.group(1).rstrip(".-+@")
        if name and name not in found:
            found.append(name)
        if len(found) >= MAX_MENTIONS:
            break
    return found


# --- following ----------------------------------------------------------------------------------
def is_watching(user: User, service_request: ServiceRequest) -> bool:
    return Watch.objects.filter(user=user, request=service_request).exists()


def follow(user: User, service_request: ServiceRequest) -> bool:
    """Follow a request the caller may see (the caller fetched it through the selectors).
    Following twice is following once; True when the follow is new."""
    try:
        with transaction.atomic():
            _, created = Watch.objects.get_or_create(user=user, request=service_request)
    except IntegrityError:  # the same person's other click won the race
        return False
    return created


def unfollow(user: User, service_request: ServiceRequest) -> bool:
    """Stop following; True when there was a follow to end."""
    deleted, _ = Watch.objects.filter(user=user, request=service_request).delete()
    return bool(deleted)


# --- who hears of it ------------------------------------------------------------------------------
def _who_may_see(service_request: ServiceRequest, people: Iterable[User]) -> set[int]:
    """Those of `people` who may see the request. What a person sees follows from their
    organisation and role alone (`visibility_filter`), so it is asked once per pair."""
    answers: dict[tuple[int | None, str, bool], bool] = {}
    seeing: set[int] = set()
    for person in people:
        key = (person.organization_id, person.role, person.is_superuser)
        if key not in answers:
            answers[key] = visible_requests(person).filter(pk=service_request.pk).exists()
        if answers[key]:
            seeing.add(person.pk)
    return seeing


def _staff(user: User) -> bool:
    return user.is_superuser or (bool(user.role) and user.role != Role.ENTERPRISE)


def add_followers_and_mentions(event: RequestEvent, found: dict[int, str]) -> None:
    """Add to `found` (recipient id → kind) the request's followers and the colleagues a
    message names. The caller then drops the actor, and enterprise staff from internal events."""
    service_request = event.request
    followers: list[User] = []
    if event.kind not in _NOT_FOLLOWED:
        followers = list(
            User.objects.filter(watches__request=service_request, is_active=True).select_related(
                "organization__parent"
            )
        )
        if event.internal:
            followers = [person for person in followers if _staff(person)]
        followers = [person for person in followers if person.pk not in found and person.pk != event.actor_id]
    named: list[User] = []
    if event.kind in _WRITTEN and event.actor is not None and _staff(event.actor):
        usernames = mentioned_usernames(event.text)
        if usernames:
            named = [
                person
                for person in User.objects.filter(username__in=usernames, is_active=True).select_related(
                    "organization__parent"
                )
                if _staff(person) and person.pk != event.actor_id
            ]
    if not followers and not named:
        return
    seeing = _who_may_see(service_request, {person.pk: person for person in [*followers, *named]}.values())
    for person in followers:
        if person.pk in seeing:
            found.setdefault(person.pk, WATCHED)
    for person in named:
        if person.pk in seeing:
            # Named: what they hear of this event says so (one notification per event each).
            found[person.pk] = MENTIONED
