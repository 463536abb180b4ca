"""The chain works: apex answers the browser and the API client, and axe-core runs in the browser."""

from urllib.parse import quote

from conftest import STAFF


def test_browser_reaches_apex_and_api_signs_in(browser, base_url, api, screenshot):
    status, _, body = api.call("GET", base_url + "/health/live")
    assert status == 200 and body == {"status": "live"}

    browser.get(base_url + "/health/live")
    assert '"status":"live"' in browser.page_source.replace(" ", "")

    token = api.login(STAFF)
    status, headers, page = api.call("GET", "/applications?limit=5", token=token)
    assert status == 200, page
    assert "json" in headers["Content-Type"]
    assert isinstance(page["items"], list) and page["items"], "the demo data has applications"


def test_axe_runs_on_a_trivial_page(browser, axe_check):
    browser.get("data:text/html," + quote('<html lang="en"><title>t</title><main><h1>x</h1></main></html>'))
    violations = axe_check(browser)
    assert isinstance(violations, list)
    assert browser.execute_script("return axe.version").startswith("4.")
