"""Fixtures of the real-browser tests; run them with scripts/browser-test, which starts
`apex serve --demo`, sets APEX_BASE_URL and installs the pinned selenium, pytest and axe-core.

Fixtures:
  base_url     the running apex, e.g. http://127.0.0.1:40123 (from APEX_BASE_URL)
  browser      a headless Debian Chromium driven by Selenium through Debian's chromedriver, one per test
  api          a small JSON client for {base_url}/api/v1 (ApiClient below)
  screenshot   screenshot(driver, name) -> path of the PNG written
  axe_check    axe_check(driver) -> the page's axe violations; fails the test on serious or critical ones
"""

from __future__ import annotations

import importlib.resources
import json as jsonlib
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# Selenium Manager must never go to the network for a browser or a driver: both are Debian's.
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("APEX_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("APEX_CHROMEDRIVER", "/usr/bin/chromedriver")
REPORT_DIR = Path(os.environ.get("APEX_BROWSER_REPORT_DIR", REPO / ".build" / "browser-test"))

# The demonstration accounts of `apex serve --demo` (Sources/Server/DemoData.swift).
DEMO_PASSWORD = "demo-password-2026"
STAFF = "staff@apex.example"
STAFF_PHYSICIST = "survey-physicist@apex.example"
LAKESIDE_ADMIN = "admin@lakeside.example"
LAKESIDE_CONTRIBUTOR = "physicist@lakeside.example"
MESA_ADMIN = "admin@mesa.example"
MESA_CONTRIBUTOR = "rso@mesa.example"
SURVEYOR_ONCOLOGIST = "oncologist@surveyors.example"
SURVEYOR_PHYSICIST = "physicist@surveyors.example"

SERIOUS_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("APEX_BASE_URL")
    if not url:
        pytest.fail("APEX_BASE_URL is not set: run the browser tests with scripts/browser-test")
    return url.rstrip("/")


# --- the browser -------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # --no-sandbox: Chromium's sandbox cannot start as root (and in most containers).
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


# --- the API -----------------------------------------------------------------------------------------


class ApiClient:
    """A JSON client for {base_url}/api/v1 on urllib.request.

    call() answers (status, headers, body): body is the parsed JSON for a JSON or problem+json answer,
    the raw bytes otherwise, None when empty. Error statuses are answered, not raised.
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.api_url = base_url + "/api/v1"

    def call(self, method: str, path: str, json=None, token: str | None = None, headers: dict | None = None):
        url = path if path.startswith(("http://", "https://")) else self.api_url + path
        data = None
        request_headers = {"Accept": "application/json"}
        if json is not None:
            data = jsonlib.dumps(json).encode()
            request_headers["Content-Type"] = "application/json"
        if token is not None:
            request_headers["Authorization"] = "Bearer " + token
        request_headers.update(headers or {})
        request = urllib.request.Request(url, data=data, headers=request_headers, method=method.upper())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer_headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, body = error.code, error.headers, error.read()
        content_type = answer_headers.get("Content-Type", "")
        if not body:
            parsed = None
        elif "json" in content_type:
            parsed = jsonlib.loads(body)
        else:
            parsed = body
        return status, answer_headers, parsed

    def login(self, email: str = STAFF, password: str = DEMO_PASSWORD) -> str:
        """Signs in and answers the session token; fails the test when the sign-in is refused."""
        for _ in range(10):
            status, headers, body = self.call("POST", "/auth/login", json={"email": email, "password": password})
            # Too many sign-ins for this email being checked at once: not a lock, try again shortly.
            if status == 429 and headers.get("Retry-After") == "1":
                time.sleep(1)
                continue
            break
        if status != 200:
            pytest.fail(f"sign-in as {email} answered {status}: {body!r}")
        return body["token"]


@pytest.fixture(scope="session")
def api(base_url) -> ApiClient:
    return ApiClient(base_url)


# --- screenshots -------------------------------------------------------------------------------------


def _screenshot(driver, name: str) -> Path:
    """Saves the browser window as <name>.png: into docs/screenshots/ when APEX_SCREENSHOTS=1 (to be
    committed), otherwise into the report folder so that a run leaves the checkout clean."""
    if os.environ.get("APEX_SCREENSHOTS") == "1":
        folder = REPO / "docs" / "screenshots"
    else:
        folder = REPORT_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    if not driver.save_screenshot(str(path)):
        pytest.fail(f"could not save the screenshot {path}")
    return path


@pytest.fixture(scope="session")
def screenshot():
    return _screenshot


# --- accessibility with axe-core -----------------------------------------------------------------------

# axe-playwright-python is installed only for this file (without Playwright); it is injected through
# Selenium instead.
AXE_JS_PATH = Path(str(importlib.resources.files("axe_playwright_python").joinpath("axe.min.js")))

_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (results) => done({violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html})),
  }))}),
  (error) => done({error: String(error && error.stack || error)}));
"""


def _axe_check(driver, impacts=SERIOUS_IMPACTS) -> list[dict]:
    """Runs axe-core on the current page and answers every violation (any impact); fails the test
    when one has an impact in `impacts` (serious or critical), listing them."""
    if not driver.execute_script("return typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        driver.execute_script(AXE_JS_PATH.read_text(encoding="utf-8"))
    answer = driver.execute_async_script(_AXE_RUN)
    if answer is None or "error" in answer:
        pytest.fail(f"axe.run failed on {driver.current_url}: {answer and answer.get('error')}")
    violations = answer["violations"]
    bad = [v for v in violations if v.get("impact") in impacts]
    if bad:
        lines = [f"{len(bad)} serious or critical accessibility violation(s) on {driver.current_url}:"]
        for v in bad:
            targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
            more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
            lines.append(f"  {v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
        pytest.fail("\n".join(lines), pytrace=False)
    return violations


@pytest.fixture(scope="session")
def axe_check():
    return _axe_check


# --- helpers for the portal tests ----------------------------------------------------------------------
# Used by test_practice_portal.py: a practice user's steps go through the browser; these only set up
# (practices, invitations, applications) and act as ASTRO staff through the API.

import itertools  # noqa: E402
import re  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import quote, urlencode, urlparse  # noqa: E402

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

RELEASE = "apex-rpt@2026.1"
WAIT = 20  # seconds an explicit wait may take before the test fails
NEW_PASSWORD = "a practice manager's pass phrase 7"


def unique(prefix: str) -> str:
    """A name no earlier run used (the demo data lives as long as one `apex serve`)."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def wait(driver, timeout: float = WAIT) -> WebDriverWait:
    return WebDriverWait(driver, timeout, poll_frequency=0.05)


def path_of(driver) -> str:
    return urlparse(driver.current_url).path


def click_and_load(driver, element) -> None:
    """Clicks something that loads a new page (a form's button, a link) and waits until it has: the
    marker set on the old page is gone and the new one is complete. While the page changes, the driver
    may answer errors about the old document; those only mean "not yet"."""
    driver.execute_script("window.__apexOldPage = true")
    element.click()
    WebDriverWait(driver, WAIT, poll_frequency=0.05, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return window.__apexOldPage !== true && document.readyState === 'complete'"),
        message=f"no new page loaded after the click (still on {driver.current_url})")


def button(driver, text: str, scope=None):
    """The (first) button whose visible text is `text`."""
    return (scope or driver).find_element(By.XPATH, f".//button[normalize-space()={xpath_literal(text)}]")


def xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def sign_in(driver, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in through the sign-in page and waits for the home page."""
    driver.get(base_url + "/sign-in")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "form button.primary"))
    assert path_of(driver) == "/", f"signing in as {email} ended on {driver.current_url}: {main_text(driver)}"


def main_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def session_cookie(driver) -> str:
    cookie = driver.get_cookie("apex_session")
    assert cookie and cookie["value"], "the browser holds no apex_session cookie"
    return cookie["value"]


def csrf_of(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_no_redirect_opener = urllib.request.build_opener(_NoRedirect)


def raw_request(url: str, method: str = "GET", form: dict | None = None, headers: dict | None = None):
    """One HTTP request, redirects not followed: answers (status, headers, body bytes)."""
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _no_redirect_opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page_status(base_url: str, path: str, cookie: str) -> int:
    return raw_request(base_url + path, headers={"Cookie": f"apex_session={cookie}"})[0]


def require_page(base_url: str, path: str, cookie: str) -> None:
    """Skips the calling test while `path` is not written yet (answers 404 to a signed-in person)."""
    if page_status(base_url, path, cookie) == 404:
        pytest.skip(f"{path} answers 404: the page is not there yet")


class Staff:
    """ASTRO staff acting through the API (setting up, and the staff steps of the workflow)."""

    def __init__(self, api: ApiClient):
        self.api = api
        self.token = api.login(STAFF)

    def call(self, method, path, json=None, expect=(200, 201)):
        status, _, body = self.api.call(method, path, json=json, token=self.token)
        assert status in expect, f"{method} {path} answered {status}: {body!r}"
        return body

    def create_practice(self, legal_name: str, agents=(), jurisdiction: str = "US-NRC") -> dict:
        return self.call("POST", "/practices", json={
            "legal_name": legal_name, "address": "1 Harbour Road, Springfield", "licence_number": "L-" + uuid.uuid4().hex[:6],
            "regulator": jurisdiction, "scope": {"agents": list(agents), "jurisdiction": jurisdiction},
            "main_facility": {"name": "Main campus", "address": "1 Harbour Road, Springfield", "distance_miles": 0}})

    def invite(self, practice_id: str, role: str = "practice-admin", name: str = "Pat Manager") -> tuple[str, str]:
        """Answers (email, one-time token) of a new invitation to the practice."""
        email = f"{role}-{uuid.uuid4().hex[:8]}@practice.example"
        body = self.call("POST", "/invitations", json={"email": email, "display_name": name, "role": role, "practice_id": practice_id})
        return email, body["token"]

    def application(self, application_id: str) -> dict:
        return self.call("GET", f"/applications/{application_id}", expect=(200,))

    def fire(self, application_id: str, action: str, reason: str | None = None) -> dict:
        version = self.application(application_id)["version"]
        body = {"action": action, "version": version}
        if reason:
            body["reason"] = reason
        return self.call("POST", f"/applications/{application_id}/transitions", json=body, expect=(200,))

    def accept_intake(self, application_id: str) -> None:
        self.fire(application_id, "begin-intake")
        result = self.fire(application_id, "accept-intake")
        assert result["state"] == "self-assessment", result

    def applications_of(self, practice_name: str) -> list[dict]:
        return self.call("GET", "/applications?limit=100&practice_name=" + quote(practice_name), expect=(200,))["items"]


@pytest.fixture(scope="session")
def staff(api) -> Staff:
    return Staff(api)


def practice_in_self_assessment(api: ApiClient, staff: Staff, legal_name: str, agents=("lu177-psma",)) -> dict:
    """A new practice with an admin (invited and accepted through the API) and an application that staff
    have taken through intake: {practice_id, email, password, token, application_id}."""
    practice = staff.create_practice(legal_name, agents=agents)
    email, invitation = staff.invite(practice["id"])
    status, _, session = api.call("POST", "/invitations/accept", json={"token": invitation, "password": NEW_PASSWORD})
    assert status == 201, session
    status, _, application = api.call("POST", "/applications", token=session["token"], json={
        "practice_id": practice["id"], "release_id": RELEASE, "pathway": "rpt-paired", "term_years": 3})
    assert status == 201, application
    status, _, body = api.call("POST", f"/applications/{application['id']}/transitions", token=session["token"],
                               json={"action": "submit", "version": application["version"]})
    assert status == 200, body
    staff.accept_intake(application["id"])
    return {"practice_id": practice["id"], "email": email, "password": NEW_PASSWORD, "token": session["token"],
            "application_id": application["id"]}


def minimal_pdf(approx_bytes: int = 200_000) -> bytes:
    """A valid, inert PDF (no scripts, actions or attachments) of about `approx_bytes`: pages of plain,
    unfiltered text so its size comes from content, not padding."""
    line = "Written directive log, dose calibrator constancy check and training record of the RPT programme"
    per_page = 60
    pages: list[str] = []
    for page_number in itertools.count(1):
        ops = ["BT /F1 9 Tf 11 TL 40 760 Td"]
        ops += [f"(Page {page_number}, line {n + 1}: {line}.) '" for n in range(per_page)]
        ops.append("ET")
        pages.append("\n".join(ops))
        if sum(len(p) for p in pages) >= approx_bytes:
            break
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects = {
        1: "<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] /Count {len(pages)} >>",
        3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: "<< /Title (Evidence for the browser test) /Producer (apex browser tests) >>",
    }
    for page_id, content in zip(page_ids, pages):
        objects[page_id] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_id + 1} 0 R "
                            "/Resources << /Font << /F1 3 0 R >> >> >>")
        objects[page_id + 1] = f"<< /Length {len(content.encode())} >>\nstream\n{content}\nendstream"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode()
    xref = len(out)
    count = max(objects) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[n]:010d} 00000 n \n".encode() for n in range(1, count))
    out += f"trailer\n<< /Size {count} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    assert not re.search(rb"/(JavaScript|JS|OpenAction|Launch|EmbeddedFiles?|RichMedia|AA)\b", out)
    return bytes(out)
