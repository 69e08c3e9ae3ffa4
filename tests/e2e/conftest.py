"""End-to-end fixtures: the real API on a free port, the samples loaded, Debian's Chromium.

The server runs the app of `create_app` under uvicorn in a thread, against the test database
(the `database_url` of tests/conftest.py, so OBS_TEST_DB_NAME applies). The samples are loaded
once for the package and the tables emptied after it, as the `db` fixture does after a test.
Chromium is Debian's (`chromium` on the PATH), driven by Playwright with `executable_path`:
Playwright's own browser download cannot work on a closed network.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from observatory.accounts.sessions import SECOND_FACTOR_ROLES
from observatory.places.store import load_streets
from observatory.settings import Settings
from tests.accounts import PASSWORD, code_now, make_account, set_password_hash
from tests.conftest import TEST_SECRET, _truncate_all, role_tokens
from tests.samples import load_samples
from tests.servers import serving

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
VENDOR_CHECK = ROOT / "node_modules" / "leaflet" / "dist" / "leaflet.js"

# A closed network floods a default Chromium with refused connections (NOTES.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MEASURES: list[str] = []
PAGE_ERRORS: dict[int, list[str]] = {}


def page_errors(page: Any) -> list[str]:
    """The JavaScript errors the page raised (uncaught exceptions)."""
    return PAGE_ERRORS.get(id(page), [])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The first-paint figures, in the test log whether the tests passed or not."""
    if MEASURES:
        terminalreporter.section("Carte : mesures du navigateur (tests e2e)")
        for line in MEASURES:
            terminalreporter.write_line(line)


def record_measure(line: str) -> None:
    MEASURES.append(line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "mesures.txt", "a", encoding="utf-8") as out:
        out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


def chromium_executable() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.fail(
            "Chromium est introuvable (paquet Debian « chromium ») : les tests de bout en bout "
            "en ont besoin. « make test » l'installe (scripts/ensure-system-deps.sh --browser), "
            "ou : apt-get install chromium.",
            pytrace=False,
        )
    return found


SESSION_COOKIE = "obs_session"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """A test account: how it signs in, and its TOTP secret (None: no second factor yet)."""

    id: int
    email: str
    role: str
    password: str
    secret: str | None

    def code(self) -> str:
        """The TOTP code of now (a code is accepted once: a second sign-in in the same 30 s
        needs another account, see ``Site.person``)."""
        assert self.secret is not None
        return code_now(self.secret)


def add_account(
    engine: Engine,
    email: str,
    role: str,
    *,
    totp: bool | None = None,
    password: str = PASSWORD,
    temporary: bool = False,
    communes: list[str] | None = None,
    groups: list[str] | None = None,
) -> Person:
    """An account written straight in the database (tests/accounts.py), its TOTP enrolled when
    ``totp``, by default for the roles that require it; ``temporary``: a password to change at
    the first sign-in."""
    enrolled = role in SECOND_FACTOR_ROLES if totp is None else totp
    account_id, secret = make_account(
        engine,
        email,
        role,
        communes,
        groups=groups or (),
        with_totp=enrolled,
        must_change=temporary,
    )
    if password != PASSWORD:
        set_password_hash(engine, account_id, password)
    return Person(account_id, email, role, password, secret)


@dataclass
class Site:
    """The served app: its address, the tokens of each role, the settings it runs with, one
    account per role (``people``) and the session cookie of each once signed in (``cookies``)."""

    url: str
    tokens: dict[str, str]
    settings: Settings
    engine: Engine
    people: dict[str, Person] = field(default_factory=dict)
    cookies: dict[str, dict[str, Any]] = field(default_factory=dict)
    external: list[str] = field(default_factory=list)

    def person(self, role: str, **options: Any) -> Person:
        """A new account of this role (e2e-<role>-<n>@observatoire.test): for a test that signs
        in through the form, signs out, or lets its session expire."""
        email = f"e2e-{role}-{next(_serial)}@observatoire.test"
        return add_account(self.engine, email, role, **options)

    def register(self, key: str, role: str, **options: Any) -> Person:
        """An account ``sign_in(page, site, key)`` signs in with (e2e-<key>@observatoire.test),
        e.g. an analyst scoped to some communes: ``site.register("cispd", "analyst",
        communes=["31069", "31149"])``."""
        person = add_account(self.engine, f"e2e-{key}@observatoire.test", role, **options)
        self.people[key] = person
        self.cookies.pop(key, None)
        return person


@pytest.fixture(scope="package")
def site(database_url: str, engine: Engine, reference: Settings) -> Iterator[Site]:
    """The API serving the map on a free port, the samples loaded, one token per role, and the
    tests' geocoder (tests/geocoding.py: a Redis of its own holding a seeded BAN extract)."""
    if not VENDOR_CHECK.exists():
        pytest.fail(
            "Les bibliothèques JavaScript ne sont pas installées : lancez « npm ci » à la racine "
            "du projet (« make test » le fait).",
            pytrace=False,
        )
    from api.main import create_app

    # No base map: the page must work with no network at all.
    settings = Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        tile_url="",
        tile_attribution="",
        redis_dir=reference.redis_dir,
        redis_port=reference.redis_port,
        redis_db=reference.redis_db,
    )
    _truncate_all(engine)
    load_samples(engine, settings)
    # The streets drawn on the map: those of the demo's BAN file, as `make run` loads them.
    load_streets(engine, [SAMPLES / "adresses-31-extrait.csv.gz"])
    roles = ("admin", "police", "analyst", "partner")
    tokens = role_tokens(engine, roles, "e2e-")
    people = {role: add_account(engine, f"e2e-{role}@observatoire.test", role) for role in roles}
    try:
        with serving(create_app(settings), name="e2e-uvicorn") as port:
            yield Site(f"http://127.0.0.1:{port}", tokens, settings, engine, people)
    finally:
        _truncate_all(engine)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(
    browser: Any, site: Site, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """A fresh browser context per page (its own sessionStorage); screenshots kept at the end."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def make(width: int = 1366, height: int = 900) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="fr-FR", timezone_id="UTC"
        )
        context.set_default_timeout(20_000)
        errors: list[str] = []
        page = context.new_page()

        def watch(req: Any) -> None:
            parts = urlsplit(req.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
                site.external.append(req.url)

        context.on("request", watch)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        PAGE_ERRORS[id(page)] = errors
        contexts.append(context)
        pages.append(page)
        return page

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(pages):
        suffix = f"-{i + 1}" if len(pages) > 1 else ""
        try:
            page.screenshot(path=ARTIFACTS / f"{request.node.name}{suffix}.png", full_page=True)
        except Exception as exc:  # a closed page must not hide the test's own outcome
            print(f"capture impossible pour {request.node.name}: {exc}")
    for page in pages:
        PAGE_ERRORS.pop(id(page), None)
    for context in contexts:
        context.close()


def sign_in(page: Any, site: Site, role: str, path: str = "/") -> None:
    """Open the page signed in as the role's account (or one ``Site.register`` made), then wait
    for the map to be drawn.

    The first time for a role, the account signs in through the form (e-mail, password, TOTP
    code) in a browser context of its own; every test then opens its page with the session
    cookie that sign-in left: a TOTP code is accepted once, many tests sign in with the same
    role within 30 seconds, and the test's page sees no request refused before the sign-in."""
    if role not in site.cookies:
        context = page.context.browser.new_context(locale="fr-FR", timezone_id="UTC")
        try:
            first = context.new_page()
            first.goto(site.url + "/")
            fill_sign_in(first, site.people[role])
            first.wait_for_selector("#connexion", state="hidden")
            site.cookies[role] = session_cookie(first)
        finally:
            context.close()
    page.context.add_cookies([site.cookies[role]])
    page.goto(site.url + path)
    wait_for_map(page)


def fill_sign_in(page: Any, person: Person, code: str | None = None) -> None:
    """Sign in through the form: e-mail and password, then the code when the page asks for it
    (``code``: this one rather than the TOTP code of now, e.g. a recovery code)."""
    page.wait_for_selector("#courriel:focus")
    page.fill("#courriel", person.email)
    page.fill("#mot-de-passe", person.password)
    page.press("#mot-de-passe", "Enter")
    if person.secret is not None or code is not None:
        page.wait_for_selector("#code:focus")
        page.fill("#code", code or person.code())
        page.press("#code", "Enter")


def session_cookie(page: Any) -> dict[str, Any]:
    """The session cookie of the page's browser context."""
    found = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert found, "pas de cookie de session après la connexion"
    return dict(found[0])


def wait_for_map(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelector('#carte')?.dataset.etat === 'pret'"
        " && document.querySelector('#total-faits') !== null"
        " && !document.querySelector('#resume').classList.contains('chargement')"
    )
