"""Places: streets of the BAN, names of QPV and communes, the search box's answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.geojson import Feature, FeatureCollection, Geometry, Point


class StreetProperties(BaseModel):
    """Une voie de la Base adresse nationale."""

    name: str = Field(description="Nom de la voie")
    commune: str = Field(description="Code INSEE de sa commune")
    points: int = Field(description="Nombre de points d'adresse par lesquels elle passe")


class StreetFeature(Feature[StreetProperties, Geometry]):
    """Une voie, tracée par ses points d'adresse (MultiLineString)."""


class StreetMetadata(BaseModel):
    """Ce que la réponse contient."""

    truncated: bool = Field(
        description="Vrai si l'emprise en contient davantage : seules les plus longues sont données"
    )


class StreetLayer(FeatureCollection[StreetFeature]):
    """Les voies qui traversent l'emprise, les plus longues d'abord."""

    metadata: StreetMetadata = Field(description="Réponse complète ou tronquée")


class NameProperties(BaseModel):
    """Le nom d'un lieu à écrire sur la carte."""

    kind: str = Field(description="qpv ou commune", json_schema_extra={"enum": ["qpv", "commune"]})
    code: str = Field(description="Code du QPV ou code INSEE")
    name: str = Field(description="Nom à écrire")


class NameFeature(Feature[NameProperties, Point]):
    """Un point à l'intérieur du lieu, où écrire son nom."""


class NameLayer(FeatureCollection[NameFeature]):
    """Les noms des QPV d'une géographie et des communes."""


class PlaceFound(BaseModel):
    """Un lieu trouvé par la recherche."""

    label: str = Field(description="Ce que la liste montre")
    score: float = Field(description="Vraisemblance, de 0 à 1")
    type: str = Field(
        description="housenumber (une adresse), street (une voie), locality (un lieu-dit), "
        "municipality (une commune de la BAN), qpv, commune",
        json_schema_extra={
            "enum": ["housenumber", "street", "locality", "municipality", "qpv", "commune"]
        },
    )
    lon: float = Field(description="Longitude WGS84 du lieu")
    lat: float = Field(description="Latitude WGS84 du lieu")
    bbox: list[float] | None = Field(
        description="Emprise ouest, sud, est, nord ; null pour une adresse"
    )
    code: str | None = Field(description="Identifiant BAN, code du QPV ou code INSEE")
    citycode: str | None = Field(description="Code INSEE de la commune")
    street: str | None = Field(description="Nom de la voie (adresses et voies)")


class GeocodeAnswer(BaseModel):
    """Les lieux trouvés, les plus vraisemblables d'abord."""

    query: str = Field(description="La recherche telle qu'elle a été comprise")
    results: list[PlaceFound] = Field(description="Les lieux trouvés")
