// Les hexagones d'une grande zone en tuiles vectorielles (Leaflet.VectorGrid), cookie de session.
//
// Quand passer aux tuiles : l'API le dit dans le TileJSON (/tiles/hexagons.json) — plus de
// geojson_max_cells hexagones pour ces filtres, ou un zoom en deçà de geojson_min_zoom.
// La résolution d'une tuile suit le zoom (resolution_by_zoom, jamais plus fine que celle choisie).

import { texteSeul } from "./dom.js";

/** Le zoom des tuiles que Leaflet demandera pour ce zoom de carte (zoomSnap 0,5). */
export function zoomTuiles(zoom) {
  return Math.max(0, Math.round(Number(zoom) || 0));
}

/** Vrai si la couche d'hexagones doit passer aux tuiles, d'après le TileJSON et le zoom. */
export function modeTuiles(resume, zoom) {
  return resume.cells > resume.geojson_max_cells || zoomTuiles(zoom) < resume.geojson_min_zoom;
}

/** La résolution des tuiles à ce zoom (au plus la résolution choisie). */
export function resolutionTuiles(resume, zoom) {
  const z = Math.min(zoomTuiles(zoom), Math.max(...Object.keys(resume.resolution_by_zoom).map(Number)));
  return resume.resolution_by_zoom[String(z)];
}

/** Les comptes visibles, un par hexagone, tels que l'histogramme du TileJSON les donne. */
export function comptesDeplies(histogramme) {
  const comptes = [];
  for (const [valeur, nombre] of histogramme || []) for (let i = 0; i < nombre; i += 1) comptes.push(valeur);
  return comptes;
}

/** Le modèle d'adresse des tuiles : {z}/{x}/{y} laissés à Leaflet, les filtres en paramètres. */
export function modeleTuiles(parametres) {
  const requete = new URLSearchParams();
  for (const [nom, valeur] of Object.entries(parametres)) {
    if (valeur === null || valeur === undefined || valeur === "") continue;
    requete.set(nom, valeur);
  }
  return `${location.origin}/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf?${requete}`;
}

/** La couche de tuiles, créée au premier besoin ; style(propriétés) et texte(propriétés) donnés. */
export class TuilesHexagones {
  constructor({ style, texte }) {
    this.style = style;
    this.texte = texte;
    this.couche = null;
    this.url = null;
    this.infobulle = null;
  }

  /** Faux si Leaflet.VectorGrid n'est pas servi (npm ci non lancé après une mise à jour). */
  static disponible() {
    return typeof L.vectorGrid?.protobuf === "function";
  }

  /** La couche Leaflet pour ce modèle d'adresse (autres filtres : nouvelles tuiles). */
  pour(url) {
    if (!this.couche) {
      this.couche = this.creer(url);
    } else if (url !== this.url) {
      this.couche.options.fetchOptions = entetes();
      this.couche.setUrl(url);
    }
    this.url = url;
    return this.couche;
  }

  /** Autres classes de couleur : les tuiles sont redessinées (le navigateur les a gardées). */
  redessiner() {
    this.couche?.redraw();
  }

  creer(url) {
    const couche = L.vectorGrid.protobuf(url, {
      pane: "hexagones",
      attribution: "Grille H3",
      rendererFactory: L.svg.tile,
      interactive: true,
      getFeatureId: (f) => f.properties.h3,
      fetchOptions: entetes(),
      vectorTileLayerStyles: {
        hexagons: (p) => ({ ...this.style(p), fill: true }),
      },
    });
    // Les tests et les outils d'accessibilité lisent le compte de chaque hexagone dessiné.
    couche.on("tileload", (ev) => {
      const rendu = couche._vectorTiles?.[couche._tileCoordsToKey(ev.coords)];
      for (const { feature } of Object.values(rendu?._features || {})) {
        const p = feature.properties;
        if (!feature._path) continue;
        feature._path.dataset.h3 = p.h3;
        feature._path.dataset.count = p.suppressed ? "" : String(p.count);
      }
    });
    this.infobulle = L.tooltip({ sticky: true });
    couche.on("mousemove", (ev) => {
      if (!couche._map || !ev.layer?.properties) return;
      this.infobulle.setLatLng(ev.latlng).setContent(texteSeul(this.texte(ev.layer.properties)));
      if (!couche._map.hasLayer(this.infobulle)) this.infobulle.openOn(couche._map);
    });
    couche.on("mouseout remove", () => this.infobulle.close());
    return couche;
  }
}

/** Les options des requêtes de tuiles : le cookie de session, même origine. */
function entetes() {
  return { credentials: "same-origin" };
}
