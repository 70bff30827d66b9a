"""A small lived-in world: about forty requests with a few weeks of history, so that every
demo role's home has work on first sign-in and the page tests see what people see.

Nothing here writes a row by hand. The history is played through the real actions while the
clock travels (time-machine) from some working days ago up to now, and the real deadline scan
runs at fixed moments of every day on the way, so reminders, breaches and automatic closes
happen when they would have. Only the story (who does what, when) is written down below.

`build()` is idempotent: when the world's first request exists already it returns the world
as it stands and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from apps.deadlines import calendar
from apps.deadlines.calendar import SHANGHAI
from apps.deadlines.scan import scan
from apps.meetings import actions as meetings
from apps.meetings import slots as slot_rules
from apps.meetings.models import Meeting, Slot
from apps.organizations import demo
from apps.organizations.models import KeyProject, Organization, User
from apps.satisfaction import actions as satisfaction
from apps.satisfaction.models import Rectification

from . import actions
from .models import ServiceRequest

# When the periodic scan runs on each day of the history (Shanghai time). Beat runs it every
# few minutes; the history needs only the moments where something can happen: a reminder
# (2 working hours before a deadline at noon or 18:00), a breach just after either, and on days
# off the automatic close of what was resolved a week before.
SCAN_CLOCKS = [time(11, 0), time(12, 30), time(16, 30), time(18, 30)]
SCAN_CLOCKS_DAY_OFF = [time(12, 30)]
# The furthest working day after today a meeting of the stories is on.
MEETING_DAYS_AHEAD = 4


@dataclass(frozen=True)
class When:
    """A moment of the history: `days_ago` working days before today at `clock`, or
    `minutes_ago` before now; or, for the time of a meeting, `days_ahead` working days after
    today at `clock`."""

    days_ago: int = 0
    clock: str = ""
    minutes_ago: int = 0
    days_ahead: int = 0


def d(days_ago: int, clock: str) -> When:
    return When(days_ago=days_ago, clock=clock)


def ago(minutes: int) -> When:
    return When(minutes_ago=minutes)


def ahead(days: int, clock: str) -> When:
    return When(days_ahead=days, clock=clock)


Step = tuple[Any, ...]  # (When, verb, username, *arguments)


@dataclass(frozen=True)
class Story:
    key: str
    by: str
    filed: When
    title: str
    description: str
    category: str
    product_type: str
    enterprise: str | None = None  # demo org key, when a liaison files it
    key_project: str | None = None  # the key project's name
    submit: bool = True
    steps: list[Step] = field(default_factory=list)


# --- the story ----------------------------------------------------------------------------------
KP_PREGENE = "PRG-1801 anti-BCMA CAR-T clinical trial"
KP_WYTD = "AI ECG analysis software registration"
KP_ASCENTAWITS = "AST-3424 hypoxia-activated prodrug"
KP_ACCEL = "Implantable cardiac monitor pilot line"

STORIES: list[Story] = [
    # Drafts, not yet filed.
    Story(
        "draft",
        "ent_pregene",
        d(1, "15:20"),
        "Stability study design for the PRG-1801 lentiviral vector",
        "Draft: we want to confirm which stability time points the clinical-stage vector needs.",
        "rnd",
        "biologic",
        submit=False,
    ),
    Story(
        "draft_by_liaison",
        "liaison_accel",
        ago(35),
        "Cleanroom class for the Huanyu IVD reagent line",
        "Draft prepared with the enterprise: which cleanroom class the reagent filling line needs.",
        "site_equipment",
        "ivd",
        enterprise="accel2",
        submit=False,
    ),
    # Park review.
    Story(
        "park_new",
        "ent_ascentawits",
        ago(40),
        "Import permit for AST-3424 reference standard",
        "We need to import 5 g of the AST-3424 reference standard for release testing. "
        "Which permit applies and how long does it take?",
        "registration",
        "drug",
    ),
    Story(
        "park_claimed",
        "ent_wytd",
        ago(95),
        "Cybersecurity documentation for the ECG algorithm update",
        "Our software update changes the arrhythmia model. Which cybersecurity documents must the "
        "change filing contain?",
        "compliance",
        "ai_medical_device",
        steps=[(ago(60), "claim", "liaison_sbip")],
    ),
    Story(
        "park_conversation",
        "ent_accel1",
        d(2, "10:00"),
        "Sterilisation validation for the cardiac monitor housing",
        "The housing is sterilised with ethylene oxide. Can we reuse the validation of our earlier device?",
        "registration",
        "medical_device",
        steps=[
            (
                d(2, "15:00"),
                "respond",
                "liaison_accel",
                "Reuse is possible when the material and load are equivalent; send the comparison.",
            ),
            (d(1, "10:10"), "reply", "ent_accel1", "Thank you, the comparison table follows this week."),
            (d(1, "10:40"), "attach", "ent_accel1", "eo-validation-comparison.csv"),
            (d(1, "11:00"), "note", "liaison_accel", "Check with the district bureau if the table is thin."),
        ],
    ),
    Story(
        "breached",
        "ent_pregene2",
        d(4, "10:15"),
        "Waste handling for viral vector production",
        "Who approves the disposal route for biological waste from the vector production suite?",
        "site_equipment",
        "biologic",
        steps=[
            (
                d(2, "09:30"),
                "note",
                "liaison_sbip2",
                "Missed this one: asking the property office today.",
            ),
        ],
    ),
    Story(
        "park_due_today",
        "ent_accel1",
        d(1, "14:00"),
        "Labelling of the cardiac monitor's patient card",
        "Must the implant card carry the UDI in both Chinese and English?",
        "registration",
        "medical_device",
    ),
    Story(
        "returned",
        "ent_pregene2",
        d(7, "09:00"),
        "Power supply for the new cleanroom in building 3",
        "The cleanroom in building 3 needs a second power feed before GMP inspection.",
        "site_equipment",
        "biologic",
        steps=[
            (d(7, "09:30"), "claim", "liaison_sbip"),
            (
                d(7, "10:30"),
                "escalate",
                "liaison_sbip",
                "The feed needs the district's approval for the substation works.",
            ),
            (
                d(7, "15:00"),
                "return",
                "officer_ps_msb",
                "This is a park facilities matter: the park's property office applies for the feed; "
                "the bureau approves the substation once it has the park's application.",
            ),
            (
                d(6, "10:00"),
                "respond",
                "liaison_sbip",
                "The property office files the application on Friday; we will keep you posted.",
            ),
        ],
    ),
    Story(
        "info_requested",
        "ent_accel1",
        d(3, "10:00"),
        "Classification of the wearable ECG patch",
        "Is our wearable ECG patch a class II or class III device?",
        "registration",
        "medical_device",
        steps=[
            (
                d(3, "14:00"),
                "ask",
                "liaison_accel",
                "Please send the intended use statement and whether the patch raises alarms.",
            ),
        ],
    ),
    Story(
        "withdrawn",
        "ent_pregene2",
        d(5, "11:00"),
        "Parking for the clinical trial courier",
        "The courier collecting trial samples has no place to park at building 2.",
        "other",
        "other",
        steps=[(d(4, "09:20"), "withdraw", "ent_pregene2", "Solved with the building manager.")],
    ),
    Story(
        "withdrawn_from_district",
        "ent_wytd",
        d(6, "09:40"),
        "Subsidy for the AI training data platform",
        "Does the district innovation subsidy cover annotation of ECG training data?",
        "policy",
        "ai_medical_device",
        steps=[
            (d(6, "11:00"), "escalate", "liaison_sbip", "Subsidy rules are the STI bureau's."),
            (d(5, "09:10"), "withdraw", "ent_wytd", "We applied through the municipal programme instead."),
        ],
    ),
    # Resolved at the park, closed by the enterprise, closed by the scan.
    Story(
        "resolved_park",
        "ent_ascentawits",
        d(3, "09:10"),
        "Meeting room for the investigator meeting",
        "Can we book the park's conference centre for 60 people on a working day?",
        "other",
        "other",
        steps=[
            (
                d(3, "11:00"),
                "resolve",
                "liaison_sbip",
                "Booked for you; the conference centre is free for park enterprises.",
            )
        ],
    ),
    Story(
        "closed_by_enterprise",
        "ent_wytd",
        d(8, "10:00"),
        "Address change on the production licence",
        "We moved production to unit 5. How do we update the licence address?",
        "registration",
        "ai_medical_device",
        steps=[
            (d(8, "11:30"), "escalate", "liaison_sbip", "Licence changes are the bureau's."),
            (d(8, "14:00"), "claim", "officer_ps_msb"),
            (
                d(7, "10:00"),
                "resolve",
                "officer_ps_msb",
                "File the change online with the new lease; the bureau inspects within ten days.",
            ),
            (d(6, "09:30"), "close", "ent_wytd"),
        ],
    ),
    Story(
        "auto_closed",
        "ent_pregene",
        d(14, "09:30"),
        "Cold-chain requirements for trial samples",
        "Which temperature records must accompany the trial samples we send to the central lab?",
        "clinical_trial",
        "biologic",
        steps=[
            (d(14, "11:00"), "escalate", "liaison_sbip", "Needs the bureau's reading of the GCP annex."),
            (d(14, "15:00"), "claim", "officer_ps_msb"),
            (
                d(13, "11:00"),
                "resolve",
                "officer_ps_msb",
                "Continuous records from packing to receipt, with the calibration certificate of "
                "the logger; the annex allows electronic records.",
            ),
        ],
    ),
    Story(
        "auto_closed_park",
        "ent_accel1",
        d(13, "10:00"),
        "Visitor badges for the notified-body auditors",
        "Three auditors visit next week; how do they get badges?",
        "other",
        "other",
        steps=[(d(13, "10:45"), "resolve", "liaison_accel", "Badges wait at the east gate.")],
    ),
    # District review.
    Story(
        "district_new",
        "ent_pregene",
        ago(240),
        "Change of clinical trial site for PRG-1801",
        "One investigator site closes; may we move the remaining patients to a new site before "
        "the ethics approval of the amendment?",
        "clinical_trial",
        "biologic",
        steps=[(ago(120), "escalate", "liaison_sbip", "Site changes need the bureau's view.")],
    ),
    Story(
        "reminded",
        "ent_ascentawits",
        d(2, "09:20"),
        "GMP certificate for the contract manufacturer",
        "Our contract manufacturer's certificate expires in March; can we keep filing batches?",
        "compliance",
        "drug",
        steps=[
            (d(2, "14:00"), "escalate", "liaison_sbip", "Certificate questions go to the bureau."),
            (d(2, "15:00"), "assign", "supervisor_ps_msb", "officer_ps_msb2"),
            (
                d(1, "17:10"),
                "respond",
                "officer_ps_msb2",
                "Batches made before expiry may be released; file the renewal now to avoid a gap.",
            ),
            (
                d(1, "17:15"),
                "note",
                "officer_ps_msb2",
                "Renewal application not yet in our system; follow up on Monday.",
            ),
        ],
    ),
    Story(
        "breached_then_answered",
        "ent_wytd",
        d(5, "10:00"),
        "Clinical evaluation route for the AI ECG module",
        "Can the AI ECG module be evaluated with retrospective data instead of a clinical trial?",
        "rnd",
        "ai_medical_device",
        steps=[
            (d(5, "16:00"), "escalate", "liaison_sbip", "Research questions go to the STI bureau."),
            (d(3, "09:30"), "claim", "officer_ps_sti"),
            (
                d(3, "10:00"),
                "respond",
                "officer_ps_sti",
                "Retrospective data is accepted when the sample covers the intended population; "
                "we arrange a call with the evaluation centre.",
            ),
        ],
    ),
    Story(
        "info_provided",
        "ent_pregene",
        d(6, "10:00"),
        "Protocol amendment for PRG-1801 phase II",
        "We need guidance on filing the amendment that changes the dosing schedule.",
        "clinical_trial",
        "biologic",
        steps=[
            (d(6, "15:00"), "escalate", "liaison_sbip", "The amendment route is the bureau's call."),
            (d(6, "16:00"), "claim", "officer_ps_msb"),
            (
                d(5, "11:00"),
                "ask",
                "officer_ps_msb",
                "Please send the current and amended dosing tables and the DSMB's opinion.",
            ),
            (
                d(5, "16:00"),
                "provide",
                "ent_pregene",
                "Attached: both dosing tables; the DSMB's opinion is in section 4.",
            ),
            (d(5, "16:05"), "attach", "ent_pregene", "prg-1801-dosing-tables.pdf"),
            (
                d(4, "10:00"),
                "respond",
                "officer_ps_msb",
                "Thank you; this is a substantial amendment. We draft the filing checklist for you.",
            ),
            (d(4, "10:10"), "note", "officer_ps_msb", "Checklist owed by Thursday."),
        ],
    ),
    Story(
        "shared",
        "ent_ascentawits",
        d(4, "09:40"),
        "Compliance check for the AST-3424 innovation subsidy",
        "The subsidy requires a compliance certificate; which bureau issues it for a drug in trial?",
        "compliance",
        "drug",
        steps=[
            (d(4, "11:00"), "escalate", "liaison_sbip", "For the market supervision bureau."),
            (
                d(3, "09:45"),
                "share",
                "officer_ps_msb",
                "ps_sti",
                "The STI bureau runs the subsidy this certificate is for.",
            ),
            (
                d(3, "10:30"),
                "respond",
                "officer_ps_msb",
                "We issue the certificate; the STI bureau confirms the subsidy conditions.",
            ),
            (d(3, "14:00"), "note", "officer_ps_sti", "Subsidy round closes on the 20th."),
        ],
    ),
    Story(
        "green_channel_set",
        "ent_accel1",
        d(2, "09:00"),
        "Pre-inspection of the pilot line before the notified body visit",
        "Could the bureau pre-inspect the pilot line before the notified body's audit?",
        "site_equipment",
        "medical_device",
        steps=[
            (
                d(2, "09:30"),
                "green",
                "liaison_accel",
                "The audit date is fixed; the district asked us to fast-track pilot lines.",
            ),
            (d(2, "10:00"), "escalate", "liaison_accel", "Pre-inspections are the bureau's."),
        ],
    ),
    Story(
        "green_key_breached",
        "ent_pregene",
        d(1, "10:00"),
        "Release testing of the CAR-T batch for patient 17",
        "The batch for patient 17 is ready; may the QP release it before the sterility result, "
        "under the key project's conditional release?",
        "clinical_trial",
        "biologic",
        key_project=KP_PREGENE,
        steps=[
            (d(1, "11:30"), "escalate", "liaison_sbip", "Key project: conditional release needs the bureau."),
            (
                ago(50),
                "respond",
                "officer_ps_msb",
                "Conditional release is allowed under the key project's plan; record it in the batch file.",
            ),
        ],
    ),
    Story(
        "reopened",
        "ent_pregene",
        d(9, "09:30"),
        "Import of the apheresis kits",
        "Do the apheresis kits for the trial need a separate import registration?",
        "clinical_trial",
        "medical_device",
        steps=[
            (d(9, "11:00"), "escalate", "liaison_sbip", "Device import is the bureau's."),
            (d(9, "14:00"), "claim", "officer_ps_msb"),
            (d(8, "10:30"), "resolve", "officer_ps_msb", "No: kits used in an approved trial are exempt."),
            (
                d(7, "09:40"),
                "reopen",
                "ent_pregene",
                "Customs refused the exemption without a letter from the bureau.",
            ),
            (
                d(3, "11:00"),
                "respond",
                "officer_ps_msb",
                "We issue the letter; collect it at the service window or download it here.",
            ),
            (d(3, "11:05"), "attach", "officer_ps_msb", "exemption-letter.pdf"),
        ],
    ),
    Story(
        "resolved_district",
        "ent_wytd",
        d(3, "09:00"),
        "Registration testing slot for the AI ECG software",
        "The testing centre's next slot is in four months; is there a faster route?",
        "registration",
        "ai_medical_device",
        key_project=KP_WYTD,
        steps=[
            (d(3, "09:45"), "escalate", "liaison_sbip", "Key project: testing capacity."),
            (
                d(2, "16:00"),
                "resolve",
                "officer_ps_msb",
                "The centre keeps slots for key projects; yours is booked for the 12th.",
            ),
        ],
    ),
    Story(
        "district_sti_policy",
        "ent_pregene2",
        d(1, "09:15"),
        "Talent housing for two new process engineers",
        "Do engineers hired from abroad qualify for the district's talent housing?",
        "policy",
        "other",
        steps=[(d(1, "10:00"), "escalate", "liaison_sbip2", "Talent policy sits with the STI bureau.")],
    ),
    Story(
        "long_title",
        "ent_wytd",
        ago(180),
        "Whether the retrospective multi-centre ECG dataset collected under the earlier research "
        "agreement may be reused for the registration submission",
        "The dataset was collected for research; the consent forms mention further research use only.",
        "compliance",
        "ai_medical_device",
        steps=[(ago(150), "escalate", "liaison_sbip", "Data reuse for registration: the bureau's call.")],
    ),
    # Municipal review.
    Story(
        "municipal",
        "ent_pregene",
        d(6, "09:00"),
        "Marketing authorisation holder change for the PRG-1801 vector",
        "We plan to transfer the vector's marketing authorisation to our subsidiary.",
        "registration",
        "biologic",
        steps=[
            (d(6, "11:00"), "escalate", "liaison_sbip", "MAH changes go to the bureau."),
            (d(6, "14:00"), "claim", "officer_ps_msb"),
            (d(5, "10:00"), "escalate", "officer_ps_msb", "MAH transfers are decided by the city."),
            (d(5, "15:00"), "claim", "officer_sz_amr"),
            (
                d(4, "11:00"),
                "respond",
                "officer_sz_amr",
                "The transfer needs both companies' quality agreements; we review them together.",
            ),
        ],
    ),
    Story(
        "municipal_new",
        "ent_ascentawits",
        d(1, "09:10"),
        "Expanded access for AST-3424 patients",
        "Patients finishing the trial ask to continue treatment; may we supply under expanded access?",
        "clinical_trial",
        "drug",
        key_project=KP_ASCENTAWITS,
        steps=[
            (d(1, "09:40"), "escalate", "liaison_sbip", "Key project: expanded access."),
            (d(1, "11:00"), "escalate", "officer_ps_msb", "Expanded access needs the city's position."),
            (ago(45), "claim", "officer_sz_amr"),
        ],
    ),
    Story(
        "returned_by_city",
        "ent_ascentawits",
        d(5, "09:30"),
        "On-site check of the new QC laboratory",
        "Our QC laboratory moved; must the city inspect before we test commercial batches?",
        "compliance",
        "drug",
        steps=[
            (d(5, "10:30"), "escalate", "liaison_sbip", "Laboratory moves are the bureau's."),
            (d(5, "14:30"), "escalate", "officer_ps_msb", "The city inspects QC laboratories."),
            (
                d(4, "10:00"),
                "return",
                "officer_sz_amr",
                "The district bureau does the first on-site check; we follow with the record.",
            ),
            (d(4, "15:00"), "respond", "officer_ps_msb", "On-site check booked for Wednesday."),
        ],
    ),
    Story(
        "resolved_municipal",
        "ent_accel1",
        d(5, "09:00"),
        "Advertising review for the cardiac monitor brochure",
        "Does the patient brochure need an advertising approval number?",
        "compliance",
        "medical_device",
        steps=[
            (d(5, "10:00"), "escalate", "liaison_accel", "Advertising approvals are the bureau's."),
            (d(5, "15:00"), "escalate", "officer_ps_msb", "The city issues advertising approvals."),
            (
                d(2, "11:00"),
                "resolve",
                "officer_sz_amr",
                "Patient information handed out by doctors is not advertising; no number is needed.",
            ),
        ],
    ),
    # Provincial review.
    Story(
        "green_key",
        "ent_wytd",
        d(8, "09:30"),
        "Priority review of the AI ECG software registration",
        "Our registration file is complete; may it enter the priority review for innovative devices?",
        "registration",
        "ai_medical_device",
        key_project=KP_WYTD,
        steps=[
            (d(8, "09:35"), "attach", "ent_wytd", "ai-ecg-summary.pdf"),
            (d(8, "11:00"), "escalate", "liaison_sbip", "Key project: priority review."),
            (d(8, "16:00"), "escalate", "officer_ps_msb", "Priority review is decided by the province."),
            (d(7, "10:30"), "escalate", "officer_sz_amr", "Forwarded with the city's support letter."),
            (d(7, "14:00"), "claim", "officer_gd_mpa"),
            (
                d(7, "15:00"),
                "respond",
                "officer_gd_mpa",
                "The file qualifies; the innovation office contacts you for the pre-review meeting.",
            ),
            (
                d(7, "15:10"),
                "note",
                "officer_gd_mpa",
                "Innovation office informed; meeting within two weeks.",
            ),
        ],
    ),
    Story(
        "provincial_breached",
        "ent_accel1",
        d(4, "09:00"),
        "Clinical trial exemption for the cardiac monitor",
        "Is the monitor on the list of devices exempt from clinical trials?",
        "registration",
        "medical_device",
        key_project=KP_ACCEL,
        steps=[
            (d(4, "09:30"), "escalate", "liaison_accel", "Key project: exemption list."),
            (d(4, "11:00"), "escalate", "officer_ps_msb", "The exemption list is the province's."),
            (d(4, "14:00"), "escalate", "officer_sz_amr", "For the province."),
        ],
    ),
    Story(
        "resolved_provincial",
        "ent_pregene",
        d(10, "09:30"),
        "GMP inspection schedule for the commercial CAR-T plant",
        "When can the province inspect our commercial plant?",
        "registration",
        "biologic",
        steps=[
            (d(10, "10:00"), "escalate", "liaison_sbip", "Inspection scheduling: the bureau."),
            (d(10, "14:00"), "escalate", "officer_ps_msb", "GMP inspections are the province's."),
            (d(9, "10:00"), "escalate", "officer_sz_amr", "For the province's inspection plan."),
            (
                d(2, "10:00"),
                "resolve",
                "officer_gd_mpa",
                "Inspection scheduled for the first week of next month.",
            ),
            (
                d(1, "11:00"),
                "rate",
                "ent_pregene",
                4,
                "Thank you; a date this month would have helped our plan.",
            ),
        ],
    ),
    Story(
        "provincial_info",
        "ent_ascentawits",
        d(3, "09:20"),
        "Orphan drug designation for AST-3424",
        "Does the province support orphan designation for the T-ALL indication?",
        "policy",
        "drug",
        steps=[
            (d(3, "10:00"), "escalate", "liaison_sbip", "Designation policy: the STI bureau."),
            (d(3, "14:00"), "escalate", "officer_ps_sti", "Designations are the province's."),
            (d(2, "10:00"), "escalate", "officer_sz_amr", "For the province."),
            (
                d(1, "10:00"),
                "ask",
                "officer_gd_mpa",
                "Please send the prevalence estimate and its sources.",
            ),
        ],
    ),
    # 好差评: ratings of resolutions, bad reviews and what became of them. (Ratings left unrated
    # are there too: "auto_closed" and "auto_closed_park" were defaulted to 5 by the scan,
    # "resolved_park" and "resolved_district" still wait for theirs.)
    Story(
        "rated_five",
        "ent_pregene",
        d(7, "09:30"),
        "Labelling of the investigational product cartons",
        "Must the cartons of the investigational product carry the trial number in Chinese and English?",
        "clinical_trial",
        "biologic",
        steps=[
            (d(7, "10:30"), "escalate", "liaison_sbip", "Labelling of investigational products: the bureau."),
            (d(7, "14:00"), "claim", "officer_ps_msb"),
            (
                d(6, "10:00"),
                "resolve",
                "officer_ps_msb",
                "Both languages; the template in annex 3 of the GCP labelling guidance fits your cartons.",
            ),
            (
                d(6, "15:00"),
                "rate",
                "ent_pregene",
                5,
                "A clear answer by the next day, with the template we needed.",
            ),
        ],
    ),
    Story(
        "rated_by_liaison",
        "ent_wytd",
        d(6, "09:00"),
        "Fire inspection of the new server room",
        "The server room for the ECG platform is finished; who books the fire inspection?",
        "site_equipment",
        "ai_medical_device",
        steps=[
            (
                d(6, "11:00"),
                "resolve",
                "liaison_sbip",
                "The park's property office books it for you; your slot is next Tuesday morning.",
            ),
            (
                d(4, "16:00"),
                "rate",
                "liaison_sbip",
                4,
                "Recorded after a phone call: satisfied, would have liked an earlier slot.",
            ),
        ],
    ),
    Story(
        "bad_review_rectified",
        "ent_ascentawits",
        d(10, "09:30"),
        "Retention samples of the AST-3424 clinical batches",
        "How many retention samples of each clinical batch must we keep, and for how long?",
        "compliance",
        "drug",
        steps=[
            (
                d(10, "10:30"),
                "escalate",
                "liaison_sbip",
                "Retention samples: the bureau's reading of the GMP annex.",
            ),
            (d(10, "14:00"), "claim", "officer_ps_msb"),
            (
                d(9, "10:00"),
                "resolve",
                "officer_ps_msb",
                "Keep the samples the GMP annex on investigational products requires.",
            ),
            (
                d(9, "15:00"),
                "rate",
                "ent_ascentawits",
                1,
                "The answer only points to the annex we had already read; it does not say how many samples.",
            ),
            (
                d(7, "15:00"),
                "rectify",
                "officer_ps_msb",
                "We wrote out the number of samples for each batch size and how long to keep them, "
                "with the annex's paragraphs, and sent it to the enterprise.",
                "phone",
                "The head of QA confirmed the table answers the question.",
            ),
            (d(6, "10:00"), "rate_fix", "ent_ascentawits", 4, "The table was what we needed."),
        ],
    ),
    Story(
        "appeal_set_aside",
        "ent_pregene2",
        d(9, "10:00"),
        "Signage for the reagent store",
        "Which warning signs must the store for the vector reagents carry?",
        "compliance",
        "biologic",
        steps=[
            (d(9, "11:00"), "escalate", "liaison_sbip2", "Safety signage: the bureau."),
            (
                d(8, "11:00"),
                "resolve",
                "officer_ps_msb",
                "The signs of national standard GB 2894 apply: flammable, toxic and no open flame at the door.",
            ),
            (
                d(8, "16:00"),
                "rate",
                "ent_pregene2",
                2,
                "We also wanted the bureau to approve our parking plan.",
            ),
            (
                d(7, "10:00"),
                "appeal",
                "officer_ps_msb",
                "The review is about parking, which the request never asked and which is the park's "
                "matter, not about the answer given.",
            ),
            (
                d(6, "11:00"),
                "decide",
                "supervisor_ps_msb",
                "set_aside",
                "The review rates another matter than the one asked: set aside.",
            ),
        ],
    ),
    Story(
        "appeal_upheld",
        "ent_wytd",
        d(11, "09:30"),
        "Funding of the data security assessment",
        "Does the district fund the data security assessment of our ECG cloud platform?",
        "policy",
        "ai_medical_device",
        steps=[
            (d(11, "11:00"), "escalate", "liaison_sbip", "Funding policy: the STI bureau."),
            (d(11, "14:00"), "claim", "officer_ps_sti"),
            (
                d(10, "10:00"),
                "resolve",
                "officer_ps_sti",
                "The assessment is not on this year's funding list.",
            ),
            (
                d(10, "15:00"),
                "rate",
                "ent_wytd",
                2,
                "No reason given, and no pointer to any other programme.",
            ),
            (
                d(9, "10:00"),
                "appeal",
                "officer_ps_sti",
                "The funding list is public and the answer is correct.",
            ),
            (
                d(8, "10:00"),
                "decide",
                "supervisor_ps",
                "upheld",
                "The answer is correct but left the enterprise nothing to go on: explain it and point "
                "to the municipal programme.",
            ),
            (
                d(7, "11:00"),
                "rectify",
                "officer_ps_sti",
                "We explained why the assessment is not funded this year and introduced the "
                "municipal data security programme, whose round opens next month.",
                "meeting",
                "The enterprise applies to the municipal programme and found the meeting useful.",
            ),
        ],
    ),
    Story(
        "rectification_overdue",
        "ent_pregene",
        d(12, "09:30"),
        "Transport of the apheresis material between hospital and plant",
        "Do the apheresis shipments between the hospital and our plant need a permit for biological materials?",
        "clinical_trial",
        "biologic",
        steps=[
            (d(12, "10:30"), "escalate", "liaison_sbip", "Transport of biological material: the bureau."),
            (d(12, "14:00"), "claim", "officer_ps_msb"),
            (
                d(11, "10:00"),
                "resolve",
                "officer_ps_msb",
                "No permit is needed for transport within the city.",
            ),
            (
                d(10, "11:00"),
                "rate",
                "ent_pregene",
                1,
                "The courier was stopped twice this week: the hospital wants a written confirmation, "
                "not a one-line answer.",
            ),
        ],
    ),
    Story(
        "reopened_rated_twice",
        "ent_accel1",
        d(12, "10:00"),
        "Biocompatibility tests for the monitor's new coating",
        "The monitor gets a new parylene coating; which biocompatibility tests must we repeat?",
        "registration",
        "medical_device",
        steps=[
            (d(12, "11:00"), "escalate", "liaison_accel", "Test requirements: the bureau."),
            (d(12, "15:00"), "claim", "officer_ps_msb"),
            (
                d(11, "11:00"),
                "resolve",
                "officer_ps_msb",
                "Repeat cytotoxicity and sensitisation; the rest carries over.",
            ),
            (
                d(11, "16:00"),
                "rate",
                "ent_accel1",
                3,
                "Useful, but it does not say whether implantation testing carries over.",
            ),
            (
                d(10, "10:00"),
                "reopen",
                "ent_accel1",
                "The notified body asks about implantation testing: please confirm in writing.",
            ),
            (
                d(9, "11:00"),
                "resolve",
                "officer_ps_msb",
                "Implantation testing carries over while the coating stays within the tested thickness; "
                "the confirmation letter is attached to this answer.",
            ),
            (d(8, "10:00"), "rate", "ent_accel1", 5, "Exactly what the notified body needed."),
        ],
    ),
    # Beijing: Haidian, with the innovation service station.
    Story(
        "haidian_resolved",
        "ent_haidian",
        d(5, "10:00"),
        "细胞治疗产品临床试验申请前沟通",
        "我们计划提交CAR-NK产品的临床试验申请，希望在提交前与服务站沟通申报资料要求。",
        "policy",
        "biologic",
        steps=[
            (d(5, "14:00"), "escalate", "liaison_haidian", "需要服务站就申报资料给出意见。"),
            (d(4, "09:30"), "claim", "officer_hd_station"),
            (d(4, "10:00"), "respond", "officer_hd_station", "请先准备药学和非临床研究摘要，我们安排沟通。"),
            (d(3, "15:00"), "resolve", "officer_hd_station", "沟通会已召开，会议纪要已发送贵司。"),
            (d(2, "10:00"), "rate", "ent_haidian", 5, "沟通及时，会议纪要清楚，谢谢服务站。"),
        ],
    ),
    Story(
        "haidian_info",
        "ent_haidian",
        d(2, "09:30"),
        "GMP compliance guidance for the cell processing facility",
        "Which compliance guidance applies to our cell processing facility before the trial starts?",
        "compliance",
        "biologic",
        steps=[
            (d(2, "10:30"), "escalate", "liaison_haidian", "For the innovation service station."),
            (
                d(1, "10:00"),
                "ask",
                "officer_hd_station",
                "Please send the facility layout and the cleanroom classification.",
            ),
            (d(1, "15:00"), "attach", "ent_haidian", "facility-layout.txt"),
        ],
    ),
    # Consultation meetings: held with minutes, booked and to come, offered and waiting for the
    # enterprise, missed and offered again, called off. (offer: the times, each (when, minutes),
    # and a note; book: which of the times; minutes: body, outcome, internal.)
    Story(
        "meeting_held",
        "ent_pregene",
        d(6, "09:30"),
        "Pre-submission meeting on the PRG-1802 IND package",
        "Before we file the IND for PRG-1802 we would like to walk the bureau through the CMC "
        "package and agree what the on-site check will look at.",
        "clinical_trial",
        "biologic",
        steps=[
            (d(6, "11:00"), "escalate", "liaison_sbip", "The bureau should see the CMC package."),
            (
                d(5, "10:00"),
                "offer",
                "officer_ps_msb",
                [(d(3, "14:00"), 60), (d(3, "16:00"), 60)],
                "Please bring the batch records of the two sites.",
            ),
            (d(5, "15:00"), "book", "ent_pregene", 0),
            (
                d(3, "15:30"),
                "minutes",
                "officer_ps_msb",
                "Walked through the CMC package. The bureau asks for the comparability data of the "
                "two sites with the IND; the on-site check will cover the cell bank.",
                "follow_up",
                False,
            ),
            (
                d(2, "10:00"),
                "resolve",
                "officer_ps_msb",
                "As agreed in the meeting: file the comparability data with the IND; the on-site "
                "check follows the filing.",
            ),
        ],
    ),
    Story(
        "meeting_booked",
        "ent_wytd",
        d(2, "09:00"),
        "Clinical evaluation route for the ECG software's new indication",
        "We add atrial flutter to the indications of the AI ECG software. Can the clinical "
        "evaluation rest on the retrospective data set, or do we need a new trial?",
        "registration",
        "ai_medical_device",
        steps=[
            (d(2, "10:00"), "escalate", "liaison_sbip", "Registration route: the bureau."),
            (
                d(1, "10:30"),
                "offer",
                "officer_ps_msb",
                [(ahead(2, "10:00"), 30), (ahead(3, "14:30"), 30)],
                "A video call is fine; the link is in the place.",
            ),
            (d(1, "14:00"), "book", "ent_wytd", 1),
            # Free times for the coming week, for whoever needs them.
            (d(1, "16:00"), "publish", "officer_ps_msb", ahead(4, "09:00"), 60, 3),
        ],
    ),
    Story(
        "meeting_offered",
        "ent_ascentawits",
        d(1, "15:00"),
        "Site visit to the new QC laboratory",
        "We would like the park to see the new QC laboratory before we apply for the equipment subsidy.",
        "site_equipment",
        "drug",
        steps=[
            (
                ago(120),
                "offer",
                "liaison_sbip",
                [(ahead(1, "15:00"), 45), (ahead(2, "09:30"), 45)],
                "We come to your site.",
            ),
            (ago(110), "respond", "liaison_sbip", "Happy to visit: please pick one of the times offered."),
        ],
    ),
    Story(
        "meeting_no_show",
        "ent_accel1",
        d(5, "10:00"),
        "Labelling review for the cardiac monitor's Chinese instructions",
        "Could the bureau look over the Chinese instructions for use before we file the change?",
        "registration",
        "medical_device",
        steps=[
            (d(5, "11:00"), "escalate", "liaison_accel", "Labelling: the bureau."),
            (d(4, "10:00"), "offer", "officer_ps_msb", [(d(3, "10:00"), 30)], ""),
            (d(4, "11:00"), "book", "ent_accel1", 0),
            (d(3, "10:45"), "no_show", "officer_ps_msb", "Nobody came and the phone was not answered."),
            (d(3, "11:00"), "offer", "officer_ps_msb", [(d(1, "10:00"), 30)], "A second try."),
            (
                d(2, "10:00"),
                "another_time",
                "ent_accel1",
                "Our regulatory lead is at the notified body all week; could we meet next week?",
            ),
            (d(2, "11:00"), "respond", "officer_ps_msb", "Understood: we will offer times next week."),
        ],
    ),
    Story(
        "meeting_cancelled",
        "ent_ascentawits",
        d(4, "09:00"),
        "R&D subsidy: does the hypoxia platform qualify?",
        "Does our hypoxia-activated prodrug platform qualify for the district's R&D subsidy?",
        "rnd",
        "drug",
        steps=[
            (d(4, "10:00"), "escalate", "liaison_sbip", "Subsidy rules: the innovation bureau."),
            (d(3, "09:30"), "offer", "officer_ps_sti", [(d(1, "14:00"), 30)], ""),
            (d(3, "11:00"), "book", "ent_ascentawits", 0),
            (
                d(2, "09:00"),
                "cancel_meeting",
                "ent_ascentawits",
                "The programme's written rules answered our question, thank you.",
            ),
            (
                d(2, "10:00"),
                "resolve",
                "officer_ps_sti",
                "The platform qualifies under the subsidy's second track; apply by the end of the quarter.",
            ),
        ],
    ),
    Story(
        "haidian_park",
        "liaison_haidian",
        ago(45),
        "园区共享实验室预约",
        "企业希望预约园区共享流式细胞仪，每周两次。",
        "site_equipment",
        "other",
        enterprise="hd_ent",
    ),
]

MARKER = STORIES[0]


# --- files --------------------------------------------------------------------------------------
def _pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII): enough to open in a viewer."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 760 Td ({safe}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _upload(name: str, title: str) -> SimpleUploadedFile:
    if name.endswith(".pdf"):
        return SimpleUploadedFile(name, _pdf(title), content_type="application/pdf")
    if name.endswith(".csv"):
        body = "item,earlier device,new device\nmaterial,PC-ABS,PC-ABS\nload,120 units,96 units\n"
        return SimpleUploadedFile(name, body.encode(), content_type="text/csv")
    return SimpleUploadedFile(
        name, f"{title}\n\nSee the attached notes.\n".encode(), content_type="text/plain"
    )


# --- playing the story --------------------------------------------------------------------------
class _Player:
    def __init__(
        self,
        orgs: dict[str, Organization],
        users: dict[str, User],
        working_days: list[date],
        days_ahead: list[date],
    ) -> None:
        self.orgs = orgs
        self.users = users
        self.requests: dict[str, int] = {}
        # For the times of meetings, which lie anywhere from the history to the coming days.
        self.working_days = working_days
        self.days_ahead = days_ahead

    def file(self, story: Story) -> None:
        key_project = (
            KeyProject.objects.get(district=self.orgs["ps"], name=story.key_project)
            if story.key_project
            else None
        )
        created = actions.create_request(
            actor=self.users[story.by],
            title=story.title,
            description=story.description,
            category=story.category,
            product_type=story.product_type,
            enterprise=self.orgs[story.enterprise] if story.enterprise else None,
            key_project=key_project,
            submit=story.submit,
        )
        self.requests[story.key] = created.pk

    def act(self, story: Story, verb: str, username: str, *args: Any) -> None:
        sr = ServiceRequest.objects.get(pk=self.requests[story.key])
        actor = self.users[username]
        text = args[0] if args else ""
        verbs: dict[str, Callable[[], Any]] = {
            "respond": lambda: actions.respond(sr, actor=actor, body=text),
            "ask": lambda: actions.request_info(sr, actor=actor, body=text),
            "provide": lambda: actions.provide_info(sr, actor=actor, body=text),
            "escalate": lambda: actions.escalate(sr, actor=actor, reason=text),
            "return": lambda: actions.return_to_lower_tier(sr, actor=actor, reason=text),
            "resolve": lambda: actions.resolve(sr, actor=actor, resolution=text),
            "reopen": lambda: actions.reopen(sr, actor=actor, reason=text),
            "close": lambda: actions.close(sr, actor=actor),
            "withdraw": lambda: actions.withdraw(sr, actor=actor, reason=text),
            "assign": lambda: actions.assign(sr, actor=actor, assignee=self.users[text]),
            "claim": lambda: actions.claim(sr, actor=actor),
            "note": lambda: actions.add_message(sr, actor=actor, body=text, internal=True),
            "reply": lambda: actions.add_message(sr, actor=actor, body=text),
            "attach": lambda: actions.add_attachment(sr, actor=actor, upload=_upload(text, story.title)),
            "share": lambda: actions.share_with_department(
                sr, actor=actor, department=self.orgs[args[0]], reason=args[1]
            ),
            "green": lambda: actions.set_green_channel(sr, actor=actor, green_channel=True, reason=text),
            # 好差评: (score, comment); a rectification's (what was done, follow-up method, what
            # the enterprise said at the follow-up, which was earlier the same day); an appeal's
            # reason; a decision's (upheld|set_aside, reason).
            "rate": lambda: satisfaction.rate(sr, actor=actor, score=args[0], comment=args[1]),
            "rectify": lambda: satisfaction.rectify(
                self._rectification(sr),
                actor=actor,
                action_taken=args[0],
                followed_up_at=timezone.now() - timedelta(hours=2),
                follow_up_method=args[1],
                follow_up_notes=args[2],
            ),
            "appeal": lambda: satisfaction.appeal(self._rectification(sr), actor=actor, reason=text),
            "decide": lambda: satisfaction.decide_appeal(
                self._rectification(sr), actor=actor, decision=args[0], reason=args[1]
            ),
            "rate_fix": lambda: satisfaction.rate_fix(
                self._rectification(sr), actor=actor, score=args[0], comment=args[1]
            ),
            "offer": lambda: meetings.offer(
                sr, actor=actor, slots=[self._publish(actor, *time).pk for time in args[0]], note=args[1]
            ),
            "book": lambda: meetings.book(
                self._meeting(sr), actor=actor, slot=self._meeting(sr).slots.order_by("start")[args[0]].pk
            ),
            "another_time": lambda: meetings.ask_another_time(self._meeting(sr), actor=actor, reason=text),
            "cancel_meeting": lambda: meetings.cancel(self._meeting(sr), actor=actor, reason=text),
            "minutes": lambda: meetings.record_minutes(
                self._meeting(sr), actor=actor, body=args[0], outcome=args[1], internal=args[2]
            ),
            "no_show": lambda: meetings.record_no_show(self._meeting(sr), actor=actor, note=text),
            "publish": lambda: self._publish(actor, args[0], args[1], capacity=args[2]),
        }
        verbs[verb]()

    def _publish(self, actor: User, when: When, minutes: int, capacity: int = 1) -> Slot:
        """A slot of the actor's organisation at a moment of the story."""
        return slot_rules.publish_slot(
            actor=actor,
            start=_moment(when, self.working_days, timezone.now(), self.days_ahead),
            minutes=minutes,
            capacity=capacity,
            place=f"Consultation room, {actor.organization.name}" if actor.organization else "",
        )

    @staticmethod
    def _meeting(sr: ServiceRequest) -> Meeting:
        """The request's latest meeting."""
        return Meeting.objects.filter(request=sr).order_by("-proposed_at", "-id")[0]

    @staticmethod
    def _rectification(sr: ServiceRequest) -> Rectification:
        """The request's latest rectification (the one its latest bad review opened)."""
        return Rectification.objects.filter(request=sr).order_by("-opened_at", "-id")[0]


def _working_days_before(today: date, count: int) -> list[date]:
    """The `count` working days before `today`, newest first."""
    days = calendar.days_between(today - timedelta(days=count * 2 + 30), today - timedelta(days=1))
    working = [day.date for day in reversed(days) if day.workday]
    return working[:count]


def _working_days_after(today: date, count: int) -> list[date]:
    """The `count` working days after `today`, soonest first."""
    days = calendar.days_between(today + timedelta(days=1), today + timedelta(days=count * 2 + 30))
    return [day.date for day in days if day.workday][:count]


def _moment(when: When, working_days: list[date], now: datetime, days_ahead: Sequence[date] = ()) -> datetime:
    if when.days_ago == 0 and when.days_ahead == 0:
        return now - timedelta(minutes=when.minutes_ago)
    hour, minute = (int(part) for part in when.clock.split(":"))
    day = days_ahead[when.days_ahead - 1] if when.days_ahead else working_days[when.days_ago - 1]
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def existing() -> dict[str, ServiceRequest]:
    """The world as it stands, by story key (empty when it was never built)."""
    if not ServiceRequest.objects.filter(title=MARKER.title, created_by__username=MARKER.by).exists():
        return {}
    found: dict[str, ServiceRequest] = {}
    for story in STORIES:
        sr = (
            ServiceRequest.objects.filter(title=story.title, created_by__username=story.by)
            .order_by("id")
            .first()
        )
        if sr is not None:
            found[story.key] = sr
    return found


def build(*, now: datetime | None = None) -> dict[str, ServiceRequest]:
    """Play the lived-in world's history up to `now` (default: the real time) and return its
    requests by story key. Does nothing but return the world when it exists already."""
    orgs = demo.seed_organizations()
    users = {user.username: user for user in demo.seed_users(orgs)}
    world = existing()
    if world:
        return world

    now = now or timezone.now()
    deepest = max(
        [story.filed.days_ago for story in STORIES]
        + [step[0].days_ago for story in STORIES for step in story.steps]
    )
    today = timezone.localtime(now, SHANGHAI).date()
    working_days = _working_days_before(today, deepest)
    player = _Player(orgs, users, working_days, _working_days_after(today, MEETING_DAYS_AHEAD))

    # Everything that happens, in order of time: each story's filing and steps, and the scans.
    timeline: list[tuple[datetime, int, Callable[[], object]]] = []
    for story in STORIES:
        last = _moment(story.filed, working_days, now)
        timeline.append((last, len(timeline), partial(player.file, story)))
        for when, verb, username, *args in story.steps:
            moment = _moment(when, working_days, now)
            assert moment > last, f"{story.key}: {verb} at {moment} comes before the step before it"
            last = moment
            timeline.append((moment, len(timeline), partial(player.act, story, verb, username, *args)))
    day = working_days[-1]
    last_day = timezone.localtime(now, SHANGHAI).date()
    workdays = {entry.date for entry in calendar.days_between(day, last_day) if entry.workday}
    while day <= last_day:
        for clock in SCAN_CLOCKS if day in workdays else SCAN_CLOCKS_DAY_OFF:
            moment = datetime.combine(day, clock, tzinfo=SHANGHAI)
            if moment < now:
                timeline.append((moment, len(timeline), partial(scan, moment)))
        day += timedelta(days=1)
    timeline.sort(key=lambda item: (item[0], item[1]))

    with transaction.atomic(), time_machine.travel(timeline[0][0], tick=False) as traveller:
        for moment, _order, happen in timeline:
            traveller.move_to(moment, tick=False)
            happen()
        traveller.move_to(now, tick=False)
        scan(now)
    return existing()
