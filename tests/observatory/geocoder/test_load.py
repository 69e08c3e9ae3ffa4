"""Loading BAN files: the documents addok gets, and one copy of each commune whatever happens."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from benchmarks.synthetic.ban import HEADER, write_ban
from observatory.errors import InvalidInput
from observatory.geocoder.ban import CommuneAddresses, commune_documents, street_kind
from observatory.geocoder.engine import geocode, geocode_batch
from observatory.geocoder.load import document_count, load_ban, loaded_communes
from observatory.settings import Settings

BLAGNAC = "31069"


def expected_counts(rows: list[dict[str, str]]) -> tuple[int, int, int]:
    """Communes, streets and addresses of the rows, counted here from the file itself."""
    communes = {r["code_insee"] for r in rows}
    streets = {(r["code_insee"], r["id_fantoir"]) for r in rows}
    addresses = {(r["code_insee"], r["id_fantoir"], r["numero"], r["rep"]) for r in rows}
    return len(communes), len(streets), len(addresses)


def test_documents_of_a_commune() -> None:
    rows = [
        _row("31555_0001", "12", "", "Rue de la République", 1.44, 43.60),
        _row("31555_0001", "12", "bis", "Rue de la République", 1.4401, 43.6001),
        _row("31555_0001", "14", "", "Rue de la République", 1.4402, 43.6002),
        _row("31555_0002", "3", "", "Les Argoulets", 1.47, 43.62),
        _row("31555_0003", "99999", "", "Le Ramier", 1.43, 43.58),
    ]
    documents, addresses = commune_documents(CommuneAddresses("31555", "Toulouse", rows))
    assert addresses == 4  # 99999: a lieu-dit's point, no housenumber
    by_name = {d["name"]: d for d in documents}
    street = by_name["Rue de la République"]
    assert street["type"] == "street"
    assert street["citycode"] == "31555"
    assert street["postcode"] == "31000"
    assert street["city"] == "Toulouse"
    assert set(street["housenumbers"]) == {"12", "12 bis", "14"}
    assert street["housenumbers"]["12 bis"] == {
        "lon": 1.4401,
        "lat": 43.6001,
        "id": "31555_0001_00012_bis",
    }
    assert by_name["Les Argoulets"]["type"] == "locality"
    assert "housenumbers" not in by_name["Le Ramier"]
    assert by_name["Toulouse"]["type"] == "municipality"
    assert len(documents) == 4


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Rue du Taur", "street"),
        ("Allée Jean Jaurès", "street"),
        ("Impasse des Lilas", "street"),
        ("Place du Capitole", "street"),
        ("Les Argoulets", "locality"),
        ("Borderouge", "locality"),
        ("Ruelle des Fleurs", "street"),
        ("Rueil", "locality"),
    ],
)
def test_street_or_locality(name: str, kind: str) -> None:
    assert street_kind(name) == kind


def test_loading_twice_leaves_one_copy(
    empty_reference: Settings, extract_rows: list[dict[str, str]], extract_file: Path
) -> None:
    n_communes, n_streets, n_addresses = expected_counts(extract_rows)
    first = load_ban(empty_reference, [extract_file])
    assert (first.communes, first.streets, first.addresses) == (
        n_communes,
        n_streets,
        n_addresses,
    )
    documents = document_count(empty_reference)
    assert documents == n_streets + n_communes  # a document per street and per commune
    communes = loaded_communes(empty_reference)

    unchanged = load_ban(empty_reference, [extract_file])
    assert (unchanged.communes, unchanged.unchanged) == (0, n_communes)
    forced = load_ban(empty_reference, [extract_file], force=True)
    assert forced.communes == n_communes
    assert document_count(empty_reference) == documents
    assert loaded_communes(empty_reference) == communes
    # Searching finds the address once, not once per load.
    row = extract_rows[0]
    text = f"{row['numero']} {row['nom_voie']} {row['code_postal']} {row['nom_commune']}"
    from observatory.geocoder.engine import search

    geocode(empty_reference, text)
    found = search(text, limit=5)
    assert sum(1 for r in found if r.id == row["id"]) == 1


def test_a_new_version_of_a_commune_replaces_it(
    empty_reference: Settings,
    extract_rows: list[dict[str, str]],
    extract_file: Path,
    tmp_path: Path,
) -> None:
    load_ban(empty_reference, [extract_file])
    blagnac = [r for r in extract_rows if r["code_insee"] == BLAGNAC]
    streets = sorted({r["nom_voie"] for r in blagnac})
    gone, renamed = streets[0], streets[1]
    new_rows = [dict(r) for r in blagnac if r["nom_voie"] != gone]
    for row in new_rows:
        if row["nom_voie"] == renamed:
            row["nom_voie"] = "Rue Marguerite Yourcenar"
    path = tmp_path / "adresses-blagnac.csv"
    write_ban(new_rows, path)

    summary = load_ban(empty_reference, [path])
    assert summary.communes == 1
    others = [r for r in extract_rows if r["code_insee"] != BLAGNAC]
    n_communes, n_streets, n_addresses = expected_counts(others + new_rows)
    assert document_count(empty_reference) == n_streets + n_communes
    infos = {c.code: c for c in loaded_communes(empty_reference)}
    assert infos[BLAGNAC].addresses == expected_counts(new_rows)[2]
    assert sum(c.addresses for c in infos.values()) == n_addresses

    results = geocode_batch(
        [("Rue Marguerite Yourcenar Blagnac", BLAGNAC), (renamed, BLAGNAC), (gone, BLAGNAC)],
        empty_reference,
    )
    assert results[0] is not None and results[0].street == "Rue Marguerite Yourcenar"
    # The old names are gone from Blagnac: nothing found there carries them.
    for result in results[1:]:
        assert result is None or result.street not in {gone, renamed}


def test_a_file_that_is_not_the_ban_is_refused(empty_reference: Settings, tmp_path: Path) -> None:
    path = tmp_path / "adresses.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("adresse,ville\n12 rue du Taur,Toulouse\n")
    with pytest.raises(InvalidInput, match="colonnes absentes : numero"):
        load_ban(empty_reference, [path])


def test_cli_load_prints_the_counts(
    empty_reference: Settings,
    extract_rows: list[dict[str, str]],
    extract_file: Path,
    cli_in_process: Callable[[Settings, list[str]], Result],
) -> None:
    n_communes, n_streets, n_addresses = expected_counts(extract_rows)
    result = cli_in_process(empty_reference, ["geocoder", "load", str(extract_file)])
    assert result.exit_code == 0, result.output
    assert f"Chargé : {n_communes} communes, {n_streets} voies, {n_addresses} adresses." in (
        result.output
    )
    assert "Chargement de adresses-31.csv.gz : 100%" in result.output
    again = cli_in_process(empty_reference, ["geocoder", "load", str(extract_file)])
    assert f"Inchangées (déjà chargées) : {n_communes} communes." in again.output
    status = cli_in_process(empty_reference, ["geocoder", "status"])
    assert f"Référence : {n_communes} communes, {n_streets} voies, {n_addresses} adresses." in (
        status.output
    )


def _row(fantoir: str, numero: str, rep: str, voie: str, lon: float, lat: float) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    suffix = f"_{rep}" if rep else ""
    row.update(
        id=f"{fantoir}_{int(numero):05d}{suffix}",
        id_fantoir=fantoir,
        numero=numero,
        rep=rep,
        nom_voie=voie,
        code_postal="31000",
        code_insee="31555",
        nom_commune="Toulouse",
        lon=str(lon),
        lat=str(lat),
        libelle_acheminement="TOULOUSE",
    )
    return row
