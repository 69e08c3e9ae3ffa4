// Se repérer sans serveur de tuiles : les rues de la BAN et leurs noms (zoom 15 et plus), les
// noms des QPV et des communes, la recherche d'un lieu, et le fond de carte local s'il y en a un.
//
// Leaflet n'écrit pas de texte le long d'un tracé : le nom d'une rue est une étiquette tournée,
// posée au milieu de son tracé, dans le sens du segment (jamais la tête en bas). Les étiquettes
// sont posées des plus longues rues aux plus courtes ; une étiquette qui en chevaucherait une
// autre, ou plus longue que sa rue à l'écran, est laissée de côté.
// Tous les noms viennent du serveur : ils n'entrent dans la page que comme texte (h()).

import { annulee, api } from "./api.js";
import { echapper, h, remplir } from "./dom.js";

export const ZOOM_RUES = 15;
const ZOOM_QPV = 12;
const ZOOM_COMMUNES = [9, 14]; // au-delà, les rues et les QPV suffisent
const ZOOM_ADRESSE = 17;
const LARGEUR_LETTRE = 6.6; // px, police de 11 px : de quoi juger si un nom tient sur sa rue
const HAUTEUR_NOM = 14;
const ATTENTE_FRAPPE = 250; // ms

/** Le fond de carte local (OBS_BASEMAP_FILE) en couche Leaflet, ou null s'il n'y en a pas. */
export function fondLocal(config) {
  const fond = config?.basemap;
  if (!fond?.url) return null;
  const options = {
    attribution: echapper(fond.attribution || "Fond de carte local"),
    minZoom: 0,
    maxZoom: 19,
    minNativeZoom: fond.minzoom,
    maxNativeZoom: fond.maxzoom,
  };
  if (fond.bounds) options.bounds = [[fond.bounds[1], fond.bounds[0]], [fond.bounds[3], fond.bounds[2]]];
  return L.tileLayer(fond.url, options);
}

/** L'angle (degrés) d'un segment à l'écran, ramené entre −90 et 90 : un texte lisible. */
export function angleLisible(a, b) {
  let angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
  if (angle > 90) angle -= 180;
  if (angle <= -90) angle += 180;
  return angle;
}

/** Le point au milieu d'un tracé (points à l'écran) et l'angle lisible du segment où il tombe. */
export function milieu(points) {
  const longueurs = [];
  let total = 0;
  for (let i = 1; i < points.length; i += 1) {
    const l = Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
    longueurs.push(l);
    total += l;
  }
  let reste = total / 2;
  for (let i = 0; i < longueurs.length; i += 1) {
    if (reste <= longueurs[i] || i === longueurs.length - 1) {
      const t = longueurs[i] ? Math.min(1, reste / longueurs[i]) : 0;
      const a = points[i];
      const b = points[i + 1];
      return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, angle: angleLisible(a, b), longueur: total };
    }
    reste -= longueurs[i];
  }
  return null;
}

/** La boîte (alignée sur les axes) d'une étiquette tournée, centrée en (x, y). */
function boite(x, y, largeur, angle) {
  const r = (angle * Math.PI) / 180;
  const demiL = (Math.abs(Math.cos(r)) * largeur + Math.abs(Math.sin(r)) * HAUTEUR_NOM) / 2;
  const demiH = (Math.abs(Math.sin(r)) * largeur + Math.abs(Math.cos(r)) * HAUTEUR_NOM) / 2;
  return { x0: x - demiL, x1: x + demiL, y0: y - demiH, y1: y + demiH };
}

function chevauche(a, b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function etiquette(latlng, classe, texte, angle = 0) {
  const contenu = h("span", { style: `transform: translate(-50%, -50%) rotate(${angle.toFixed(1)}deg)` }, texte);
  const icone = L.divIcon({ className: classe, html: contenu, iconSize: null });
  return L.marker(latlng, { icon: icone, pane: "noms", interactive: false, keyboard: false });
}

/** Les rues de la BAN dans la vue, et leurs noms, à partir du zoom 15. */
class Rues {
  constructor(carte) {
    this.carte = carte;
    this.traits = L.geoJSON(null, {
      pane: "rues",
      interactive: false,
      style: { color: "#555", weight: 1.6, opacity: 0.55 },
    }).addTo(carte);
    this.noms = L.layerGroup().addTo(carte);
    this.donnees = null;
    this.controleur = null;
    carte.on("moveend", () => this.actualiser());
    carte.on("zoomend", () => this.etiqueter());
  }

  async actualiser() {
    this.controleur?.abort();
    if (this.carte.getZoom() < ZOOM_RUES) {
      this.traits.clearLayers();
      this.noms.clearLayers();
      this.donnees = null;
      return;
    }
    this.controleur = new AbortController();
    const b = this.carte.getBounds().pad(0.2);
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    try {
      this.donnees = await api("/layers/streets", { parametres: { bbox }, signal: this.controleur.signal });
    } catch (e) {
      if (annulee(e)) return;
      this.donnees = null; // sans rues la carte reste utilisable : rien à signaler de plus
    }
    this.traits.clearLayers();
    if (this.donnees) this.traits.addData(this.donnees);
    this.etiqueter();
  }

  etiqueter() {
    this.noms.clearLayers();
    if (!this.donnees || this.carte.getZoom() < ZOOM_RUES) return;
    const posees = [];
    for (const rue of this.donnees.features) {
      const nom = rue.properties.name;
      const traces = rue.geometry.coordinates.map((ligne) => ligne.map(([lon, lat]) => this.carte.latLngToLayerPoint([lat, lon])));
      const milieux = traces.map(milieu).filter(Boolean);
      if (!milieux.length) continue;
      const m = milieux.reduce((a, b) => (b.longueur > a.longueur ? b : a));
      const largeur = nom.length * LARGEUR_LETTRE;
      if (m.longueur < largeur * 0.8) continue; // un nom plus long que sa rue la cacherait
      const cadre = boite(m.x, m.y, largeur, m.angle);
      if (posees.some((p) => chevauche(p, cadre))) continue;
      posees.push(cadre);
      this.noms.addLayer(etiquette(this.carte.layerPointToLatLng([m.x, m.y]), "nom-rue", nom, m.angle));
    }
  }
}

/** Les noms des QPV (géographie choisie) et des communes, en un point intérieur à chacun. */
class Noms {
  constructor(carte) {
    this.carte = carte;
    this.qpv = L.layerGroup();
    this.communes = L.layerGroup();
    this.generation = null;
    carte.on("zoomend", () => this.montrer());
  }

  async charger(generation) {
    if (generation === this.generation) return;
    this.generation = generation;
    let donnees;
    try {
      donnees = await api("/layers/names", { parametres: { generation } });
    } catch {
      return;
    }
    this.qpv.clearLayers();
    this.communes.clearLayers();
    for (const f of donnees.features) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const groupe = p.kind === "qpv" ? this.qpv : this.communes;
      groupe.addLayer(etiquette([lat, lon], p.kind === "qpv" ? "nom-lieu nom-qpv" : "nom-lieu nom-commune", p.name));
    }
    this.montrer();
  }

  montrer() {
    const z = this.carte.getZoom();
    const voir = (groupe, oui) => {
      if (oui && !this.carte.hasLayer(groupe)) groupe.addTo(this.carte);
      if (!oui && this.carte.hasLayer(groupe)) this.carte.removeLayer(groupe);
    };
    voir(this.qpv, z >= ZOOM_QPV);
    voir(this.communes, z >= ZOOM_COMMUNES[0] && z <= ZOOM_COMMUNES[1]);
  }
}

const LIBELLES_TYPES = {
  housenumber: "adresse",
  street: "voie",
  locality: "lieu-dit",
  municipality: "commune",
  commune: "commune",
  qpv: "QPV",
};

/** La recherche d'un lieu : un champ, une liste de résultats au clavier, la carte qui y vole. */
class Recherche {
  constructor(carte) {
    this.carte = carte;
    this.resultats = [];
    this.actif = -1;
    this.marque = null;
    this.minuterie = null;
    this.controleur = null;
    const controle = L.control({ position: "topleft" });
    controle.onAdd = () => this.construire();
    controle.addTo(carte);
  }

  construire() {
    this.champ = h("input", {
      id: "recherche-lieu",
      type: "search",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "Adresse, rue, QPV, commune…",
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": "recherche-resultats",
      oninput: () => this.attendre(),
      onkeydown: (ev) => this.clavier(ev),
    });
    this.liste = h("ul", { id: "recherche-resultats", role: "listbox", "aria-label": "Lieux trouvés", hidden: true });
    this.etat = h("p", { class: "recherche-etat", role: "status", "aria-live": "polite" });
    const div = h(
      "form",
      { class: "recherche-lieu leaflet-bar", role: "search", onsubmit: (ev) => ev.preventDefault() },
      h("label", { for: "recherche-lieu" }, "Rechercher un lieu"),
      this.champ,
      this.liste,
      this.etat,
    );
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }

  attendre() {
    clearTimeout(this.minuterie);
    this.minuterie = setTimeout(() => this.chercher(), ATTENTE_FRAPPE);
  }

  async chercher() {
    const q = this.champ.value.trim();
    this.controleur?.abort();
    if (q.length < 2) {
      this.montrer([]);
      remplir(this.etat);
      return;
    }
    this.controleur = new AbortController();
    try {
      const reponse = await api("/geocode", { parametres: { q, limit: 8 }, signal: this.controleur.signal });
      this.montrer(reponse.results);
      remplir(this.etat, reponse.results.length > 1 ? `${reponse.results.length} lieux trouvés` : reponse.results.length ? "1 lieu trouvé" : "Aucun lieu trouvé.");
    } catch (e) {
      if (annulee(e)) return;
      this.montrer([]);
      remplir(this.etat, e.detail || "La recherche a échoué.");
    }
  }

  montrer(resultats) {
    this.resultats = resultats;
    this.actif = -1;
    remplir(
      this.liste,
      resultats.map((r, i) =>
        h(
          "li",
          {
            id: `recherche-resultat-${i}`,
            role: "option",
            "aria-selected": "false",
            dataset: { type: r.type },
            onmousedown: (ev) => ev.preventDefault(), // le champ garde le focus
            onclick: () => this.choisir(i),
          },
          h("span", { class: "libelle" }, r.label),
          h("span", { class: "type" }, LIBELLES_TYPES[r.type] || r.type),
        ),
      ),
    );
    this.liste.hidden = resultats.length === 0;
    this.champ.setAttribute("aria-expanded", resultats.length ? "true" : "false");
    this.champ.removeAttribute("aria-activedescendant");
  }

  clavier(ev) {
    const n = this.resultats.length;
    if (ev.key === "ArrowDown" && n) {
      ev.preventDefault();
      this.activer((this.actif + 1) % n);
    } else if (ev.key === "ArrowUp" && n) {
      ev.preventDefault();
      this.activer((this.actif - 1 + n) % n);
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      if (n) this.choisir(Math.max(this.actif, 0));
      else this.chercher();
    } else if (ev.key === "Escape") {
      this.montrer([]);
    }
  }

  activer(i) {
    this.actif = i;
    for (const [j, li] of [...this.liste.children].entries()) li.setAttribute("aria-selected", j === i ? "true" : "false");
    this.champ.setAttribute("aria-activedescendant", `recherche-resultat-${i}`);
    this.liste.children[i]?.scrollIntoView({ block: "nearest" });
  }

  choisir(i) {
    const r = this.resultats[i];
    if (!r) return;
    this.champ.value = r.label;
    this.montrer([]);
    remplir(this.etat, `Carte centrée sur : ${r.label}`);
    this.marque?.remove();
    this.marque = L.circleMarker([r.lat, r.lon], {
      pane: "noms",
      radius: 8,
      color: "#fff",
      weight: 2.5,
      fillColor: "#0b5394",
      fillOpacity: 1,
      interactive: false,
    })
      .bindTooltip(h("span", {}, r.label), { permanent: true, direction: "top", offset: [0, -8], className: "lieu-choisi" })
      .addTo(this.carte);
    this.carte.getContainer().dataset.lieu = r.label;
    if (r.bbox && r.type !== "housenumber") {
      const [o, s, e, n] = r.bbox;
      this.carte.flyToBounds([[s, o], [n, e]], { maxZoom: ZOOM_ADRESSE, padding: [30, 30] });
    } else {
      this.carte.flyTo([r.lat, r.lon], ZOOM_ADRESSE);
    }
  }
}

/** Tout ce qui aide à se repérer, sur une carte Leaflet. */
export class Lieux {
  constructor(carte) {
    const rues = carte.createPane("rues");
    rues.style.zIndex = "415"; // au-dessus des hexagones, en gris léger
    rues.style.pointerEvents = "none"; // le survol reste aux hexagones
    const noms = carte.createPane("noms");
    noms.style.zIndex = "460"; // au-dessus des contours
    noms.style.pointerEvents = "none";
    this.rues = new Rues(carte);
    this.noms = new Noms(carte);
    this.recherche = new Recherche(carte);
    carte.whenReady(() => this.rues.actualiser());
  }

  /** La géographie des QPV a changé (ou la carte se charge) : leurs noms suivent. */
  actualiser(contexte) {
    this.noms.charger(contexte?.generation || 2024);
  }
}
