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
