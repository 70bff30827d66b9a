"""Consultation meetings on the pages: the request page's Meetings card (offer times, book one,
ask for another time, move or cancel it, record the minutes or a no-show) and the slots page
where officers and liaisons publish their times, one by one or as a weekly pattern.

Thin over apps/meetings: the forms collect what a person chose or typed, the actions decide
(who may, in which state, what is valid). A refusal comes back as a form error or a message on
the page, with what changed; a lost race for the last place shows the next free times.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.casework import rules as casework_rules
from apps.casework.errors import DomainError, NotPermitted
from apps.casework.models import REVIEW_STATES, Category, ServiceRequest
from apps.deadlines import calendar
from apps.meetings import actions, selectors, slots
from apps.meetings.models import OPEN_STATES, Meeting, MeetingState, Outcome, Slot
from apps.meetings.texts import when
from apps.organizations.models import User

from .forms import LimitedCharField


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _text(label: Any, *, required: bool, rows: int = 2) -> LimitedCharField:
    attrs: dict[str, Any] = {"rows": rows}
    if required:
        attrs["required"] = True
    # Never required on the server: the action refuses an empty reason in its own words.
    return LimitedCharField(
        label=label, max_length=actions.NOTE_MAX_LENGTH, required=False, widget=forms.Textarea(attrs=attrs)
    )


def _slot_choices(found: list[Slot]) -> list[tuple[str, str]]:
    full = _("(full)")
    return [
        (str(slot.pk), f"{when(slot.start, slot.end)} · {slot.place}" + ("" if slot.free else f" {full}"))
        for slot in found
    ]


class OfferForm(forms.Form):
    slots = forms.MultipleChoiceField(
        label=gettext_lazy("Times to offer"), required=False, widget=forms.CheckboxSelectMultiple
    )
    next_free = forms.BooleanField(label=gettext_lazy("Or offer our next free time"), required=False)
    note = _text(gettext_lazy("Note to the enterprise (optional)"), required=False)

    def __init__(self, *args: Any, free: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slots"].choices = _slot_choices(free)  # type: ignore[attr-defined]


class SlotChoiceForm(forms.Form):
    slot = forms.ChoiceField(label=gettext_lazy("Time"), required=False, widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = _slot_choices(choices)  # type: ignore[attr-defined]
        self.fields["slot"].widget.attrs["required"] = True


class BookForm(SlotChoiceForm):
    pass


class RescheduleForm(SlotChoiceForm):
    reason = _text(gettext_lazy("Why it moves"), required=True)


class ReasonForm(forms.Form):
    reason = _text(gettext_lazy("Reason"), required=True)


class MinutesForm(forms.Form):
    body = LimitedCharField(
        label=gettext_lazy("Minutes (会议纪要)"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "required": True}),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    internal = forms.BooleanField(label=gettext_lazy("Internal: not shown to the enterprise"), required=False)


class NoShowForm(forms.Form):
    note = _text(gettext_lazy("Note (optional)"), required=False)


FORMS: dict[str, type[forms.Form]] = {
    "book": BookForm,
    "another_time": ReasonForm,
    "reschedule": RescheduleForm,
    "cancel": ReasonForm,
    "minutes": MinutesForm,
    "no_show": NoShowForm,
}
LABELS: dict[str, Any] = {
    "book": gettext_lazy("Book this time"),
    "another_time": gettext_lazy("Ask for another time"),
    "reschedule": gettext_lazy("Move the meeting"),
    "cancel": gettext_lazy("Cancel the meeting"),
    "minutes": gettext_lazy("Record the minutes"),
    "no_show": gettext_lazy("Record a no-show"),
}
_DONE: dict[str, Any] = {
    "offer": gettext_lazy("Meeting offered: the enterprise is told and chooses a time."),
    "book": gettext_lazy("Meeting booked for %(time)s. An invitation is in your email and below."),
    "another_time": gettext_lazy("Sent: the unit is asked to offer other times."),
    "reschedule": gettext_lazy("Meeting moved to %(time)s: everyone is told."),
    "cancel": gettext_lazy("Meeting cancelled: everyone is told."),
    "minutes": gettext_lazy("Minutes recorded on the timeline."),
    "no_show": gettext_lazy("Recorded as missed."),
}


def _choices_for(meeting: Meeting, name: str) -> list[Slot]:
    """The times a form offers: for a booking, those offered (a full one too, so that a place
    lost since the page was loaded is the action's to refuse, with the next free times) and
    the unit's other free times; for a move, the unit's free times."""
    free = slots.free_slots(meeting.organization_id, limit=10)
    if name == "book":
        offered = [slot for slot in meeting.slots.all() if slot.start > timezone.now()]
        return offered + [slot for slot in free if slot not in offered]
    if name == "reschedule":
        return [slot for slot in free if slot.pk != meeting.slot_id]
    return []


def _form(meeting: Meeting, name: str, data: Any = None) -> forms.Form:
    cls = FORMS[name]
    prefix, auto_id = name, f"id_meeting{meeting.pk}_%s"
    if issubclass(cls, SlotChoiceForm):
        return cls(data, prefix=prefix, auto_id=auto_id, choices=_choices_for(meeting, name))
    return cls(data, prefix=prefix, auto_id=auto_id)


def _offered_actions(meeting: Meeting, user: User) -> list[str]:
    """The forms this person gets on this meeting, as the actions would allow them now."""
    now = timezone.now()
    guest, host = actions.is_guest(meeting, user), actions.is_holder(meeting, user)
    starts_at = meeting.starts_at
    booked = meeting.state == MeetingState.BOOKED and starts_at is not None
    before_notice = booked and now <= starts_at - actions.change_notice()  # type: ignore[operator]
    found: list[str] = []
    if meeting.state == MeetingState.PROPOSED and guest:
        found += ["book", "another_time"]
    if before_notice and (guest or host):
        found.append("reschedule")
    if (meeting.state == MeetingState.PROPOSED or before_notice) and (guest or host):
        found.append("cancel")
    if booked and host and now >= starts_at:  # type: ignore[operator]
        found += ["minutes", "no_show"]
    return found


def _entry(meeting: Meeting, user: User, sent: dict[str, Any]) -> dict[str, Any]:
    offered = _offered_actions(meeting, user)
    return {
        "m": meeting,
        "slot_times": [
            {"slot": slot, "when": when(slot.start, slot.end), "free": slot.free}
            for slot in meeting.slots.all()
        ],
        "booked_when": when(meeting.starts_at, meeting.ends_at) if meeting.starts_at else "",
        "minutes_shown": not (meeting.minutes_internal and user.is_enterprise),
        "forms": [
            {
                "name": name,
                "label": LABELS[name],
                "form": sent.get(f"{name}-{meeting.pk}") or _form(meeting, name),
            }
            for name in offered
        ],
        "open_form": sent.get("open", ""),
        "ics": meeting.slot_id is not None,  # booked once: held, moved or cancelled since
    }


def _may_offer(service_request: ServiceRequest, user: User) -> bool:
    return service_request.state in REVIEW_STATES and casework_rules.may_act_for_tier(service_request, user)


def _offerable_slots(service_request: ServiceRequest) -> list[Slot]:
    return list(
        Slot.objects.filter(organization_id__in=actions.holding_units(service_request))
        .filter(slots.free())
        .order_by("start", "pk")[:20]
    )


def detail_context(
    request: HttpRequest, service_request: ServiceRequest, sent: dict[str, Any]
) -> dict[str, Any]:
    """The Meetings card of the request page, for this user. `sent`: forms that came back with
    errors, by name and meeting ("book-12"), or "offer"; `next_free`: the times shown after a
    lost race for the last place."""
    user = _user(request)
    found = list(selectors.request_meetings(service_request))
    offer_form = None
    if _may_offer(service_request, user) and not any(m.state in OPEN_STATES for m in found):
        offer_form = sent.get("offer") or OfferForm(prefix="offer", free=_offerable_slots(service_request))
    if not found and offer_form is None:
        return {"meetings_card": None}
    booked = next((m for m in found if m.state == MeetingState.BOOKED and m.starts_at), None)
    return {
        "meetings_card": {
            # The booked meeting's time, for the tracker's current tier.
            "booked": when(booked.starts_at) if booked and booked.starts_at else "",
            "entries": [_entry(meeting, user, sent) for meeting in found],
            "offer_form": offer_form,
            "slots_url": reverse("slots") if user.role in slots.HOSTS else "",
            "next_free": sent.get("next_free", []),
        }
    }


def _detail(
    request: HttpRequest, service_request: ServiceRequest, sent: dict[str, Any], status: int
) -> HttpResponse:
    from . import views

    context = views._detail_context(request, service_request, meetings=sent)
    return render(request, "web/request_detail.html", context, status=status)


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("request-detail", kwargs={"pk": pk}) + "#meetings")


@login_required
@require_POST
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    from . import views

    service_request = views._visible(request, pk)
    user = _user(request)
    form = OfferForm(request.POST, prefix="offer", free=_offerable_slots(service_request))
    if form.is_valid():
        chosen = [int(pk) for pk in form.cleaned_data["slots"]]
        if not chosen and not form.cleaned_data["next_free"]:
            form.add_error("slots", _("Choose at least one time to offer."))
        else:
            try:
                actions.offer(
                    service_request,
                    actor=user,
                    slots=chosen,
                    next_free=form.cleaned_data["next_free"],
                    note=form.cleaned_data["note"],
                )
            except NotPermitted as error:
                messages.error(request, error.message)
                return _back(pk)
            except DomainError as error:
                views._form_errors(form, error)
            else:
                messages.success(request, str(_DONE["offer"]))
                return _back(pk)
    return _detail(request, service_request, {"offer": form}, 400)


@login_required
@require_POST
def meeting_act(request: HttpRequest, pk: int, meeting_id: int, name: str) -> HttpResponse:
    """Book, ask for another time, move, cancel, record the minutes or a no-show."""
    from . import views

    service_request = views._visible(request, pk)
    if name not in FORMS:
        raise Http404
    meeting = selectors.request_meetings(service_request).filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404(_("No such meeting."))
    user = _user(request)
    form = _form(meeting, name, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        if "slot" in data:
            data["slot"] = int(data["slot"]) if str(data["slot"]).isdigit() else data["slot"]
        try:
            done = _do(meeting, name, user, data)
        except actions.SlotFull as full:
            messages.error(request, full.message)
            fresh = selectors.request_meetings(service_request).get(pk=meeting.pk)
            return _detail(
                request,
                service_request,
                {f"{name}-{meeting.pk}": _form(fresh, name), "open": name, "next_free": full.next_free},
                409,
            )
        except NotPermitted as error:
            messages.error(request, error.message)
            return _back(pk)
        except DomainError as error:
            if error.fields:
                views._form_errors(form, error)
            else:
                messages.error(request, error.message)
                return _back(pk)
        else:
            messages.success(request, done)
            return _back(pk)
    return _detail(request, service_request, {f"{name}-{meeting.pk}": form, "open": name}, 400)


def _do(meeting: Meeting, name: str, user: User, data: dict[str, Any]) -> str:
    if name == "book":
        booked = actions.book(meeting, actor=user, slot=data["slot"])
        return str(_DONE["book"]) % {"time": when(booked.starts_at, booked.ends_at)}  # type: ignore[arg-type]
    if name == "another_time":
        actions.ask_another_time(meeting, actor=user, reason=data["reason"])
    elif name == "reschedule":
        moved = actions.reschedule(meeting, actor=user, slot=data["slot"], reason=data["reason"])
        return str(_DONE["reschedule"]) % {"time": when(moved.starts_at, moved.ends_at)}  # type: ignore[arg-type]
    elif name == "cancel":
        actions.cancel(meeting, actor=user, reason=data["reason"])
    elif name == "minutes":
        actions.record_minutes(
            meeting, actor=user, body=data["body"], outcome=data["outcome"], internal=data["internal"]
        )
    else:
        actions.record_no_show(meeting, actor=user, note=data["note"])
    return str(_DONE[name])


# --- the slots page ------------------------------------------------------------------------------
class SlotForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date", "required": True})
    )
    start = forms.TimeField(
        label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time", "required": True})
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("Length (minutes)"),
        initial=30,
        min_value=slots.MIN_MINUTES,
        max_value=slots.MAX_MINUTES,
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Places"), initial=1, min_value=1, max_value=slots.MAX_CAPACITY
    )
    place = LimitedCharField(
        label=gettext_lazy("Place or video link"), max_length=slots.PLACE_MAX_LENGTH, required=False
    )
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Topics (none: any)"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


# The days' short names, ours in both languages (Django's Chinese for "Sat" is 星期六 beside
# our 周一 for "Mon"): the week's headings and the pattern's weekdays.
DAY_NAMES = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]
WEEKDAYS = [(str(n), name) for n, name in enumerate(DAY_NAMES[:5])]


class PatternForm(forms.Form):
    weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("Every"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )
    first_day = forms.DateField(
        label=gettext_lazy("From the day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label=gettext_lazy("To the day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    day_start = forms.TimeField(
        label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    day_end = forms.TimeField(label=gettext_lazy("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(
        label=gettext_lazy("Each slot (minutes)"),
        initial=30,
        min_value=slots.MIN_MINUTES,
        max_value=slots.MAX_MINUTES,
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Places"), initial=1, min_value=1, max_value=slots.MAX_CAPACITY
    )
    place = LimitedCharField(
        label=gettext_lazy("Place or video link"), max_length=slots.PLACE_MAX_LENGTH, required=False
    )
    skip = LimitedCharField(
        label=gettext_lazy("Except these days"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Dates to leave out, e.g. 2026-12-15, 2026-12-22"),
    )


def _week_start(value: str | None) -> date:
    today = timezone.localdate()
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _week(user: User, monday: date) -> list[dict[str, Any]]:
    found = selectors.slots_between(selectors.visible_slots(user), monday, monday + timedelta(days=6))
    by_day: dict[date, list[Slot]] = {}
    for slot in found.filter(cancelled_at=None).order_by("start", "pk"):
        by_day.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    days = calendar.days_between(monday, monday + timedelta(days=6))
    return [
        {"day": day, "name": DAY_NAMES[day.date.weekday()], "slots": by_day.get(day.date, [])} for day in days
    ]


@login_required
def slots_page(request: HttpRequest) -> HttpResponse:
    """The week of the organisation's slots, and the forms to publish more."""
    user = _user(request)
    if not (user.is_superuser or user.role in slots.HOSTS):
        raise Http404
    monday = _week_start(request.GET.get("week") or request.POST.get("week"))
    slot_form, pattern_form, status = SlotForm(prefix="slot"), PatternForm(prefix="pattern"), 200
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind == "slot":
            slot_form = SlotForm(request.POST, prefix="slot")
            if _publish_one(request, user, slot_form):
                return redirect(f"{reverse('slots')}?week={monday.isoformat()}")
        elif kind == "pattern":
            pattern_form = PatternForm(request.POST, prefix="pattern")
            if _publish_pattern(request, user, pattern_form):
                return redirect(f"{reverse('slots')}?week={monday.isoformat()}")
        elif kind == "withdraw":
            _withdraw(request, user)
            return redirect(f"{reverse('slots')}?week={monday.isoformat()}")
        status = 400
    context = {
        "week": _week(user, monday),
        "monday": monday,
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "slot_form": slot_form,
        "pattern_form": pattern_form,
        "may_publish": user.role in slots.HOSTS,
        "now": timezone.now(),
    }
    return render(request, "web/slots.html", context, status=status)


def _publish_one(request: HttpRequest, user: User, form: SlotForm) -> bool:
    from . import views

    if not form.is_valid():
        return False
    data = form.cleaned_data
    start = timezone.make_aware(datetime.combine(data["day"], data["start"]))
    try:
        slot = slots.publish_slot(
            actor=user,
            start=start,
            minutes=data["minutes"],
            capacity=data["capacity"],
            place=data["place"],
            categories=data["categories"],
        )
    except NotPermitted as error:
        messages.error(request, error.message)
        return True
    except DomainError as error:
        views._form_errors(form, error)
        return False
    messages.success(request, _("Slot published: %(time)s.") % {"time": when(slot.start, slot.end)})
    return True


def _publish_pattern(request: HttpRequest, user: User, form: PatternForm) -> bool:
    from . import views

    if not form.is_valid():
        return False
    data = dict(form.cleaned_data)
    try:
        result = slots.publish_pattern(actor=user, **data)
    except NotPermitted as error:
        messages.error(request, error.message)
        return True
    except DomainError as error:
        views._form_errors(form, error)
        return False
    said = _("%(count)d slots published.") % {"count": len(result.published)}
    if result.skipped:
        said += " " + _("Left out: %(days)s.") % {"days": "; ".join(result.skipped)}
    messages.success(request, said)
    return True


def _withdraw(request: HttpRequest, user: User) -> None:
    pk = request.POST.get("slot", "")
    slot = selectors.visible_slots(user).filter(pk=pk).first() if pk.isdigit() else None
    if slot is None:
        messages.error(request, _("No such slot."))
        return
    try:
        slots.cancel_slot(slot, actor=user)
    except DomainError as error:
        messages.error(request, error.message)
        return
    messages.success(request, _("Slot withdrawn: %(time)s.") % {"time": when(slot.start, slot.end)})
