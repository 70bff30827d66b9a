"""The offline assistant over HTTP: suggested guidance across languages, similar resolved
requests within what the caller may see, the suggested category, feedback, and bad input.

The texts here are written apart from the evaluation set (bench/assist/eval-set.json)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.assist import classifier
from apps.assist.models import Feedback, RequestTerms
from apps.casework import actions
from apps.guidance.models import Guidance

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(orgs):
    """Guidance published in one language each, and one in both."""
    publisher = next(o for o in orgs.values() if o.kind == "provincial")
    make = Guidance.objects.create
    return {
        "ethics_en": make(
            publisher=publisher,
            kind=Guidance.Kind.FAQ,
            category="clinical_trial",
            title="How ethics committees schedule their review meetings",
            body="Ethics committees of trial sites meet once a month. Send the protocol, the informed "
            "consent form and the investigator's brochure two weeks before the meeting.",
        ),
        "import_zh": make(
            publisher=publisher,
            kind=Guidance.Kind.POLICY,
            category="policy",
            title_zh="粤港澳大湾区进口港澳药械的办理指引",
            body_zh="在大湾区内地指定医疗机构使用港澳已上市药品和医疗器械，由医疗机构提出申请，"
            "经省药品监督管理局批准后进口，海关凭批件通关。",
        ),
        "udi_both": make(
            publisher=publisher,
            kind=Guidance.Kind.COMPLIANCE,
            category="compliance",
            title="Unique device identification for class III devices",
            title_zh="第三类医疗器械唯一标识实施要求",
            body="Assign a UDI to every class III device and upload the data to the national database.",
            body_zh="第三类医疗器械应赋予唯一标识，并将数据上传至国家医疗器械唯一标识数据库。",
        ),
    }


def resolved(make_request, users, *, by="ent_pregene", title, description, resolution):
    service_request = make_request(by, title=title, description=description)
    return actions.resolve(service_request, actor=users["liaison_sbip"], resolution=resolution)


def test_a_chinese_question_finds_the_english_only_guidance_on_its_subject(api, library):
    answer = api("ent_pregene").post(
        "/api/v1/assist/",
        {
            "title": "伦理委员会多久开一次会",
            "description": "我们的临床试验方案想尽快通过伦理审查，需要提前多久提交？",
        },
        format="json",
    )
    assert answer.status_code == 200
    ids = [g["id"] for g in answer.json()["guidance"]]
    assert ids and ids[0] == library["ethics_en"].pk
    first = answer.json()["guidance"][0]
    assert first["why"] and first["matched"] and 0 < first["score"] <= 1


def test_an_english_question_finds_the_chinese_only_guidance_and_back(api, library):
    answer = api("ent_pregene").post(
        "/api/v1/assist/",
        {
            "title": "Using a Hong Kong approved drug in our Greater Bay Area hospital",
            "description": "Which approval does the hospital need before customs clears the import?",
        },
        format="json",
    )
    assert [g["id"] for g in answer.json()["guidance"]][:1] == [library["import_zh"].pk]


def test_a_new_request_finds_the_earlier_resolved_one_on_the_same_problem(api, make_request, users, library):
    earlier = resolved(
        make_request,
        users,
        by="ent_ascentawits",
        title="Clean room particle counts failed before the GMP inspection",
        description="Our filling line's grade A zone exceeded the limit twice; can we still be inspected?",
        resolution="Fix and validate the zone, then ask for the inspection again with the new data.",
    )
    resolved(
        make_request,
        users,
        title="Subsidy for our first IND",
        description="Is there funding for the first investigational new drug filing?",
        resolution="Yes: apply to the science bureau before March.",
    )
    new = make_request(
        "ent_ascentawits",
        title="Grade A zone particle excursions and our coming GMP inspection",
        description="Particles in the filling room went over the limit; does the inspection go ahead?",
    )
    found = api("liaison_sbip").get(f"/api/v1/requests/{new.pk}/similar/").json()
    assert [s["id"] for s in found][:1] == [earlier.pk]
    assert found[0]["reference"] == earlier.reference
    assert "validate" in found[0]["resolution"]
    assert new.pk not in [s["id"] for s in found]


def test_no_enterprise_ever_sees_a_competitors_request_among_the_suggestions(
    api, make_request, users, library
):
    competitor = resolved(
        make_request,
        users,
        by="ent_ascentawits",
        title="Stability study for our lyophilised antibody",
        description="How many months of stability data does registration need for the lyophilised antibody?",
        resolution="Twelve months of long-term data at filing, the rest as a commitment.",
    )
    own = resolved(
        make_request,
        users,
        by="ent_pregene",
        title="Stability data months for an antibody filing",
        description="For the antibody registration, how much stability data must be ready?",
        resolution="Twelve months long-term plus six accelerated.",
    )
    question = make_request(
        "ent_pregene",
        title="Antibody stability data needed for registration",
        description="How many months of stability data for our antibody?",
    )
    similar = api("ent_pregene").get(f"/api/v1/requests/{question.pk}/similar/").json()
    assert [s["id"] for s in similar] == [own.pk]
    assisted = api("ent_pregene").post(
        "/api/v1/assist/", {"title": "Antibody stability months", "description": ""}, format="json"
    )
    assert competitor.pk not in [s["id"] for s in assisted.json()["similar"]]
    # The park sees both of its enterprises' requests.
    park = api("liaison_sbip").get(f"/api/v1/requests/{question.pk}/similar/").json()
    assert {competitor.pk, own.pk} <= {s["id"] for s in park}
    # Another jurisdiction's liaison sees neither the request nor anything like it.
    assert api("liaison_haidian").get(f"/api/v1/requests/{question.pk}/similar/").status_code == 404
    elsewhere = api("liaison_haidian").post(
        "/api/v1/assist/", {"title": "Antibody stability months", "description": ""}, format="json"
    )
    assert elsewhere.json()["similar"] == []


def test_a_reopened_request_is_not_suggested_until_it_is_resolved_again(api, make_request, users):
    earlier = resolved(
        make_request,
        users,
        title="Import licence for reference standard samples",
        description="Customs held our reference standard samples for lack of an import licence.",
        resolution="Apply for the one-off import approval first.",
    )
    actions.reopen(earlier, actor=users["ent_pregene"], reason="Customs still hold them.")
    assert not RequestTerms.objects.filter(request=earlier).exists()
    answer = api("liaison_sbip").post(
        "/api/v1/assist/", {"title": "Reference standard samples held by customs"}, format="json"
    )
    assert answer.json()["similar"] == []


def test_suggested_guidance_of_a_request_is_on_its_page_and_the_api(
    api, make_request, library, client, users
):
    question = make_request(
        title="UDI for our class III implant",
        description="Do we need the unique device identifier on the implant box before launch?",
        category="compliance",
        product_type="medical_device",
    )
    found = api("ent_pregene").get(f"/api/v1/requests/{question.pk}/suggested-guidance/").json()
    assert found[0]["id"] == library["udi_both"].pk
    client.force_login(users["ent_pregene"])
    page = client.get(f"/requests/{question.pk}/").content.decode()
    assert library["udi_both"].title in page


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "", "description": "   "},
        {"title": "x" * 201},
        {"title": "abc\x00def"},
        {"title": 12},
        {"description": "y" * 20_001},
    ],
)
def test_bad_input_to_assist_is_a_400_with_field_messages(api, body):
    answer = api("ent_pregene").post("/api/v1/assist/", body, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) & {"title", "description", "fields", "detail"}


@pytest.mark.parametrize("text", ["😀😀😀", "Привет, как дела", "!!!???", "的的的了了"])
def test_text_with_nothing_to_match_gets_empty_suggestions(api, library, text):
    answer = api("ent_pregene").post("/api/v1/assist/", {"title": text}, format="json")
    assert answer.status_code == 200
    assert answer.json()["guidance"] == [] and answer.json()["similar"] == []


def test_feedback_is_stored_once_per_person_and_suggestion(api, make_request, library):
    question = make_request(title="UDI for our class III implant", category="compliance")
    body = {
        "kind": "guidance",
        "target": str(library["udi_both"].pk),
        "request": question.pk,
        "helpful": True,
    }
    assert api("ent_pregene").post("/api/v1/assist/feedback/", body, format="json").status_code == 201
    body["helpful"] = False
    assert api("ent_pregene").post("/api/v1/assist/feedback/", body, format="json").status_code == 201
    assert list(Feedback.objects.values_list("helpful", flat=True)) == [False]


def test_feedback_on_something_the_caller_may_not_see_reads_like_nothing(api, make_request, users):
    theirs = resolved(
        make_request,
        users,
        by="ent_ascentawits",
        title="Anything",
        description="Something.",
        resolution="Done.",
    )
    for body in (
        {"kind": "similar", "target": str(theirs.pk), "helpful": True},
        {"kind": "similar", "target": "999999", "helpful": True},
        {"kind": "guidance", "target": "999999", "helpful": True},
        {"kind": "category", "target": "astrology", "helpful": True},
        {"kind": "guidance", "target": "1", "request": theirs.pk, "helpful": True},
        {"kind": "nonsense", "target": "1", "helpful": True},
        {"kind": "guidance", "target": "1", "helpful": "yes"},
    ):
        answer = api("ent_pregene").post("/api/v1/assist/feedback/", body, format="json")
        assert answer.status_code == 400, body
    assert not Feedback.objects.exists()


def test_the_category_classifier_learns_from_resolved_requests_and_stays_quiet_when_unsure(
    api, make_request, users
):
    examples = {
        "clinical_trial": [
            "Phase II trial site filing",
            "Ethics approval for the trial protocol",
            "临床试验机构备案",
        ],
        "registration": [
            "Registration dossier for our device",
            "注册申报资料要求",
            "Renewal of a registration certificate",
        ],
        "policy": ["R&D subsidy application", "人才补贴政策申请", "Tax relief for high-tech firms"],
    }
    for category, titles in examples.items():
        for title in titles * 3:
            service_request = make_request(title=title, description=title, category=category)
            actions.resolve(service_request, actor=users["liaison_sbip"], resolution="Answered.")
    model = classifier.train()
    assert model is not None and model.samples == 27
    answer = api("ent_pregene").post(
        "/api/v1/assist/", {"title": "Subsidy application for R&D", "description": "补贴"}, format="json"
    )
    assert answer.json()["category"]["value"] == "policy"
    assert 0.45 <= answer.json()["category"]["confidence"] <= 1
    # A text with nothing in it the classifier learned from is given no category.
    unsure = api("ent_pregene").post("/api/v1/assist/", {"title": "？！", "description": "…"}, format="json")
    assert unsure.json()["category"] is None


def test_train_assist_says_how_the_classifier_did_and_when_there_is_too_little(make_request, users):
    out = io.StringIO()
    call_command("train_assist", stdout=out)
    assert "Not trained" in out.getvalue()
    for n in range(12):
        for category, title in (("policy", "Subsidy for R&D"), ("clinical_trial", "Trial site filing")):
            service_request = make_request(title=f"{title} {n}", description=title, category=category)
            actions.resolve(service_request, actor=users["liaison_sbip"], resolution="Answered.")
    out = io.StringIO()
    call_command("train_assist", stdout=out)
    assert "Trained on 24 resolved requests" in out.getvalue()
    assert "most common category" in out.getvalue()


def test_the_classifier_is_retrained_nightly_by_beat():
    from django_celery_beat.models import PeriodicTask

    from apps.assist.tasks import train_category_model

    task = PeriodicTask.objects.get(task=train_category_model.name)
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("2", "30")
    assert train_category_model.delay().get() == "too few resolved requests to learn from"


def test_rebuild_assist_index_indexes_what_was_resolved_and_the_guidance(make_request, users, library):
    earlier = resolved(
        make_request,
        users,
        title="Cold chain for the vaccine shipment",
        description="Temperature excursions during the vaccine shipment.",
        resolution="Keep the logger data and file a deviation.",
    )
    RequestTerms.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_assist_index", stdout=out)
    assert "Indexed 3 guidance documents and 1 resolved requests" in out.getvalue()
    assert "vaccin" in RequestTerms.objects.get(request=earlier).terms


def test_the_seeds_resolved_requests_are_found_like_any_other(api, users):
    from apps.casework import synthetic

    synthetic.generate(300, seed=3)
    found = (
        api("liaison_sbip")
        .post(
            "/api/v1/assist/",
            {"title": "人类遗传资源采集审批", "description": "需要哪些申报材料？"},
            format="json",
        )
        .json()["similar"]
    )
    assert found and all("人类遗传资源" in s["title"] for s in found)


def test_what_people_said_of_the_suggestions_is_in_the_supervisors_figures(
    api, make_request, library, client, users
):
    question = make_request(title="UDI for our class III implant", category="compliance")
    for username, helpful in (("ent_pregene", True), ("liaison_sbip", True), ("ent_ascentawits", False)):
        body = {"kind": "guidance", "target": str(library["udi_both"].pk), "helpful": helpful}
        if username != "ent_ascentawits":
            body["request"] = question.pk
        assert api(username).post("/api/v1/assist/feedback/", body, format="json").status_code == 201
    # Beijing's said nothing to Pingshan's figures.
    api("liaison_haidian").post(
        "/api/v1/assist/feedback/", {"kind": "category", "target": "policy", "helpful": False}, format="json"
    )
    figures = api("supervisor_ps").get("/api/v1/stats/").json()["assist"]
    guidance = next(row for row in figures if row["kind"] == "guidance")
    assert (guidance["helpful"], guidance["not_helpful"], guidance["helpful_share"]) == (2, 1, 0.6667)
    category = next(row for row in figures if row["kind"] == "category")
    assert (category["helpful"], category["not_helpful"]) == (0, 0)
    client.force_login(users["supervisor_ps"])
    page = client.get("/home/").content.decode()
    assert "AI help: were the suggestions helpful?" in page and "67%" in page


def test_a_question_whose_own_words_are_in_no_document_is_answered_through_its_translations(api, library):
    """Its Chinese words are nowhere in the library, their English senses are: no error, and
    what the translations find is suggested."""
    publisher = library["ethics_en"].publisher
    examined = Guidance.objects.create(
        publisher=publisher,
        kind=Guidance.Kind.FAQ,
        title="Careful examination of papers",
        body="Officers examine the papers carefully before they decide.",
    )
    answer = api("ent_pregene").post("/api/v1/assist/", {"title": "仔细审查"}, format="json")
    assert answer.status_code == 200
    assert [g["id"] for g in answer.json()["guidance"]][:1] == [examined.pk]
