"""A crawl of the pages as people reach them: every persona of the authorization matrix, in
English and in Chinese, in Debian's Chromium at a phone's width (390 px), on a lived-in world.

From home (after signing in through the form) it follows every same-origin page link, breadth
first and bounded: no logout, nothing under /api/ or /i18n/, the admin's index only, no
downloads (CSV, attachments, guidance files), and at most a few pages of each kind (request ids
and other numbers normalised, so that it opens three request pages, not forty). On every page
with a GET form it chooses each option of each select the way a person does: the form redraws
by HTMX on change (the crawl waits for the swap), or the person clicks the submit button; it also
submits each form once as it stands.

Each persona's test fails, listing every (persona, language, url, problem) found, on:
- any answer 5xx (a page, a redraw or a submitted form);
- any filter error shown (`.filter-errors`, or Django's "Select a valid choice");
- any page wider than the viewport (`scrollWidth` > 390 with a 390-px-wide viewport);
- any text on a Chinese page that is, as a whole text node or attribute (placeholder, title,
  aria-label, alt) or part of the window's title, an English msgid that the Chinese catalogue
  translates (whole texts only, so that user data does not match by accident).

The world is built once per module, through the real actions and the real deadline scan, and
served by one live server for the module; it is flushed away afterwards, as a transactional
test would be."""

from __future__ import annotations

import contextlib
import gettext
import hashlib
import importlib
import importlib.util
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import modify_settings, setup_databases, teardown_databases
from django.utils import timezone
from playwright.sync_api import Browser, Page, Response
from pytest_django.live_server_helper import LiveServer

from tests.test_authorization_matrix import ANON, PERSONAS

WIDTH = 390
LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}
PAGES_PER_CRAWL = 30  # per persona and language
PER_KIND = 3  # pages per normalised path (three request pages, three guidance pages, ...)
SHOTS = Path(settings.VAR_DIR) / "screenshots" / "crawl"
# Screenshots of what these personas see in Chinese at 390 px (home and the first request page).
SHOT_PERSONAS = {"routed_officer", "owner", "park_liaison"}
SKIP_PATH = re.compile(
    r"^/(api|i18n|static|media)/|^/logout/|^/admin/.+|/attachments/\d+/|/files/\d+/|\.(csv|pdf|txt|zip)$"
)

# One look at the page: its language, the filter errors it shows, how wide it is and the
# innermost elements reaching beyond the viewport, and (for a Chinese page) every text node and
# human-facing attribute as the reader gets them. Text inside an element marked as another
# language (the switch's "English") is left out.
LOOK = """([width, texts]) => {
  const tidy = (text) => text.replace(/\\s+/g, " ").trim();
  const look = {lang: document.documentElement.lang, errors: null, scroll: 0, wide: [], texts: []};
  const shown = document.querySelector(".filter-errors");
  const errorText = shown ? shown.innerText : document.body.innerText;
  if (shown || /Select a valid choice|选择一个有效的选项|is not one of the available choices/.test(errorText)) {
    look.errors = tidy(errorText).slice(0, 300);
  }
  look.scroll = document.documentElement.scrollWidth;
  if (look.scroll > width) {
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1)) {
        const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
          (el.classList.length ? "." + [...el.classList].join(".") : "");
        look.wide.push(name + " (" + Math.round(box.right) + " px)");
        if (look.wide.length >= 3) break;
      }
    }
  }
  if (!texts) return look;
  const foreign = (el) => {
    const marked = el.closest("[lang]");
    return marked && !marked.getAttribute("lang").toLowerCase().startsWith("zh");
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"].includes(el.tagName) || foreign(el)) continue;
    const text = tidy(node.textContent);
    if (text) look.texts.push(text);
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], [alt]")) {
    if (foreign(el)) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      const text = tidy(el.getAttribute(name) || "");
      if (text) look.texts.push(text);
    }
  }
  for (const part of document.title.split("·")) look.texts.push(tidy(part));
  return look;
}"""

# The GET forms of the page: their selects and options, and whether HTMX redraws them on change.
GET_FORMS = """() => ({
  content: (document.querySelector("main") || document.body).innerHTML.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, ""),
  forms: [...document.querySelectorAll("form")].map((form, index) => ({
    index,
    method: (form.getAttribute("method") || "get").toLowerCase(),
    action: form.action,
    htmx: !!form.getAttribute("hx-get") && /change/.test(form.getAttribute("hx-trigger") || "change"),
    names: [...form.elements].map((e) => e.name).filter(Boolean),
    submits: form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").length,
    selects: [...form.querySelectorAll("select")].map((select) => ({
      name: select.name,
      options: [...select.options].map((o) => o.value),
      selected: select.value,
    })),
  })),
})"""


def chinese_msgids() -> frozenset[str]:
    """The English texts the Chinese catalogue translates (singular, without context)."""
    path = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as mo:
        catalog: dict[Any, str] = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    found = set()
    for msgid, translation in catalog.items():
        if isinstance(msgid, tuple):  # a plural form: (msgid, n)
            msgid = msgid[0]
        if not msgid or "\x04" in msgid:
            continue
        text = " ".join(msgid.split())
        if len(text) >= 4 and re.search(r"[A-Za-z]", text) and text != " ".join(translation.split()):
            found.add(text)
    return frozenset(found)


@dataclass
class Crawl:
    persona: str
    lang: str
    base: str
    msgids: frozenset[str]
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)
    pages: int = 0
    submits: int = 0

    def problem(self, url: str, what: str) -> None:
        entry = (self.persona, self.lang, url.removeprefix(self.base) or "/", what)
        if entry not in self.problems:
            self.problems.append(entry)

    def check_response(self, url: str, response: Response | None, how: str) -> bool:
        if response is None:
            return True
        if response.status >= 500:
            self.problem(url, f"{how} answered {response.status}")
            return False
        return True

    def check_page(self, page: Page, how: str) -> None:
        url = page.url
        chinese = self.lang.startswith("zh")
        look = page.evaluate(LOOK, [WIDTH, chinese])
        if look["errors"]:
            self.problem(url, f"{how}: filter error: {look['errors']!r}")
        if look["scroll"] > WIDTH:
            self.problem(url, f"{how}: {look['scroll']} px wide at {WIDTH} px ({', '.join(look['wide'])})")
        if chinese:
            if not look["lang"].startswith("zh"):
                self.problem(url, f"{how}: page not in Chinese")
                return
            english = sorted({text for text in look["texts"] if text in self.msgids})
            if english:
                self.problem(url, f"{how}: untranslated: {english}")


def kind_of(url: str) -> str:
    """The path with its numbers normalised, and the names of its query's parameters."""
    parts = urlsplit(url)
    kind = re.sub(r"\d+", "N", parts.path)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return kind + ("?" + "&".join(keys) if keys else "")


def page_links(page: Page, base: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]:not([download])", "links => links.map((a) => a.href)"
    )
    links = []
    for href in hrefs:
        href = href.split("#", 1)[0]
        if not href.startswith(base + "/"):
            continue
        if SKIP_PATH.search(urlsplit(href).path):
            continue
        links.append(href)
    return links


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("demo12345")
    with page.expect_navigation():
        page.locator("form button[type=submit].primary").click()


def speak(page: Page, lang: str) -> None:
    """Switch the page's language with the header's switch when the browser's did not take."""
    if (page.locator("html").get_attribute("lang") or "") != lang:
        with page.expect_navigation():
            page.locator(f"form.lang button[value={lang}]").click()


def answering(path: str) -> Callable[[Response], bool]:
    """The response to a redraw of the page at `path`."""
    return lambda response: urlsplit(response.url).path == path


def exercise_forms(crawl: Crawl, page: Page, seen_forms: set[str], exercised: set[str]) -> None:
    """Choose each option of each select of each GET form, as a person does, and submit each
    form once as it stands.

    A form is exercised once per crawl (the queue's filters on home and on the list are one
    form), and not again when another persona's crawl in this language exercised it on the very
    same page content (the guidance list is everybody's): the same choices give the same pages."""
    if crawl.lang != "en" and crawl.persona not in SHOT_PERSONAS:
        # Every persona's Chinese pages are visited and checked; their filters are cycled in
        # Chinese for one persona of each kind (the choices are the same, and it halves the run).
        return
    url = page.url
    found = page.evaluate(GET_FORMS)
    content = hashlib.sha256(found["content"].encode()).hexdigest()
    # HTMX settles a swap after 20 ms (for CSS transitions, which the crawl does not need).
    page.evaluate("() => { if (window.htmx) htmx.config.defaultSettleDelay = 0; }")
    for form in found["forms"]:
        if form["method"] != "get" or not form["action"].startswith(crawl.base):
            continue
        signature = " ".join(form["names"])
        shared = f"{crawl.lang} {urlsplit(form['action']).path} {signature} {content}"
        if signature in seen_forms or shared in exercised:
            continue
        seen_forms.add(signature)
        exercised.add(shared)
        locator = page.locator("form").nth(form["index"])
        path = urlsplit(form["action"]).path
        for select in form["selects"]:
            # The option selected at first comes last, so the form ends as it started.
            options = [o for o in select["options"] if o != select["selected"]] + [select["selected"]]
            for value in options:
                how = f"{select['name']}={value or '(empty)'}"
                control = locator.locator(f"select[name={select['name']}]")
                if form["htmx"]:
                    with page.expect_response(answering(path)) as answer:
                        control.select_option(value)
                    crawl.submits += 1
                    if not crawl.check_response(url, answer.value, f"redraw after {how}"):
                        continue
                    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
                elif form["submits"]:
                    control.select_option(value)
                    with page.expect_navigation() as answer:
                        locator.locator(
                            "button[type=submit], button:not([type]), input[type=submit]"
                        ).first.click()
                    crawl.submits += 1
                    if not crawl.check_response(url, answer.value, f"submitting {how}"):
                        page.goto(url)
                        locator = page.locator("form").nth(form["index"])
                        continue
                    locator = page.locator("form").nth(form["index"])
                else:
                    continue
                crawl.check_page(page, how)
        if form["submits"]:
            button = locator.locator("button[type=submit], button:not([type]), input[type=submit]").first
            if form["htmx"]:
                with page.expect_response(answering(path)) as answer:
                    button.click()
                ok = crawl.check_response(url, answer.value, "the submit button")
                if ok:
                    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
            else:
                with page.expect_navigation() as answer:
                    button.click()
                ok = crawl.check_response(url, answer.value, "the submit button")
            crawl.submits += 1
            if ok:
                crawl.check_page(page, "the submit button")
            if not form["htmx"]:
                # The form led elsewhere (the header's search opens the list): the page's other
                # forms are used where they are.
                page.goto(url)


def crawl_as(
    browser: Browser, base: str, persona: str, lang: str, msgids: frozenset[str], exercised: set[str]
) -> Crawl:
    crawl = Crawl(persona, lang, base, msgids)
    username = PERSONAS[persona]
    context = browser.new_context(locale=LANGUAGES[lang], viewport={"width": WIDTH, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        if username is None:
            page.goto(f"{base}/")
        else:
            sign_in(page, base, username)
        speak(page, lang)
        queue = deque([page.url])
        visited: set[str] = set()
        kinds: Counter[str] = Counter()
        seen_forms: set[str] = set()
        shots: set[str] = set()
        while queue and crawl.pages < PAGES_PER_CRAWL:
            url = queue.popleft()
            if url in visited or kinds[kind_of(url)] >= PER_KIND:
                continue
            visited.add(url)
            kinds[kind_of(url)] += 1
            response = page.goto(url)
            crawl.pages += 1
            if not crawl.check_response(url, response, "the page"):
                continue
            crawl.check_page(page, "the page")
            shot = (
                "home" if url.endswith("/home/") else "request" if re.search(r"/requests/\d+/$", url) else ""
            )
            if lang != "en" and persona in SHOT_PERSONAS and shot and shot not in shots:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"{persona}-{lang}-{shot}.png"), full_page=True)
                shots.add(shot)
            exercise_forms(crawl, page, seen_forms, exercised)
            for link in page_links(page, base):
                if link not in visited:
                    queue.append(link)
    finally:
        context.close()
    return crawl


def build_world() -> None:
    """The lived-in world when it exists; until then the demo and a few requests in several
    states, through the real actions and the real scan."""
    if importlib.util.find_spec("apps.casework.lived_in") is not None:
        lived_in = importlib.import_module("apps.casework.lived_in")
        lived_in.build()
        return
    from apps.casework import actions
    from apps.casework.models import ServiceRequest
    from apps.deadlines import calendar
    from apps.deadlines.scan import scan
    from apps.guidance.demo import seed_guidance
    from apps.organizations import demo

    calendar.forget_policy()
    orgs = demo.seed_organizations()
    users = {u.username: u for u in demo.seed_users(orgs)}
    seed_guidance()

    def file(by: str, title: str, **extra: Any) -> ServiceRequest:
        return actions.create_request(
            actor=users[by],
            title=title,
            description="We need guidance on the amendment filing.",
            category=extra.pop("category", "clinical_trial"),
            product_type="biologic",
            submit=True,
            **extra,
        )

    def fresh(sr: ServiceRequest) -> ServiceRequest:
        return ServiceRequest.objects.get(pk=sr.pk)

    def move(sr: ServiceRequest, name: str, *actors: str, **text: str) -> ServiceRequest:
        for actor in actors:
            sr = actions.TRANSITIONS[name](fresh(sr), actor=users[actor], **text)
        return fresh(sr)

    case = file("ent_pregene", "Registration dossier for PRG-1801", category="registration")
    case = move(case, "escalate", "liaison_sbip", "officer_ps_msb", "officer_sz_amr", reason="Up")
    case = move(case, "return", "officer_gd_mpa", reason="Down")
    actions.add_message(case, actor=users["ent_pregene"], body="A public question")
    actions.add_message(fresh(case), actor=users["officer_sz_amr"], body="An internal note", internal=True)
    move(
        move(file("ent_pregene", "Which batch?"), "escalate", "liaison_sbip", reason="Up"),
        "request_info",
        "officer_ps_msb",
        body="Which batch?",
    )
    move(
        move(file("ent_pregene", "Resolved one"), "escalate", "liaison_sbip", reason="Up"),
        "resolve",
        "officer_ps_msb",
        resolution="Answered",
    )
    file("ent_pregene", ("Long-title-without-spaces-" * 8)[:190])
    move(file("ent_ascentawits", "A rival's request"), "escalate", "liaison_sbip", reason="Up")
    move(file("ent_accel1", "Accelerator request"), "escalate", "liaison_accel", reason="Up")
    move(
        file("ent_haidian", "Beijing request", category="policy"), "escalate", "liaison_haidian", reason="Up"
    )
    scan(timezone.now() + timedelta(days=30))


@contextlib.contextmanager
def module_database() -> Iterator[None]:
    """The test database: pytest-django's when the session made one (for the tests marked
    `django_db`), else one made for this module. The tests here are not marked: a test's
    transaction (BEGIN IMMEDIATE on SQLite) would lock the live server out of writing."""
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():  # type: ignore[attr-defined]
        yield
        return
    made = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})  # type: ignore[arg-type]
    try:
        yield
    finally:
        teardown_databases(made, verbosity=0)


@pytest.fixture(scope="module")
def crawl_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One live server and one world for the module, committed to the test database (the live
    server's thread has its own connection) and flushed afterwards."""
    with django_db_blocker.unblock(), module_database():
        try:
            build_world()
            server = LiveServer("localhost")
            allowed = modify_settings(ALLOWED_HOSTS={"append": "localhost"})
            allowed.enable()
            try:
                yield server.url
            finally:
                allowed.disable()
                server.stop()
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def msgids() -> frozenset[str]:
    return chinese_msgids()


@pytest.fixture(scope="module")
def exercised() -> set[str]:
    """The forms exercised so far in the module, with the content of their pages."""
    return set()


REPORT: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _crawl_report() -> Iterator[None]:
    started = time.monotonic()
    yield
    print(f"\nCrawl: {'; '.join(REPORT)}; {time.monotonic() - started:.0f} s in all")


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_page_a_persona_reaches_answers_fits_and_speaks_its_language(
    chromium: Browser, crawl_server: str, msgids: frozenset[str], exercised: set[str], persona: str
) -> None:
    problems = []
    pages = submits = 0
    started = time.monotonic()
    for lang in LANGUAGES:
        crawl = crawl_as(chromium, crawl_server, persona, lang, msgids, exercised)
        problems += crawl.problems
        pages += crawl.pages
        submits += crawl.submits
        if persona != ANON:
            assert crawl.pages > 1, f"{persona} ({lang}) reached no page beyond home"
    REPORT.append(f"{persona}: {pages} pages, {submits} choices, {time.monotonic() - started:.0f} s")
    assert not problems, "\n".join(f"{p} ({lang}) {url}: {what}" for p, lang, url, what in problems)
