"""Requests, their lifecycle, messages, attachments and timeline.

The transitions below only move the state (and the tier that goes with it) and declare who may
take them; everything else a transition causes (timeline, deadlines, notifications, the
compare-and-swap write) lives in `apps.casework.actions`, the one door through which state
changes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition
from guardian.models import GroupObjectPermissionBase

from apps.organizations.categories import Category
from apps.organizations.models import TIER_ORDER, Organization, Tier

from . import rules

if TYPE_CHECKING:
    from apps.deadlines.time_left import TimeLeft


class ProductType(models.TextChoices):
    DRUG = "drug", _("Drug")
    BIOLOGIC = "biologic", _("Biologic")
    MEDICAL_DEVICE = "medical_device", _("Medical device")
    IVD = "ivd", _("In-vitro diagnostic")
    AI_MEDICAL_DEVICE = "ai_medical_device", _("AI medical device")
    OTHER = "other", _("Other")


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PARK_REVIEW = "park_review", _("Park review")
    DISTRICT_REVIEW = "district_review", _("District review")
    MUNICIPAL_REVIEW = "municipal_review", _("Municipal review")
    PROVINCIAL_REVIEW = "provincial_review", _("Provincial review")
    INFO_REQUESTED = "info_requested", _("Information requested")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


REVIEW_STATE_OF_TIER: dict[str, str] = {
    Tier.PARK: State.PARK_REVIEW,
    Tier.DISTRICT: State.DISTRICT_REVIEW,
    Tier.MUNICIPAL: State.MUNICIPAL_REVIEW,
    Tier.PROVINCIAL: State.PROVINCIAL_REVIEW,
}
REVIEW_STATES: list[str] = list(REVIEW_STATE_OF_TIER.values())
OPEN_STATES: list[str] = [State.DRAFT, *REVIEW_STATES, State.INFO_REQUESTED]
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000


# The columns a visibility scope compares (apps/casework/selectors.py), with short index names.
SCOPE_COLUMNS = [
    ("enterprise", "ent"),
    ("park", "park"),
    ("district", "dist"),
    ("municipal", "muni"),
    ("provincial", "prov"),
    ("district_department", "dist_dept"),
    ("municipal_department", "muni_dept"),
    ("provincial_department", "prov_dept"),
]


class ServiceRequest(FSMModelMixin, models.Model):
    """One enterprise's request, moving up the tiers until it is answered."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Organization, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The chain above the enterprise, copied at creation so that visibility is an indexed
    # column comparison instead of a walk up the tree. These columns get no index of their own:
    # the scope indexes in Meta lead with each of them.
    park = models.ForeignKey(
        Organization, verbose_name=_("park"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    district = models.ForeignKey(
        Organization, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    municipal = models.ForeignKey(
        Organization,
        verbose_name=_("municipal authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    provincial = models.ForeignKey(
        Organization,
        verbose_name=_("provincial authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The department each authority tier routed the request to, kept after it moves on.
    district_department = models.ForeignKey(
        Organization,
        verbose_name=_("district department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    municipal_department = models.ForeignKey(
        Organization,
        verbose_name=_("municipal department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    provincial_department = models.ForeignKey(
        Organization,
        verbose_name=_("provincial department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=TEXT_MAX_LENGTH)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    product_type = models.CharField(_("product type"), max_length=32, choices=ProductType.choices)
    key_project = models.ForeignKey(
        "organizations.KeyProject",
        verbose_name=_("key project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    green_channel = models.BooleanField(_("green channel"), default=False)

    state = FSMField(_("state"), default=State.DRAFT, choices=State.choices, protected=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.PARK)
    # Index in TIER_ORDER of the highest tier this request has reached.
    reached_level = models.PositiveSmallIntegerField(_("highest tier reached"), default=0)
    department = models.ForeignKey(
        Organization,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    feedback_due_at = models.DateTimeField(_("feedback due"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Bumped by every write; a write that finds another version lost a race.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        db_table = "casework_request"
        indexes = [
            models.Index(fields=["enterprise", "-created_at"], name="req_enterprise_created"),
            models.Index(fields=["park", "-created_at"], name="req_park_created"),
            # Authority scopes walk their column newest first; the tier reached is read from the
            # index itself, so a page of an officer's queue needs no sort and no table scan.
            models.Index(fields=["district", "-created_at", "reached_level"], name="req_district"),
            models.Index(fields=["municipal", "-created_at", "reached_level"], name="req_municipal"),
            models.Index(fields=["provincial", "-created_at", "reached_level"], name="req_provincial"),
            models.Index(fields=["district_department", "-created_at"], name="req_district_dept"),
            models.Index(fields=["municipal_department", "-created_at"], name="req_municipal_dept"),
            models.Index(fields=["provincial_department", "-created_at"], name="req_provincial_dept"),
            models.Index(fields=["assignee", "state"], name="req_assignee_state"),
            # Everything waiting for feedback, by channel and deadline: the work order of an
            # unscoped list (admins). Not (state, deadline), which the planner preferred to a
            # scope's own waiting index and then checked row by row for the scope.
            models.Index(
                fields=["green_channel", "feedback_due_at", "id"],
                name="req_waiting",
                condition=models.Q(feedback_due_at__isnull=False),
            ),
            # The scan's auto-close: only resolved requests, by when they were resolved.
            models.Index(
                fields=["resolved_at"], name="req_resolved_to_close", condition=models.Q(state="resolved")
            ),
            # Per scope: lists filtered by state, or by state and category, and their counts read
            # one range of an index; the work order reads the requests waiting for feedback,
            # overdue and green channel first, from a small index over just those
            # (apps/casework/queues.py).
            *[
                models.Index(
                    fields=[column, "state", "category", "created_at", "reached_level"],
                    name=f"req_{short}_state",
                )
                for column, short in SCOPE_COLUMNS
            ],
            *[
                models.Index(
                    fields=[
                        column,
                        "green_channel",
                        "feedback_due_at",
                        "id",
                        "reached_level",
                        "state",
                        "category",
                    ],
                    name=f"req_{short}_waiting",
                    condition=models.Q(feedback_due_at__isnull=False),
                )
                for column, short in SCOPE_COLUMNS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    # The columns as last read from the database (attname → value), see `from_db`.
    as_read: dict[str, Any]

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **more: Any
    ) -> Self:
        """The row as read, kept beside it, so that a write sends only the columns an action
        changed (`casework.actions._write`): each column sent is an index or several that
        SQLite and PostgreSQL rewrite, of about thirty."""
        instance = super().from_db(db, field_names, values, **more)
        instance.as_read = dict(zip(field_names, values, strict=True))
        return instance

    def refresh_from_db(
        self, using: str | None = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        read = getattr(self, "as_read", None)
        if read is not None:
            loaded = {f.attname for f in self._meta.concrete_fields} - self.get_deferred_fields()
            read.update({name: getattr(self, name) for name in loaded})

    # --- derived ------------------------------------------------------------------------------
    def authority_id_of(self, tier: str) -> int | None:
        """The organisation that answers for `tier` on this request's chain."""
        authorities: dict[str, int | None] = {
            Tier.PARK: self.park_id,
            Tier.DISTRICT: self.district_id,
            Tier.MUNICIPAL: self.municipal_id,
            Tier.PROVINCIAL: self.provincial_id,
        }
        return authorities[tier]

    @property
    def tier_authority_id(self) -> int | None:
        return self.authority_id_of(self.tier)

    @property
    def is_overdue(self) -> bool:
        return self.feedback_due_at is not None and self.feedback_due_at < timezone.now()

    @property
    def time_left(self) -> TimeLeft | None:
        """Working time left to the feedback deadline, with its words (worked out once per
        deadline: a queue row and the API read it several times)."""
        if self.feedback_due_at is None:
            return None
        known = self.__dict__.get("_time_left")
        if known is None or known.due_at != self.feedback_due_at:
            from apps.deadlines.time_left import time_left

            known = self.__dict__["_time_left"] = time_left(self.feedback_due_at)
        return known  # type: ignore[no-any-return]

    def next_tier(self) -> str | None:
        index = TIER_ORDER.index(self.tier)
        return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None

    def previous_tier(self) -> str | None:
        index = TIER_ORDER.index(self.tier)
        return TIER_ORDER[index - 1] if index > 0 else None

    def reopen_window_open(self: Any) -> bool:
        if self.resolved_at is None:
            return False
        from apps.deadlines.calendar import policy

        window = timedelta(days=policy().reopen_within_days)
        return timezone.now() <= self.resolved_at + window

    def unassigned(self: Any) -> bool:
        return self.assignee_id is None

    def next_tier_exists(self: Any) -> bool:
        nxt = self.next_tier()
        return nxt is not None and getattr(self, f"{nxt}_id") is not None

    # --- transitions: state only; see actions.py for what goes with them ------------------------
    @transition(field=state, source=State.DRAFT, target=State.PARK_REVIEW, permission=rules.may_file)
    def submit(self) -> None:
        self.tier = Tier.PARK

    @transition(field=state, source=REVIEW_STATES, target=None, permission=rules.may_act_for_tier)
    def respond(self) -> None:
        pass

    @transition(
        field=state,
        source=REVIEW_STATES,
        target=State.INFO_REQUESTED,
        permission=rules.may_act_for_tier,
    )
    def request_info(self) -> None:
        pass

    @transition(
        field=state,
        source=State.INFO_REQUESTED,
        target=RETURN_VALUE(*REVIEW_STATES),
        permission=rules.may_file,
    )
    def provide_info(self) -> str:
        return REVIEW_STATE_OF_TIER[self.tier]

    @transition(
        field=state,
        source=[State.PARK_REVIEW, State.DISTRICT_REVIEW, State.MUNICIPAL_REVIEW],
        target=RETURN_VALUE(State.DISTRICT_REVIEW, State.MUNICIPAL_REVIEW, State.PROVINCIAL_REVIEW),
        conditions=[next_tier_exists],
        permission=rules.may_act_for_tier,
    )
    def escalate(self) -> str:
        self.tier = self.next_tier()  # type: ignore[assignment]
        self.reached_level = max(self.reached_level, TIER_ORDER.index(self.tier))
        return REVIEW_STATE_OF_TIER[self.tier]

    @transition(
        field=state,
        source=[State.DISTRICT_REVIEW, State.MUNICIPAL_REVIEW, State.PROVINCIAL_REVIEW],
        target=RETURN_VALUE(State.PARK_REVIEW, State.DISTRICT_REVIEW, State.MUNICIPAL_REVIEW),
        permission=rules.may_act_for_tier,
    )
    def return_to_lower_tier(self) -> str:
        self.tier = self.previous_tier()  # type: ignore[assignment]
        return REVIEW_STATE_OF_TIER[self.tier]

    @transition(field=state, source=REVIEW_STATES, target=State.RESOLVED, permission=rules.may_act_for_tier)
    def resolve(self) -> None:
        self.resolved_at = timezone.now()

    @transition(
        field=state,
        source=State.RESOLVED,
        target=RETURN_VALUE(*REVIEW_STATES),
        conditions=[reopen_window_open],
        permission=rules.may_file,
    )
    def reopen(self) -> str:
        self.resolved_at = None
        self.resolution = ""
        return REVIEW_STATE_OF_TIER[self.tier]

    @transition(field=state, source=State.RESOLVED, target=State.CLOSED, permission=rules.may_close)
    def close(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.DRAFT, *REVIEW_STATES, State.INFO_REQUESTED],
        target=State.WITHDRAWN,
        permission=rules.may_file,
    )
    def withdraw(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, source=REVIEW_STATES, target=None, permission=rules.may_assign)
    def assign(self) -> None:
        pass

    @transition(
        field=state, source=REVIEW_STATES, target=None, conditions=[unassigned], permission=rules.may_claim
    )
    def claim(self) -> None:
        pass

    @transition(field=state, source=REVIEW_STATES, target=None, permission=rules.may_act_for_tier)
    def set_green_channel(self) -> None:
        pass


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    SUBMITTED = "submitted", _("Submitted")
    RESPONDED = "responded", _("Responded")
    INFO_REQUESTED = "info_requested", _("Information requested")
    INFO_PROVIDED = "info_provided", _("Information provided")
    ESCALATED = "escalated", _("Escalated")
    RETURNED = "returned", _("Returned to the tier below")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ASSIGNED = "assigned", _("Assigned")
    CLAIMED = "claimed", _("Claimed")
    GREEN_CHANNEL = "green_channel", _("Green channel changed")
    MESSAGE = "message", _("Reply")
    NOTE = "note", _("Internal note")
    ATTACHMENT = "attachment", _("Attachment added")
    SHARED = "shared", _("Shared with a department")
    DEADLINE_BREACHED = "deadline_breached", _("Feedback deadline missed")
    # 好差评 (apps/satisfaction): the rating of a resolution, and what a bad review sets going.
    RATED = "rated", _("Rated")
    RATING_DEFAULTED = "rating_defaulted", _("Rated by default")
    RECTIFICATION_OPENED = "rectification_opened", _("Rectification opened")
    RECTIFIED = "rectified", _("Rectified")
    APPEALED = "appealed", _("Appeal against the review")
    APPEAL_DECIDED = "appeal_decided", _("Appeal decided")
    RECTIFICATION_BREACHED = "rectification_breached", _("Rectification deadline missed")
    FIX_RATED = "fix_rated", _("Rectification rated")
    # Consultation meetings (apps/meetings).
    MEETING_OFFERED = "meeting_offered", _("Meeting offered")
    MEETING_BOOKED = "meeting_booked", _("Meeting booked")
    MEETING_ANOTHER_TIME = "meeting_another_time", _("Another meeting time asked for")
    MEETING_RESCHEDULED = "meeting_rescheduled", _("Meeting moved")
    MEETING_CANCELLED = "meeting_cancelled", _("Meeting cancelled")
    MEETING_HELD = "meeting_held", _("Meeting minutes")
    MEETING_NO_SHOW = "meeting_no_show", _("Meeting missed")


# The job behind each kind of event that can happen with nobody acting.
_SYSTEM_ACTORS: dict[str, Any] = {
    EventKind.DEADLINE_BREACHED: _("Deadline scan"),
    EventKind.CLOSED: _("Automatic close"),
    EventKind.RATING_DEFAULTED: _("Deadline scan"),
    EventKind.RECTIFICATION_BREACHED: _("Deadline scan"),
    EventKind.RECTIFICATION_OPENED: _("Satisfaction review"),
}


# Events of a rating, named without their giver (`RequestEvent.shown_actor`).
ANONYMOUS_KINDS = frozenset({EventKind.RATED, EventKind.FIX_RATED})
# Events whose words apps/satisfaction/texts.py writes from their details, in the reader's language.
SATISFACTION_KINDS = frozenset(
    {
        EventKind.RATED,
        EventKind.RATING_DEFAULTED,
        EventKind.RECTIFICATION_OPENED,
        EventKind.RECTIFIED,
        EventKind.APPEAL_DECIDED,
        EventKind.RECTIFICATION_BREACHED,
        EventKind.FIX_RATED,
    }
)
# Events whose words apps/meetings/texts.py writes from their details (the time, the place).
MEETING_KINDS = frozenset(
    {
        EventKind.MEETING_OFFERED,
        EventKind.MEETING_BOOKED,
        EventKind.MEETING_ANOTHER_TIME,
        EventKind.MEETING_RESCHEDULED,
        EventKind.MEETING_CANCELLED,
        EventKind.MEETING_HELD,
        EventKind.MEETING_NO_SHOW,
    }
)


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Timeline records cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValidationError(_("Timeline records cannot be deleted."))


class RequestEvent(AppendOnlyModel):
    """One line of a request's timeline."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    from_state = models.CharField(_("from state"), max_length=32, blank=True)
    to_state = models.CharField(_("to state"), max_length=32, blank=True)
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    text = models.TextField(_("text"), blank=True)
    # Internal events (notes, assignments between officers) are never shown to enterprise staff.
    internal = models.BooleanField(_("internal"), default=False)
    # What the portal itself says on the timeline (a missed deadline, the green channel switched,
    # an automatic close), kept as data so that each reader sees it in their own language.
    details = models.JSONField(_("details"), default=dict, db_default={}, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at", "id"], name="event_request_time")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"

    @property
    def shown_actor(self) -> Any:
        """The person to name as having done it: nobody for a rating, whose giver the rated
        staff never learn (the rating itself keeps who gave or recorded it)."""
        return None if self.kind in ANONYMOUS_KINDS else self.actor

    @property
    def actor_name(self) -> str:
        """Who did it: the person, or the job that acts with nobody behind it (the deadline scan
        records breaches and closes resolved requests; seeded history has no actor either); a
        rating is the enterprise's, or the park's record of it."""
        if self.kind in ANONYMOUS_KINDS:
            from apps.satisfaction.texts import rater_name

            return rater_name(self)
        if self.actor is not None:
            return self.actor.display_name
        return str(_SYSTEM_ACTORS.get(self.kind, _("System")))

    @property
    def display_text(self) -> str:
        """The event's words in the reader's language: from `details` where the portal wrote
        them, else the text as the person wrote it."""
        details = self.details or {}
        if self.kind == EventKind.DEADLINE_BREACHED and "due" in details:
            due = timezone.localtime(datetime.fromisoformat(details["due"]))
            return _("Feedback was due %(due)s.") % {"due": due.strftime("%Y-%m-%d %H:%M")}
        if self.kind == EventKind.GREEN_CHANNEL and "green_channel" in details:
            label = _("Green channel on") if details["green_channel"] else _("Green channel off")
            return f"{label}: {details.get('reason', '')}"
        if self.kind == EventKind.CLOSED and details.get("automatic"):
            return str(_("Closed automatically after the resolution stood."))
        if self.kind in SATISFACTION_KINDS and details:
            from apps.satisfaction.texts import event_text

            return event_text(self)
        if self.kind in MEETING_KINDS and details:
            from apps.meetings.texts import event_text as meeting_text

            return meeting_text(self)
        if self.kind == EventKind.SHARED and "department" in details:
            names = details["department"]
            chinese = (translation.get_language() or "").startswith("zh") and names.get("zh")
            return f"{chinese or names['en']}: {details.get('reason', '')}"
        return self.text


class Message(models.Model):
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("body"), max_length=TEXT_MAX_LENGTH)
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="message_request_time")]

    def __str__(self) -> str:
        return f"{self.request_id} {'note' if self.internal else 'reply'} {self.pk}"


def private_storage() -> FileSystemStorage:
    """Files on disk outside any URL: read only by the permission-checked download view.
    A callable, so that migrations do not record this machine's path."""
    return FileSystemStorage(location=settings.PRIVATE_UPLOAD_ROOT, base_url=None)


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"requests/{now:%Y/%m}/{instance.request_id}/{filename}"


class Attachment(models.Model):
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(
        _("file"),
        upload_to=attachment_path,
        storage=private_storage,
        max_length=300,
    )
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="attachment_request_time"),
            # The upload quota sums sizes by uploader from this index alone.
            models.Index(fields=["uploaded_by", "size"], name="attachment_uploader_size"),
        ]

    def __str__(self) -> str:
        return self.name


class ReferenceSequence(models.Model):
    """The last number handed out per prefix and year; numbers are never handed out twice."""

    prefix = models.CharField(_("prefix"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="reference_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class RequestGroupObjectPermission(GroupObjectPermissionBase):
    """An explicit grant of one request to one organisation's group (guardian, direct foreign
    key): a request shared with an extra department. Visibility as a whole comes from the
    organisation tree, not from rows like these."""

    content_object = models.ForeignKey(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        verbose_name = _("request shared with a group")
        verbose_name_plural = _("requests shared with groups")
