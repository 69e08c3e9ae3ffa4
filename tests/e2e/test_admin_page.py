"""The administration page in Chromium: accounts (open one, its temporary password shown once,
disable it), groups of communes (create, edit, delete, their labels shown as text) and the
journal of sign-ins and account changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.e2e.conftest import ARTIFACTS, Person, Site, fill_sign_in, page_errors, sign_in

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "connexion"
MARKUP = "<img src=x id=injecte> Nord"


def open_admin(page: Any, site: Site) -> None:
    sign_in(page, site, "admin")
    page.click("#navigation a[data-page=admin]")
    page.wait_for_selector("#table-comptes")
    page.wait_for_selector("#nouveau-courriel")


def test_the_admin_page_opens_an_account_and_a_group(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    open_admin(page, site)
    rows = page.locator("#table-comptes tbody tr")
    assert page.locator(f"#table-comptes tr[data-courriel='{site.people['admin'].email}']").count()
    before = rows.count()

    # A group of two communes, its label shown as text.
    page.wait_for_selector("#groupe-nom")
    boxes = page.locator("#admin-groupes input[type=checkbox]")
    # One checkbox per commune the samples load (Toulouse, and its neighbours when loaded).
    assert boxes.count() >= 1
    picked = range(min(2, boxes.count()))
    chosen = [boxes.nth(i).get_attribute("value") for i in picked]
    page.fill("#groupe-nom", "cispd-e2e")
    page.fill("#groupe-libelle", MARKUP)
    for i in picked:
        boxes.nth(i).check()
    page.click("#admin-groupes button[type=submit]")
    row = page.locator("#table-groupes tr[data-groupe='cispd-e2e']")
    row.wait_for()
    assert MARKUP in row.inner_text()
    assert page.locator("#injecte").count() == 0
    with site.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT label, communes FROM commune_group WHERE name = 'cispd-e2e'")
        ).one()
    assert stored.label == MARKUP and sorted(stored.communes) == sorted(chosen)

    # An account of that group: its temporary password shown once.
    email = "e2e-nouveau@observatoire.test"
    page.fill("#nouveau-courriel", email)
    page.select_option("#nouveau-role", "analyst")
    page.uncheck("#nouveau-toutes")
    page.check("#nouveau-g-cispd-e2e")
    page.click("#admin-nouveau button[type=submit]")
    page.wait_for_selector("#nouveau-mot-de-passe")
    temporary = page.inner_text("#nouveau-mot-de-passe").strip()
    assert len(temporary) >= 12
    page.wait_for_function(
        f"() => document.querySelectorAll('#table-comptes tbody tr').length === {before + 1}"
    )
    created = page.locator(f"#table-comptes tr[data-courriel='{email}']")
    assert "analyste" in created.inner_text()
    assert "non" in created.inner_text()  # no second factor yet
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "administration.png", full_page=True)
    with site.engine.connect() as conn:
        account = conn.execute(
            text("SELECT id, role, groups, must_change_password FROM account WHERE email = :e"),
            {"e": email},
        ).one()
    assert account.role == "analyst" and account.groups == ["cispd-e2e"]
    assert account.must_change_password is True

    # The new person signs in with it and is asked for a password of their own.
    other = open_page()
    other.goto(site.url + "/")
    fill_sign_in(other, Person(account.id, email, "analyst", temporary, None))
    other.wait_for_selector("#parcours:not([hidden]) #mdp-actuel:focus")
    # They may leave there: signed out, back to the form.
    other.click("#parcours-sortir")
    other.wait_for_selector("#connexion:not([hidden]) #courriel:focus")
    assert "déconnecté" in other.inner_text("#connexion-erreur")

    # Disabled: the account cannot sign in any more.
    created.get_by_role("button", name="Désactiver").click()
    page.wait_for_function(
        f"""() => document.querySelector("#table-comptes tr[data-courriel='{email}']")
            ?.textContent.includes('désactivé')"""
    )
    with site.engine.connect() as conn:
        disabled = conn.execute(
            text("SELECT disabled_at IS NOT NULL FROM account WHERE email = :e"), {"e": email}
        ).scalar_one()
    assert disabled is True

    # The journal shows the account opened, by whom.
    page.reload()
    page.wait_for_selector("#table-journal tbody tr")
    journal = page.inner_text("#table-journal")
    assert site.people["admin"].email in journal
    assert f"compte {email}" in journal  # which account was opened
    assert page_errors(page) == [] and page_errors(other) == []


def test_a_group_is_edited_then_deleted(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    open_admin(page, site)
    page.fill("#groupe-nom", "epci-e2e")
    page.fill("#groupe-libelle", "EPCI de test")
    page.locator("#admin-groupes input[type=checkbox]").nth(0).check()
    page.click("#admin-groupes button[type=submit]")
    row = page.locator("#table-groupes tr[data-groupe='epci-e2e']")
    row.wait_for()
    # The journal says it at once, and which group.
    page.wait_for_selector("#table-journal tr:has-text('groupe créé'):has-text('groupe epci-e2e')")

    row.get_by_role("button", name="Modifier").click()
    page.wait_for_selector("#groupe-nom[readonly]")
    page.fill("#groupe-libelle", "EPCI renommé")
    page.click("#admin-groupes button[type=submit]")
    page.wait_for_selector("#table-groupes tr[data-groupe='epci-e2e']:has-text('EPCI renommé')")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#table-groupes tr[data-groupe='epci-e2e']").get_by_role(
        "button", name="Supprimer"
    ).click()
    page.wait_for_selector("#table-groupes tr[data-groupe='epci-e2e']", state="detached")
    with site.engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM commune_group WHERE name = 'epci-e2e'")
        ).scalar_one()
    assert left == 0
    assert page_errors(page) == []


def test_the_admin_page_is_not_offered_to_other_roles(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    sign_in(page, site, "analyst", "/?page=admin")
    assert not page.locator("#navigation a[data-page=admin]").is_visible()
    assert page.locator("#navigation a[data-page=compte]").is_visible()
    assert not page.locator("#page-admin").is_visible()
    assert page.locator("#page-carte").is_visible()


def test_an_account_is_edited_and_its_password_and_second_factor_reset(
    open_page: Callable[..., Any], site: Site
) -> None:
    police = site.person("police")
    page = open_page()
    open_admin(page, site)
    row = page.locator(f"#table-comptes tr[data-courriel='{police.email}']")
    assert "oui" in row.inner_text()

    # Role and scope: police of all communes becomes an analyst of the first commune.
    row.get_by_role("button", name="Modifier").click()
    page.wait_for_selector("#edition-role:focus")
    page.select_option("#edition-role", "analyst")
    page.uncheck("#edition-toutes")
    first = page.locator("#admin-edition .portee-detail input[type=checkbox]").first
    code = first.get_attribute("value")
    first.check()
    page.click("#admin-edition button[type=submit]")
    page.wait_for_selector(f"#admin-message:has-text('{police.email}')")
    with site.engine.connect() as conn:
        role, communes = conn.execute(
            text("SELECT role, communes FROM account WHERE id = :id"), {"id": police.id}
        ).one()
    assert (role, communes) == ("analyst", [code])
    row = page.locator(f"#table-comptes tr[data-courriel='{police.email}']")
    assert "analyste" in row.inner_text()

    # The second factor reset (a lost phone): 2FA « non », asked again at the next sign-in.
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Réinitialiser la 2FA").click()
    page.wait_for_function(
        f"""() => document.querySelector("#table-comptes tr[data-courriel='{police.email}']")
            ?.children[3].textContent === 'non'"""
    )

    # A new temporary password, shown once: the person must change it at the next sign-in.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#table-comptes tr[data-courriel='{police.email}']").get_by_role(
        "button", name="Nouveau mot de passe"
    ).click()
    page.wait_for_selector("#mot-de-passe-provisoire")
    temporary = page.inner_text("#mot-de-passe-provisoire").strip()
    other = open_page()
    other.goto(site.url + "/")
    fill_sign_in(other, Person(police.id, police.email, "analyst", temporary, None))
    other.wait_for_selector("#parcours:not([hidden]) #mdp-actuel:focus")
    assert page_errors(page) == [] and page_errors(other) == []
