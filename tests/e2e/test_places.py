"""Places in the page without a tile server (Chromium): street names along the streets from zoom
15, QPV and commune names, and the search box that flies to the place chosen."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

Row = dict[str, str]
# The north of Toulouse's centre, where the demo's BAN file has the most streets.
DEMO_STREETS = "43.6219,1.4361,15"


def view(page: Any) -> tuple[float, float, float]:
    """The map's centre and zoom, as the page writes them in its address (« vue »)."""
    value = page.evaluate("() => new URL(location.href).searchParams.get('vue')")
    lat, lon, zoom = (float(v) for v in value.split(","))
    return lat, lon, zoom


def wait_for_view(page: Any, zoom: float) -> None:
    page.wait_for_function(
        "(z) => Number((new URL(location.href).searchParams.get('vue') || '').split(',')[2]) === z",
        arg=zoom,
    )


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, (a[0] - b[0]) * 110_574)


def test_street_names_at_zoom_15_on_the_demo(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "analyst", f"/?vue={DEMO_STREETS}")
    page.wait_for_function("() => document.querySelectorAll('.nom-rue span').length >= 3")
    names = page.eval_on_selector_all(".nom-rue span", "els => els.map(e => e.textContent)")
    streets = site.engine.connect().exec_driver_sql("SELECT DISTINCT name FROM street").scalars()
    assert set(names) <= set(streets)
    assert len(names) == len(set(names))  # one label a street
    # Readable: every label is turned less than a quarter turn, never upside down.
    angles = page.eval_on_selector_all(
        ".nom-rue span",
        "els => els.map(e => { const m = new DOMMatrix(getComputedStyle(e).transform);"
        " return Math.atan2(m.b, m.a) * 180 / Math.PI; })",
    )
    assert all(-90 < a <= 90 for a in angles), angles
    # The lines are drawn in their own pane, over the hexagons, light.
    assert page.locator(".leaflet-rues-pane path").count() >= len(names)
    # QPV names are written at this zoom, commune names are not (streets take over).
    assert page.locator(".nom-qpv").count() > 0
    assert page.locator(".nom-commune").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "rues-zoom15.png")
    # Zoomed out, the street names go and the commune names come.
    page.evaluate("() => history.replaceState(null, '', location.pathname)")
    page.click(".leaflet-control-zoom-out")
    page.wait_for_function("() => document.querySelectorAll('.nom-rue').length === 0")
    page.click(".leaflet-control-zoom-out")
    page.wait_for_function("() => document.querySelectorAll('.nom-commune').length > 0")
    assert page_errors(page) == []


def test_the_search_flies_to_an_address(
    open_page: Callable[..., Any], site: Site, extract_rows: list[Row]
) -> None:
    row = next(r for r in extract_rows if r["code_insee"] == "31555" and not r["rep"])
    page = open_page()
    sign_in(page, site, "partner")
    box = page.get_by_role("combobox", name="Rechercher un lieu")
    box.fill(f"{row['numero']} {row['nom_voie']} Toulouse")
    options = page.locator("#recherche-resultats").get_by_role("option")
    options.first.wait_for()
    assert row["nom_voie"] in options.first.text_content()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "recherche-resultat-0"
    box.press("Enter")
    wait_for_view(page, 17)
    lat, lon, _ = view(page)
    assert distance_m((lat, lon), (float(row["lat"]), float(row["lon"]))) < 30
    marked = page.locator(".lieu-choisi")
    marked.wait_for()
    assert row["nom_voie"] in marked.text_content()
    assert page.get_by_role("status").filter(has_text="Carte centrée sur").count() == 1
    assert page_errors(page) == []


def test_the_search_fits_a_qpv_and_says_when_nothing_is_found(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    sign_in(page, site, "police", "/?vue=43.60,1.44,11")
    box = page.get_by_role("combobox", name="Rechercher un lieu")
    box.fill("Grand Mirail")
    page.locator("#recherche-resultats").get_by_role("option").filter(
        has_text="Grand Mirail (QPV)"
    ).click()
    page.wait_for_function(
        "() => Number((new URL(location.href).searchParams.get('vue') || '').split(',')[2]) >= 13"
    )
    with site.engine.connect() as conn:
        west, south, east, north = conn.exec_driver_sql(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM qpv "
            "WHERE name = 'Grand Mirail' AND generation = 2024"
        ).one()
    lat, lon, _ = view(page)
    assert west < lon < east and south < lat < north
    box.fill("zzqqxx introuvable")
    page.get_by_role("status").filter(has_text="Aucun lieu trouvé").wait_for()
    assert page.locator("#recherche-resultats").get_by_role("option").count() == 0
    box.fill("<img src=x onerror=alert(1)>")
    box.press("Enter")
    page.wait_for_timeout(500)
    assert page.locator("img[src=x]").count() == 0
    assert page_errors(page) == []
