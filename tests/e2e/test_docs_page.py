"""The API documentation (/docs) in a real headless Chromium: Swagger UI served from npm, under
the page's own Content-Security-Policy, asking nothing of any other host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors

pytestmark = pytest.mark.e2e

# Every CSP violation the page meets, from the browser's own event (console wording varies).
WATCH_CSP = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_docs_renders_the_operations_under_the_csp(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.add_init_script(WATCH_CSP)

    answer = page.goto(site.url + "/docs")
    assert answer is not None and answer.status == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page.wait_for_selector(".opblock")
    assert "Observatoire de la tranquillité publique" in page.inner_text(".info .title")
    assert page.locator(".opblock").count() > 20
    assert page.locator(".opblock-summary-path", has_text="/api/v1/layers/hexagons").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "docs-swagger-ui.png")

    # The bearer token through « Authorize », then one call from « Try it out »: Swagger UI's
    # own requests stay within connect-src 'self'.
    page.click(".auth-wrapper .authorize")
    page.fill(".auth-container input", site.tokens["analyst"])
    page.click(".auth-btn-wrapper .authorize")
    page.click(".btn-done, .auth-btn-wrapper .close-modal")
    operation = page.locator(".opblock", has_text="/api/v1/categories").first
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "violences_physiques" in operation.locator(".live-responses-table").inner_text()
    page.screenshot(path=ARTIFACTS / "docs-swagger-ui-essai.png")

    assert page.evaluate("window.__violations") == []
    assert [m for m in console if "Content Security Policy" in m or m.startswith("error")] == []
    assert page_errors(page) == []
    hosts = {urlsplit(u).netloc for u in requested if urlsplit(u).scheme in ("http", "https")}
    assert hosts == {urlsplit(site.url).netloc}, requested
    assert any(u.endswith("/vendor/swagger-ui/swagger-ui-bundle.js") for u in requested)
    assert any(u.endswith("/api/v1/openapi.json") for u in requested)


def test_only_the_two_swagger_ui_files_are_served(site: Site) -> None:
    """swagger-ui-dist is served file by file: not its demo page, which asks the internet."""
    for name, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        answer = httpx.get(f"{site.url}/vendor/swagger-ui/{name}", timeout=30)
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
    for name in ("index.html", "swagger-initializer.js", "package.json", "../leaflet/package.json"):
        assert httpx.get(f"{site.url}/vendor/swagger-ui/{name}", timeout=30).status_code == 404
    page = httpx.get(f"{site.url}/docs", timeout=30)
    assert page.status_code == 200 and "<script>" not in page.text
    assert httpx.get(f"{site.url}/api/v1/openapi.json", timeout=30).status_code == 200
