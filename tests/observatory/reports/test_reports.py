"""The CLSPD pack (issue 8): the PDF, the offline HTML, the maps, secrecy, the CLI and the API.

The samples are loaded once for the module. References are independent of the code under test:
the sample CSV read by pandas and indexed by h3-py for the counts, pdftotext and pdfimages
(poppler-utils) for what the PDF shows, Pillow for the images, html.parser for the page.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import h3
import httpx
import pandas as pd
import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from typer.testing import CliRunner

from observatory.figures.territories import CommuneTerritories
from observatory.privacy.partner import partner_snapshot
from observatory.privacy.publication import current_publication
from observatory.reports import pack_figures
from observatory.reports.content import territory_text
from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import _truncate_all, api_settings, auth, cli_env, role_tokens, run_cli
from tests.samples import load_samples

SAMPLES = PROJECT_ROOT / "data" / "samples"
PERIOD = {"commune": "31555", "from": "2025-01", "to": "2025-12"}
HOT_RED = (214, 47, 39)  # Esri's « hot 99 % », as the map draws it
SECTIONS = [
    "Carte des faits par hexagone",
    "Points chauds",
    "Créneaux horaires",
    "Évolution mensuelle",
    "Tableau CompStat",
    "QPV et reste de la commune",
    "État 4001 des services de la commune",
]
LAYERS = ["Hexagones : faits de la période", "Points chauds (Gi*)", "QPV 2024", "Limite communale"]


def pack_settings(database_url: str) -> Settings:
    return api_settings(database_url)


@pytest.fixture(scope="module")
def loaded(engine: Engine, database_url: str) -> Iterator[Settings]:
    settings = pack_settings(database_url)
    _truncate_all(engine)
    load_samples(engine, settings)
    yield settings
    _truncate_all(engine)


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def get(self, role: str | None, **params: str) -> httpx.Response:
        headers = auth(self.tokens[role]) if role else {}
        return self.client.get("/api/v1/reports/pack", params=params, headers=headers)


@pytest.fixture(scope="module")
def api(loaded: Settings, engine: Engine) -> Iterator[Api]:
    from api.main import create_app

    tokens = role_tokens(engine, ("admin", "analyst", "police", "partner"), "pack-")
    with TestClient(create_app(loaded), raise_server_exceptions=False) as client:
        yield Api(client, tokens)


@dataclass(frozen=True)
class Reference:
    total: int
    cells: Counter[str]  # facts of 2025 per resolution-9 cell


@pytest.fixture(scope="module")
def reference() -> Reference:
    """The 2025 facts of the sample, counted by pandas and indexed by h3-py."""
    frame = pd.read_csv(SAMPLES / "incidents_toulouse.csv", sep=";", dtype=str)
    frame = frame[frame["date_faits"].str.endswith("/2025") & (frame["code_insee"] == "31555")]
    lon = frame["longitude"].str.replace(",", ".").astype(float)
    lat = frame["latitude"].str.replace(",", ".").astype(float)
    # A fact's coarser cell is the parent of its storage cell (resolution 12), as DESIGN.md says.
    cells = Counter(
        h3.cell_to_parent(h3.latlng_to_cell(y, x, 12), 9)
        for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
    )
    return Reference(len(frame), cells)


def cli(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["report", *args], 180, DATABASE_URL=database_url)


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"{tool} est introuvable (paquet Debian « poppler-utils ») : « make test » l'installe "
            "(scripts/ensure-system-deps.sh --browser), ou : apt-get install poppler-utils.",
            pytrace=False,
        )
    return found


def page_texts(pdf: Path) -> list[str]:
    info = subprocess.run(
        [poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    texts = []
    for number in range(1, pages + 1):
        out = subprocess.run(
            [poppler("pdftotext"), "-layout", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        texts.append(" ".join(out.replace("\u00a0", " ").split()))
    return texts


@pytest.fixture(scope="module")
def pdf_run(
    loaded: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("pack") / "clspd.pdf"
    result = cli(
        ["--commune", "31555", "--from", "2025-01", "--to", "2025-12", "--out", str(out)],
        database_url,
    )
    return result, out


def test_cli_writes_the_pdf_pack(pdf_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, out = pdf_run
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Pack CLSPD PDF écrit : {out} (")
    assert "commune 31555, de janvier 2025 à décembre 2025" in result.stdout
    assert out.read_bytes().startswith(b"%PDF-")


def test_pdf_has_the_expected_pages_and_text(
    pdf_run: tuple[subprocess.CompletedProcess[str], Path], reference: Reference
) -> None:
    pages = page_texts(pdf_run[1])

    assert len(pages) == 10  # the cover, the key messages, 7 sections, the annex
    for number, text in enumerate(pages, start=1):
        assert f"page {number} / 10" in text
        assert "diffusion restreinte" in text.lower()
        assert "Toulouse" in text
    cover = pages[0]
    for words in (
        "Pack de réunion du CLSPD",
        "Toulouse (INSEE 31555)",
        "Période : de janvier 2025 à décembre 2025",
        "Document de travail — diffusion restreinte",
        "Produit le",
        "Filtres : Commune de Toulouse (INSEE 31555) ; faits commencés du 1er janvier 2025 "
        "au 31 décembre 2025",
        "Version complète",
        "Sommaire",
    ):
        assert words in cover
    total = f"{reference.total:,}".replace(",", " ")
    assert f"{total} faits sur la période" in cover
    assert "Messages clés pour le maire — page 2" in cover
    assert pages[1].startswith("Messages clés pour le maire")
    for page, title in enumerate(SECTIONS, start=3):
        assert f"{title} — page {page}" in cover
        assert pages[page - 1].startswith(title)
    assert "Annexe : Méthodes — page 10" in cover and pages[9].startswith("Annexe : Méthodes")
    assert (
        f"{len(reference.cells):,}".replace(",", " ") + " hexagones H3 de résolution 9" in pages[2]
    )
    hot = pages[3]
    assert "Les faits se concentrent nettement" in hot
    assert "Point chaud, confiance 99 %" in hot and "Moran" not in hot
    assert "I de Moran global" in pages[9] and "Gi* de Getis–Ord" in pages[9]
    assert "nuit 22 h – 6 h" in pages[4]
    assert "Mann–Kendall" in pages[5] and "décembre 2025" in pages[5]
    assert all(w in pages[6] for w in ("7 jours", "28 jours", "Depuis le 1er janvier"))
    assert "Grand Mirail (QN03107M)" in pages[7] and "Reste de la commune (hors QPV)" in pages[7]
    # A population borrowed from 2015 wraps in its column, not over the share before it (drawn
    # over each other, « 1 962 » and « 0,8 % » read « 1 0,8 / 962% »).
    layout = subprocess.run(
        [poppler("pdftotext"), "-layout", "-f", "8", "-l", "8", str(pdf_run[1]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "(population" in layout and not re.search(r"\d%", layout)
    assert "CSP TOULOUSE (PN, 31)" in pages[8] and "dernière année connue, 2024" in pages[8]
    assert "Atteintes aux biens" in pages[8]
    assert not re.search(r"<\s?5", " ".join(pages))  # the full pack hides nothing


def _images(pdf: Path, folder: Path) -> list[Image.Image]:
    subprocess.run([poppler("pdfimages"), "-png", str(pdf), str(folder / "image")], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(folder.glob("image-*.png"))]


def _looks_drawn(image: Image.Image, most_white: float = 0.98) -> None:
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20  # not a single colour
    white = sum(n for n, c in colours if c == (255, 255, 255))
    assert white < most_white * image.width * image.height


def test_pdf_maps_and_charts_are_images_with_content(
    pdf_run: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    images = _images(pdf_run[1], tmp_path)

    assert len(images) == 4  # two maps, the time-slot matrix, the trend
    maps = [i for i in images if i.height > i.width * 0.9]
    assert len(maps) == 2
    for image in images:
        _looks_drawn(image, 0.7 if image in maps else 0.98)
    hexagons, hot = maps
    assert hot.getcolors(maxcolors=1 << 20) is not None
    assert any(c == HOT_RED for _n, c in hot.getcolors(maxcolors=1 << 20) or [])
    assert not any(c == HOT_RED for _n, c in hexagons.getcolors(maxcolors=1 << 20) or [])


class Assets(HTMLParser):
    """Every script and link element of a page, with its src / href."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.links: list[str | None] = []
        self.images: list[str | None] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values.get("src"))
        elif tag == "link":
            self.links.append(values.get("href"))
        elif tag == "img":
            self.images.append(values.get("src"))
        elif tag == "table":
            self.tables += 1


def _present(text: str, page: str) -> bool:
    """In the page as written, or as JSON writes it inside the map's script."""
    return text in page or json.dumps(text)[1:-1] in page


def test_html_pack_opens_with_no_network(api: Api, reference: Reference) -> None:
    answer = api.get("analyst", format="html", **PERIOD)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="pack-clspd-31555-2025-01-2025-12.html"'
    )
    page = answer.text
    assets = Assets()
    assets.feed(page)
    remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    assert assets.scripts and not any(s and remote.match(s) for s in assets.scripts)
    assert not any(h and remote.match(h) for h in assets.links)
    assert all(s is None for s in assets.scripts) and assets.links == []  # all inlined
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"']?https?:", page, re.I)
    assert assets.images and all(
        s and s.startswith("data:image/png;base64,") for s in assets.images
    )
    assert "Leaflet 1.9.4" in page and "L.map(" in page  # Leaflet itself, inlined
    assert "url(data:image/png;base64," in page  # the layer control's icon, inlined
    for layer in LAYERS:
        assert _present(layer, page), layer
    for title in SECTIONS:
        assert f">{title}</h2>" in page
    assert assets.tables == 10
    for words in ("Document de travail — diffusion restreinte", "Produit le", "Filtres : Commune"):
        assert words in page
    assert "Grand Mirail (QN03107M)" in page and "CSP TOULOUSE (PN, 31)" in page
    assert page.count('"h3":') == len(reference.cells)  # one feature per non-empty hexagon
    assert "Version complète" in page and "masqu" not in page


def test_partner_pack_hides_small_counts(api: Api, reference: Reference) -> None:
    page = api.get("partner", format="html", **PERIOD).text
    assert "Version partenaires (secret statistique)" in page
    # The partner pack is drawn from the release: its hexagons are the partner's map, a
    # released value under 5 shown « < 5 », never a number.
    layer = api.client.get(
        "/api/v1/layers/hexagons",
        params={"res": 8, "commune": "31555", "from": "2025-01-01", "to": "2025-12-31"},
        headers=auth(api.tokens["partner"]),
    ).json()
    small = sum(1 for f in layer["features"] if f["properties"]["suppressed"])
    hidden = json.dumps("< 5 faits (masqué)".replace(" 5", "\u00a05"))[1:-1].replace("<", "\\u003c")
    assert page.count(f'"faits": "{hidden}"') == small
    shown = re.findall(r'"faits": "(\d+)", "h3"', page)  # hexagons (hot spots have no h3)
    assert sorted(int(n) for n in shown) == sorted(
        f["properties"]["count"] for f in layer["features"] if not f["properties"]["suppressed"]
    )
    assert all(int(n) >= 5 for n in shown)

    full = page_texts_of(api.get("analyst", format="pdf", **PERIOD).content)
    partner = page_texts_of(api.get("partner", format="pdf", **PERIOD).content)
    assert "Version partenaires" in partner[0] and "Version complète" in full[0]
    assert not re.search(r"<\s?5", full[6])
    # The partner's État 4001 page says why it has no figures: no « — » services, no empty table.
    assert "ne sont pas diffusés aux partenaires" in partner[8]
    assert "Services rattachés" not in partner[8] and "Unité" not in partner[8]
    assert "Services rattachés à la commune : CSP TOULOUSE" in full[8] and "Unité" in full[8]


def page_texts_of(pdf: bytes) -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.pdf"
        path.write_bytes(pdf)
        return page_texts(path)


def test_partner_cannot_ask_for_the_full_pack_and_others_can_hand_out_theirs(api: Api) -> None:
    refused = api.get("partner", format="html", level="full", **PERIOD)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "version partenaires" in refused.json()["detail"]

    police = api.get("police", format="html", level="partner", **PERIOD)
    assert police.status_code == 200
    assert police.headers["content-disposition"].endswith(
        'pack-clspd-31555-2025-01-2025-12-partenaires.html"'
    )
    assert "Version partenaires" in police.text


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({**PERIOD, "from": "2025-1"}, "« from » attend un mois AAAA-MM"),
        ({**PERIOD, "to": "2024-12"}, "Période vide"),
        ({**PERIOD, "commune": "99999"}, "Commune 99999 inconnue"),
        ({**PERIOD, "format": "docx"}, "« format » vaut html ou pdf"),
        ({**PERIOD, "level": "tout"}, "« level » vaut full ou partner"),
        ({"from": "2025-01", "to": "2025-02"}, "« commune » : est obligatoire"),
    ],
)
def test_bad_parameters_are_422_in_french(api: Api, params: dict[str, str], detail: str) -> None:
    answer = api.get("admin", **params)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert detail in answer.json()["detail"]


def test_a_token_is_required(api: Api) -> None:
    assert api.get(None, **PERIOD).status_code == 401


def test_pack_figures_are_the_api_figures(api: Api, loaded: Settings, engine: Engine) -> None:
    """The same engine as the layers and statistics: the pack says what the API says."""
    from observatory.reports.request import make_request
    from observatory.store.incidents import IncidentStore

    snapshot = IncidentStore(engine, loaded.timezone).snapshot()
    request = make_request("31555", "2025-01", "2025-12")
    # The analyst's maps leave out the sensitive categories, as the API's.
    figures = pack_figures(engine, snapshot, request, loaded, kind="analyst")
    days = {"commune": "31555", "from": "2025-01-01", "to": "2025-12-31"}
    headers = auth(api.tokens["analyst"])

    def get(path: str, **params: object) -> dict:
        answer = api.client.get(f"/api/v1{path}", params={**days, **params}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    hot = get("/layers/hotspots")["metadata"]
    assert figures.hotspots is not None
    assert (hot["resolution"], hot["k"]) == (figures.hotspots.resolution, figures.hotspots.k)
    assert hot["classes"] == figures.hotspots.classes()
    assert hot["chosen_because"] == figures.hotspots.reason
    assert get("/stats/summary")["total"] == figures.total.current
    hexagons = get("/layers/hexagons", res=figures.hexagons.resolution)["features"]
    assert sorted(f["properties"]["count"] for f in hexagons) == sorted(figures.hexagons.counts)
    slots = get("/stats/timeslots")
    assert [[round(v, 4) for v in row] for row in figures.timeslots.matrix] == slots["matrix"]
    trend = get("/stats/trends")["series"][0]
    assert [p.change.current for p in figures.trend.months] == trend["counts"]
    assert figures.trend.mann_kendall.trend == trend["mann_kendall"]["trend"]
    compstat = get("/stats/compstat", by="family")
    assert compstat["rows"][0]["periods"][2]["current"] == figures.total.current
    assert {r["periods"][0]["z"] for r in compstat["rows"]} == {
        round(r.changes[0].z, 2) for r in figures.compstat.rows if r.changes[0].z is not None
    }
    places = get("/stats/territories", generation="2024")["communes"][0]
    assert territory_rows(figures.territories) == api_territory_rows(places)


def territory_rows(table: CommuneTerritories) -> list[tuple[object, ...]]:
    """The QPV table of a pack as the API rounds it: each QPV, the rest, the commune."""
    named = [(q.code, q) for q in table.qpvs] + [(None, table.outside_qpv), (None, table.whole)]
    return [
        (
            code,
            row.count,
            None if row.share is None else round(row.share, 4),
            row.population,
            row.population_from,
            None if row.rate_per_1000 is None else round(row.rate_per_1000, 2),
        )
        for code, row in named
    ]


def api_territory_rows(commune: dict) -> list[tuple[object, ...]]:
    rows = [*commune["qpvs"], commune["outside_qpv"], commune["whole"]]
    return [
        (
            row.get("code"),
            row["count"],
            row["share"],
            row["population"],
            row["population_from"],
            row["rate_per_1000"],
        )
        for row in rows
    ]


@pytest.mark.parametrize(
    ("kind", "generation"), [("analyst", 2015), ("analyst", 2024), ("partner", 2024)]
)
def test_the_pack_qpv_table_is_the_api_table(
    api: Api, loaded: Settings, engine: Engine, kind: str, generation: int
) -> None:
    """Counts, shares, populations (the rest of the commune's too: known in 2015, where every
    QPV's is) and rates per 1,000, for each reader: the pack and the API read one figure."""
    from observatory.reports.request import make_request
    from observatory.store.incidents import IncidentStore

    snapshot = IncidentStore(engine, loaded.timezone).snapshot()
    partner = kind == "partner"  # then the pack is drawn from the release the API answers from
    request = make_request("31555", "2025-01", "2025-12", partner=partner, generation=generation)
    figures = pack_figures(engine, snapshot, request, loaded, kind=kind)  # type: ignore[arg-type]
    answer = api.client.get(
        "/api/v1/stats/territories",
        params={**PERIOD, "from": "2025-01-01", "to": "2025-12-31", "generation": generation},
        headers=auth(api.tokens[kind]),
    )
    assert answer.status_code == 200, answer.text
    rows = territory_rows(figures.territories)
    assert rows == api_territory_rows(answer.json()["communes"][0])
    rest_population = rows[-2][3]
    assert (rest_population is not None) == (generation == 2015)
    if partner:
        # What the pack says of its secret is true: its counts are the release's, not the exact
        # ones, so that the commune less the other territories gives no exact hidden count.
        assert "bruités" in territory_text(figures)
        exact = pack_figures(
            engine,
            snapshot,
            make_request("31555", "2025-01", "2025-12", partner=False, generation=generation),
            loaded,
            kind="analyst",
        )
        counts = [row[1] for row in rows]
        assert counts != [row[1] for row in territory_rows(exact.territories)]


def test_maps_drawn_on_the_server_are_not_blank(loaded: Settings, engine: Engine) -> None:
    from observatory.reports.maps import hexagon_map, hotspot_map
    from observatory.reports.request import make_request
    from observatory.store.incidents import IncidentStore

    snapshot = IncidentStore(engine, loaded.timezone).snapshot()
    for partner in (False, True):
        request = make_request("31555", "2025-01", "2025-12", partner=partner)
        view = snapshot
        if partner:
            view = partner_snapshot(
                current_publication(engine, snapshot, date(2026, 12, 6), loaded), snapshot
            )
        figures = pack_figures(engine, view, request, loaded)
        for png in (hexagon_map(figures), hotspot_map(figures)):
            image = Image.open(io.BytesIO(png))
            assert image.format == "PNG" and image.width >= 1000
            _looks_drawn(image.convert("RGB"), 0.7)
        grey = (189, 189, 189)  # hidden hexagons (a few grey pixels of edges otherwise)
        colours = Image.open(io.BytesIO(hexagon_map(figures))).convert("RGB").getcolors(1 << 20)
        greys = dict((c, n) for n, c in colours or []).get(grey, 0)
        hidden = sum(1 for c in figures.hexagons.counts if c is None)
        assert hidden == 0 or partner  # only a partner pack has « < 5 » hexagons
        assert (greys > 1_000) if hidden else (greys < 10_000), (greys, hidden)


def cli_in_process(args: list[str], database_url: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    """The command in this process (the interpreter's start-up is paid once, by pdf_run)."""
    from observatory.cli import app
    from observatory.settings import get_settings

    for name in [n for n in os.environ if n.startswith("OBS_")]:
        monkeypatch.delenv(name)
    for name, value in cli_env(DATABASE_URL=database_url).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["report", *args])
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from", "2025-13", "--to", "2025-12"], 2, "« --from » attend un mois AAAA-MM"),
        (["--from", "2025-03", "--to", "2025-02"], 2, "Période vide : « --from » (2025-03)"),
        (["--commune", "99999"], 1, "Commune 99999 inconnue : importez son contour"),
        (["--out", "/nulle/part/pack.pdf"], 2, "Dossier introuvable pour --out : /nulle/part"),
        (["--format", "doc"], 2, "--format vaut html ou pdf"),
    ],
)
def test_cli_refusals_and_usage_errors(
    loaded: Settings,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    message: str,
) -> None:
    out = tmp_path / "pack.pdf"
    given = {"--commune": "31555", "--from": "2025-01", "--to": "2025-02", "--out": str(out)}
    given.update(dict(zip(args[::2], args[1::2], strict=True)))

    result = cli_in_process([a for pair in given.items() for a in pair], database_url, monkeypatch)

    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_cli_html_pack_into_a_folder(
    loaded: Settings, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--commune", "31555", "--from", "2025-06", "--to", "2025-06"]
    result = cli_in_process(
        [*args, "--out", str(tmp_path), "--partenaires", "--format", "html"],
        database_url,
        monkeypatch,
    )

    assert result.exit_code == 0, result.output
    written = tmp_path / "pack-clspd-31555-2025-06-2025-06-partenaires.html"
    assert result.stdout.startswith(f"Pack CLSPD HTML (version partenaires) écrit : {written}")
    assert [p.name for p in tmp_path.iterdir()] == [written.name]  # no temporary file left
    page = written.read_text(encoding="utf-8")
    assert "Période : juin 2025" in page and "du 1er juin 2025 au 30 juin 2025" in page
    assert "Version partenaires" in page
