"""Signing in as a person in Chromium: e-mail, password and TOTP code; the first sign-in that
changes a temporary password and enrols the second factor from the QR code's key; recovery
codes; sign-out here and everywhere; an expired session; a request without its CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.accounts import code_now
from tests.e2e.conftest import (
    ARTIFACTS,
    Site,
    fill_sign_in,
    page_errors,
    session_cookie,
    sign_in,
    wait_for_map,
)

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "connexion"
EXPIRED = "Votre session a expiré : reconnectez-vous."
NEW_PASSWORD = "lanterne pivoine escalier brumeux 77"


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True)


def wait_for_sign_in(page: Any) -> None:
    page.wait_for_selector("#connexion:not([hidden]) #courriel:focus")


def me_status(page: Any) -> int:
    """The status of /auth/me with the page's cookie (200 signed in, 401 not)."""
    return int(page.evaluate("async () => (await fetch('/api/v1/auth/me')).status"))


def a_new_analyst_signed_in(open_page: Callable[..., Any], site: Site) -> tuple[Any, Any]:
    """A page where a new analyst account signed in through the form, and that person."""
    person = site.person("analyst")
    page = open_page()
    page.goto(site.url + "/")
    fill_sign_in(page, person)
    wait_for_map(page)
    return page, person


def test_a_new_user_signs_in_with_password_and_totp(
    open_page: Callable[..., Any], site: Site
) -> None:
    person = site.person("admin")
    page = open_page()
    page.goto(site.url + "/")
    wait_for_sign_in(page)
    assert not page.locator("#code").is_visible()
    page.fill("#courriel", person.email)
    page.fill("#mot-de-passe", person.password)
    page.press("#mot-de-passe", "Enter")

    # The server asks for the second factor: the code field appears, with the focus.
    page.wait_for_selector("#code:focus")
    assert "code" in page.inner_text("#connexion-erreur").lower()
    shoot(page, "connexion-code.png")
    page.fill("#code", person.code())
    page.press("#code", "Enter")
    wait_for_map(page)

    who = page.inner_text("#qui")
    assert person.email in who and "administrateur" in who
    assert page.locator("#navigation a[data-page=admin]").is_visible()
    cookie = session_cookie(page)
    assert cookie["httpOnly"] is True
    # Nothing of the session is left where a script could read it.
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("sessionStorage.length") == 0
    shoot(page, "connexion-carte.png")
    assert page_errors(page) == []


def test_a_wrong_password_or_code_is_refused_in_french(
    open_page: Callable[..., Any], site: Site
) -> None:
    person = site.person("police")
    page = open_page()
    page.goto(site.url + "/")
    wait_for_sign_in(page)
    page.fill("#courriel", person.email)
    page.fill("#mot-de-passe", "pas le bon mot de passe du tout")
    page.press("#mot-de-passe", "Enter")
    page.wait_for_function("() => document.querySelector('#connexion-erreur').textContent !== ''")
    message = page.inner_text("#connexion-erreur")
    assert "mot de passe" in message.lower()
    assert page.locator("#connexion").is_visible()
    assert not page.locator("#code").is_visible()
    assert me_status(page) == 401

    # The right password, then a wrong code: the code field says so and keeps the focus.
    page.fill("#mot-de-passe", person.password)
    page.press("#mot-de-passe", "Enter")
    page.wait_for_selector("#code:focus")
    wrong = "000000" if person.code() != "000000" else "111111"
    page.fill("#code", wrong)
    page.press("#code", "Enter")
    page.wait_for_function(
        "() => /code/i.test(document.querySelector('#connexion-erreur').textContent)"
        " && !document.querySelector('#connexion-erreur').classList.contains('info')"
    )
    shoot(page, "connexion-code-faux.png")
    assert me_status(page) == 401
    page.fill("#code", person.code())
    page.press("#code", "Enter")
    wait_for_map(page)
    assert page_errors(page) == []


def test_first_sign_in_changes_the_password_enrols_totp_and_a_recovery_code_works_once(
    open_page: Callable[..., Any], site: Site
) -> None:
    temporary = "provisoire-e2e-4kq7-m2xp-9hta"
    person = site.person("police", totp=False, temporary=True, password=temporary)
    page = open_page()
    page.goto(site.url + "/")
    fill_sign_in(page, person)

    # First the temporary password, before anything else.
    page.wait_for_selector("#parcours:not([hidden]) #mdp-actuel:focus")
    assert "mot de passe" in page.inner_text("#titre-parcours").lower()
    assert not page.locator("#page-carte").is_visible()
    page.fill("#mdp-actuel", temporary)
    page.fill("#mdp-nouveau", NEW_PASSWORD)
    page.fill("#mdp-confirmation", NEW_PASSWORD)
    page.click("#parcours button[type=submit]")

    # Then the second factor: a QR code to scan and its key in clear.
    page.wait_for_selector("#totp-qr")
    page.wait_for_function("() => document.querySelector('#totp-qr').naturalWidth > 0")
    assert page.get_attribute("#totp-qr", "src").startswith("data:image/svg+xml;base64,")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    assert secret == page.get_attribute("#totp-secret", "data-secret")
    shoot(page, "inscription-qr.png")
    page.fill("#totp-code", code_now(secret))
    page.press("#totp-code", "Enter")

    # The recovery codes, once; « Continuer » only once they are noted.
    page.wait_for_selector("#liste-codes li")
    codes = [c.strip() for c in page.locator("#liste-codes li").all_inner_texts()]
    assert len(codes) >= 8 and len(set(codes)) == len(codes)
    assert page.is_disabled("#codes-continuer")
    shoot(page, "inscription-codes.png")
    page.check("#codes-notes")
    page.click("#codes-continuer")
    wait_for_map(page)
    assert person.email in page.inner_text("#qui")

    # A recovery code signs in once...
    page.click("#deconnexion")
    wait_for_sign_in(page)
    changed = type(person)(person.id, person.email, person.role, NEW_PASSWORD, secret)
    fill_sign_in(page, changed, code=codes[0])
    wait_for_map(page)

    # ... and not twice.
    page.click("#deconnexion")
    wait_for_sign_in(page)
    fill_sign_in(page, changed, code=codes[0])
    page.wait_for_function(
        "() => document.querySelector('#connexion-erreur').textContent !== ''"
        " && !document.querySelector('#connexion-erreur').classList.contains('info')"
    )
    assert page.locator("#connexion").is_visible()
    assert me_status(page) == 401
    assert page_errors(page) == []


def test_sign_out_here_then_everywhere(open_page: Callable[..., Any], site: Site) -> None:
    person = site.person("analyst")
    here, there = open_page(), open_page()
    for page in (here, there):
        page.goto(site.url + "/")
        fill_sign_in(page, person)
        wait_for_map(page)

    # Signing out here leaves the other browser signed in.
    here.click("#deconnexion")
    wait_for_sign_in(here)
    assert "déconnecté" in here.inner_text("#connexion-erreur")
    assert me_status(here) == 401
    assert me_status(there) == 200

    # Everywhere: the other browser's session is refused, and its next action says so.
    fill_sign_in(here, person)
    wait_for_map(here)
    here.check("#partout")
    here.click("#deconnexion")
    wait_for_sign_in(here)
    assert "tous vos appareils" in here.inner_text("#connexion-erreur")
    assert me_status(there) == 401
    there.get_by_role("button", name="nuit (22 h – 6 h)").click()
    wait_for_sign_in(there)
    assert there.inner_text("#connexion-erreur") == EXPIRED
    shoot(there, "deconnexion-partout.png")
    assert page_errors(here) == [] and page_errors(there) == []


def test_an_expired_session_returns_to_sign_in_with_the_message(
    open_page: Callable[..., Any], site: Site
) -> None:
    page, person = a_new_analyst_signed_in(open_page, site)
    with site.engine.begin() as conn:
        expired = conn.execute(
            text(
                "UPDATE account_session SET expires_at = now() - interval '1 minute'"
                " WHERE account_id = :id"
            ),
            {"id": person.id},
        ).rowcount
    assert expired == 1

    page.get_by_role("button", name="nuit (22 h – 6 h)").click()
    wait_for_sign_in(page)
    assert page.inner_text("#connexion-erreur") == EXPIRED
    assert not page.locator("#page-carte").is_visible()
    shoot(page, "session-expiree.png")

    # Signed in again, the page opens on the filter the person had chosen.
    fill_sign_in(page, person)
    wait_for_map(page)
    assert page.get_attribute('button[data-heures="22-6"]', "aria-pressed") == "true"
    assert page_errors(page) == []


def test_a_request_without_the_csrf_token_is_refused(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    sign_in(page, site, "analyst")
    create = """async (headers) => {
        const r = await fetch('/api/v1/auth/tokens', {method: 'POST', headers: {
            'Content-Type': 'application/json', ...headers},
            body: JSON.stringify({name: 'carnet-csrf', days: 1})});
        return {status: r.status, type: r.headers.get('content-type'), body: await r.json()};
    }"""
    refused = page.evaluate(create, {})
    assert refused["status"] == 403
    assert refused["type"].startswith("application/problem+json")
    assert refused["body"]["detail"].startswith("Jeton CSRF")
    forged = page.evaluate(create, {"X-CSRF-Token": "0" * 64})
    assert forged["status"] == 403

    # The same request with the session's own token passes: the refusal was the token's.
    csrf = page.evaluate("async () => (await (await fetch('/api/v1/auth/me')).json()).csrf")
    made = page.evaluate(create, {"X-CSRF-Token": csrf})
    assert made["status"] in (200, 201), made
    deleted = page.evaluate(
        """async (csrf) => (await fetch('/api/v1/auth/tokens/carnet-csrf',
            {method: 'DELETE', headers: {'X-CSRF-Token': csrf}})).status""",
        csrf,
    )
    assert deleted == 204
    assert me_status(page) == 200


def test_my_account_page_makes_a_token_and_changes_the_password(
    open_page: Callable[..., Any], site: Site
) -> None:
    page, person = a_new_analyst_signed_in(open_page, site)
    page.click("#navigation a[data-page=compte]")
    page.wait_for_selector("#jeton-nom")
    assert page.inner_text("#compte-courriel") == person.email
    assert "Aucun jeton" in page.inner_text("#liste-jetons")

    # A token for a notebook, shown once; it reads with the account's rights.
    page.fill("#jeton-nom", "carnet-analyse")
    page.fill("#jeton-jours", "7")
    page.click("#compte-jetons button[type=submit]")
    page.wait_for_selector("#jeton-nouveau")
    token = page.inner_text("#jeton-nouveau").strip()
    page.wait_for_selector("#table-jetons tr:has-text('carnet-analyse')")
    answer = httpx.get(
        f"{site.url}/api/v1/stats/summary",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["total"] > 0

    # A stale CSRF token in the page (another tab signed in again): read again, then sent.
    page.evaluate(
        """async () => {
            const s = await import('/static/js/session.js');
            s.retenir({...s.moi(), csrf: 'perime'});
        }"""
    )
    page.locator("#table-jetons tr", has_text="carnet-analyse").get_by_role(
        "button", name="Révoquer"
    ).click()
    page.wait_for_selector("#liste-jetons:has-text('Aucun jeton')")
    refused = httpx.get(
        f"{site.url}/api/v1/stats/summary",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert refused.status_code == 401

    # The password changed here is the one the next sign-in takes.
    page.fill("#mdp-actuel", person.password)
    page.fill("#mdp-nouveau", NEW_PASSWORD)
    page.fill("#mdp-confirmation", NEW_PASSWORD + " ")
    page.click("#compte-mot-de-passe button[type=submit]")
    page.wait_for_selector("#mdp-resultat .erreur:has-text('diffèrent')")
    page.fill("#mdp-confirmation", NEW_PASSWORD)
    page.click("#compte-mot-de-passe button[type=submit]")
    page.wait_for_selector("#mdp-resultat .ok")
    shoot(page, "mon-compte.png")
    page.click("#deconnexion")
    wait_for_sign_in(page)
    fill_sign_in(page, type(person)(person.id, person.email, person.role, NEW_PASSWORD, None))
    wait_for_map(page)
    assert page_errors(page) == []


def test_too_many_wrong_passwords_show_the_wait(open_page: Callable[..., Any], site: Site) -> None:
    """Five failures from one address on one account pause that pair (observatory/accounts/
    throttle.py); the page says how long. (Every failure also counts against the address, for
    the whole e2e package: few tests may fail sign-ins on purpose.)"""
    person = site.person("analyst")
    page = open_page()
    page.goto(site.url + "/")
    wait_for_sign_in(page)
    page.fill("#courriel", person.email)
    statuses = []
    for attempt in range(6):
        page.fill("#mot-de-passe", f"mauvais mot de passe {attempt}")
        with page.expect_response(lambda r: r.url.endswith("/auth/login")) as answer:
            page.press("#mot-de-passe", "Enter")
        statuses.append(answer.value.status)
        page.wait_for_function(
            "() => document.querySelector('#connexion-erreur').textContent !== ''"
            " && !document.querySelector('#form-connexion button').disabled"
        )
    assert statuses == [401] * 5 + [429]
    message = page.inner_text("#connexion-erreur")
    assert "Trop de tentatives" in message and "réessayez dans 15 minutes" in message
    shoot(page, "connexion-pause.png")
    assert me_status(page) == 401


def test_the_header_and_my_account_show_a_scoped_account(
    open_page: Callable[..., Any], site: Site
) -> None:
    site.register("toulouse", "analyst", communes=["31555"])
    page = open_page()
    sign_in(page, site, "toulouse")
    label = page.evaluate("async () => (await (await fetch('/api/v1/auth/me')).json()).scope_label")
    assert label and label != "toutes les communes"
    who = page.inner_text("#qui")
    assert "e2e-toulouse@observatoire.test" in who and label in who
    page.click("#navigation a[data-page=compte]")
    page.wait_for_selector("#compte-portee")
    assert page.inner_text("#compte-portee") == label
