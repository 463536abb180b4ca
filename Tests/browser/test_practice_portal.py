"""The practice's side of the portal, done in a real browser the way a practice manager does it: accept the
invitation, set the scope, start and submit an application, answer the self-assessment, upload and link
evidence, submit it, answer an RFI, check the history; and what must not work (cross-site posts, a
signed-out cookie, markup in names and answers, another practice's pages). ASTRO staff's steps and the
setting up go through the API (`staff`, `api`); everything the practice does goes through the pages.

Pages still being written (/practice, /practice/people) are skipped while they answer 404.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlparse

import pytest
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import (
    DEMO_PASSWORD,
    LAKESIDE_ADMIN,
    LAKESIDE_CONTRIBUTOR,
    MESA_ADMIN,
    NEW_PASSWORD,
    RELEASE,
    SERIOUS_IMPACTS,
    button,
    click_and_load,
    csrf_of,
    main_text,
    minimal_pdf,
    page_status,
    path_of,
    practice_in_self_assessment,
    raw_request,
    require_page,
    session_cookie,
    sign_in,
    unique,
    wait,
)

Y90_REASON = "The practice gives Y-90 microsphere treatments."
EVIL_NAME = 'Evil "><script>alert(1)</script> Clinic'
EVIL_ANSWER = '"><script>alert(1)</script>'

# The indicators of the workspace as the page holds them (also those inside closed domain sections).
INDICATORS_JS = """
return Array.from(document.querySelectorAll('article.indicator')).map((a) => ({
  code: a.id.replace(/^indicator-/, ''),
  level1: /^Level 1/.test(a.querySelector('h4 .tag').textContent.trim()),
  answered: a.classList.contains('answered'),
  hasEvidence: a.querySelector('.linked.none') === null,
  hasForm: a.querySelector('form textarea[name=answer]') !== null,
}));
"""

# Saves every unanswered indicator with the page's own forms (fields, csrf and version as the page has
# them), one after the other, as a person pressing each "Save the answer" would.
ANSWER_ALL_JS = """
const done = arguments[arguments.length - 1];
const text = arguments[0];
(async () => {
  const results = [];
  for (const form of document.querySelectorAll('article.indicator form')) {
    const area = form.querySelector('textarea[name=answer]');
    if (area.value.trim() !== '') { continue; }
    area.value = text + ' (' + area.id.replace(/^answer-/, '') + ')';
    // The answer is checked on the reloaded page, so the redirect back to the workspace is not followed.
    const response = await fetch(form.action, {method: 'POST', body: new URLSearchParams(new FormData(form)), redirect: 'manual'});
    results.push({field: area.id, saved: response.type === 'opaqueredirect', status: response.status});
  }
  return results;
})().then(done, (error) => done(String(error)));
"""

# Records, into sessionStorage (it survives the reload after the upload), whether the upload's progress
# bar was ever shown and the highest value it showed.
WATCH_PROGRESS_JS = """
sessionStorage.setItem('apex-test-progress', JSON.stringify({visible: false, max: 0}));
const area = document.querySelector('#upload-form .progress-area');
const bar = document.getElementById('upload-progress');
window.setInterval(() => {
  if (!area.hidden && bar.getClientRects().length > 0) {
    const seen = JSON.parse(sessionStorage.getItem('apex-test-progress'));
    seen.visible = true;
    seen.max = Math.max(seen.max, bar.value);
    sessionStorage.setItem('apex-test-progress', JSON.stringify(seen));
  }
}, 5);
"""


def workspace_url(base_url: str, application_id: str) -> str:
    return f"{base_url}/applications/{application_id}"


def state_label(driver) -> str:
    return driver.find_element(By.XPATH, "//dl[@class='facts']/div[dt='State']/dd").text


def notice_text(driver) -> str:
    notices = driver.find_elements(By.CSS_SELECTOR, "main .notice")
    return " | ".join(n.text for n in notices if n.is_displayed())


def action_form(driver, label: str):
    return driver.find_element(
        By.XPATH, f"//section[contains(@class,'actions')]//form[contains(@class,'action')][.//button[normalize-space()='{label}']]")


def indicators(driver) -> list[dict]:
    return driver.execute_script(INDICATORS_JS)


def text_content(driver, css: str = "main") -> str:
    """All text of an element, shown or inside a closed <details>."""
    return driver.execute_script("return document.querySelector(arguments[0]).textContent", css)


def scroll_to(driver, element, block: str = "start") -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: arguments[1]})", element, block)


def assert_no_alert(driver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018  (reading it is what raises when there is none)


def document_row(driver, title: str):
    return driver.find_element(By.XPATH, f"//table[contains(@class,'documents')]//tr[td/a[normalize-space()='{title}']]")


def link_document(driver, title: str, codes: list[str]) -> None:
    """Links the document to more indicators with the "Link a document to more indicators" form."""
    details = driver.find_element(By.ID, "link")
    scroll_to(driver, details)
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    select = details.find_element(By.ID, "link-document")
    options = [o for o in select.find_elements(By.TAG_NAME, "option") if o.text.startswith(title + " (")]
    assert options, f"{title!r} is not offered for linking"
    options[0].click()
    for code in codes:
        box = details.find_element(By.ID, f"link-{code}")
        assert box.is_displayed() and not box.is_selected()
        box.click()
    click_and_load(driver, button(driver, "Link", details))
    assert "Document linked." in notice_text(driver), notice_text(driver)


# --- 1. the whole of the practice's side ---------------------------------------------------------------


def test_practice_admin_runs_their_side(browser, base_url, api, staff, screenshot, tmp_path):
    d = browser
    legal_name = unique("Harbour Theranostics")
    practice = staff.create_practice(legal_name, agents=())
    _, invitation = staff.invite(practice["id"], name="Robin Harbour")

    # The invitation: a weak password is refused on the page, which stays usable; a good one signs in.
    d.get(f"{base_url}/invitations/accept?token={invitation}")
    assert d.find_element(By.TAG_NAME, "h1").text == "Accept your invitation"
    for field in ("password", "confirmation"):
        d.find_element(By.ID, field).send_keys("aaaaaaaaaaaa")  # long enough, one character: weak
    click_and_load(d, button(d, "Set password and sign in"))
    error = d.find_element(By.ID, "invitation-error")
    assert error.is_displayed() and error.text.strip(), "a weak password shows why it was refused"
    assert path_of(d) == "/invitations/accept" and d.get_cookie("apex_session") is None
    assert d.find_element(By.NAME, "token").get_attribute("value") == invitation, "the page keeps the invitation"
    for field in ("password", "confirmation"):
        box = d.find_element(By.ID, field)
        box.clear()
        box.send_keys(NEW_PASSWORD)
    click_and_load(d, button(d, "Set password and sign in"))
    assert path_of(d) == "/", f"accepting the invitation ended on {d.current_url}: {main_text(d)}"
    assert "Robin Harbour" in d.find_element(By.CSS_SELECTOR, "header .who").text
    cookie = session_cookie(d)

    # The practice profile (once it exists): two agents and Texas; the criteria follow.
    if page_status(base_url, "/practice", cookie) != 404:
        d.get(base_url + "/practice")
        assert Y90_REASON not in text_content(d)
        for agent in ("lu177-psma", "y90-microspheres"):
            box = d.find_element(By.CSS_SELECTOR, f"input[name='agents[]'][value='{agent}']")
            assert not box.is_selected()
            box.click()
        jurisdiction = d.find_element(By.NAME, "jurisdiction")
        jurisdiction.clear()
        jurisdiction.send_keys("US-TX")
        click_and_load(d, button(d, "Save the scope"))
        assert urlparse(d.current_url).path.startswith("/practice"), d.current_url
        assert Y90_REASON in text_content(d), "the Y-90 criteria apply once Y-90 microspheres are ticked"
        for agent in ("lu177-psma", "y90-microspheres"):
            assert d.find_element(By.CSS_SELECTOR, f"input[name='agents[]'][value='{agent}']").is_selected()
        assert d.find_element(By.NAME, "jurisdiction").get_attribute("value") == "US-TX"
        saved = staff.call("GET", f"/practices/{practice['id']}")["scope"]
        assert sorted(saved["agents"]) == ["lu177-psma", "y90-microspheres"] and saved["jurisdiction"] == "US-TX", saved
        screenshot(d, "practice-profile")
    scope = staff.call("GET", f"/practices/{practice['id']}")["scope"]
    applicable = staff.call("POST", f"/catalog/releases/{RELEASE}/applicability", json=scope)["applicable_count"]

    # Start an application on the paired pathway, and submit it.
    d.get(base_url + "/")
    click_and_load(d, d.find_element(By.LINK_TEXT, "Start an application"))
    assert path_of(d) == "/applications/new"
    d.find_element(By.CSS_SELECTOR, "input[name=pathway][value=rpt-paired]").click()
    assert Select(d.find_element(By.ID, "release")).first_selected_option.get_attribute("value")
    click_and_load(d, button(d, "Start the application"))
    match = re.fullmatch(r"/applications/([0-9a-f-]{36})", path_of(d))
    assert match, f"starting an application ended on {d.current_url}: {main_text(d)}"
    application_id = match.group(1)
    assert state_label(d) == "Draft"
    click_and_load(d, button(action_form(d, "Submit the application"), "Submit the application"))
    assert state_label(d) == "Submitted", notice_text(d)

    # ASTRO staff take it through intake.
    staff.accept_intake(application_id)

    d.get(base_url + "/")
    card = d.find_element(By.XPATH, f"//li[contains(@class,'card')][.//h2/a[normalize-space()='{legal_name}']]")
    assert "Self-assessment" in card.find_element(By.CSS_SELECTOR, ".state").text
    bars = card.find_elements(By.TAG_NAME, "progress")
    assert bars and bars[0].get_attribute("max") == str(applicable) and bars[0].get_attribute("value") == "0"
    screenshot(d, "home")
    click_and_load(d, card.find_element(By.CSS_SELECTOR, "h2 a"))
    assert path_of(d) == f"/applications/{application_id}"
    assert state_label(d) == "Self-assessment"
    listed = indicators(d)
    assert len(listed) == applicable, f"the workspace lists {len(listed)} indicators; the scope makes {applicable} apply"
    assert all(i["hasForm"] for i in listed)
    screenshot(d, "workspace")

    # Answer every applicable indicator: the first one typed, the rest with each one's own form.
    first = listed[0]["code"]
    d.find_element(By.ID, f"answer-{first}").send_keys("Our radiation safety committee charter names the RPT lead.")
    click_and_load(d, button(d.find_element(By.ID, f"indicator-{first}"), "Save the answer"))
    assert "Answer saved." in notice_text(d)
    assert urlparse(d.current_url).fragment == f"indicator-{first}"
    assert "answered" in d.find_element(By.ID, f"indicator-{first}").get_attribute("class")
    results = d.execute_async_script(ANSWER_ALL_JS, "Answered in the browser test")
    assert isinstance(results, list), results
    assert len(results) == applicable - 1
    bad = [r for r in results if not r["saved"]]
    assert not bad, f"saving answers failed: {bad[:5]}"
    d.get(workspace_url(base_url, application_id))
    listed = indicators(d)
    assert all(i["answered"] for i in listed), [i["code"] for i in listed if not i["answered"]]
    answered_bar = d.find_element(By.XPATH, "//section[contains(@class,'summary')]//label[starts-with(normalize-space(),'Indicators answered')]/progress")
    assert answered_bar.get_attribute("value") == str(applicable)

    # Submitting now is refused: level-1 indicators have no evidence; the reasons link to them.
    form = action_form(d, "Submit the self-assessment")
    click_and_load(d, button(form, "Submit the self-assessment"))
    assert "refused" in notice_text(d).lower(), notice_text(d)
    assert state_label(d) == "Self-assessment"
    form = action_form(d, "Submit the self-assessment")
    assert form.find_element(By.CSS_SELECTOR, ".why").text.strip()
    links = form.find_elements(By.CSS_SELECTOR, ".concerns a")
    level1 = [i["code"] for i in listed if i["level1"]]
    assert links, "the refusal links to the indicators that hold it up"
    linked_codes = {link.text.strip() for link in links}
    assert linked_codes <= set(level1), linked_codes - set(level1)
    for link in links:
        assert link.get_attribute("href").endswith("#indicator-" + link.text.strip())
    scroll_to(d, form)
    screenshot(d, "workspace-refused")
    target = links[0].text.strip()
    links[0].click()
    wait(d).until(lambda drv: drv.execute_script("return location.hash") == "#indicator-" + target)
    wait(d, 5).until(lambda drv: drv.find_element(By.ID, f"indicator-{target}").is_displayed())

    # Upload a PDF as evidence for three level-1 indicators, watching the progress bar.
    pdf = tmp_path / "radiation-safety-programme.pdf"
    pdf.write_bytes(minimal_pdf(200_000))
    title = "Radiation safety programme 2026"
    first_codes = level1[:3]
    d.find_element(By.ID, "upload-file").send_keys(str(pdf))
    d.find_element(By.ID, "upload-title").send_keys(title)
    Select(d.find_element(By.ID, "upload-kind")).select_by_value("policy")
    assert d.find_element(By.ID, "upload-as-of").get_attribute("value"), "the date defaults to today"
    for code in first_codes:
        box = d.find_element(By.ID, f"upload-{code}")
        scroll_to(d, box)
        box.click()
    upload_button = button(d.find_element(By.ID, "upload-form"), "Upload")
    scroll_to(d, upload_button, "center")
    d.execute_script(WATCH_PROGRESS_JS)
    # Slow the upload down (about two seconds) so that the bar is seen moving, as on a real connection.
    d.set_network_conditions(offline=False, latency=5, download_throughput=50 * 1024 * 1024, upload_throughput=100 * 1024)
    d.execute_script("window.__apexOldPage = true")
    try:
        upload_button.click()
        bar = d.find_element(By.ID, "upload-progress")
        wait(d).until(lambda drv: bar.is_displayed() and float(bar.get_attribute("value") or 0) > 0)
        screenshot(d, "upload-progress")
        assert d.find_element(By.ID, "upload-percent").text.endswith("%")
        # Then either the page reloads (the upload went in) or the form shows why not.
        outcome = WebDriverWait(d, 60, poll_frequency=0.05, ignored_exceptions=(WebDriverException,)).until(lambda drv: drv.execute_script("""
            if (window.__apexOldPage !== true) { return document.readyState === 'complete' ? 'reloaded' : null; }
            const message = document.getElementById('upload-message');
            return message && !message.hidden ? 'refused: ' + message.textContent : null;"""))
        assert outcome == "reloaded", f"the upload failed: {outcome}"
    finally:
        d.delete_network_conditions()
    landed = urlparse(d.current_url)
    assert landed.path == f"/applications/{application_id}" and "done=uploaded" in landed.query, (
        f"after the upload the browser went to {landed.path}?{landed.query}, which shows "
        f"'{d.find_element(By.TAG_NAME, 'h1').text}', instead of the workspace")
    assert "Document uploaded." in notice_text(d), notice_text(d)
    seen = json.loads(d.execute_script("return sessionStorage.getItem('apex-test-progress')"))
    assert seen["visible"] and seen["max"] > 0, seen
    row = document_row(d, title)
    assert "radiation-safety-programme.pdf" in row.text
    for code in first_codes:
        assert code in row.text

    # Link it to two more indicators, then to every remaining level-1 one.
    others = [i["code"] for i in listed if i["code"] not in first_codes]
    two_more = ([c for c in others if c not in level1] + [c for c in others if c in level1])[:2]
    link_document(d, title, two_more)
    for code in two_more:
        assert code in document_row(d, title).text
    remaining = [c for c in level1 if c not in first_codes and c not in two_more]
    link_document(d, title, remaining)
    listed = indicators(d)
    assert all(i["hasEvidence"] for i in listed if i["level1"]), [i["code"] for i in listed if i["level1"] and not i["hasEvidence"]]

    # Now the self-assessment goes in.
    form = action_form(d, "Submit the self-assessment")
    assert not form.find_elements(By.CSS_SELECTOR, ".why"), form.text
    click_and_load(d, button(form, "Submit the self-assessment"))
    assert state_label(d) == "Document review", notice_text(d)

    # Staff ask for more information; the practice answers on the page.
    question = "Please describe how the written directive is checked before the first Lu-177 administration."
    rfi = staff.call("POST", f"/applications/{application_id}/rfis", json={"question": question, "indicator": level1[0]})
    d.get(workspace_url(base_url, application_id))
    article = d.find_element(By.XPATH, f"//section[@id='rfis']//article[.//p[@class='question'][normalize-space()='{question}']]")
    reply = "The authorised user and the physicist both sign the directive; the checklist is in the evidence."
    article.find_element(By.TAG_NAME, "textarea").send_keys(reply)
    click_and_load(d, button(article, "Send the answer"))
    assert "Your answer was sent." in notice_text(d)
    article = d.find_element(By.XPATH, f"//section[@id='rfis']//article[.//p[@class='question'][normalize-space()='{question}']]")
    assert reply in article.find_element(By.CSS_SELECTOR, ".answer").text
    assert not article.find_elements(By.TAG_NAME, "textarea"), "an answered RFI has no answer form any more"
    scroll_to(d, d.find_element(By.ID, "rfis"))
    screenshot(d, "rfi-answer")
    rfis = staff.call("GET", f"/applications/{application_id}/rfis")["items"]
    assert [r["state"] for r in rfis if r["id"] == rfi["id"]] == ["answered"], rfis

    # The history lists what happened, and its chain verifies.
    events = d.find_elements(By.CSS_SELECTOR, "#history ol.timeline li")
    assert len(events) >= 5, [e.text for e in events]
    history = "\n".join(e.text for e in events)
    for step in ("Submit the application", "Accept intake", "Submit the self-assessment: now document review", "Answered GOV-01"):
        assert step in history, f"{step!r} is not in the history:\n{history}"
    click_and_load(d, button(d.find_element(By.ID, "history"), "Verify the history"))
    assert urlparse(d.current_url).path == f"/applications/{application_id}"
    verdicts = d.find_elements(By.CSS_SELECTOR, "#history .notice")
    scroll_to(d, d.find_element(By.ID, "history"))
    screenshot(d, "history")
    assert verdicts, ("after 'Verify the history' the page shows no result (URL "
                      f"{urlparse(d.current_url).path}?{urlparse(d.current_url).query})")
    assert "intact" in verdicts[0].text.lower() and "error" not in verdicts[0].get_attribute("class"), verdicts[0].text


# --- 2. cross-site and token-less posts -----------------------------------------------------------------


def test_cross_site_post_refused(browser, base_url, api, staff):
    d = browser
    setup = practice_in_self_assessment(api, staff, unique("Crosswind Oncology"))
    application_id = setup["application_id"]
    sign_in(d, base_url, setup["email"], setup["password"])
    d.get(workspace_url(base_url, application_id))
    code = "GOV-01"
    d.find_element(By.ID, f"answer-{code}")
    csrf, cookie = csrf_of(d), session_cookie(d)
    url = f"{base_url}/applications/{application_id}/indicators/{code}/response"
    form = {"csrf": csrf, "version": "", "answer": "Written by another site."}

    def answers():
        body = api.call("GET", f"/applications/{application_id}/responses", token=setup["token"])[2]
        return {r["indicator"]: r["answer"] for r in body["items"]}

    before = answers()
    assert code not in before
    attempts = {
        "cross-site (Sec-Fetch-Site)": ({"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, form),
        "other origin, no Sec-Fetch-Site": ({"Origin": "http://evil.example"}, form),
        "same origin, no csrf field": ({"Origin": base_url, "Sec-Fetch-Site": "same-origin"},
                                       {k: v for k, v in form.items() if k != "csrf"}),
        "same origin, wrong csrf": ({"Origin": base_url, "Sec-Fetch-Site": "same-origin"}, {**form, "csrf": "0" * len(csrf)}),
    }
    for name, (headers, fields) in attempts.items():
        status, _, body = raw_request(url, "POST", form=fields, headers={"Cookie": f"apex_session={cookie}", **headers})
        assert status == 403, f"{name}: answered {status}"
        assert b"Request refused" in body, f"{name}: {body[:300]!r}"
    assert answers() == before, "a refused post changed an answer"

    # The same post from the page's own origin with its token goes through: the refusals above were
    # the origin and the token, not the request itself.
    status, headers, _ = raw_request(url, "POST", form=form, headers={"Cookie": f"apex_session={cookie}", "Origin": base_url,
                                                                      "Sec-Fetch-Site": "same-origin"})
    assert status in (302, 303) and "done=answered" in headers["Location"], status
    assert answers()[code] == form["answer"]


# --- 3. signing out ends the cookie --------------------------------------------------------------------


def test_signed_out_cookie_is_useless(browser, base_url, screenshot):
    d = browser
    d.get(base_url + "/sign-in")
    screenshot(d, "sign-in")
    sign_in(d, base_url, LAKESIDE_CONTRIBUTOR)
    cookie = session_cookie(d)
    with_cookie = {"Cookie": f"apex_session={cookie}"}
    assert raw_request(base_url + "/", headers=with_cookie)[0] == 200
    assert raw_request(base_url + "/api/v1/me", headers=with_cookie)[0] == 200

    click_and_load(d, button(d.find_element(By.TAG_NAME, "header"), "Sign out"))
    assert path_of(d) == "/sign-in" and "You are signed out." in main_text(d)
    assert d.get_cookie("apex_session") is None, "signing out removes the cookie"

    status, headers, _ = raw_request(base_url + "/", headers=with_cookie)
    assert status in (302, 303) and urlparse(headers["Location"]).path == "/sign-in", (status, headers.get("Location"))
    status, headers, _ = raw_request(base_url + "/applications/new", headers=with_cookie)
    assert status in (302, 303) and urlparse(headers["Location"]).path == "/sign-in", (status, headers.get("Location"))
    assert raw_request(base_url + "/api/v1/me", headers=with_cookie)[0] == 401


# --- 4. the session cookie's attributes ------------------------------------------------------------------


def test_cookie_flags(base_url):
    status, headers, _ = raw_request(base_url + "/sign-in", "POST", form={"email": LAKESIDE_ADMIN, "password": DEMO_PASSWORD},
                                     headers={"Origin": base_url})
    assert status in (302, 303) and headers["Location"] == "/", (status, headers.get("Location"))
    cookies = headers.get_all("Set-Cookie") or []
    assert len(cookies) == 1, cookies
    name_value, *attributes = [part.strip() for part in cookies[0].split(";")]
    name, _, value = name_value.partition("=")
    assert name == "apex_session" and len(value) >= 40
    flags = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        flags[key.lower()] = val
    assert "httponly" in flags, cookies[0]
    assert flags.get("samesite") == "Lax", cookies[0]
    assert flags.get("path") == "/", cookies[0]
    assert "domain" not in flags, cookies[0]
    assert 0 < int(flags.get("max-age", "0")) <= 12 * 3600, cookies[0]


# --- 5. markup typed by people is shown as text --------------------------------------------------------


def test_markup_is_escaped(browser, base_url, api, staff):
    d = browser
    setup = practice_in_self_assessment(api, staff, EVIL_NAME)
    application_id = setup["application_id"]
    sign_in(d, base_url, setup["email"], setup["password"])

    def check_page(what: str) -> None:
        assert_no_alert(d)
        source = d.page_source
        assert "<script>alert" not in source, f"{what}: the markup reached the page unescaped"
        assert "&lt;script&gt;" in source, f"{what}: the text is not on the page"

    card = d.find_element(By.XPATH, f"//li[contains(@class,'card')][.//a[@href='/applications/{application_id}']]")
    assert EVIL_NAME in card.find_element(By.CSS_SELECTOR, "h2 a").text
    check_page("home")

    d.get(workspace_url(base_url, application_id))
    assert EVIL_NAME in d.find_element(By.TAG_NAME, "h1").text
    assert EVIL_NAME in d.find_element(By.CSS_SELECTOR, ".breadcrumb").text
    assert EVIL_NAME in d.title
    check_page("workspace")

    code = indicators(d)[0]["code"]
    d.find_element(By.ID, f"answer-{code}").send_keys(EVIL_ANSWER)
    click_and_load(d, button(d.find_element(By.ID, f"indicator-{code}"), "Save the answer"))
    assert "Answer saved." in notice_text(d)
    area = d.find_element(By.ID, f"answer-{code}")
    assert area.get_attribute("value") == EVIL_ANSWER
    assert EVIL_ANSWER in area.text
    check_page("workspace with the answer")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in d.page_source
    responses = api.call("GET", f"/applications/{application_id}/responses", token=setup["token"])[2]["items"]
    assert [r["answer"] for r in responses if r["indicator"] == code] == [EVIL_ANSWER]

    if page_status(base_url, "/practice", session_cookie(d)) != 404:
        d.get(base_url + "/practice")
        assert EVIL_NAME in main_text(d)
        check_page("practice profile")


# --- 6. another practice's application is not there ----------------------------------------------------


def test_other_practice_is_not_found(browser, base_url, staff):
    d = browser
    mesa = staff.applications_of("Mesa Cancer Care")
    lakeside = staff.applications_of("Lakeside Radiation Oncology")
    assert mesa and lakeside, "the demo data has applications of both practices"
    sign_in(d, base_url, LAKESIDE_ADMIN)
    cookie = session_cookie(d)

    d.get(workspace_url(base_url, lakeside[0]["id"]))
    assert d.find_element(By.TAG_NAME, "h1").text.startswith("Lakeside Radiation Oncology"), "the practice's own application opens"

    d.get(workspace_url(base_url, str(uuid.uuid4())))
    assert d.find_element(By.TAG_NAME, "h1").text == "Page not found"
    unknown = main_text(d)
    for application in mesa:
        path = f"/applications/{application['id']}"
        d.get(base_url + path)
        assert d.find_element(By.TAG_NAME, "h1").text == "Page not found", f"{path}: {main_text(d)[:200]}"
        assert main_text(d) == unknown, "another practice's application looks exactly like one that does not exist"
        assert "Mesa" not in d.page_source
        assert page_status(base_url, path, cookie) == 404

    # Posting to it with a good token is the same 404, and changes nothing.
    d.get(base_url + "/")
    target = next(a for a in mesa if a["state"] == "self-assessment")
    status, _, body = raw_request(f"{base_url}/applications/{target['id']}/indicators/GOV-01/response", "POST",
                                  form={"csrf": csrf_of(d), "version": "", "answer": "Written by Lakeside."},
                                  headers={"Cookie": f"apex_session={cookie}", "Origin": base_url, "Sec-Fetch-Site": "same-origin"})
    assert status == 404 and b"Page not found" in body, status
    answers = staff.call("GET", f"/applications/{target['id']}/responses")["items"]
    assert all(r["answer"] != "Written by Lakeside." for r in answers)


# --- 7. accessibility -----------------------------------------------------------------------------------


def test_pages_have_no_serious_accessibility_violations(browser, base_url, staff, axe_check):
    d = browser
    found: dict[str, list[dict]] = {}

    def check(name: str) -> None:
        found[name] = [v for v in axe_check(d, impacts=()) if v.get("impact") in SERIOUS_IMPACTS]

    d.get(base_url + "/sign-in")
    check("sign-in")
    lakeside = staff.call("GET", "/practices?q=Lakeside")["items"][0]
    _, invitation = staff.invite(lakeside["id"], role="practice-contributor", name="Axe Checker")
    d.get(f"{base_url}/invitations/accept?token={invitation}")
    check("accept-invitation")
    for field in ("password", "confirmation"):
        d.find_element(By.ID, field).send_keys("bbbbbbbbbbbb")
    click_and_load(d, button(d, "Set password and sign in"))
    assert d.find_elements(By.ID, "invitation-error")
    check("accept-invitation with an error")

    sign_in(d, base_url, MESA_ADMIN)
    check("home")
    mesa = staff.applications_of("Mesa Cancer Care")
    in_progress = next(a for a in mesa if a["state"] == "self-assessment")
    d.get(workspace_url(base_url, in_progress["id"]))
    check("workspace (self-assessment)")
    d.get(workspace_url(base_url, next(a for a in mesa if a["state"] != "self-assessment")["id"]))
    check("workspace (later state)")
    d.get(base_url + "/applications/new")
    check("new-application")
    d.get(base_url + "/account/password")
    check("change-password")
    d.get(workspace_url(base_url, str(uuid.uuid4())))
    assert d.find_element(By.TAG_NAME, "h1").text == "Page not found"
    check("error (404)")
    cookie = session_cookie(d)
    for path in ("/practice", "/practice/people"):
        if page_status(base_url, path, cookie) != 404:
            d.get(base_url + path)
            check(path)

    lines = []
    for page, violations in found.items():
        for v in violations:
            targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
            lines.append(f"  {page}: {v['id']} [{v['impact']}] {v['help']}: {targets}")
    assert not lines, "serious or critical accessibility violations:\n" + "\n".join(lines)


# --- the practice's people (page being written) ---------------------------------------------------------


def test_practice_admin_invites_a_colleague(browser, base_url, api, staff, screenshot):
    d = browser
    legal_name = unique("Northgate Nuclear Medicine")
    practice = staff.create_practice(legal_name, agents=("ra223",))
    admin_email, invitation = staff.invite(practice["id"], name="Morgan Admin")
    status, _, _ = api.call("POST", "/invitations/accept", json={"token": invitation, "password": NEW_PASSWORD})
    assert status == 201
    sign_in(d, base_url, admin_email, NEW_PASSWORD)
    require_page(base_url, "/practice/people", session_cookie(d))

    d.get(base_url + "/practice/people")
    assert admin_email in main_text(d), "the people list shows the admin"
    colleague = f"colleague-{uuid.uuid4().hex[:8]}@practice.example"
    form = d.find_element(By.XPATH, "//form[.//input[@name='email']]")
    form.find_element(By.NAME, "email").send_keys(colleague)
    form.find_element(By.NAME, "display_name").send_keys("Sam Physicist")
    Select(form.find_element(By.NAME, "role")).select_by_value("practice-contributor")
    click_and_load(d, form.find_element(By.CSS_SELECTOR, "button[type=submit], button:not([type])"))
    link = d.find_element(By.ID, "invitation-link")
    assert link.is_displayed()
    url = link.get_attribute("href") or link.get_attribute("value") or link.text
    assert url.startswith(base_url + "/invitations/accept?token="), url
    assert colleague in main_text(d)
    screenshot(d, "people")

    # The colleague opens the link in their own browser and sets a password.
    d.delete_all_cookies()
    d.get(url)
    for field in ("password", "confirmation"):
        d.find_element(By.ID, field).send_keys(NEW_PASSWORD)
    click_and_load(d, button(d, "Set password and sign in"))
    assert path_of(d) == "/", main_text(d)
    who = d.find_element(By.CSS_SELECTOR, "header .who").text
    assert "Sam Physicist" in who and "Practice contributor" in who, who
