"""The demo (issue 20): the Arnaud-Bernard evaluation read right, and the pack's key messages.

The demo's samples and its two CLSPD actions are loaded once. Every figure a sentence gives is
worked out here on its own: the Poisson z and the ranking with numpy, the worst three hours
with a rolled sum, the hot groups with h3-py's neighbour test, the street with pandas from the
sample CSV; the counts themselves are checked against the sample read by pandas.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.figures.timeslots import WEEKDAYS
from observatory.reports import make_request, pack_figures, render_pack
from observatory.reports.messages import key_messages
from observatory.reports.model import PackFigures
from observatory.settings import PROJECT_ROOT, Settings
from observatory.store.incidents import IncidentStore
from tests.conftest import _truncate_all, api_settings, auth, role_tokens
from tests.samples import load_samples

SAMPLES = PROJECT_ROOT / "data" / "samples"
NB = "\u00a0"
ARNAUD_BERNARD = "Médiation de nuit, Arnaud-Bernard"
NOT_READ = "Déplacement non interprétable : pas d'effet direct mesuré"


@dataclass
class Demo:
    engine: Engine
    settings: Settings
    client: TestClient
    police: dict[str, str]
    figures: PackFigures


@pytest.fixture(scope="module")
def demo(engine: Engine, database_url: str) -> Iterator[Demo]:
    from api.main import create_app
    from observatory.cli.imports import _demo_actions

    settings = api_settings(database_url)
    _truncate_all(engine)
    load_samples(engine, settings)
    _demo_actions(engine)
    snapshot = IncidentStore(engine, settings.timezone).snapshot()
    request = make_request("31555", "2025-01", "2025-12", format="html")
    figures = pack_figures(engine, snapshot, request, settings, kind="full")
    police = auth(role_tokens(engine, ["police"], "messages-")["police"])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Demo(engine, settings, client, police, figures)
    _truncate_all(engine)


def fr_int(n: int) -> str:
    return f"{n:,}".replace(",", NB)


def fr1(x: float) -> str:
    text_ = f"{abs(x):.1f}".replace(".", ",")
    return ("−" if round(x, 1) < 0 else "+" if round(x, 1) > 0 else "") + text_


# -- the evaluation of « Médiation de nuit, Arnaud-Bernard » ----------------------------------


def test_arnaud_bernard_null_effect_is_not_read_as_a_success(demo: Demo) -> None:
    with demo.engine.connect() as conn:
        action = conn.execute(
            text("SELECT id FROM action WHERE title = :t"), {"t": ARNAUD_BERNARD}
        ).scalar_one()
    answer = demo.client.get(f"/api/v1/actions/{action}/evaluation", headers=demo.police)
    assert answer.status_code == 200, answer.text
    e = answer.json()
    t = e["areas"]["treated"]
    c = e["areas"]["control"]
    # The log odds ratio's z from the four counts: the treated change is noise.
    z = math.log(t["before"] * c["after"] / (t["after"] * c["before"])) / math.sqrt(
        sum(1 / n for n in (t["before"], t["after"], c["before"], c["after"]))
    )
    assert abs(z) < 1.96 and e["relative_effect"]["significant"] is False
    b = e["areas"]["buffer"]
    raw = (b["after"] / c["after"] - b["before"] / c["before"]) / (
        t["after"] / c["after"] - t["before"] / c["before"]
    )
    assert abs(raw) > 10  # what used to be shown as « WDQ = 65,46 »

    moved = e["displacement"]
    assert moved["wdq"] is None and moved["total_net_effect"] is None
    assert moved["readable"] is False and moved["interpretation"] == "no_direct_effect"
    assert e["display"]["wdq"] == "non interprétable"
    assert e["display"]["net_effect"] == "non interprétable"
    assert e["display"]["verdict"].startswith("En bref : pas d'effet mesuré")
    assert any(r.startswith(NOT_READ) for r in e["reading"])
    for sentence in e["reading"]:
        assert "en moins" not in sentence and "WDQ =" not in sentence
        assert "Diffusion des bénéfices" not in sentence
    own = round(100 * (t["after"] - t["before"]) / t["before"])
    assert e["display"]["changes"]["treated"] == (f"{'+' if own > 0 else ''}{own}{NB}%")
    everything = json.dumps(e, ensure_ascii=False)
    assert not re.search(r"−0(\s|\u00a0)%", everything)

    # The pack's page says the same, under a heading without double parentheses.
    page = render_pack(demo.figures).decode("utf-8")
    start = page.index(f"<h3>{ARNAUD_BERNARD} — fiche FA-4.1 (exemple)</h3>")
    section = page[start : page.index("</p>", page.index("Attendu : le compte", start))]
    assert "(FA-4.1 (exemple))" not in page and "(FA-2.3 (exemple))" not in page
    assert NOT_READ in section.replace("&#x27;", "'")
    assert "faits en moins" not in section and "WDQ = " not in section
    assert "−0" + NB + "%" not in section


# -- the key messages --------------------------------------------------------------------------


def test_the_three_largest_changes_are_ranked_by_their_poisson_z(demo: Demo) -> None:
    cs = demo.figures.compstat
    rows = [r for r in cs.rows if r.key != "total"]
    now = np.array([r.changes[1].current for r in rows], dtype=float)
    before = np.array([r.changes[1].previous for r in rows], dtype=float)
    z = 2 * (np.sqrt(now) - np.sqrt(before))
    order = np.argsort(-np.abs(z), kind="stable")[:3]

    sentences = dict(key_messages(demo.figures))["Ce qui a changé"]
    assert "28 derniers jours" in sentences[1]
    assert len(sentences) == 5
    for sentence, i in zip(sentences[2:], order.tolist(), strict=True):
        label = rows[i].label
        assert sentence.startswith(f"{label} : {'hausse' if z[i] > 0 else 'baisse'}")
        assert f"{fr_int(int(now[i]))} faits contre {fr_int(int(before[i]))}" in sentence
        assert f"(z = {fr1(z[i])})" in sentence
        pct = round(100 * (now[i] - before[i]) / before[i])
        assert f"{'+' if pct > 0 else '−' if pct < 0 else ''}{abs(pct)}{NB}%" in sentence
        if abs(z[i]) > 2:
            assert "nette" in sentence and "écart significatif" in sentence
        else:
            assert "dans les variations habituelles" in sentence
    total = demo.figures.total
    zt = 2 * (math.sqrt(total.current or 0) - math.sqrt(total.previous or 0))
    assert sentences[0].startswith(f"Sur la période : {fr_int(total.current or 0)} faits")
    assert f"(z = {fr1(zt)})" in sentences[0]


@pytest.fixture(scope="module")
def facts_2025() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLES / "incidents_toulouse.csv", sep=";", dtype=str)
    frame = frame[frame["date_faits"].str.endswith("/2025") & (frame["code_insee"] == "31555")]
    frame = frame.assign(
        lon=frame["longitude"].str.replace(",", ".").astype(float),
        lat=frame["latitude"].str.replace(",", ".").astype(float),
    )
    return frame


def test_the_worst_three_hours_of_the_week(demo: Demo, facts_2025: pd.DataFrame) -> None:
    matrix = np.array(demo.figures.timeslots.matrix, dtype=float)
    assert matrix.sum() == pytest.approx(len(facts_2025))  # the figures are the sample's
    flat = matrix.ravel()
    three = flat + np.roll(flat, -1) + np.roll(flat, -2)  # hour i, i + 1, i + 2 (wrapping)
    best = int(np.argmax(three))
    day, hour = divmod(best, 24)
    share = 100 * three[best] / flat.sum()

    sentence = dict(key_messages(demo.figures))["Quand"][0]
    end = (hour + 3) % 24
    if hour + 3 > 24:
        when = f"la nuit du {WEEKDAYS[day]} au {WEEKDAYS[(day + 1) % 7]}"
    else:
        when = f"le {WEEKDAYS[day]}"
    assert f"{when}, de {hour}{NB}h à {end}{NB}h" in sentence
    assert f"avec {share:.1f}".replace(".", ",") + f"{NB}% des faits" in sentence
    assert f"environ {fr_int(round(three[best]))} faits" in sentence


def test_the_main_hot_spot(demo: Demo, facts_2025: pd.DataFrame) -> None:
    layer = demo.figures.hotspots
    assert layer is not None
    hot = [
        h3.int_to_str(int(c))
        for c, code in zip(layer.cells.tolist(), layer.codes, strict=True)
        if code in ("hot_99", "hot_95")
    ]
    # Groups by union–find over h3-py's own neighbour test.
    parent = {c: c for c in hot}

    def root(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for i, a in enumerate(hot):
        for b in hot[i + 1 :]:
            if h3.are_neighbor_cells(a, b):
                parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for c in hot:
        groups.setdefault(root(c), []).append(c)
    count = {
        h3.int_to_str(int(c)): n for c, n in zip(layer.cells.tolist(), layer.counts, strict=True)
    }
    best = max(groups.values(), key=lambda g: sum(count[c] or 0 for c in g))
    facts = sum(count[c] or 0 for c in best)

    # The sample's own facts in those hexagons (h3-py on the CSV's coordinates).
    mine = [
        h3.cell_to_parent(h3.latlng_to_cell(y, x, 12), layer.resolution)
        for x, y in zip(facts_2025["lon"], facts_2025["lat"], strict=True)
    ]
    tally = Counter(mine)
    assert sum(tally[c] for c in best) == facts

    sentence = dict(key_messages(demo.figures))["Où"][0]
    assert sentence.startswith(f"Principal point chaud : {len(best)} hexagones")
    assert f"avec {fr_int(facts)} faits" in sentence
    if len(groups) == 1:
        assert "seule zone chaude" in sentence
    else:
        assert f"{len(groups)} zones chaudes en tout" in sentence

    # The street most cited in the busiest hexagon of the group, from the CSV's addresses.
    peak = max(best, key=lambda c: count[c] or 0)
    inside = facts_2025[[c == peak for c in mine]]
    streets = inside["adresse"].dropna().str.replace(r"^\s*\d+\s*(bis|ter)?[\s,]*", "", regex=True)
    top = streets.str.strip().str.lower().value_counts()
    assert top.iloc[0] >= 10
    assert f"adresse la plus citée en son cœur : {top.index[0]}." in sentence.lower()


def test_the_pack_opens_with_the_key_messages(demo: Demo) -> None:
    page = render_pack(demo.figures).decode("utf-8")
    messages = page.index('<section id="messages"')
    assert messages < page.index('id="hexagones"') < page.index('id="methodes"')
    assert '<a href="#messages">Messages clés pour le maire</a>' in page
    assert '<a href="#methodes">Annexe : Méthodes</a>' in page
    hot = page[page.index('id="points-chauds"') : page.index('id="creneaux"')]
    assert "Les faits se concentrent nettement" in hot and "Moran" not in hot
    annex = page[page.index('id="methodes"') :]
    assert "I de Moran global" in annex and "WDQ = D / S" in annex


def test_a_partner_pack_says_nothing_read_from_the_facts(demo: Demo) -> None:
    snapshot = IncidentStore(demo.engine, demo.settings.timezone).snapshot()
    request = make_request("31555", "2025-01", "2025-12", format="html", partner=True)
    figures = pack_figures(demo.engine, snapshot, request, demo.settings, kind="partner")
    said = dict(key_messages(figures))
    # The release is noisy: no Poisson z on it, and no street read from the facts themselves.
    assert figures.hot_street is None
    assert "Adresse la plus citée" not in said["Où"][0]
    assert all("écart non testé" in s for s in said["Ce qui a changé"][2:])
    assert len(said["Ce qui a changé"]) == 5
    assert "3 derniers mois" in said["Ce qui a changé"][1]


def test_an_analyst_pack_names_no_street(demo: Demo) -> None:
    """The street is read from every fact, sensitive categories included: the full pack only."""
    snapshot = IncidentStore(demo.engine, demo.settings.timezone).snapshot()
    request = make_request("31555", "2025-01", "2025-12", format="html")
    figures = pack_figures(demo.engine, snapshot, request, demo.settings, kind="analyst")
    assert figures.hot_street is None
    assert "Adresse la plus citée" not in dict(key_messages(figures))["Où"][0]
    assert demo.figures.hot_street is not None
